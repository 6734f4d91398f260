namespace AkkaRedis.Keyspace.Data;

/// <summary>
/// Redis's geohash (geohash.c, geohash_helper.c): a point is a 52-bit interleaving of its latitude and longitude in
/// Web Mercator's bounds, stored as a sorted-set score, so the points of one geohash cell are one score range. A search
/// looks at the cell around the centre and its eight neighbours, at a size chosen from the radius, and then checks every
/// point found against the exact shape. Written after Redis's code so that scores, coordinates, distances and the order
/// of unsorted results are the same.
/// </summary>
public static class GeoHash
{
    public const int StepMax = 26;
    public const double LongitudeMin = -180, LongitudeMax = 180;
    public const double LatitudeMin = -85.05112878, LatitudeMax = 85.05112878;

    private const double EarthRadiusInMeters = 6372797.560856;
    private const double MercatorMax = 20037726.37;
    private const double DegreesToRadians = Math.PI / 180.0;

    /// <summary>A cell: its bits and how many bits per coordinate (step). Bits 0 with step 0 is "no cell".</summary>
    public readonly record struct Cell(ulong Bits, int Step)
    {
        public bool IsZero => Bits == 0 && Step == 0;

        /// <summary>The scores of the cell's points: min inclusive, max exclusive (scoresOfGeoHashBox).</summary>
        public (double Min, double Max) Scores => (Bits << (52 - Step * 2), (Bits + 1) << (52 - Step * 2));
    }

    public readonly record struct Area(double LongitudeMin, double LongitudeMax, double LatitudeMin, double LatitudeMax);

    /// <summary>The score GEOADD stores for a point (the coordinates are in range).</summary>
    public static ulong Score(double longitude, double latitude) =>
        Encode(longitude, latitude, LongitudeMin, LongitudeMax, LatitudeMin, LatitudeMax, StepMax).Bits << (52 - StepMax * 2);

    public static Cell Encode(double longitude, double latitude, double longMin, double longMax, double latMin, double latMax, int step)
    {
        double latOffset = (latitude - latMin) / (latMax - latMin) * (1UL << step);
        double longOffset = (longitude - longMin) / (longMax - longMin) * (1UL << step);
        return new Cell(Interleave((uint)latOffset, (uint)longOffset), step);
    }

    public static Area Decode(Cell cell, double longMin = LongitudeMin, double longMax = LongitudeMax,
                              double latMin = LatitudeMin, double latMax = LatitudeMax)
    {
        ulong separated = Deinterleave(cell.Bits);
        uint latitudeBits = (uint)separated, longitudeBits = (uint)(separated >> 32);
        double scale = 1UL << cell.Step;
        return new Area(
            longMin + longitudeBits / scale * (longMax - longMin),
            longMin + (longitudeBits + 1.0) / scale * (longMax - longMin),
            latMin + latitudeBits / scale * (latMax - latMin),
            latMin + (latitudeBits + 1.0) / scale * (latMax - latMin));
    }

    /// <summary>The point a score stands for: the centre of its cell (decodeGeohash).</summary>
    public static (double Longitude, double Latitude) Point(double score)
    {
        var area = Decode(new Cell((ulong)score, StepMax));
        return (Math.Clamp((area.LongitudeMin + area.LongitudeMax) / 2, LongitudeMin, LongitudeMax),
                Math.Clamp((area.LatitudeMin + area.LatitudeMax) / 2, LatitudeMin, LatitudeMax));
    }

    /// <summary>GEOHASH's standard 11-character geohash (latitude in -90..90), the last character always '0'.</summary>
    public static string StandardHash(double score)
    {
        const string alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";
        var (longitude, latitude) = Point(score);
        ulong bits = Encode(longitude, latitude, -180, 180, -90, 90, StepMax).Bits;
        var text = new char[11];
        for (int i = 0; i < 11; i++) text[i] = alphabet[i == 10 ? 0 : (int)((bits >> (52 - (i + 1) * 5)) & 0x1f)];
        return new string(text);
    }

