using System.Text;
using AkkaRedis.Keyspace.Data;
using AkkaRedis.Protocol;
using BenchmarkDotNet.Attributes;

/// <summary>The per-request work that is not I/O: parsing a pipeline, writing replies, hashing keys to slots.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private byte[] _pipeline = [];
    private readonly RespWriter _writer = new(64 * 1024);
    private readonly byte[] _value = Encoding.ASCII.GetBytes("xxx");
    private readonly byte[] _key = Encoding.ASCII.GetBytes("key:__rand_int__");

    [GlobalSetup]
    public void Setup()
    {
        // What redis-benchmark -t set -P 16 sends in one write.
        var one = "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n";
        _pipeline = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(one, 16)));
    }

    [Benchmark(Description = "parse 16 pipelined SETs")]
    public int ParsePipeline()
    {
        var parser = new RequestParser();
        ReadOnlySpan<byte> input = _pipeline;
        int count = 0;
        while (parser.Read(ref input, out _) == ParseResult.Command) count++;
        return count;
    }

    [Benchmark(Description = "write 16 bulk replies")]
    public int WriteReplies()
    {
        _writer.Clear();
        for (int i = 0; i < 16; i++) _writer.WriteBulk(_value);
        return _writer.Length;
    }

    [Benchmark(Description = "hash slot of a key")]
    public int Slot() => HashSlot.Of(_key);
}
