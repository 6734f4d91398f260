#!/usr/bin/env python3
# Differential fuzz of commands: the same random commands (on four keys, two databases) go to redis-server and to
# AkkaRedis, and every reply and, after each command, every key's type, value and expiry are compared. Prints the
# first difference (with the commands before it when a 7th argument is given). Random picks (SPOP, SRANDMEMBER,
# HRANDFIELD), Lua compile messages (Lua 5.4 here, 5.1 in Redis) and timing are expected to differ.
#
#   redis-server --port 7201 --save "" --daemonize yes
#   dotnet src/AkkaRedis.Server/bin/Release/net10.0/akkaredis-server.dll --port 7202 --appendonly no &
#   tests/tools/fuzz-commands.py 7201 7202 <commands> <seed> [max differences] [2|3: protocol] [v]
import socket, random, sys, subprocess, time

def enc(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""
    def line(self):
        while b"\r\n" not in self.buf: self.buf += self.s.recv(65536)
        l, self.buf = self.buf.split(b"\r\n", 1); return l
    def n(self, k):
        while len(self.buf) < k: self.buf += self.s.recv(65536)
        d, self.buf = self.buf[:k], self.buf[k:]; return d
    def read(self):
        l = self.line(); t, r = l[:1], l[1:]
        if t == b"+": return ("s", r)
        if t == b"-": return ("e", r)
        if t == b":": return ("i", int(r))
        if t == b"$":
            k = int(r)
            if k < 0: return None
            d = self.n(k + 2)[:-2]; return d
        if t == b"_": return None
        if t in (b",", b"#", b"("): return (t, r)
        if t == b"%":
            return ("map", [(self.read(), self.read()) for _ in range(int(r))])
        if t == b"~":
            return ("set", sorted([self.read() for _ in range(int(r))], key=repr))
        if t == b"=":
            k = int(r); return ("verb", self.n(k + 2)[:-2])
        if t == b"*":
            k = int(r)
            if k < 0: return ("nilarr",)
            return [self.read() for _ in range(k)]
        raise Exception("bad " + repr(l))
    def call(self, args):
        self.s.sendall(enc(args)); return self.read()

KEYS = [b"k%d" % i for i in range(4)]
VALS = [b"", b"0", b"1", b"-1", b"10", b"3.5", b"abc", b"hello world", b"9223372036854775807", b"-9223372036854775808", b"x" * 70, b"1e3", b" 1", b"inf"]
def k(): return random.choice(KEYS)
def v(): return random.choice(VALS)
def num(): return random.choice([b"0", b"1", b"-1", b"2", b"5", b"-5", b"100", b"abc", b"1.5", b"-100", b"9223372036854775807"])
def ttl(): return random.choice([b"100000", b"-1", b"0", b"abc", b"9223372036854775807", b"-100"])
def many(f, lo=1, hi=4): return [f() for _ in range(random.randint(lo, hi))]
def score(): return random.choice([b"1", b"2.5", b"-1", b"inf", b"-inf", b"0", b"1e3", b"abc", b"3", b"0.1"])
def sbound(): return random.choice([b"-inf", b"+inf", b"(1", b"2", b"(2.5", b"0", b"x", b"", b"(", b"3", b"(inf"])
def lbound(): return random.choice([b"-", b"+", b"[a", b"(b", b"a", b"[", b"(", b"[foo", b"(zap"])
def zopts(): return random.choice([[], [b"WITHSCORES"], [b"LIMIT", num(), num()], [b"REV"], [b"BYSCORE"], [b"BYLEX"], [b"BYSCORE", b"LIMIT", b"0", b"2"], [b"BYSCORE", b"REV", b"WITHSCORES"], [b"BYLEX", b"REV", b"LIMIT", b"1", b"-1"]])
def zsetops(): return random.choice([[], [b"WEIGHTS", b"2", b"3"], [b"AGGREGATE", random.choice([b"MIN", b"MAX", b"SUM", b"X"])], [b"WITHSCORES"], [b"WEIGHTS", b"inf", b"0", b"WITHSCORES"]])

GEN = [
    lambda: [b"SET", k(), v()] + random.choice([[], [b"NX"], [b"XX"], [b"GET"], [b"EX", ttl()], [b"PX", ttl()], [b"KEEPTTL"], [b"NX", b"XX"], [b"EX", b"10", b"PX", b"10"], [b"GET", b"NX"]]),
    lambda: [b"GET", k()], lambda: [b"APPEND", k(), v()], lambda: [b"STRLEN", k()],
    lambda: [b"INCR", k()], lambda: [b"DECRBY", k(), num()], lambda: [b"INCRBYFLOAT", k(), num()],
    lambda: [b"GETRANGE", k(), num(), num()], lambda: [b"SETRANGE", k(), random.choice([b"0", b"3", b"-1", b"100"]), v()],
    lambda: [b"MSET"] + sum([[k(), v()] for _ in range(random.randint(1, 3))], []), lambda: [b"MGET"] + many(k),
    lambda: [b"MSETNX"] + sum([[k(), v()] for _ in range(random.randint(1, 3))], []),
    lambda: [b"GETDEL", k()], lambda: [b"GETEX", k()] + random.choice([[], [b"PERSIST"], [b"EX", ttl()], [b"PXAT", b"1"]]),
    lambda: [b"SETNX", k(), v()], lambda: [b"GETSET", k(), v()],
    lambda: [b"SETBIT", k(), random.choice([b"0", b"7", b"100", b"-1"]), random.choice([b"0", b"1", b"2"])], lambda: [b"GETBIT", k(), num()],
    lambda: [b"BITCOUNT", k()] + random.choice([[], [num(), num()], [num(), num(), b"BIT"]]), lambda: [b"BITPOS", k(), random.choice([b"0", b"1"])] + random.choice([[], [num()], [num(), num()]]),
    lambda: [b"BITOP", random.choice([b"AND", b"OR", b"XOR", b"NOT"]), k()] + many(k, 1, 2),
    lambda: [b"PFADD", k()] + many(v, 0, 3), lambda: [b"PFCOUNT"] + many(k, 1, 2), lambda: [b"PFMERGE", k()] + many(k, 0, 2),
    lambda: [b"PFDEBUG", random.choice([b"ENCODING", b"DECODE", b"TODENSE", b"GETREG", b"X"]), k()],
    lambda: [b"LPUSH", k()] + many(v), lambda: [b"RPUSH", k()] + many(v), lambda: [b"LPOP", k()] + random.choice([[], [num()]]),
    lambda: [b"RPOP", k()] + random.choice([[], [num()]]), lambda: [b"LRANGE", k(), num(), num()], lambda: [b"LINDEX", k(), num()],
    lambda: [b"LSET", k(), num(), v()], lambda: [b"LINSERT", k(), random.choice([b"BEFORE", b"AFTER", b"X"]), v(), v()],
    lambda: [b"LREM", k(), num(), v()], lambda: [b"LTRIM", k(), num(), num()], lambda: [b"LLEN", k()],
    lambda: [b"LPOS", k(), v()] + random.choice([[], [b"RANK", num()], [b"COUNT", num()], [b"MAXLEN", num()], [b"RANK", b"0"]]),
    lambda: [b"LMOVE", k(), k(), random.choice([b"LEFT", b"RIGHT"]), random.choice([b"LEFT", b"RIGHT", b"UP"])],
    lambda: [b"LMPOP", random.choice([b"1", b"2", b"0"]), k(), k(), random.choice([b"LEFT", b"RIGHT"])] + random.choice([[], [b"COUNT", num()]]),
    lambda: [b"HSET", k()] + sum([[v(), v()] for _ in range(random.randint(1, 3))], []), lambda: [b"HGET", k(), v()],
    lambda: [b"HDEL", k()] + many(v), lambda: [b"HLEN", k()], lambda: [b"HINCRBY", k(), v(), num()], lambda: [b"HINCRBYFLOAT", k(), v(), num()],
    lambda: [b"HMGET", k()] + many(v), lambda: [b"HEXISTS", k(), v()], lambda: [b"HSTRLEN", k(), v()], lambda: [b"HSETNX", k(), v(), v()],
    lambda: [b"SADD", k()] + many(v), lambda: [b"SREM", k()] + many(v), lambda: [b"SCARD", k()], lambda: [b"SISMEMBER", k(), v()],
    lambda: [b"SMISMEMBER", k()] + many(v), lambda: [b"SMOVE", k(), k(), v()],
    lambda: [b"SINTERCARD", random.choice([b"1", b"2", b"0"]), k(), k()] + random.choice([[], [b"LIMIT", num()]]),
    lambda: [random.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), k()] + many(k),
    lambda: [b"DEL"] + many(k), lambda: [b"EXISTS"] + many(k), lambda: [b"TYPE", k()], lambda: [b"RENAME", k(), k()], lambda: [b"RENAMENX", k(), k()],
    lambda: [b"COPY", k(), k()] + random.choice([[], [b"REPLACE"]]), lambda: [b"EXPIRE", k(), ttl()] + random.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"]]),
    lambda: [b"PERSIST", k()], lambda: [b"TTL", k()], lambda: [b"OBJECT", b"ENCODING", k()],
    lambda: [b"LCS", k(), k()] + random.choice([[], [b"LEN"], [b"IDX"], [b"IDX", b"MINMATCHLEN", b"2", b"WITHMATCHLEN"]]),
    lambda: [b"BITFIELD", k()] + random.choice([[b"GET", b"u8", b"0"], [b"SET", b"i5", b"3", num()], [b"INCRBY", b"u4", b"2", num()], [b"OVERFLOW", b"SAT", b"INCRBY", b"i8", b"0", b"200"], [b"GET", b"u64", b"0"]]),
    lambda: [b"SUBSTR", k(), num(), num()], lambda: [b"TOUCH"] + many(k), lambda: [b"UNLINK"] + many(k),
    lambda: [b"SELECT", random.choice([b"0", b"1", b"16", b"x"])], lambda: [b"MOVE", k(), random.choice([b"0", b"1", b"99"])],
    lambda: [b"COPY", k(), k(), b"DB", random.choice([b"0", b"1"])] + random.choice([[], [b"REPLACE"]]), lambda: [b"SWAPDB", random.choice([b"0", b"1"]), random.choice([b"0", b"1", b"-1"])],
    lambda: [b"DBSIZE"], lambda: [b"MULTI"], lambda: [b"EXEC"], lambda: [b"DISCARD"], lambda: [b"WATCH", k()], lambda: [b"UNWATCH"],
    lambda: [b"RPOPLPUSH", k(), k()], lambda: [b"LPUSHX", k(), v()], lambda: [b"HGETALL", k()], lambda: [b"SMEMBERS", k()],
    lambda: [b"SINTER"] + many(k), lambda: [b"SUNION"] + many(k), lambda: [b"SDIFF"] + many(k), lambda: [b"EXPIRETIME", k()],
    lambda: [b"HRANDFIELD", k(), b"0"], lambda: [b"SRANDMEMBER", k(), b"0"], lambda: [b"SPOP", k(), b"0"],
    lambda: [b"ZADD", k()] + random.choice([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"], [b"CH"], [b"INCR"], [b"XX", b"CH"], [b"GT", b"CH"], [b"NX", b"GT"], [b"LT", b"INCR"]]) + sum([[score(), v()] for _ in range(random.randint(1, 3))], []),
    lambda: [b"ZADD", k()] + sum([[score(), v()] for _ in range(random.randint(1, 4))], []),
    lambda: [b"ZINCRBY", k(), score(), v()], lambda: [b"ZREM", k()] + many(v), lambda: [b"ZCARD", k()], lambda: [b"ZSCORE", k(), v()],
    lambda: [b"ZMSCORE", k()] + many(v), lambda: [random.choice([b"ZRANK", b"ZREVRANK"]), k(), v()],
    lambda: [b"ZCOUNT", k(), sbound(), sbound()], lambda: [b"ZLEXCOUNT", k(), lbound(), lbound()],
    lambda: [b"ZRANGE", k(), num(), num()] + zopts(), lambda: [b"ZRANGE", k(), sbound(), sbound(), b"BYSCORE"] + zopts(),
    lambda: [b"ZRANGE", k(), lbound(), lbound(), b"BYLEX"] + zopts(), lambda: [b"ZRANGESTORE", k(), k(), sbound(), sbound()] + zopts(),
    lambda: [b"ZREVRANGE", k(), num(), num()] + random.choice([[], [b"WITHSCORES"]]),
    lambda: [random.choice([b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"]), k(), sbound(), sbound()] + random.choice([[], [b"WITHSCORES"], [b"LIMIT", num(), num()], [b"WITHSCORES", b"LIMIT", b"1", b"1"]]),
    lambda: [random.choice([b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"]), k(), lbound(), lbound()] + random.choice([[], [b"LIMIT", num(), num()]]),
    lambda: [b"ZREMRANGEBYRANK", k(), num(), num()], lambda: [b"ZREMRANGEBYSCORE", k(), sbound(), sbound()], lambda: [b"ZREMRANGEBYLEX", k(), lbound(), lbound()],
    lambda: [random.choice([b"ZPOPMIN", b"ZPOPMAX"]), k()] + random.choice([[], [num()]]),
    lambda: [b"ZMPOP", random.choice([b"1", b"2", b"0"]), k(), k(), random.choice([b"MIN", b"MAX", b"UP"])] + random.choice([[], [b"COUNT", num()]]),
    lambda: [random.choice([b"ZUNION", b"ZINTER", b"ZDIFF"]), random.choice([b"1", b"2", b"0", b"3"]), k(), k()] + zsetops(),
    lambda: [random.choice([b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE"]), k(), random.choice([b"1", b"2", b"0"]), k(), k()] + zsetops(),
    lambda: [b"ZINTERCARD", random.choice([b"1", b"2", b"0"]), k(), k()] + random.choice([[], [b"LIMIT", num()]]),
    lambda: [b"ZRANDMEMBER", k(), b"0"], lambda: [b"ZSCAN", k(), b"0"], lambda: [b"SORT", k()] + random.choice([[], [b"ALPHA"], [b"DESC", b"ALPHA", b"LIMIT", b"1", b"2"]]),
]
NAMES = [b"GET", b"SET", b"APPEND", b"INCR", b"DECRBY", b"INCRBYFLOAT", b"GETRANGE", b"SETRANGE", b"MSET", b"MGET", b"MSETNX", b"GETDEL", b"GETEX",
         b"SETNX", b"SETEX", b"PSETEX", b"GETSET", b"SETBIT", b"GETBIT", b"BITCOUNT", b"BITPOS", b"BITOP", b"LPUSH", b"RPUSH", b"LPOP", b"RPOP", b"LRANGE",
         b"LINDEX", b"LSET", b"LINSERT", b"LREM", b"LTRIM", b"LLEN", b"LPOS", b"LMOVE", b"LMPOP", b"HSET", b"HGET", b"HDEL", b"HLEN", b"HINCRBY",
         b"HMGET", b"HEXISTS", b"HSTRLEN", b"HSETNX", b"SADD", b"SREM", b"SCARD", b"SISMEMBER", b"SMISMEMBER", b"SMOVE", b"SINTERCARD", b"SINTERSTORE",
         b"DEL", b"EXISTS", b"TYPE", b"RENAME", b"RENAMENX", b"COPY", b"EXPIRE", b"PERSIST", b"TTL", b"OBJECT", b"LCS", b"BITFIELD", b"SUBSTR",
         b"HRANDFIELD", b"SRANDMEMBER", b"SPOP", b"LPUSHX", b"RPOPLPUSH", b"HMSET", b"HGETALL", b"HKEYS", b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF",
         b"EXPIREAT", b"PEXPIRE", b"STRLEN", b"ECHO", b"PING", b"DBSIZE", b"TOUCH", b"UNLINK", b"MOVE", b"SWAPDB", b"BITFIELD_RO", b"DECR", b"INCRBY",
         b"HINCRBYFLOAT", b"HVALS", b"BLPOP", b"BRPOP", b"BLMOVE", b"BLMPOP", b"BRPOPLPUSH", b"CONFIG", b"CLIENT", b"COMMAND", b"FUNCTION", b"SCRIPT",
         b"EVAL", b"EVALSHA", b"FCALL", b"WATCH", b"TIME", b"LASTSAVE", b"SELECT", b"EXPIRETIME", b"PEXPIRETIME", b"PTTL", b"KEYS", b"SCAN",
         b"HSCAN", b"SSCAN", b"RANDOMKEY", b"FLUSHDB", b"INFO", b"HELLO", b"ZADD", b"ZINCRBY", b"ZRANGE", b"ZRANGESTORE", b"ZRANGEBYSCORE",
         b"ZREVRANGEBYLEX", b"ZPOPMIN", b"ZMPOP", b"ZUNIONSTORE", b"ZINTER", b"ZDIFF", b"ZINTERCARD", b"ZRANDMEMBER", b"ZSCAN", b"ZCOUNT",
         b"ZREMRANGEBYSCORE", b"ZREMRANGEBYLEX", b"ZRANK", b"ZMSCORE", b"ZSCORE", b"ZREM", b"ZCARD"]
def anyarg(): return random.choice([k(), v(), num(), b"0", b"-1", b"COUNT", b"LIMIT", b"MATCH", b"*", b"TYPE", b"WITHVALUES", b"HELP", b"GET", b"LEFT", b"WITHSCORES", b"(1", b"-inf", b"[a", b"BYSCORE"])
GEN_ERR = lambda: [random.choice(NAMES)] + [anyarg() for _ in range(random.randint(0, 3))]
SKIP = {b"TIME", b"LASTSAVE", b"INFO", b"RANDOMKEY", b"SCAN", b"HSCAN", b"SSCAN", b"HELLO", b"COMMAND", b"CLIENT", b"CONFIG", b"FLUSHDB", b"SPOP", b"SRANDMEMBER", b"HRANDFIELD", b"FUNCTION", b"SCRIPT"}
UNORDERED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"HKEYS", b"HVALS", b"KEYS", b"HGETALL"}

def norm(cmd, r):
    # A sorted set in a hash table scans in any order: compare its (member, score) pairs as a set.
    if cmd[0] == b"ZSCAN" and isinstance(r, list) and len(r) == 2 and isinstance(r[1], list):
        return [r[0], sorted(zip(r[1][::2], r[1][1::2]))]
    if isinstance(r, list) and cmd[0] in UNORDERED: return sorted(r, key=repr)
    if isinstance(r, tuple) and r[0] == "map" and cmd[0] in UNORDERED: return ("map", sorted(r[1], key=repr))
    return r

def state(c):
    out = []
    for db in (b"0", b"1"):
        c.call([b"SELECT", db])
        out += state1(c)
    return out

def state1(c):
    out = []
    for key in KEYS:
        t = c.call([b"TYPE", key]); t = t[1] if isinstance(t, tuple) else t
        t = t[1] if isinstance(t, tuple) and len(t) > 1 and isinstance(t[1], bytes) and t[0] != "s" else t
        if t == b"string": val = c.call([b"GET", key])
        elif t == b"list": val = c.call([b"LRANGE", key, b"0", b"-1"])
        elif t == b"hash": val = c.call([b"HGETALL", key]); val = sorted(val[1] if isinstance(val, tuple) else val, key=repr)
        elif t == b"set": val = c.call([b"SMEMBERS", key]); val = sorted(val[1] if isinstance(val, tuple) else val, key=repr)
        elif t == b"zset": val = (c.call([b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]), c.call([b"OBJECT", b"ENCODING", key]))
        else: val = None
        ttl = c.call([b"TTL", key])
        out.append((key, t, val, ttl[1] >= 0 if isinstance(ttl, tuple) and isinstance(ttl[1], int) else ttl))
    return out

def main(p1, p2, n, seed):
    random.seed(seed)
    a, b = Conn(p1), Conn(p2)
    sa_conn, sb_conn = Conn(p1), Conn(p2)
    a.call([b"FLUSHALL"]); b.call([b"FLUSHALL"])
    if len(sys.argv) > 6 and sys.argv[6] == "3":
        a.call([b"HELLO", b"3"]); b.call([b"HELLO", b"3"])
    diffs = 0
    hist = []
    for i in range(n):
        cmd = random.choice(GEN)() if random.random() < 0.7 else GEN_ERR()
        if cmd[0] in SKIP and (len(cmd) > 1 and cmd[0] not in (b"SPOP", b"SRANDMEMBER", b"HRANDFIELD") or len(cmd) == 1 and cmd[0] in (b"TIME", b"LASTSAVE", b"INFO", b"RANDOMKEY", b"HELLO", b"COMMAND", b"FLUSHDB")): continue
        if cmd[0] in (b"BLPOP", b"BRPOP", b"BLMOVE", b"BLMPOP", b"BRPOPLPUSH", b"WAIT") and len(cmd) > 2: continue
        ra, rb = norm(cmd, a.call(cmd)), norm(cmd, b.call(cmd))
        hist.append(cmd)
        if ra != rb:
            diffs += 1
            if len(sys.argv) > 7: print("HISTORY", hist[-25:])
            print("DIFF", cmd, "\n  redis:", ra, "\n  akka: ", rb)
            if diffs >= int(sys.argv[5] if len(sys.argv) > 5 else 1): break
        sa, sb = state(sa_conn), state(sb_conn)
        if sa != sb:
            diffs += 1
            print("STATE DIFF after", cmd, "\n  redis:", sa, "\n  akka: ", sb)
            break
    print("done", n, "diffs", diffs)

main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
