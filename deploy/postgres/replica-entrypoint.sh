#!/bin/bash
# Entrypoint of the synchronous standby (runs as the postgres user). On first start it clones the
# primary with pg_basebackup (-R writes standby.signal and primary_conninfo) and names itself
# $STANDBY_NAME, the name the primary's synchronous_standby_names waits for; then it runs as a hot
# standby streaming from the primary through slot $REPLICATION_SLOT.
set -euo pipefail
: "${PGDATA:?}" "${PRIMARY_HOST:?}" "${REPLICATION_USER:?}" "${REPLICATION_PASSWORD:?}"
: "${REPLICATION_SLOT:?}" "${STANDBY_NAME:?}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do
        echo "waiting for $PRIMARY_HOST"
        sleep 1
    done
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
        --host="$PRIMARY_HOST" --username="$REPLICATION_USER" --pgdata="$PGDATA" \
        --wal-method=stream --slot="$REPLICATION_SLOT" --checkpoint=fast --write-recovery-conf \
        --dbname="application_name=$STANDBY_NAME"
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c cluster_name="$STANDBY_NAME"
