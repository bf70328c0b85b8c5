#!/bin/bash
# Times `pgborg verify`, `verify --data` and `verify --restore` on the bench/restore database: pgbench scale 50
# (about 750 MiB), a base, then about 1 GiB of pgbench WAL, all archived by pgcad (no pgBackRest needed).
# Run as root from the repository root: BENCH_DIR=/var/tmp/pgborg-bench-verify bash bench/verify/run.sh
# $BENCH_DIR is wiped at the start; the cluster and its spool are removed at the end (also on failure), the
# repository and logs are kept. Timings go to $BENCH_DIR/times.tsv and stdout.
set -euo pipefail
B=${BENCH_DIR:-/var/tmp/pgborg-bench-verify}
PGBIN=/usr/lib/postgresql/15/bin
PORT=${PGPORT:-55446}
SCALE=${SCALE:-50}
WAL_MIN_BYTES=${WAL_MIN_BYTES:-1073741824}
PGBORG_SRC=${PGBORG:-artifacts/publish/pgborg}
PGDATA=$B/pgdata
PGB=$B/bin/pgborg
asp() { runuser -u postgres -- "$@"; }
sql() { asp $PGBIN/psql -X -At -h $B/run -p $PORT -d "${2:-postgres}" -c "$1"; }
log() { echo "[$(date +%T)] $*" >&2; }
timed() {
  local name=$1; shift
  local t0=$EPOCHREALTIME rc=0
  PGBORG_CONFIG=$B/pgborg.toml "$@" > $B/logs/$name.out 2>&1 || rc=$?
  local s; s=$(awk -v a=$t0 -v b=$EPOCHREALTIME 'BEGIN{printf "%.1f", b-a}')
  printf '%s\t%s\t%s\n' "$name" "$s" "$rc" | tee -a $B/times.tsv
  tail -n 3 $B/logs/$name.out >&2
}
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  [ -f $PGDATA/postmaster.pid ] && asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop >/dev/null 2>&1 || true
  rm -rf $PGDATA $PGDATA.pgborg-spool
  log "teardown done (exit $rc)"
  exit $rc
}

[ -f $PGDATA/postmaster.pid ] && asp $PGBIN/pg_ctl -D $PGDATA -m immediate -w stop || true
rm -rf "$B" "$PGDATA.pgborg-spool"
mkdir -p $B/bin $B/run $B/logs $B/scratch
trap teardown EXIT
trap 'exit 130' INT TERM
cp "$PGBORG_SRC" $PGB && chmod 755 $PGB $B
mkdir -p $PGDATA && chown postgres: $B/run $PGDATA && chmod 700 $PGDATA
asp $PGBIN/initdb -D $PGDATA -A peer >/dev/null
cat >> $PGDATA/postgresql.conf <<CONF
port = $PORT
unix_socket_directories = '$B/run'
listen_addresses = ''
wal_level = replica
archive_mode = on
archive_command = '/bin/true'
max_wal_size = 1GB
archive_timeout = 60
CONF
asp $PGBIN/pg_ctl -D $PGDATA -l $B/run/postgres.log -w start >/dev/null
sql "CREATE DATABASE bench"
log "pgbench -i -s $SCALE"
asp $PGBIN/pgbench -i -q -s $SCALE -h $B/run -p $PORT bench 2>> $B/logs/pgbench.log
cat > $B/pgborg.toml <<TOML
state_directory = "$B/state"
[discovery]
debian = false
systemd = false
[instances.bench]
data_directory = "$PGDATA"
[archive]
repository = "$B/repo"
passphrase = "bench"
snapshot = "direct"
TOML
chmod 600 $B/pgborg.toml
sql "ALTER SYSTEM SET archive_command = '$PGB wal-push %p'"
sql "SELECT pg_reload_conf()" >/dev/null
log "first base"
PGBORG_CONFIG=$B/pgborg.toml $PGB pgcad --once >> $B/logs/pgcad.log 2>&1
start=$(sql "SELECT pg_current_wal_lsn()")
while [ "$(sql "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$start') < $WAL_MIN_BYTES")" = t ]; do
  asp $PGBIN/pgbench -T 20 -c 2 -j 2 -h $B/run -p $PORT bench >> $B/logs/pgbench.log 2>&1
  PGBORG_CONFIG=$B/pgborg.toml $PGB pgcad --once >> $B/logs/pgcad.log 2>&1
done
last=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
until [ "$(sql "SELECT coalesce(last_archived_wal, '') >= '$last' FROM pg_stat_archiver")" = t ]; do sleep 0.2; done
PGBORG_CONFIG=$B/pgborg.toml $PGB pgcad --once >> $B/logs/pgcad.log 2>&1
sql "SELECT pg_size_pretty(pg_database_size('bench'))" | sed 's/^/database size: /' >&2
asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop >/dev/null
PGBORG_CONFIG=$B/pgborg.toml $PGB pgcarestore info > $B/logs/info.out 2>&1 || true
first=$(PGBORG_CONFIG=$B/pgborg.toml $PGB verify --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][0]["cycles"][0])')

timed verify $PGB verify
timed verify-data $PGB verify --data
timed verify-restore-newest $PGB verify --restore --scratch-dir $B/scratch
timed verify-restore-first $PGB verify --restore --cycle "$first" --scratch-dir $B/scratch
