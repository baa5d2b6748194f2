# Sourced by .ci/run: install PostgreSQL + PostGIS from Debian packages, start a throwaway
# cluster on 127.0.0.1:${CANVASS_PG_PORT:-55432} owned by the postgres user, export
# CANVASS_TEST_POSTGRES_URL for the storage and API tests, and stop the cluster on exit.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql >/dev/null
fi
PG_BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"
PG_MAJOR="$(basename "$(dirname "$PG_BIN")")"
# PostGIS for the server's major version; the storage tests also pass without it.
if [ ! -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "postgresql-$PG_MAJOR-postgis-3" >/dev/null || echo "PostGIS not installed"
fi
if [ -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ]; then
    export CANVASS_TEST_POSTGIS=1
fi
PG_PORT="${CANVASS_PG_PORT:-55432}"
PG_DATA="$(mktemp -d /tmp/canvass-pg.XXXXXX)"
chown postgres "$PG_DATA"
su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$PG_DATA' -A trust -U postgres -E UTF8 >/dev/null"
su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DATA' -w -l '$PG_DATA/log' \
    -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k /tmp -c fsync=off\" start >/dev/null"
stop_postgres() {
    su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DATA' -m fast stop >/dev/null" || true
    rm -rf "$PG_DATA"
}
trap stop_postgres EXIT
export CANVASS_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT for the tests"
