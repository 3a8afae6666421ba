#!/bin/sh
# Start PostgreSQL on $PGDATA, creating the cluster on first start: password (scram) authentication for
# every host, the password of user `lienthong` from $POSTGRES_PASSWORD_FILE, database `lienthong`.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb --username=postgres --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 "$PGDATA" >/dev/null
    echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
    postgres -c listen_addresses='' -c unix_socket_directories=/tmp &
    until pg_isready -q -h /tmp; do sleep 0.2; done
    # from standard input: psql substitutes :'password' (quoted) there, not in -c
    psql -q -v ON_ERROR_STOP=1 -h /tmp -U postgres -v password="$(cat "$POSTGRES_PASSWORD_FILE")" <<'SQL'
CREATE ROLE lienthong LOGIN PASSWORD :'password';
CREATE DATABASE lienthong OWNER lienthong;
SQL
    pg_ctl -D "$PGDATA" stop -m fast >/dev/null
fi
exec postgres -c listen_addresses='*' -c unix_socket_directories=/tmp -c max_connections=400 "$@"
