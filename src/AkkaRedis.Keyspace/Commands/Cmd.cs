namespace AkkaRedis.Keyspace.Commands;

/// <summary>Command names and options used when building journal entries, allocated once.</summary>
public static class Cmd
{
    public static readonly byte[] Set = "SET"u8.ToArray();
    public static readonly byte[] Del = "DEL"u8.ToArray();
    public static readonly byte[] Restore = "RESTORE"u8.ToArray();
    public static readonly byte[] Replace = "REPLACE"u8.ToArray();
    public static readonly byte[] AbsTtl = "ABSTTL"u8.ToArray();
    public static readonly byte[] PxAt = "PXAT"u8.ToArray();
    public static readonly byte[] KeepTtl = "KEEPTTL"u8.ToArray();
    public static readonly byte[] PExpireAt = "PEXPIREAT"u8.ToArray();
    public static readonly byte[] Persist = "PERSIST"u8.ToArray();
    public static readonly byte[] HSet = "HSET"u8.ToArray();
    public static readonly byte[] SRem = "SREM"u8.ToArray();
    public static readonly byte[] LPop = "LPOP"u8.ToArray();
    public static readonly byte[] RPop = "RPOP"u8.ToArray();
    public static readonly byte[] LMove = "LMOVE"u8.ToArray();
    public static readonly byte[] LPush = "LPUSH"u8.ToArray();
    public static readonly byte[] RPush = "RPUSH"u8.ToArray();
    public static readonly byte[] SAdd = "SADD"u8.ToArray();
    public static readonly byte[] ZAdd = "ZADD"u8.ToArray();
    public static readonly byte[] ZPopMin = "ZPOPMIN"u8.ToArray();
    public static readonly byte[] ZPopMax = "ZPOPMAX"u8.ToArray();
    public static readonly byte[] Select = "SELECT"u8.ToArray();
}
