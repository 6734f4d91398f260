using System.Globalization;
using AkkaRedis.Keyspace.Data;

namespace AkkaRedis.Keyspace.Tests;

/// <summary>Redis's geohash, checked against the figures of Redis's GEOADD, GEOHASH, GEOPOS and GEODIST pages.</summary>
public class GeoHashTests
{
    [Fact]
    public void PalermoAndCataniaAreWhereRedisPutsThem()
    {
        ulong palermo = GeoHash.Score(13.361389, 38.115556), catania = GeoHash.Score(15.087269, 37.502669);
        Assert.Equal(3479099956230698UL, palermo);
        Assert.Equal(3479447370796909UL, catania);
        Assert.Equal("sqc8b49rny0", GeoHash.StandardHash(palermo));
        Assert.Equal("sqdtr74hyu0", GeoHash.StandardHash(catania));
        var (longitude, latitude) = GeoHash.Point(palermo);
        Assert.Equal("13.36138933897018433", longitude.ToString("F17", CultureInfo.InvariantCulture));
        Assert.Equal("38.11555639549629859", latitude.ToString("F17", CultureInfo.InvariantCulture));
        var (lon2, lat2) = GeoHash.Point(catania);
        Assert.Equal("166274.1516", GeoHash.Distance(longitude, latitude, lon2, lat2).ToString("F4", CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ASearchCoversItsShapeWithTheCellAndItsNeighbours()
    {
        // 200 km around a point: the cells searched are 9 (some zeroed), each a score range holding the points near it.
        var shape = new GeoHash.Shape(15, 37, 200, 0, 0, IsBox: false, Conversion: 1000);
        var cells = GeoHash.SearchCells(shape);
        Assert.Equal(9, cells.Length);
        ulong catania = GeoHash.Score(15.087269, 37.502669);
        Assert.Contains(cells, cell => !cell.IsZero && cell.Scores.Min <= catania && catania < cell.Scores.Max);
        Assert.NotNull(shape.DistanceIfInside(15.087269, 37.502669));
        Assert.Null(shape.DistanceIfInside(13.361389, 38.115556 + 5));
    }
}
