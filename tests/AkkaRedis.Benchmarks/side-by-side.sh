#!/usr/bin/env bash
# Runs redis-benchmark against redis-server and AkkaRedis side by side (tests: redis-benchmark's own, plus evalsha), in one run, alternating case by case,
# and prints requests per second for both, the ratio AkkaRedis/Redis, and each server's CPU time per request.
#
#   tests/AkkaRedis.Benchmarks/side-by-side.sh [-n requests] [-c clients] [-t tests] [-P "1 16"] [--aof no|everysec|always]
#                                               [--cluster N] [-r keyspace] [-- extra server flags]
#
# --cluster 3: AkkaRedis runs as a cluster of three nodes on this machine and the clients use one of them (the shared
# journal is a private PostgreSQL when --aof is given, else data stays in memory); the CPU time counts every node, and
# the share of commands that node forwarded to the others is printed at the end.
#
# Both servers run on free loopback ports, without persistence by default, or both with the same AOF fsync policy
# (--aof everysec: redis-server --appendonly yes --appendfsync everysec, and the same for AkkaRedis).
# Needs redis-server and redis-benchmark (redis-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=200000
clients=50
tests="set,get,incr,mset,hset,lpush,lpop,sadd,spop,lrange_100"
pipelines="1 16"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) requests=$2; shift 2 ;;
    -c) clients=$2; shift 2 ;;
    -t) tests=$2; shift 2 ;;
    -P) pipelines=$2; shift 2 ;;
    --aof) aof_mode=$2; shift 2 ;;
    --cluster) cluster_nodes=$2; shift 2 ;;
    -r) keyspace=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
extra_server_flags=("$@")
# -r: random keys out of this many (redis-benchmark -r); in cluster mode 100000 by default, so the keys spread over
# every node's shards instead of all landing in one slot.
keyspace=${keyspace:-$([ "${cluster_nodes:-0}" -gt 0 ] && echo 100000 || echo 0)}
random_keys=(); [ "$keyspace" -gt 0 ] && random_keys=(-r "$keyspace")

cpu_ticks() { for pid in $1; do awk '{print $14+$15}' "/proc/$pid/stat"; done | awk '{s+=$1} END {print s}'; }
source tests/AkkaRedis.Benchmarks/start-servers.sh

hz=$(getconf CLK_TCK)
# Besides redis-benchmark's own tests, "evalsha": a script that INCRs two keys (in different slots), run by EVALSHA,
# and "multiexec": MULTI, INCR, INCR, EXEC over two keys; redis-benchmark sends one command per request, so these
# transactions go through redis-cli --pipe on one connection, fully pipelined, and count as one request each.
incr_two='redis.call("incr", KEYS[1]) return redis.call("incr", KEYS[2])'
benchmark_args() { # test -> redis-benchmark arguments
  case "$1" in
    evalsha) echo "EVALSHA $(redis-cli -p "$redis_port" script load "$incr_two") 2 bench:a bench:b" ;;
    *) echo "-t $1" ;;
  esac
}
multiexec_file=$(mktemp)
python3 - "$requests" "$multiexec_file" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
block = b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$7\r\nbench:a\r\n*2\r\n$4\r\nINCR\r\n$7\r\nbench:b\r\n*1\r\n$4\r\nEXEC\r\n"
with open(path, "wb") as f:
    f.write(block * n)
PY
run_multiexec() { # port -> transactions per second
  local start end
  start=$(date +%s%N)
  redis-cli -p "$1" --pipe <"$multiexec_file" >/dev/null 2>&1
  end=$(date +%s%N)
  awk -v n="$requests" -v ns=$((end - start)) 'BEGIN { printf "%.2f", n / (ns / 1e9) }'
}
run() { # port pid test pipeline -> "rps cpu_us_per_request"
  local before after rps
  before=$(cpu_ticks "$2")
  if [ "$3" = multiexec ]; then
    rps=$(run_multiexec "$1")
    after=$(cpu_ticks "$2")
    awk -v r="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%s %.2f", r, t / hz * 1e6 / n }'
    return
  fi
  # shellcheck disable=SC2046 # the test's arguments are meant to split
  rps=$(redis-benchmark -p "$1" -n "$requests" -c "$clients" -P "$4" ${random_keys[@]+"${random_keys[@]}"} -q $(benchmark_args "$3") 2>/dev/null | tr '\r' '\n' | grep -E 'requests per second' | tail -1 | awk '{print $(NF-5)}')
  after=$(cpu_ticks "$2")
  awk -v r="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%s %.2f", r, t / hz * 1e6 / n }'
}

for port in "$redis_port" "$akka_port"; do redis-cli -p "$port" script load "$incr_two" >/dev/null; done

# Warm both up first (the .NET JIT tiers up during the first seconds), so the first case is not penalised.
for port in "$redis_port" "$akka_port"; do
  warm=${tests//evalsha/set}
  redis-benchmark -p "$port" -t "${warm//multiexec/incr}" -n 20000 -c "$clients" -P 16 -q >/dev/null 2>&1
  redis-benchmark -p "$port" -t "${warm//multiexec/incr}" -n 20000 -c "$clients" -P 1 -q >/dev/null 2>&1
done

echo "persistence: ${aof_mode}$([ "${cluster_nodes:-0}" -gt 0 ] && echo ", akkaredis: a cluster of $cluster_nodes nodes")"
printf "%-10s %-3s %14s %14s %7s %12s %12s\n" test P redis akkaredis ratio "redis µs/req" "akka µs/req"
for pipeline in $pipelines; do
  for test in ${tests//,/ }; do
    # A multiexec run does not depend on -P: run it once.
    if [ "$test" = multiexec ] && [ "$pipeline" != "${pipelines%% *}" ]; then continue; fi
    read -r redis_rps redis_cpu <<<"$(run "$redis_port" "$redis_pid" "$test" "$pipeline")"
    read -r akka_rps akka_cpu <<<"$(run "$akka_port" "$akka_pid" "$test" "$pipeline")"
    ratio=$(awk -v a="$akka_rps" -v r="$redis_rps" 'BEGIN { printf "%.2f", a / r }')
    printf "%-10s %-3s %14s %14s %6sx %12s %12s\n" "$test" "$pipeline" "$redis_rps" "$akka_rps" "$ratio" "$redis_cpu" "$akka_cpu"
  done
done
if [ "${cluster_nodes:-0}" -gt 0 ]; then
  forwarded=$(redis-cli -p "$akka_port" info cluster | tr -d '\r' | awk -F: '/^akkaredis_forwarded_commands/ {print $2}')
  run_everywhere=0
  for port in "${akka_ports[@]}"; do
    n=$(redis-cli -p "$port" info cluster | tr -d '\r' | awk -F: '/^akkaredis_commands_run_here/ {print $2}')
    run_everywhere=$((run_everywhere + n))
  done
  awk -v f="$forwarded" -v t="$run_everywhere" 'BEGIN { printf "forwarded to other nodes: %d of %d commands (%.0f%%)\n", f, t, 100 * f / t }'
fi
