# Shared by scripts/test and scripts/bench: installs the system packages DAN's tests need when
# they are missing, and starts PostgreSQL and Redis on free loopback ports in a temporary
# folder, stopping them on exit. Sets: pg_port, redis_port, tmp. Source it; do not run it.

log() { printf '\n==> %s\n' "$*" >&2; }

# ---- what the tests need -------------------------------------------------------------------
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
missing=()
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v pkg-config >/dev/null || missing+=(pkg-config)
[ -x /bin/kill ] || [ -x /usr/bin/kill ] || missing+=(procps)
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# ---- PostgreSQL and Redis on loopback, in a temporary folder ---------------------------------
tmp=$(mktemp -d -t dan-test.XXXXXX)
chmod 755 "$tmp"
# A loopback port nobody listens on, from the ephemeral range's neighbourhood.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

cleanup() {
  status=$?
  trap - EXIT INT TERM
  log "stopping PostgreSQL and Redis"
  [ -f "$tmp/pg/postmaster.pid" ] && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$tmp/redis.pid" ] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null || true
  rm -rf "$tmp"
  exit $status
}
trap cleanup EXIT INT TERM

pg_port=$(free_port)
redis_port=$(free_port)
log "starting PostgreSQL on 127.0.0.1:$pg_port and Redis on 127.0.0.1:$redis_port ($tmp)"
mkdir -p "$tmp/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pg"
"${as_pg[@]}" "$pg_bin/initdb" -D "$tmp/pg" -U dan --auth=trust -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log"; exit 1; }
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg" -w -l "$tmp/pg/server.log" \
  -o "-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1 ${DAN_PG_OPTIONS--c fsync=off -c synchronous_commit=off -c full_page_writes=off} -c max_connections=300" \
  start >/dev/null || { cat "$tmp/pg/server.log" >&2; exit 1; }
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$tmp/redis.pid" --dir "$tmp" --logfile "$tmp/redis.log"
redis_up=false
for _ in $(seq 100); do
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then redis_up=true; break; fi
  sleep 0.1
done
$redis_up || { echo "Redis did not start:" >&2; cat "$tmp/redis.log" >&2; exit 1; }

