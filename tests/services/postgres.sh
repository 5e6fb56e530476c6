#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, without systemd:
#
#   tests/services/postgres.sh start DIR   initdb DIR/data (-A trust -U postgres) and pg_ctl start on 127.0.0.1 at a
#                                          free port with its socket in DIR, as the postgres user; prints what it
#                                          started and writes the Npgsql connection string to DIR/connection
#   tests/services/postgres.sh stop DIR    pg_ctl stop (fast) and removes DIR/data
#
# DIR/postgres.log is the server's log. Trust authentication on 127.0.0.1 only: no password anywhere.
# The newest PostgreSQL under /usr/lib/postgresql/*/bin (EXPERIMENTS_POSTGRESQL_DIR) is used.
# Run as root (the server runs as the postgres user) or as the postgres user. Measured here (2 cores): initdb and
# start in 1.3-2.6 s.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

bin=
for candidate in "${EXPERIMENTS_POSTGRESQL_DIR:-/usr/lib/postgresql}"/*/bin; do
  [ -x "$candidate/initdb" ] && bin=$candidate
done
[ -n "$bin" ] || { echo "postgres.sh: no initdb under ${EXPERIMENTS_POSTGRESQL_DIR:-/usr/lib/postgresql}/*/bin (apt-get install postgresql)" >&2; exit 1; }

# as_postgres COMMAND...: the command as the postgres user (quoted for su's shell).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; return; fi
  [ "$(id -u)" -eq 0 ] || { echo "postgres.sh: run as root or as the postgres user" >&2; exit 1; }
  local command=
  printf -v command '%q ' "$@"
  su -s /bin/sh postgres -c "$command"
}

case "$action" in
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >> "$dir/postgres.log" 2>&1 \
      || { echo "postgres.sh: pg_ctl stop failed; read $dir/postgres.log" >&2; exit 1; }
    echo "postgres.sh: stopped the server in $dir"
  fi
  rm -rf "$dir/data"
  exit 0
  ;;
start) ;;
*) usage ;;
esac

fail() {
  echo "postgres.sh: $1; read $dir/postgres.log" >&2
  if [ -f "$dir/postgres.log" ]; then tail -n 20 "$dir/postgres.log" | sed 's/^/  | /' >&2; fi
  exit 1
}

started=$(date +%s%N)
mkdir -p "$dir"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
chmod 0755 "$dir"
as_postgres test -w "$dir" \
  || { echo "postgres.sh: the postgres user cannot write to $dir (a folder above it may be closed to it)" >&2; exit 1; }
as_postgres touch "$dir/postgres.log"

if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >> "$dir/postgres.log" 2>&1 \
    || fail "initdb failed"
fi

# A free port: the server itself says when one is taken (then the next try picks another).
port=
for _ in 1 2 3 4 5; do
  port=$(( 20000 + RANDOM % 20000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
  if as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start </dev/null >/dev/null 2>&1; then
    break
  fi
  port=
  grep -q "could not bind\|already in use" "$dir/postgres.log" 2>/dev/null || fail "pg_ctl start failed"
done
[ -n "$port" ] || fail "pg_ctl start failed (no free port)"

connection="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
echo "$connection" > "$dir/connection"
echo "$port" > "$dir/port"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
printf 'postgres.sh: started PostgreSQL %s on 127.0.0.1:%s (data %s/data, socket in %s) in %d.%03d s; %s\n' \
  "${bin%/bin}" "$port" "$dir" "$dir" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$connection"
