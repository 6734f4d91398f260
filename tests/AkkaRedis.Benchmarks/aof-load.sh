#!/usr/bin/env bash
# Time to load an AOF at start-up, AkkaRedis against redis-server, on the same file: a Redis 7 appendonlydir
# holding N SET commands (default 1,000,000; keys key:0..N-1, 100-byte values) written by this script.
# Each server starts over its own copy and is timed from launch until it answers PING with PONG; AkkaRedis twice, with
# and without its JIT warm-up.
#
#   tests/AkkaRedis.Benchmarks/aof-load.sh [keys]
set -euo pipefail
cd "$(dirname "$0")/../.."
keys=${1:-1000000}
dotnet build -c Release src/AkkaRedis.Server -v q -nologo >/dev/null
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 0.5; cp "$work/akkaredis.log" /tmp/aof-load-akka.log 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/src/appendonlydir"
python3 - "$keys" "$work/src/appendonlydir" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
value = b"x" * 100
with open(f"{d}/appendonly.aof.1.incr.aof", "wb") as f:
    f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
    for i in range(n):
        k = b"key:%d" % i
        f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n" % (len(k), k, value))
open(f"{d}/appendonly.aof.1.base.aof", "wb").close()
with open(f"{d}/appendonly.aof.manifest", "w") as f:
    f.write("file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
PY
echo "AOF: $keys keys, $(du -sh "$work/src/appendonlydir" | cut -f1)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
time_start() { # name port command... -> seconds until PING answers PONG
  local name=$1 port=$2; shift 2
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/$name.log" 2>&1 &
  until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do sleep 0.05; done
  end=$(date +%s.%N)
  echo "$name $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s, keys: $(redis-cli -p "$port" dbsize)"
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
}
for name in redis akka akka-cold; do cp -r "$work/src" "$work/$name"; done
port=$(free_port)
time_start redis "$port" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --dir "$work/redis" --daemonize no
port=$(free_port)
time_start akkaredis "$port" dotnet src/AkkaRedis.Server/bin/Release/net10.0/akkaredis-server.dll --port "$port" --appendonly yes --dir "$work/akka"
# The default start includes the JIT warm-up (jit-warm-up in hocon/akkaredis.conf, about 0.7 s on 2 cores); without it,
# the time is the load's alone.
port=$(free_port)
time_start akkaredis-without-warm-up "$port" dotnet src/AkkaRedis.Server/bin/Release/net10.0/akkaredis-server.dll --port "$port" --appendonly yes --dir "$work/akka-cold" --jit-warm-up no
