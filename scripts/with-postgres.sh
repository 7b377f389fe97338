#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL cluster: initdb in a temp dir, start it on a
# Unix socket and a free port, export TEST_DATABASE_URL (and DATABASE_URL), run, then drop it all.
# Exit 77 (skip) when no PostgreSQL server binaries are installed.
set -euo pipefail
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "with-postgres: PostgreSQL server not installed; skipping the PostgreSQL run" >&2
  exit 77
fi
dir=$(mktemp -d /tmp/contest-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
as_pg=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run the cluster as the postgres system user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U contest -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
"${as_pg[@]}" "$pgbin/createdb" -h "$dir" -p "$port" -U contest contest_test
export TEST_DATABASE_URL="postgresql+psycopg://contest@127.0.0.1:$port/contest_test"
export PG_TEST_BIN="$pgbin" PG_TEST_HOST="$dir" PG_TEST_PORT="$port"
echo "with-postgres: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on port $port" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
