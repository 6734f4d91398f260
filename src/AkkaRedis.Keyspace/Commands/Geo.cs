using System.Globalization;
using System.Text;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Keyspace.Server;
using AkkaRedis.Protocol;

namespace AkkaRedis.Keyspace.Commands;

/// <summary>
/// The geo commands (geo.c): points kept in a sorted set, each scored by its 52-bit geohash (<see cref="GeoHash"/>).
/// GEOADD is ZADD with those scores, and is journaled as that ZADD, as Redis propagates it.
/// </summary>
public static class Geo
{
    public static void Register(CommandTable.Builder table) => table
        .Keyed("geoadd", GeoAdd)
        .Keyed("geopos", GeoPos)
        .Keyed("geodist", GeoDist)
        .Keyed("geohash", GeoHashCommand)
        .Keyed("georadius", c => Search(c, 1, SearchFlags.Coordinates))
        .Keyed("georadius_ro", c => Search(c, 1, SearchFlags.Coordinates | SearchFlags.NoStore))
        .Keyed("georadiusbymember", c => Search(c, 1, SearchFlags.Member))
        .Keyed("georadiusbymember_ro", c => Search(c, 1, SearchFlags.Member | SearchFlags.NoStore))
        .Keyed("geosearch", c => Search(c, 1, SearchFlags.GeoSearch))
        .Keyed("geosearchstore", c => Search(c, 2, SearchFlags.GeoSearch | SearchFlags.Store));

    /// <summary>GEOADD key [NX|XX] [CH] longitude latitude member ...: checked, then run as ZADD with geohash scores.</summary>
    private static void GeoAdd(CommandContext c)
    {
        int first = 2;
        bool nx = false, xx = false;
        for (; first < c.Argc; first++)
        {
            if (Args.Is(c[first], "NX")) nx = true;
            else if (Args.Is(c[first], "XX")) xx = true;
            else if (!Args.Is(c[first], "CH")) break;
        }
        if ((c.Argc - first) % 3 != 0 || nx && xx)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        var zadd = new byte[first + (c.Argc - first) / 3 * 2][];
        zadd[0] = Cmd.ZAdd;
        for (int i = 1; i < first; i++) zadd[i] = c[i];
        for (int i = first, j = first; i < c.Argc; i += 3, j += 2)
        {
            if (!TryPoint(c, i, out double longitude, out double latitude)) return;
            zadd[j] = Args.Bytes((long)GeoHash.Score(longitude, latitude));
            zadd[j + 1] = c[i + 2];
        }
        c.Args = zadd;
        SortedSets.Add(c);
    }

    /// <summary>extractLongLatOrReply: two floats, in Web Mercator's bounds.</summary>
    private static bool TryPoint(CommandContext c, int index, out double longitude, out double latitude)
    {
        latitude = 0;
        if (!TryDouble(c, c[index], RespErrors.NotFloat, out longitude) || !TryDouble(c, c[index + 1], RespErrors.NotFloat, out latitude)) return false;
        if (longitude is >= GeoHash.LongitudeMin and <= GeoHash.LongitudeMax && latitude is >= GeoHash.LatitudeMin and <= GeoHash.LatitudeMax) return true;
        c.Error(string.Create(CultureInfo.InvariantCulture, $"ERR invalid longitude,latitude pair {longitude:F6},{latitude:F6}"));
        return false;
    }

    private static bool TryDouble(CommandContext c, byte[] argument, string error, out double value)
    {
        if (Args.TryDouble(argument, out value) && !double.IsNaN(value)) return true;
        c.Error(error);
        return false;
    }

