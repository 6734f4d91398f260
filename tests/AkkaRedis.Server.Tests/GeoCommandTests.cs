using System.Globalization;
using StackExchange.Redis;

namespace AkkaRedis.Server.Tests;

/// <summary>
/// The geo commands against redis-server: the same commands, valid and not, then seeded random points and searches of
/// every shape and option, in both protocols; every reply must be equal, unsorted result orders included.
/// </summary>
public sealed class GeoCommandTests
{
    private static readonly string[][] Commands =
    [
        ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        ["GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"],
        ["GEODIST", "Sicily", "Palermo", "Catania"], ["GEODIST", "Sicily", "Palermo", "Catania", "km"],
        ["GEODIST", "Sicily", "Palermo", "Catania", "MI"], ["GEODIST", "Sicily", "Palermo", "Catania", "parsec"],
        ["GEODIST", "Sicily", "Palermo", "nope"], ["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"],
        ["GEOPOS", "Sicily", "Palermo", "nope"], ["GEOPOS", "nokey", "a"], ["GEOHASH", "Sicily", "Palermo", "Catania", "nope"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"], ["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"], ["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
        ["GEORADIUS", "Sicily", "200", "37", "200", "km"], ["GEORADIUS", "Sicily", "15", "37", "abc", "km"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "{Sicily}d"], ["ZRANGE", "{Sicily}d", "0", "-1", "WITHSCORES"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "{Sicily}d"], ["ZRANGE", "{Sicily}d", "0", "-1", "WITHSCORES"],
        ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "{Sicily}d", "WITHDIST"],
        ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "{Sicily}d"],
        ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "WITHDIST", "DESC"], ["GEORADIUSBYMEMBER", "Sicily", "nope", "300", "km"],
        ["GEORADIUSBYMEMBER", "nokey", "nope", "abc", "km"], ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "300", "km", "WITHCOORD"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "1", "BYRADIUS", "100", "km"],
        ["GEOSEARCH", "Sicily", "BYRADIUS", "100", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "x"],
        ["GEOSEARCHSTORE", "{Sicily}d", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "COUNT", "3", "STOREDIST"],
        ["ZRANGE", "{Sicily}d", "0", "-1", "WITHSCORES"],
        ["GEOSEARCHSTORE", "{Sicily}d", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "WITHDIST"],
        ["GEOSEARCHSTORE", "{Sicily}d", "{Sicily}none", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km"], ["EXISTS", "{Sicily}d"],
        ["GEOADD", "Sicily", "XX", "CH", "13.3613", "38.115556", "Palermo", "1", "1", "new"], ["GEOADD", "Sicily", "NX", "XX", "1", "1", "a"],
        ["GEOADD", "Sicily", "1", "1"], ["GEOADD", "Sicily", "1", "86", "a"], ["GEOADD", "Sicily", "1", "nan", "a"],
        ["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"], ["SET", "str", "x"], ["GEOADD", "str", "1", "1", "a"], ["GEOPOS", "str", "a"],
    ];

    private static List<object?> Run(int port)
    {
        using var client = new RespClient(port);
        client.Call("FLUSHALL");
        var replies = Commands.Select(command => client.Call(command)).ToList();
        var random = new Random(11);
        string F(double value) => value.ToString("F6", CultureInfo.InvariantCulture);
        for (int protocol = 2; protocol <= 3; protocol++)
        {
            client.Call("HELLO", protocol.ToString());
            (double X, double Y)[] centres = [(13.4, 38.1), (179.99, 0), (-120, 70), (0, -84.9)];
            foreach (var (cx, cy) in centres)
            {
                var key = $"g{cx}";
                var add = new List<string> { "GEOADD", key };
                for (int i = 0; i < 200; i++)
                    add.AddRange([F(Math.Clamp(cx + random.NextDouble() * 4 - 2, -180, 180)), F(Math.Clamp(cy + random.NextDouble() * 4 - 2, -85, 85)), $"m{i}"]);
                replies.Add(client.Call([.. add]));
                for (int q = 0; q < 40; q++)
                {
                    string radius = (random.NextDouble() * 300).ToString("F3", CultureInfo.InvariantCulture);
                    string[] options = (q % 5) switch
                    {
                        0 => [],
                        1 => ["ASC", "WITHDIST"],
                        2 => ["COUNT", "4", "ANY"],
                        3 => ["WITHCOORD", "WITHHASH", "DESC"],
                        _ => ["COUNT", "3"],
                    };
                    string[] from = ["FROMLONLAT", F(cx + random.NextDouble() * 2 - 1), F(Math.Clamp(cy + random.NextDouble() * 2 - 1, -85, 85))];
                    string[] shape = q % 2 == 0 ? ["BYRADIUS", radius, "km"] : ["BYBOX", radius, radius, "mi"];
                    replies.Add(client.Call(["GEOSEARCH", key, .. from, .. shape, .. options]));
                    replies.Add(client.Call(["GEORADIUSBYMEMBER", key, $"m{q}", radius, "km", .. options]));
                }
                replies.Add(client.Call(["GEOPOS", key, "m0", "m1", "m2"]));
                replies.Add(client.Call(["GEOHASH", key, "m0", "m1", "m2"]));
            }
        }
        return replies;
    }

    [Fact]
    public void RepliesAreRedissForTheSameCommands()
    {
        using var redis = new RedisServerProcess();
        using var akka = ServerProcess.Start("--shards", "3", "--appendonly", "no");
        Assert.Equal(Run(redis.Port), Run(akka.Port));
    }

    [Fact]
    public void GeoAddIsJournaledAsZaddAndSurvivesARestart()
    {
        var dir = ServerProcess.NewDataDirectory();
        using (var akka = ServerProcess.Start("--appendonly", "yes", "--appendfsync", "always", "--dir", dir))
        {
            using var connection = ConnectionMultiplexer.Connect($"127.0.0.1:{akka.Port}");
            var db = connection.GetDatabase();
            Assert.True(db.GeoAdd("Sicily", 13.361389, 38.115556, "Palermo"));
            Assert.True(db.GeoAdd("Sicily", 15.087269, 37.502669, "Catania"));
            Assert.Equal(166274.1516, db.GeoDistance("Sicily", "Palermo", "Catania")); // the figures of Redis's GEODIST page
            Assert.Equal(3479099956230698, (long)db.SortedSetScore("Sicily", "Palermo")!.Value);
            Assert.Equal("sqc8b49rny0", db.GeoHash("Sicily", "Palermo"));
        }
        var aof = Directory.GetFiles(Path.Combine(dir, "appendonlydir"), "*.incr.aof").Single();
        Assert.Contains("ZADD\r\n$6\r\nSicily\r\n$16\r\n3479099956230698\r\n$7\r\nPalermo", File.ReadAllText(aof));
        using var again = ServerProcess.Start("--appendonly", "yes", "--dir", dir);
        using var client = new RespClient(again.Port);
        Assert.Equal(new List<object?> { new List<object?> { "13.36138933897018433", "38.11555639549629859" } }, client.Call("GEOPOS", "Sicily", "Palermo"));
    }
}
