# Sourced by the benchmark scripts: builds AkkaRedis, starts it and redis-server on free loopback ports, waits until
# both answer, and stops both on exit. Sets redis_port, redis_pid, akka_port, akka_pid.
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
dotnet src/AkkaRedis.Server/bin/Release/net10.0/akkaredis-server.dll --port "$akka_port" "${persistence[@]}" --dir "$data_dir/akka" \
  ${extra_server_flags[@]+"${extra_server_flags[@]}"} >/tmp/akkaredis-bench.log 2>&1 &
akka_pid=$!
trap 'kill $redis_pid $akka_pid 2>/dev/null || true; sleep 0.5; rm -rf "$data_dir"' EXIT
for port in "$redis_port" "$akka_port"; do
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
done
