# Sourced by the benchmark scripts: builds AkkaRedis, starts it and redis-server on free loopback ports, waits until
# both answer, and stops both on exit. Sets redis_port, redis_pid, akka_port, akka_pid (several pids for a cluster).
# cluster_nodes=N starts N AkkaRedis nodes as one cluster instead, akka_port being the first node's.
# Persistence: aof_mode (no | everysec | always; default no) gives both servers the same AOF setting, each in a
# temporary directory of its own. Extra AkkaRedis flags: the array extra_server_flags, if set.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

dotnet build -c Release src/AkkaRedis.Server -v q -nologo >/dev/null
redis_port=$(free_port)
akka_port=$(free_port)
aof_mode=${aof_mode:-no}
data_dir=$(mktemp -d)
mkdir -p "$data_dir/redis" "$data_dir/akka"
if [ "$aof_mode" = no ]; then
  persistence=(--appendonly no)
else
  persistence=(--appendonly yes --appendfsync "$aof_mode")
fi
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" "${persistence[@]}" --dir "$data_dir/redis" --daemonize no --loglevel warning >/dev/null &
redis_pid=$!
server=src/AkkaRedis.Server/bin/Release/net10.0/akkaredis-server.dll
cluster_nodes=${cluster_nodes:-0}
pg_stop=true
if [ "$cluster_nodes" -gt 0 ]; then
  # A cluster of cluster_nodes AkkaRedis processes; clients use the first. With an AOF policy the shared journal is a
  # private PostgreSQL (initdb in the data directory; as the postgres user when run as root); else data stays in memory.
  if [ "$aof_mode" = no ]; then
    journal=(--appendonly no)
  else
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort | tail -1)
    pg_port=$(free_port)
    as_pg=(); [ "$(id -u)" = 0 ] && { chown postgres "$data_dir"; as_pg=(runuser -u postgres --); }
    "${as_pg[@]}" "$pg_bin/initdb" -D "$data_dir/pg" -A trust -U postgres --no-sync >/dev/null
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data_dir/pg" -l "$data_dir/pg.log" -w -o "-p $pg_port -k $data_dir -c listen_addresses=127.0.0.1" start >/dev/null
    "${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres akkaredis
    pg_stop="${as_pg[*]} $pg_bin/pg_ctl -D $data_dir/pg -m immediate stop"
    journal=(--cluster-journal "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=akkaredis")
  fi
  akka_pid=""
  akka_ports=()
  seed=$(free_port)
  for i in $(seq "$cluster_nodes"); do
    port=$([ "$i" = 1 ] && echo "$akka_port" || free_port)
    cport=$([ "$i" = 1 ] && echo "$seed" || free_port)
    mkdir -p "$data_dir/akka$i"
    dotnet "$server" --port "$port" --cluster-port "$cport" --cluster-seed "127.0.0.1:$seed" "${journal[@]}" --dir "$data_dir/akka$i" \
      ${extra_server_flags[@]+"${extra_server_flags[@]}"} >"/tmp/akkaredis-bench-$i.log" 2>&1 &
    akka_pid="$akka_pid $!"
    akka_ports+=("$port")
    sleep 1
  done
else
  dotnet "$server" --port "$akka_port" "${persistence[@]}" --dir "$data_dir/akka" \
    ${extra_server_flags[@]+"${extra_server_flags[@]}"} >/tmp/akkaredis-bench.log 2>&1 &
  akka_pid=$!
  akka_ports=("$akka_port")
fi
trap 'kill $redis_pid $akka_pid 2>/dev/null || true; sleep 0.5; $pg_stop >/dev/null 2>&1 || true; rm -rf "$data_dir"' EXIT
for port in "$redis_port" "${akka_ports[@]}"; do
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
done
if [ "$cluster_nodes" -gt 0 ]; then
  # Settled: every node known, every shard placed, and the last node to join holds shards of its own.
  cluster_settled() {
    local info nodes
    info=$(timeout 5 redis-cli -p "$akka_port" info cluster 2>/dev/null || true)
    nodes=$(timeout 5 redis-cli -p "${akka_ports[-1]}" cluster nodes 2>/dev/null || true)
    [[ "$info" == *"akkaredis_cluster_nodes:$cluster_nodes"* && "$info" == *"akkaredis_unplaced_shards:0"* ]] &&
      grep myself <<<"$nodes" | grep -E ' [0-9]+(-[0-9]+)?$' >/dev/null
  }
  for _ in $(seq 240); do
    if cluster_settled; then break; fi
    sleep 0.5
  done
fi