    private static void GeoPos(CommandContext c)
    {
        if (!c.TryGet<RedisSortedSet>(c.Read(c[1]), out var zset)) return;
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++)
        {
            if (zset == null || !zset.TryGetScore(c[i], out double score))
            {
                c.Reply.WriteNullArray();
                continue;
            }
            var (longitude, latitude) = GeoHash.Point(score);
            c.Reply.WriteArrayHeader(2);
            WriteCoordinate(c, longitude);
            WriteCoordinate(c, latitude);
        }
    }

    /// <summary>addReplyHumanLongDouble: %.17Lf without trailing zeros; a bulk string in RESP2, a double in RESP3.</summary>
    private static void WriteCoordinate(CommandContext c, double value)
    {
        var text = value.ToString("F17", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.');
        if (text == "-0") text = "0";
        if (c.Reply.Resp3) c.Reply.WriteRaw(Encoding.ASCII.GetBytes("," + text + "\r\n"));
        else c.Reply.WriteBulk(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>addReplyDoubleDistance: four decimals, as a bulk string in both protocols.</summary>
    private static void WriteDistance(CommandContext c, double meters) =>
        c.Reply.WriteBulk(Encoding.ASCII.GetBytes(meters.ToString("F4", CultureInfo.InvariantCulture)));

    /// <summary>extractUnitOrReply: meters per unit, or null with the error written.</summary>
    private static double? Unit(CommandContext c, byte[] unit)
    {
        if (Args.Is(unit, "M")) return 1;
        if (Args.Is(unit, "KM")) return 1000;
        if (Args.Is(unit, "FT")) return 0.3048;
        if (Args.Is(unit, "MI")) return 1609.34;
        c.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
        return null;
    }

    private static void GeoDist(CommandContext c)
    {
        double toMeters = 1;
        if (c.Argc == 5)
        {
            if (Unit(c, c[4]) is not { } unit) return;
            toMeters = unit;
        }
        else if (c.Argc > 5)
        {
            c.Error(RespErrors.Syntax);
            return;
        }
        if (!c.TryGet<RedisSortedSet>(c.Read(c[1]), out var zset)) return;
        if (zset == null || !zset.TryGetScore(c[2], out double first) || !zset.TryGetScore(c[3], out double second))
        {
            c.Reply.WriteNull();
            return;
        }
        var (lon1, lat1) = GeoHash.Point(first);
        var (lon2, lat2) = GeoHash.Point(second);
        WriteDistance(c, GeoHash.Distance(lon1, lat1, lon2, lat2) / toMeters);
    }

    private static void GeoHashCommand(CommandContext c)
    {
        if (!c.TryGet<RedisSortedSet>(c.Read(c[1]), out var zset)) return;
        c.Reply.WriteArrayHeader(c.Argc - 2);
        for (int i = 2; i < c.Argc; i++)
        {
            if (zset != null && zset.TryGetScore(c[i], out double score)) c.Reply.WriteBulk(GeoHash.StandardHash(score));
            else c.Reply.WriteNull();
        }
    }

    [Flags]
    private enum SearchFlags { Coordinates = 1, Member = 2, NoStore = 4, GeoSearch = 8, Store = 16 }

    private enum Sort { None, Ascending, Descending }

    private readonly record struct Found(byte[] Member, double Score, double Longitude, double Latitude, double Distance);

    /// <summary>
    /// GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and GEOSEARCHSTORE (georadiusGeneric): the arguments
    /// are read in Redis's order, so the same bad request gets the same error.
    /// </summary>
    private static void Search(CommandContext c, int sourceIndex, SearchFlags flags)
    {
        var entry = c.Read(c[sourceIndex]);
        if (!c.TryGet<RedisSortedSet>(entry, out var zset)) return;
        int baseArgs;
        byte[]? storeKey = null;
        bool storeDistance = false, isBox = false;
        double longitude = 0, latitude = 0, radius = 0, width = 0, height = 0, conversion = 1;
        if (flags.HasFlag(SearchFlags.Coordinates))
        {
            baseArgs = 6;
            if (!TryPoint(c, 2, out longitude, out latitude)) return;
            if (!TryDistance(c, 4, out conversion, out radius)) return;
        }
        else if (flags.HasFlag(SearchFlags.Member))
        {
            baseArgs = 5;
            if (zset != null)
            {
                if (!TryMemberPoint(c, zset, c[2], out longitude, out latitude)) return;
                if (!TryDistance(c, 3, out conversion, out radius)) return;
            }
        }
        else
        {
            baseArgs = flags.HasFlag(SearchFlags.Store) ? 3 : 2;
            if (flags.HasFlag(SearchFlags.Store)) storeKey = c[1];
        }

        bool withDistance = false, withHash = false, withCoordinates = false, any = false;
        bool fromMember = false, fromPoint = false, byRadius = false, byBox = false;
        var sort = Sort.None;
        long count = 0;
        bool geoSearch = flags.HasFlag(SearchFlags.GeoSearch);
        int remaining = c.Argc - baseArgs;
        for (int i = 0; i < remaining; i++)
        {
            var arg = c[baseArgs + i];
            if (Args.Is(arg, "WITHDIST")) withDistance = true;
            else if (Args.Is(arg, "WITHHASH")) withHash = true;
            else if (Args.Is(arg, "WITHCOORD")) withCoordinates = true;
            else if (Args.Is(arg, "ANY")) any = true;
            else if (Args.Is(arg, "ASC")) sort = Sort.Ascending;
            else if (Args.Is(arg, "DESC")) sort = Sort.Descending;
            else if (Args.Is(arg, "COUNT") && i + 1 < remaining)
            {
                if (!Args.TryInteger(c, c[baseArgs + i + 1], out count)) return;
                if (count <= 0)
                {
                    c.Error("ERR COUNT must be > 0");
                    return;
                }
                i++;
            }
            else if ((Args.Is(arg, "STORE") || Args.Is(arg, "STOREDIST")) && i + 1 < remaining
                     && !flags.HasFlag(SearchFlags.NoStore) && !geoSearch)
            {
                storeKey = c[baseArgs + i + 1];
                storeDistance = Args.Is(arg, "STOREDIST");
                i++;
            }
            else if (Args.Is(arg, "STOREDIST") && geoSearch && flags.HasFlag(SearchFlags.Store)) storeDistance = true;
            else if (Args.Is(arg, "FROMMEMBER") && i + 1 < remaining && geoSearch && !fromPoint)
            {
                if (zset != null && !TryMemberPoint(c, zset, c[baseArgs + i + 1], out longitude, out latitude)) return;
                fromMember = true;
                i++;
            }
            else if (Args.Is(arg, "FROMLONLAT") && i + 2 < remaining && geoSearch && !fromMember)
            {
                if (!TryPoint(c, baseArgs + i + 1, out longitude, out latitude)) return;
                fromPoint = true;
                i += 2;
            }
            else if (Args.Is(arg, "BYRADIUS") && i + 2 < remaining && geoSearch && !byBox)
            {
                if (!TryDistance(c, baseArgs + i + 1, out conversion, out radius)) return;
                isBox = false;
                byRadius = true;
                i += 2;
            }
            else if (Args.Is(arg, "BYBOX") && i + 3 < remaining && geoSearch && !byRadius)
            {
                if (!TryDouble(c, c[baseArgs + i + 1], "ERR need numeric width", out width)
                    || !TryDouble(c, c[baseArgs + i + 2], "ERR need numeric height", out height)) return;
                if (width < 0 || height < 0)
                {
                    c.Error("ERR height or width cannot be negative");
                    return;
                }
                if (Unit(c, c[baseArgs + i + 3]) is not { } unit) return;
                conversion = unit;
                isBox = true;
                byBox = true;
                i += 3;
            }
            else
            {
                c.Error(RespErrors.Syntax);
                return;
            }
        }

        string name = Encoding.UTF8.GetString(c[0]);
        string? error =
            storeKey != null && (withDistance || withHash || withCoordinates)
                ? $"ERR {(flags.HasFlag(SearchFlags.Store) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS")} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
            : geoSearch && !(fromMember || fromPoint) ? $"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
            : geoSearch && !(byRadius || byBox) ? $"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
            : any && count == 0 ? "ERR the ANY argument requires COUNT argument"
            : null;
        if (error != null)
        {
            c.Error(error);
            return;
        }
        if (zset == null)
        {
            if (storeKey == null) c.Reply.WriteArrayHeader(0);
            else
            {
                c.DeleteAndNotify(storeKey);
                c.Reply.WriteInteger(0);
            }
            return;
        }
        // COUNT without an order means the nearest ones, unless ANY asks for whichever are found first.
        if (count != 0 && sort == Sort.None && !any) sort = Sort.Ascending;

        var shape = new GeoHash.Shape(longitude, latitude, radius, width, height, isBox, conversion);
        var found = FindInShape(zset, shape, any ? count : 0);
        if (found.Count == 0 && storeKey == null)
        {
            c.Reply.WriteArrayHeader(0);
            return;
        }
        int returned = count == 0 || found.Count < count ? found.Count : (int)count;
        if (sort != Sort.None)
        {
            // A stable sort: glibc's qsort is a merge sort, which keeps equal distances in the order they were found.
            found = sort == Sort.Ascending ? [.. found.OrderBy(f => f.Distance)] : [.. found.OrderByDescending(f => f.Distance)];
        }

        if (storeKey != null)
        {
            var members = found.Take(returned).Select(f => (f.Member, storeDistance ? f.Distance / conversion : f.Score)).ToList();
            SortedSets.StoreMembers(c, storeKey, members, geoSearch ? "geosearchstore" : "georadiusstore");
            if (members.Count > 0) c.CountChanges(members.Count); // georadiusGeneric: dirty += returned_items
            return;
        }
        int options = (withDistance ? 1 : 0) + (withHash ? 1 : 0) + (withCoordinates ? 1 : 0);
        c.Reply.WriteArrayHeader(returned);
        foreach (var point in found.Take(returned))
        {
            if (options > 0) c.Reply.WriteArrayHeader(options + 1);
            c.Reply.WriteBulk(point.Member);
            if (withDistance) WriteDistance(c, point.Distance / conversion);
            if (withHash) c.Reply.WriteInteger((long)point.Score);
            if (withCoordinates)
            {
                c.Reply.WriteArrayHeader(2);
                WriteCoordinate(c, point.Longitude);
                WriteCoordinate(c, point.Latitude);
            }
        }
    }

    private static bool TryMemberPoint(CommandContext c, RedisSortedSet zset, byte[] member, out double longitude, out double latitude)
    {
        longitude = latitude = 0;
        if (!zset.TryGetScore(member, out double score))
        {
            c.Error("ERR could not decode requested zset member");
            return false;
        }
        (longitude, latitude) = GeoHash.Point(score);
        return true;
    }

    /// <summary>extractDistanceOrReply: a radius and its unit.</summary>
    private static bool TryDistance(CommandContext c, int index, out double conversion, out double radius)
    {
        conversion = 1;
        if (!TryDouble(c, c[index], "ERR need numeric radius", out radius)) return false;
        if (radius < 0)
        {
            c.Error("ERR radius cannot be negative");
            return false;
        }
        if (Unit(c, c[index + 1]) is not { } unit) return false;
        conversion = unit;
        return true;
    }

    /// <summary>
    /// membersOfAllNeighbors: the points of each search cell in score order, cells in Redis's order, a cell equal to the
    /// last one searched skipped (large radii make neighbours coincide); with a limit (ANY) the search stops once that
    /// many are found.
    /// </summary>
    private static List<Found> FindInShape(RedisSortedSet zset, GeoHash.Shape shape, long limit)
    {
        var found = new List<Found>();
        var cells = GeoHash.SearchCells(shape);
        int lastSearched = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (cells[i].IsZero) continue;
            if (lastSearched != 0 && cells[i] == cells[lastSearched]) continue;
            if (limit > 0 && found.Count >= limit) break;
            var (min, max) = cells[i].Scores;
            int rank = zset.CountBefore(node => node.Score < min);
            for (var node = zset.At(rank); node != null && node.Score < max; node = node.Next)
            {
                var (longitude, latitude) = GeoHash.Point(node.Score);
                if (shape.DistanceIfInside(longitude, latitude) is { } distance)
                    found.Add(new Found(node.Member, node.Score, longitude, latitude, distance));
                if (limit > 0 && found.Count >= limit) break;
            }
            lastSearched = i;
        }
        return found;
    }
}
