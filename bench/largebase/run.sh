#!/bin/bash
# Rerunnable benchmark: what a base backup of a large database costs with Borg's files cache (issue 10, items 6
# and 7), side by side with pgBackRest.
#   BENCH_DIR=/var/tmp/pgborg-bench-largebase SIZE_GB=8 bash bench/largebase/run.sh
# Wipes and recreates $BENCH_DIR. Makes a sparse btrfs image there, loop-mounts it, and puts a PostgreSQL 15 data
# directory in a subvolume (so pgcad takes btrfs snapshots, the method whose files keep ctime and inode); spreads
# SIZE_GB of rows over TABLES tables; archive_command feeds both pgborg's spool and pgBackRest's archive. Then:
#   1. first base: pgborg pgcad --once (repository new: chunk size chosen from the data size) vs pgbackrest --type=full
#   2. writes to the tables that hold ~CHANGE_PCT% of the data (every 10th row of each updated), CHECKPOINT
#   3. second base: pgcad --once --new-cycle (files cache: unchanged tables not read) vs pgbackrest --type=incr
#   4. restore of the second base: pgcarestore restore --target-dir (extract only; the server is not started)
# Every step runs under bench/lib/rsspoll.py: wall time and the peak RSS (VmHWM) of every Borg process of the step.
# Writes RESULTS.md next to this script (or $RESULTS), raw rows to $BENCH_DIR/results.tsv, logs to $BENCH_DIR/logs/.
# Teardown (always): cluster stopped, image unmounted, loop device detached, image deleted.
# Env: SIZE_GB (8) TABLES (60) CHANGE_PCT (5) PGPORT (55444) PGBORG (binary; default artifacts/publish/pgborg) RESULTS
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
B=${BENCH_DIR:?set BENCH_DIR to a scratch directory (it is wiped), e.g. /var/tmp/pgborg-bench-largebase}
case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
B=${B%/}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SIZE_GB=${SIZE_GB:-8}
TABLES=${TABLES:-60}
CHANGE_PCT=${CHANGE_PCT:-5}
PGPORT=${PGPORT:-55444}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
PGBIN=/usr/lib/postgresql/15/bin
MNT=$B/mnt
PGDATA=$MNT/pgdata
PGSOCK=$B/run
LOGDIR=$B/logs
RES=$B/results.tsv
PGB=$B/bin/pgborg
PGBR_CONF=$B/pgbackrest.conf
PGBR="pgbackrest --config=$PGBR_CONF --stanza=bench"
export LC_ALL=C
export PGBORG_CONFIG=$B/conf/pgborg.toml

asp() { runuser -u postgres -- "$@"; }
psqlc() { asp $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $PGSOCK -p $PGPORT -d bench -c "$1"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOGDIR/run.log >&2; }
val() { printf 'V\t%s\t%s\n' "$1" "$2" >> $RES; }

# step NAME LOGFILE cmd... -> T row: name wall_s rc borg_peak_rss_kb all_peak_rss_kb
step() {
  local name=$1 out=$2; shift 2
  local tsv=$B/tmp/rss.$name rc t0 t1 wall borg all
  echo "=== $(date +%T) $name: $*" >> $LOGDIR/commands.log
  t0=$(date +%s.%N)
  python3 $REPO_ROOT/bench/lib/rsspoll.py $tsv 0.2 -- "$@" >>"$out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  wall=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", b-a}')
  # the largest VmHWM among the step's Borg processes, and among all of its processes
  borg=$(awk -F'\t' '$1=="child" && $8 ~ /(^|\/)borg / {if ($3>m) m=$3} END{print m+0}' $tsv)
  all=$(awk -F'\t' '($1=="child"||$1=="self") {if ($3>m) m=$3} END{print m+0}' $tsv)
  printf 'T\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$rc" "$borg" "$all" >> $RES
  log "$name: ${wall}s rc=$rc borg peak RSS ${borg} kB"
  return $rc
}

# seconds between the last line matching START and the last matching END in a pgcad log (1 s resolution)
span_s() { # FILE START_REGEX END_REGEX
  awk -v start="$2" -v end="$3" '$0 ~ start {split($2, a, ":"); s = a[1]*3600 + a[2]*60 + a[3]}
       $0 ~ end {split($2, a, ":"); e = a[1]*3600 + a[2]*60 + a[3]} END {print e - s}' "$1"
}
# Borg reading the snapshot: "snapshot ... ready" to "released btrfs snapshot"
read_s() { span_s "$1" ' snapshot [0-9TZ]+ ready' ' released btrfs snapshot'; }
# the base alone: "starting cycle" to "base backup of cycle ... stored", without the ingest of WAL written before it
# (pgBackRest's archive-push paid for that inside archive_command, during the writes), the older cycle's
# consolidation and the compacts that a whole `pgcad --once` also runs
base_s() { span_s "$1" ' starting cycle ' ' base backup of cycle .* stored '; }

teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -f $PGDATA/postmaster.pid ]; then asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop >> $LOGDIR/postgres-ctl.log 2>&1; fi
  if mountpoint -q $MNT; then umount $MNT || umount -l $MNT; fi
  rm -f $B/btrfs.img
  rm -rf $B/restore $B/pgbr
  echo "[$(date +%T)] teardown done (exit $rc); logs in $LOGDIR" >&2
  exit $rc
}

# ---------------------------------------------------------------- setup
need=
command -v borg >/dev/null || need="$need borgbackup"
command -v pgbackrest >/dev/null || need="$need pgbackrest"
command -v mkfs.btrfs >/dev/null || need="$need btrfs-progs"
[ -x $PGBIN/initdb ] || need="$need postgresql-15"
if [ -n "$need" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $need; fi
[ -x "$PGBORG_SRC" ] || { echo "pgborg binary not found: $PGBORG_SRC (publish it first, or set PGBORG=...)" >&2; exit 2; }
if mountpoint -q $MNT 2>/dev/null; then
  [ -f $PGDATA/postmaster.pid ] && asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop
  umount $MNT
fi
rm -rf "$B"
mkdir -p $LOGDIR/pg $B/tmp $B/bin $B/conf $B/run $B/state $B/pgbr $B/pgbrlog $B/pgbrlock $B/pgbrspool $MNT
trap teardown EXIT
trap 'exit 130' INT TERM
cp "$PGBORG_SRC" $PGB && chmod 755 $PGB
: > $RES
chmod 755 $B $B/bin $B/run
for d in run tmp logs/pg pgbr pgbrlog pgbrlock pgbrspool; do chown postgres: $B/$d; done

# room for the data, its WAL and the second base's copy-on-write changes
truncate -s $(( SIZE_GB * 3 + 8 ))G $B/btrfs.img
mkfs.btrfs -q $B/btrfs.img >> $LOGDIR/mkfs.log 2>&1
# discard: space btrfs frees (WAL segments, VACUUM's copy-on-write) goes back to the host; without it the sparse image
# grew to 50 GB for a 22 GiB database, and the repositories and the restore did not fit beside it
mount -o loop,discard=async $B/btrfs.img $MNT
chmod 755 $MNT
btrfs subvolume create $PGDATA >> $LOGDIR/mkfs.log
chown postgres: $PGDATA && chmod 700 $PGDATA

val cpu "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
val cores "$(nproc)"
val mem_gib "$(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo)"
val kernel "$(uname -r)"
val borg "$(borg --version)"
val pgbackrest "$(pgbackrest version)"
val postgres "$($PGBIN/postgres --version)"
val git_head "$(git -C $REPO_ROOT log -1 --format='%h %s' 2>/dev/null | cut -c1-80)"
val loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
val command "BENCH_DIR=$B SIZE_GB=$SIZE_GB TABLES=$TABLES CHANGE_PCT=$CHANGE_PCT bash bench/largebase/run.sh"

# ---------------------------------------------------------------- cluster
cat > $PGBR_CONF <<CONF
[global]
repo1-path=$B/pgbr
repo1-retention-full=99
log-path=$B/pgbrlog
lock-path=$B/pgbrlock
spool-path=$B/pgbrspool
log-level-console=warn
log-level-file=info
compress-type=lz4
process-max=2
start-fast=y

[bench]
pg1-path=$PGDATA
pg1-port=$PGPORT
pg1-socket-path=$PGSOCK
CONF
chmod 644 $PGBR_CONF
cat > $B/bin/pgborg-and-pgbackrest.sh <<EOF
#!/bin/sh
# archive_command: WAL to pgborg's spool and to pgBackRest's archive
$PGB wal-push "\$1" || exit 1
exec pgbackrest --config=$PGBR_CONF --stanza=bench archive-push "\$1"
EOF
chmod 755 $B/bin/pgborg-and-pgbackrest.sh
asp $PGBIN/initdb -D $PGDATA -U postgres --auth=trust -E UTF8 --locale=C >> $LOGDIR/initdb.log 2>&1 || { log "initdb failed"; exit 1; }
cat >> $PGDATA/postgresql.conf <<CONF
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$PGSOCK'
wal_level = replica
archive_mode = on
archive_timeout = 60
max_wal_size = 4GB
autovacuum = off
archive_command = '/bin/true'
CONF
asp $PGBIN/pg_ctl -D $PGDATA -l $LOGDIR/pg/postgres.log -w start >> $LOGDIR/postgres-ctl.log 2>&1 || { log "pg start failed"; exit 1; }
asp $PGBIN/psql -X -q -h $PGSOCK -p $PGPORT -d postgres -c "CREATE DATABASE bench" || exit 1
asp $PGBR stanza-create >> $LOGDIR/pgbr.log 2>&1 || { log "pgbackrest stanza-create failed"; exit 1; }
cat > $PGBORG_CONFIG <<CONF
state_directory = "$B/state"
log_level = "info"

[discovery]
debian = false
systemd = false

[metrics]
textfile_directory = ""

[archive]
repository = "$B/borgrepo"
passphrase = "bench-passphrase"
snapshot = "btrfs"

[instances.bench]
data_directory = "$PGDATA"
CONF
chmod 600 $PGBORG_CONFIG

# pgcad insists on its own archive_command; pgBackRest's backups need their WAL in pgBackRest's archive, so those
# steps archive into both (pgborg's spool still gets every segment)
set_archive() {
  psqlc "ALTER SYSTEM SET archive_command = '$1 %p'" >/dev/null && psqlc "SELECT pg_reload_conf()" >/dev/null
  sleep 1
}

# ---------------------------------------------------------------- data: TABLES tables, SIZE_GB in all
# each row ~ 160 bytes on disk (id, a counter, 128 characters of md5 text that lz4 halves)
ROWS=$(( SIZE_GB * 1024 * 1024 * 1024 / 160 / TABLES ))
log "data: $TABLES tables x $ROWS rows"
t0=$(date +%s)
for i in $(seq 1 $TABLES); do
  psqlc "CREATE TABLE t$i (id bigint, n int, pad text); INSERT INTO t$i SELECT g, 0, repeat(md5((g * $i)::text), 4) FROM generate_series(1, $ROWS) g" >/dev/null &
  if (( i % 2 == 0 )); then wait; fi
done
wait
psqlc "VACUUM FREEZE" >/dev/null
psqlc "CHECKPOINT" >/dev/null
val data_load_s "$(( $(date +%s) - t0 ))"
# the load's WAL is not needed (the first base comes after it); archiving it into the spool first would only delay
# the first base's stop segment
psqlc "SELECT pg_switch_wal()" >/dev/null
while ls $PGDATA/pg_wal/archive_status/ | grep -q '\.ready$'; do sleep 1; done
set_archive "$PGB wal-push"
DBBYTES=$(psqlc "SELECT pg_database_size('bench')")
val db_bytes "$DBBYTES"
val data_dir_bytes "$(du -sb --exclude=pg_wal $PGDATA | cut -f1)"
log "database: $DBBYTES bytes"

# ---------------------------------------------------------------- 1: first base
step base1_pgborg $LOGDIR/pgcad-1.log $PGB pgcad --once || exit 1
grep -o 'chunker [^ ]* ([^)]*)' $LOGDIR/pgcad-1.log | head -1 | sed 's/^/chunker: /' >> $LOGDIR/run.log
val base1_borg_read_s "$(read_s $LOGDIR/pgcad-1.log)"
val base1_alone_s "$(base_s $LOGDIR/pgcad-1.log)"
val chunker "$(grep -o 'chunker [^ ]*' $LOGDIR/pgcad-1.log | head -1 | cut -d' ' -f2)"
set_archive $B/bin/pgborg-and-pgbackrest.sh
step base1_pgbackrest_full $LOGDIR/pgbr.log runuser -u postgres -- $PGBR backup --type=full || exit 1

# ---------------------------------------------------------------- 2: writes to CHANGE_PCT% of the data
NCHANGE=$(( (TABLES * CHANGE_PCT + 99) / 100 ))
log "writes: every 10th row of $NCHANGE of $TABLES tables"
t0=$(date +%s)
for i in $(seq 1 $NCHANGE); do psqlc "UPDATE t$i SET n = n + 1 WHERE id % 10 = 0" >/dev/null; done
psqlc "CHECKPOINT" >/dev/null
val change_tables "$NCHANGE"
val change_s "$(( $(date +%s) - t0 ))"
sleep 3  # past the files cache's timestamp guard for what the CHECKPOINT wrote

# ---------------------------------------------------------------- 3: second base
set_archive "$PGB wal-push"
step base2_pgborg $LOGDIR/pgcad-2.log $PGB pgcad --once --new-cycle || exit 1
val base2_borg_read_s "$(read_s $LOGDIR/pgcad-2.log)"
val base2_alone_s "$(base_s $LOGDIR/pgcad-2.log)"
set_archive $B/bin/pgborg-and-pgbackrest.sh
step base2_pgbackrest_incr $LOGDIR/pgbr.log runuser -u postgres -- $PGBR backup --type=incr || exit 1
BASES=$(BORG_PASSPHRASE=bench-passphrase BORG_BASE_DIR=$B/state/borg borg list --short -a '*~base~*' $B/borgrepo)
for a in $BASES; do
  BORG_PASSPHRASE=bench-passphrase BORG_BASE_DIR=$B/state/borg borg info --json $B/borgrepo::$a > $B/tmp/info.json 2>>$LOGDIR/borg-info.log
  val "archive_${a##*~}" "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["archives"][0]["stats"]; print(s["original_size"], s["deduplicated_size"], s["nfiles"])' $B/tmp/info.json)"
done
val borg_repo_bytes "$(du -sb $B/borgrepo | cut -f1)"
val pgbr_repo_bytes "$(du -sb $B/pgbr | cut -f1)"

# ---------------------------------------------------------------- 4: restore of the second base (extract only)
mkdir -p $B/restore
step restore_pgborg $LOGDIR/restore.log $PGB pgcarestore restore --instance bench --target-dir $B/restore/data || exit 1
val restored_bytes "$(du -sb $B/restore/data | cut -f1)"
val loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

python3 $HERE/report.py $RES > "$RESULTS"
log "results in $RESULTS"