    /// <summary>Haversine great-circle distance in meters (geohashGetDistance).</summary>
    public static double Distance(double lon1, double lat1, double lon2, double lat2)
    {
        double lat1r = lat1 * DegreesToRadians, lon1r = lon1 * DegreesToRadians;
        double lat2r = lat2 * DegreesToRadians, lon2r = lon2 * DegreesToRadians;
        double u = Math.Sin((lat2r - lat1r) / 2), v = Math.Sin((lon2r - lon1r) / 2);
        return 2.0 * EarthRadiusInMeters * Math.Asin(Math.Sqrt(u * u + Math.Cos(lat1r) * Math.Cos(lat2r) * v * v));
    }

    /// <summary>A search: around a point, by radius or by box; sizes in the unit whose meters are <see cref="Conversion"/>.</summary>
    public sealed record Shape(double Longitude, double Latitude, double Radius, double Width, double Height, bool IsBox, double Conversion)
    {
        /// <summary>The distance in meters when the point is inside the shape, else null (geoWithinShape).</summary>
        public double? DistanceIfInside(double longitude, double latitude)
        {
            if (!IsBox)
            {
                double distance = Distance(Longitude, Latitude, longitude, latitude);
                return distance > Radius * Conversion ? null : distance;
            }
            double lonDistance = Distance(longitude, latitude, Longitude, latitude);
            double latDistance = Distance(longitude, latitude, longitude, Latitude);
            if (lonDistance > Width * Conversion / 2 || latDistance > Height * Conversion / 2) return null;
            return Distance(Longitude, Latitude, longitude, latitude);
        }
    }

    /// <summary>
    /// The cells to search, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), those the shape cannot reach zeroed
    /// (geohashCalculateAreasByShapeWGS84).
    /// </summary>
    public static Cell[] SearchCells(Shape shape)
    {
        var (minLon, minLat, maxLon, maxLat) = BoundingBox(shape);
        double radiusMeters = shape.IsBox
            ? Math.Sqrt(shape.Width / 2 * (shape.Width / 2) + shape.Height / 2 * (shape.Height / 2))
            : shape.Radius;
        radiusMeters *= shape.Conversion;
        int steps = EstimateSteps(radiusMeters, shape.Latitude);
        var cell = Encode(shape.Longitude, shape.Latitude, LongitudeMin, LongitudeMax, LatitudeMin, LatitudeMax, steps);
        var cells = WithNeighbours(cell);
        // The estimated step can be too fine near a cell's edge: a neighbour then does not reach the box's edge.
        bool decrease = Decode(cells[1]).LatitudeMax < maxLat || Decode(cells[2]).LatitudeMin > minLat
                        || Decode(cells[3]).LongitudeMax < maxLon || Decode(cells[4]).LongitudeMin > minLon;
        if (steps > 1 && decrease)
        {
            steps--;
            cell = Encode(shape.Longitude, shape.Latitude, LongitudeMin, LongitudeMax, LatitudeMin, LatitudeMax, steps);
            cells = WithNeighbours(cell);
        }
        if (steps >= 2)
        {
            var area = Decode(cell);
            if (area.LatitudeMin < minLat) Zero(cells, 2, 7, 8);
            if (area.LatitudeMax > maxLat) Zero(cells, 1, 5, 6);
            if (area.LongitudeMin < minLon) Zero(cells, 4, 8, 6);
            if (area.LongitudeMax > maxLon) Zero(cells, 3, 7, 5);
        }
        return cells;
    }

    private static void Zero(Cell[] cells, params int[] which)
    {
        foreach (int i in which) cells[i] = default;
    }

