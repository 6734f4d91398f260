namespace AkkaRedis.Keyspace.Tests;

public class BitCommandTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ShardHarness _h;

    public BitCommandTests() => _h = new ShardHarness(this);

    [Fact]
    public void SetBitGetBitBitCount()
    {
        Assert.Equal(":0\r\n", _h.Run("SETBIT", "b", "7", "1"));
        Assert.Equal(":1\r\n", _h.Run("SETBIT", "b", "7", "0"));
        _h.Run("SETBIT", "b", "7", "1");
        Assert.Equal(":1\r\n", _h.Run("GETBIT", "b", "7"));
        Assert.Equal(":0\r\n", _h.Run("GETBIT", "b", "100"));
        Assert.Equal("-ERR bit is not an integer or out of range\r\n", _h.Run("SETBIT", "b", "1", "2"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", _h.Run("SETBIT", "b", "-1", "1"));
        _h.Run("SET", "s", "foobar");
        Assert.Equal(":26\r\n", _h.Run("BITCOUNT", "s"));
        Assert.Equal(":4\r\n", _h.Run("BITCOUNT", "s", "0", "0"));
        Assert.Equal(":6\r\n", _h.Run("BITCOUNT", "s", "1", "1"));
        Assert.Equal(":18\r\n", _h.Run("BITCOUNT", "s", "1", "-2"));
        Assert.Equal(":17\r\n", _h.Run("BITCOUNT", "s", "5", "30", "BIT"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("BITCOUNT", "s", "1", "2", "NIBBLE"));
        Assert.Equal(":0\r\n", _h.Run("BITCOUNT", "missing", "x", "y"));
    }

    [Fact]
    public void BitPos()
    {
        _h.Run("SETBIT", "b", "7", "1");
        Assert.Equal(":7\r\n", _h.Run("BITPOS", "b", "1"));
        _h.Run("SET", "bb", "\u00ff\u00f0");
        Assert.Equal(":-1\r\n", _h.Run("BITPOS", "missing", "1"));
        Assert.Equal(":0\r\n", _h.Run("BITPOS", "missing", "0"));
        Assert.Equal("-ERR The bit argument must be 1 or 0.\r\n", _h.Run("BITPOS", "b", "2"));
    }

    [Fact]
    public void BitOp()
    {
        _h.Run("SET", "{b}1", "foobar");
        _h.Run("SET", "{b}2", "abcdef");
        Assert.Equal(":6\r\n", _h.Run("BITOP", "AND", "{b}dest", "{b}1", "{b}2"));
        Assert.Equal("$6\r\n`bc`ab\r\n", _h.Run("GET", "{b}dest"));
        Assert.Equal("-ERR BITOP NOT must be called with a single source key.\r\n", _h.Run("BITOP", "NOT", "{b}dest", "{b}1", "{b}2"));
        Assert.Equal("-ERR syntax error\r\n", _h.Run("BITOP", "NAND", "{b}dest", "{b}1"));
        Assert.Equal(":0\r\n", _h.Run("BITOP", "OR", "{b}dest", "{b}none"));
        Assert.Equal(":0\r\n", _h.Run("EXISTS", "{b}dest"));
    }

    [Fact]
    public void BitFieldOverflowModes()
    {
        Assert.Equal("*5\r\n:0\r\n:-56\r\n:44\r\n$-1\r\n:12\r\n",
            _h.Run("BITFIELD", "bf", "SET", "i8", "0", "100", "INCRBY", "i8", "0", "100", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100",
                "OVERFLOW", "FAIL", "INCRBY", "u4", "#1", "20", "GET", "u4", "#1"));
        Assert.Equal("*1\r\n:127\r\n", _h.Run("BITFIELD", "sat", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "1000"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n",
            _h.Run("BITFIELD", "bf", "GET", "u64", "0"));
        Assert.Equal("-ERR Invalid OVERFLOW type specified\r\n", _h.Run("BITFIELD", "bf", "OVERFLOW", "MAYBE"));
        Assert.Equal("-ERR BITFIELD_RO only supports the GET subcommand\r\n", _h.Run("BITFIELD_RO", "bf", "SET", "i8", "0", "1"));
        Assert.Equal("*1\r\n:44\r\n", _h.Run("BITFIELD_RO", "bf", "GET", "i8", "0"));
    }
}
