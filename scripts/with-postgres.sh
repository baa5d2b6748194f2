#!/bin/sh
# Run a command (the test suite) with a throwaway PostgreSQL cluster, so the PostgreSQL variants
# of the storage and API tests run too. Used by `make test`:
# - CANVASS_TEST_POSTGRES_URL already set (CI sets it): the command runs as it is;
# - PostgreSQL not installed: the command runs, and those tests skip, saying how to get them
#   (Debian/Ubuntu: apt-get install postgresql postgresql-15-postgis-3);
# - else a cluster is made in a temporary folder on a free port, used, then stopped and removed.
set -eu
if [ -n "${CANVASS_TEST_POSTGRES_URL:-}" ]; then
    exec "$@"
fi
PG_CTL="$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$PG_CTL" ]; then
    PG_CTL="$(command -v pg_ctl || true)"
fi
if [ -z "$PG_CTL" ]; then
    echo "PostgreSQL is not installed: its tests will skip (apt-get install postgresql)." >&2
    exec "$@"
fi
PG_BIN="$(dirname "$PG_CTL")"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DATA="$(mktemp -d /tmp/canvass-test-pg.XXXXXX)"
if [ "$(id -u)" = "0" ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    chown postgres "$DATA"
    AS="su postgres -s /bin/sh -c"
else
    AS="sh -c"
fi
$AS "'$PG_BIN/initdb' -D '$DATA' -A trust -U postgres -E UTF8 >/dev/null"
$AS "'$PG_BIN/pg_ctl' -D '$DATA' -w -l '$DATA/log' -o \"-c listen_addresses=127.0.0.1 -p $PORT -k /tmp -c fsync=off\" start >/dev/null"
stop() {
    $AS "'$PG_BIN/pg_ctl' -D '$DATA' -m fast stop >/dev/null" || true
    rm -rf "$DATA"
}
trap stop EXIT INT TERM
export CANVASS_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "PostgreSQL on 127.0.0.1:$PORT for the tests (removed afterwards)" >&2
"$@"