    private static (double MinLon, double MinLat, double MaxLon, double MaxLat) BoundingBox(Shape shape)
    {
        double height = shape.Conversion * (shape.IsBox ? shape.Height / 2 : shape.Radius);
        double width = shape.Conversion * (shape.IsBox ? shape.Width / 2 : shape.Radius);
        double latDelta = height / EarthRadiusInMeters / DegreesToRadians;
        double longDeltaTop = width / EarthRadiusInMeters / Math.Cos((shape.Latitude + latDelta) * DegreesToRadians) / DegreesToRadians;
        double longDeltaBottom = width / EarthRadiusInMeters / Math.Cos((shape.Latitude - latDelta) * DegreesToRadians) / DegreesToRadians;
        // Towards the pole the box is narrower: its wider edge is the one nearer the equator.
        double longDelta = shape.Latitude < 0 ? longDeltaBottom : longDeltaTop;
        return (shape.Longitude - longDelta, shape.Latitude - latDelta, shape.Longitude + longDelta, shape.Latitude + latDelta);
    }

    private static int EstimateSteps(double rangeMeters, double latitude)
    {
        if (rangeMeters == 0) return 26;
        int step = 1;
        while (rangeMeters < MercatorMax)
        {
            rangeMeters *= 2;
            step++;
        }
        step -= 2; // so that the range fits in the base cases
        if (latitude is > 66 or < -66)
        {
            step--;
            if (latitude is > 80 or < -80) step--;
        }
        return Math.Clamp(step, 1, 26);
    }

    /// <summary>The cell, then its neighbours north, south, east, west, north-east, north-west, south-east, south-west.</summary>
    private static Cell[] WithNeighbours(Cell cell) =>
    [
        cell, Move(cell, 0, 1), Move(cell, 0, -1), Move(cell, 1, 0), Move(cell, -1, 0),
        Move(cell, 1, 1), Move(cell, -1, 1), Move(cell, 1, -1), Move(cell, -1, -1),
    ];

    /// <summary>geohash_move_x and geohash_move_y: longitude bits are the odd ones, latitude bits the even ones.</summary>
    private static Cell Move(Cell cell, int dx, int dy)
    {
        int shift = 64 - cell.Step * 2;
        ulong bits = cell.Bits;
        if (dx != 0) bits = MoveAlong(bits, 0xaaaaaaaaaaaaaaaaUL, dx, shift);
        if (dy != 0) bits = MoveAlong(bits, 0x5555555555555555UL, dy, shift);
        return cell with { Bits = bits };
    }

    /// <summary>Adds <paramref name="d"/> (1 or -1) to the coordinate whose bits <paramref name="mask"/> selects, the other's bits kept.</summary>
    private static ulong MoveAlong(ulong bits, ulong mask, int d, int shift)
    {
        ulong moving = bits & mask, kept = bits & ~mask;
        // With the other coordinate's bits all set, a carry or borrow runs straight through them.
        ulong others = ~mask >> shift;
        moving = d > 0 ? moving + (others + 1) : (moving | others) - (others + 1);
        return (moving & (mask >> shift)) | kept;
    }

    /// <summary>The bits of x in the even positions and those of y in the odd ones.</summary>
    private static ulong Interleave(uint xlo, uint ylo)
    {
        ulong x = xlo, y = ylo;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        y = (y | (y << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        y = (y | (y << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        y = (y | (y << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        y = (y | (y << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        y = (y | (y << 1)) & 0x5555555555555555UL;
        return x | (y << 1);
    }

    /// <summary>The inverse of <see cref="Interleave"/>: x in the low 32 bits, y in the high ones.</summary>
    private static ulong Deinterleave(ulong interleaved)
    {
        ulong x = interleaved, y = interleaved >> 1;
        x &= 0x5555555555555555UL;
        y &= 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        y = (y | (y >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        y = (y | (y >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        y = (y | (y >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        y = (y | (y >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        y = (y | (y >> 16)) & 0x00000000FFFFFFFFUL;
        return x | (y << 32);
    }
}
