#!/usr/bin/env bash
# Loads the same N small hashes (10 fields of short values each) into redis-server and AkkaRedis and prints
# the memory each reports: Redis's used_memory beside AkkaRedis's (the .NET heap it reports as used_memory), and
# both processes' RSS.
#
#   tests/AkkaRedis.Benchmarks/memory.sh [-n 1000000]
set -euo pipefail
cd "$(dirname "$0")/../.."

count=1000000
[ "${1:-}" = "-n" ] && count=$2

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
source tests/AkkaRedis.Benchmarks/start-servers.sh

data=$(mktemp)
python3 - "$count" >"$data" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(n):
    args = ["HSET", f"hash:{i}"] + [x for f in range(10) for x in (f"field{f}", f"value{f}:{i % 1000}")]
    out.write("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
for port in "$redis_port" "$akka_port"; do redis-cli -p "$port" --pipe <"$data" | tail -1; done
rm -f "$data"
sleep 2
# .NET's heap figure counts garbage not yet collected, which depends on when the last collection ran: collect it
# first (MEMORY PURGE: a full compacting GC here; jemalloc's purge in Redis, which leaves used_memory as it is).
for port in "$redis_port" "$akka_port"; do redis-cli -p "$port" memory purge >/dev/null; done
redis_used=$(redis-cli -p "$redis_port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
akka_used=$(redis-cli -p "$akka_port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
printf "%-10s %16s %12s %14s\n" server used_memory "bytes/hash" "rss"
printf "%-10s %16s %12s %11s kB\n" redis "$redis_used" "$((redis_used / count))" "$(rss_kb $redis_pid)"
printf "%-10s %16s %12s %11s kB\n" akkaredis "$akka_used" "$((akka_used / count))" "$(rss_kb $akka_pid)"
awk -v a="$akka_used" -v r="$redis_used" 'BEGIN { printf "ratio akkaredis/redis used_memory: %.2fx\n", a / r }'
