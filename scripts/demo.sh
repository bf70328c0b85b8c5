#!/bin/bash
# A local demo of pgborg: a throw-away PostgreSQL 15 instance is archived continuously by `pgcad` into a local,
# encrypted Borg repository, wiped and restored with `pgcarestore restore`; and dumped by `pgdumpd --once`, with a
# dump extracted back into a new database with `pgdumprestore extract`.
# Everything lives in $DEMO_DIR (default /var/tmp/pgborg-demo, wiped at start); the demo server is stopped at the
# end, the repository and configuration are kept for you to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
DEMO=${DEMO_DIR:-/var/tmp/pgborg-demo}
PGBIN=/usr/lib/postgresql/15/bin
PORT=${DEMO_PORT:-55440}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
aspg() { runuser -u postgres -- "$@"; }

step "building the pgborg NativeAOT binary"
dotnet publish src/PgBorg -c Release -o artifacts/publish
PGBORG=$PWD/artifacts/publish/pgborg

if [ -f "$DEMO/pgdata/postmaster.pid" ]; then aspg $PGBIN/pg_ctl -D "$DEMO/pgdata" -m fast -w stop || true; fi
rm -rf "$DEMO"
mkdir -p "$DEMO/run" "$DEMO/bin"
chmod 755 "$DEMO"
chown postgres: "$DEMO/run"
cleanup() { aspg $PGBIN/pg_ctl -D "$DEMO/pgdata" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$DEMO/pgdata"; }
trap cleanup EXIT

step "a demo PostgreSQL 15 instance in $DEMO/pgdata (port $PORT, socket $DEMO/run)"
install -d -o postgres -g postgres -m 700 "$DEMO/pgdata"
aspg $PGBIN/initdb -D "$DEMO/pgdata" -U postgres --auth=peer -E UTF8 --locale=C.UTF-8 >/dev/null
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\n" "$PORT" "$DEMO/run" >> "$DEMO/pgdata/postgresql.conf"
# continuous archiving: pgcad checks exactly these
printf "wal_level = replica\narchive_mode = on\narchive_command = '%s wal-push %%p'\narchive_timeout = 60\n" "$PGBORG" >> "$DEMO/pgdata/postgresql.conf"
aspg $PGBIN/pg_ctl -D "$DEMO/pgdata" -l "$DEMO/run/postgres.log" -w start >/dev/null
export PGHOST=$DEMO/run PGPORT=$PORT
aspg $PGBIN/createdb mydb
aspg $PGBIN/pgbench -i -s 5 -q mydb 2>/dev/null
aspg $PGBIN/psql -X -q -d mydb -c "CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('hello from the demo')"
echo "created database mydb: $(aspg $PGBIN/psql -X -At -d mydb -c 'SELECT count(*) FROM pgbench_accounts') pgbench accounts and a notes table"

step "configuration $DEMO/pgborg.toml (0600: it holds the demo passphrase)"
cat > "$DEMO/pgborg.toml" <<TOML
state_directory = "$DEMO/state"

[discovery]
debian = false
systemd = false

[instances.demo]
data_directory = "$DEMO/pgdata"

[archive]
repository = "$DEMO/archive-repo"
passphrase = "demo passphrase - use passcommand in real life"

[dump]
repository = "$DEMO/repo"
passphrase = "demo passphrase - use passcommand in real life"
interval = "1d"
TOML
chmod 600 "$DEMO/pgborg.toml"
cat "$DEMO/pgborg.toml"
export PGBORG_CONFIG=$DEMO/pgborg.toml
ln -sf "$PGBORG" "$DEMO/bin/pgborg"
"$PGBORG" install-links "$DEMO/bin" >/dev/null
export PATH=$DEMO/bin:$PATH

step "continuous archiving: one pgcad round takes the first base backup (the repository is created on first use)"
show pgcad --once
aspg $PGBIN/psql -X -q -d mydb -c "INSERT INTO notes (body) VALUES ('written after the base backup')"
show pgbuptool restorepoint demo
aspg $PGBIN/psql -X -q -d mydb -c "INSERT INTO notes (body) VALUES ('written after the restore point')"
aspg $PGBIN/psql -X -q -At -d mydb -c "SELECT pg_switch_wal()" >/dev/null
sleep 2
show pgcad --once
before=$(aspg $PGBIN/psql -X -At -d mydb -c "SELECT count(*) FROM notes")

step "disaster: stop PostgreSQL, remove the data directory, restore the latest archived state"
aspg $PGBIN/pg_ctl -D "$DEMO/pgdata" -m fast -w stop >/dev/null
show rm -rf "$DEMO/pgdata"
show pgcarestore restore
aspg $PGBIN/pg_ctl -D "$DEMO/pgdata" -l "$DEMO/run/postgres.log" -w start >/dev/null
until [ "$(aspg $PGBIN/psql -X -At -d postgres -c 'SELECT pg_is_in_recovery()')" = f ]; do sleep 0.2; done
after=$(aspg $PGBIN/psql -X -At -d mydb -c "SELECT count(*) FROM notes")
echo "notes before the disaster: $before, after the restore: $after"
[ "$before" = "$after" ] || { echo "DEMO FAILED: the restore lost rows" >&2; exit 1; }
show pgcad --once

step "one dump round: every database and the globals, streamed into Borg"
show pgdumpd --once

step "what is in the repository"
show pgdumprestore list

step "the table of contents of mydb's dump, read straight from Borg by pg_restore run as postgres"
show pgdumprestore extract mydb -- pg_restore -l | head -n 20

step "restore mydb's dump into a new database mydb_restored"
aspg $PGBIN/createdb mydb_restored
show pgdumprestore extract mydb -- pg_restore -d mydb_restored
orig=$(aspg $PGBIN/psql -X -At -d mydb -c "SELECT md5(string_agg(aid || ':' || abalance, ',' ORDER BY aid)) FROM pgbench_accounts")
back=$(aspg $PGBIN/psql -X -At -d mydb_restored -c "SELECT md5(string_agg(aid || ':' || abalance, ',' ORDER BY aid)) FROM pgbench_accounts")
note=$(aspg $PGBIN/psql -X -At -d mydb_restored -c "SELECT body FROM notes")
echo "pgbench_accounts checksum: original $orig, restored $back"
echo "notes: $(echo $note | tr '\n' ' ')"
[ "$orig" = "$back" ] || { echo "DEMO FAILED: restored data differs" >&2; exit 1; }

step "done"
cat <<MSG
The demo instance is stopped and removed. Kept for you:
  $DEMO/pgborg.toml   the configuration
  $DEMO/archive-repo  the encrypted Borg repository of continuous archiving (bases, WAL, restore points)
  $DEMO/repo          the encrypted Borg repository of the dumps (passphrase in the configuration)
  $DEMO/bin           pgborg and its five names
Try: PGBORG_CONFIG=$DEMO/pgborg.toml $DEMO/bin/pgdumprestore list --json
     PGBORG_CONFIG=$DEMO/pgborg.toml $DEMO/bin/pgcarestore info
MSG
