#!/usr/bin/env python3
# Differential fuzz of the RESP parser: random mixes of RESP and inline fragments go to redis-server and to AkkaRedis
# on fresh connections; the bytes answered and whether the connection was closed are compared. Redis's C strings stop
# at a NUL byte, so NUL is left out. Replies are compared byte for byte (non-UTF-8 bytes echoed in errors included).
#
#   tests/tools/fuzz-protocol.py <redis port> <akkaredis port> <seed> <cases>
import socket, random, sys, time
FRAGS = [b"*", b"$", b"\r\n", b"\n", b"PING", b"SET", b"GET", b"k", b"1", b"-1", b"3", b"0", b"*1\r\n$4\r\nPING\r\n", b" ", b"\"", b"'", b"\\x41",
         b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", b"*-1\r\n", b"$-1\r\n", b"*0\r\n", b"+OK\r\n", b"ECHO \"a b\"\r\n", b"PING\r\n", b"*3\r\n", b"$5\r\n",
         b"abc", b"\xfe", b"*1048577\r\n", b"$536870913\r\n", b"*1\r\n$x\r\n", b"*a\r\n", b"\r", b"ECHO 'x\r\n", b"ECHO \"\\x4\"\r\n", b"SET k v\r\n"]
def run(port, data):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(0.3)
    s.sendall(data)
    out = b""; closed = False
    try:
        while True:
            d = s.recv(65536)
            if not d: closed = True; break
            out += d
    except socket.timeout: pass
    s.close(); return out, closed
random.seed(int(sys.argv[3]))
diffs = 0
for i in range(int(sys.argv[4])):
    data = b"".join(random.choice(FRAGS) for _ in range(random.randint(1, 8)))
    a, b = run(int(sys.argv[1]), data), run(int(sys.argv[2]), data)
    if a != b:
        diffs += 1
        print("DIFF", data, "\n  redis:", a, "\n  akka: ", b)
        if diffs > 5: break
print("done diffs", diffs)
