#!/bin/bash
# Rerunnable benchmark: pgborg pgcarestore restore (to the latest state) against pgBackRest restore.
#   BENCH_DIR=/var/tmp/pgborg-bench-restore bash bench/restore/run.sh
# Wipes and recreates $BENCH_DIR, builds a PostgreSQL 15 cluster with one pgbench database (>= 750 MiB), takes one
# base in each tool (pgcad --once --new-cycle; pgbackrest backup --type=full lz4 process-max=2), then generates
# >= 1 GiB of WAL that both tools archive (archive_command = a wrapper calling pgborg wal-push and pgbackrest
# archive-push; pgcad --once ingests pgborg's spool afterwards). Then REPS rounds, the order of the methods rotating:
#   pgborg       pgcarestore restore --target-dir D   (root-owned repository: "local" mode, all WAL extracted up front)
#   pgborg_borg  the same after chown -R postgres of repository and state dir ("borg" mode: wal-fetch reads Borg)
#   pgbr         pgbackrest restore --pg1-path=D --process-max=2 (archive-get, archive-async off)
#   pgbr_async   the same with --archive-async (archive-get prefetches with process-max=2)
# each timed as: (a) the restore command; sync; (b) pg_ctl start of D on another port, until it accepts connections
# and pg_is_in_recovery() is false (all WAL replayed, promoted). Plus raw borg extracts of pgborg's base and WAL
# archives (the time split), and one profile run of pgcarestore restore under a process poller.
# Writes RESULTS.md next to this script (or $RESULTS), raw rows to $BENCH_DIR/results.tsv, logs to $BENCH_DIR/logs/.
# Every cluster it started is stopped and every data directory it made is removed at the end, even on failure.
# Env: SCALE (50) MIN_DB_BYTES (786432000 = 750 MiB) WAL_MIN_BYTES (1073741824 = 1 GiB) CHURN_T (20, seconds per
#      pgbench -T chunk) REPS (3) METHODS ("pgborg pgbr pgborg_borg pgbr_async") PGPORT (55436) RPORT (55437)
#      PROFILE (1; 0 skips the profile run) PGBORG (binary to copy; default artifacts/publish/pgborg) RESULTS
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
B=${BENCH_DIR:?set BENCH_DIR to a scratch directory (it is wiped), e.g. /var/tmp/pgborg-bench-restore}
case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
B=${B%/}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SCALE=${SCALE:-50}
SCALE0=$SCALE
MIN_DB_BYTES=${MIN_DB_BYTES:-786432000}
WAL_MIN_BYTES=${WAL_MIN_BYTES:-1073741824}
CHURN_T=${CHURN_T:-20}
REPS=${REPS:-3}
METHODS=${METHODS:-"pgborg pgbr pgborg_borg pgbr_async pgborg_latest"}
METHODS0=$METHODS
PGPORT=${PGPORT:-55436}
RPORT=${RPORT:-55437}
PROFILE=${PROFILE:-1}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
PGBIN=/usr/lib/postgresql/15/bin
PGSOCK=$B/run
RSOCK=$B/rrun
PASS=bench-passphrase
LOGDIR=$B/logs
RES=$B/results.tsv
PGB=$B/bin/pgborg
PGDATA=$B/pgdata
SPOOL=$B/pgdata.pgborg-spool
PGLOG=$LOGDIR/pg/postgres.log
PGBR_CONF=$B/pgbackrest.conf
PGBR="pgbackrest --config=$PGBR_CONF --stanza=bench"
CONF=$B/conf/main.toml
REPO=$B/repo-main
STATE=$B/state-main
export LC_ALL=C
START=$(date +%s)

asp() { runuser -u postgres -- "$@"; }
psqlc() { asp $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $PGSOCK -p $PGPORT -d "${DB:-bench}" -c "$1"; }
rpsql() { $PGBIN/psql -X -At -U postgres -h $RSOCK -p $RPORT -d "${DB:-bench}" -c "$1"; }   # the restored server (trust)
log() { echo "[$(date +%T)] $*" | tee -a $LOGDIR/run.log >&2; }
val() { printf 'V\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> $RES; }   # V step method key value
dub() { du -sb "$1" 2>/dev/null | cut -f1; }
pborg() { BORG_BASE_DIR=$STATE/borg BORG_PASSPHRASE=$PASS BORG_RELOCATED_REPO_ACCESS_IS_OK=yes borg "$@"; }
now() { echo "$EPOCHREALTIME"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

# tm STEP METHOD REP OUTFILE cmd...  -> T row: step method rep wall user sys maxrss_kb rc loadavg1
# stdout+stderr of cmd are appended to OUTFILE. user/sys include all children (GNU time); maxrss = the largest
# single process of the tree. Sets LAST_T0/LAST_T1 ($EPOCHREALTIME around the command).
LAST_WALL=0 LAST_T0=0 LAST_T1=0
tm() {
  local step=$1 method=$2 rep=$3 out=$4; shift 4
  local tf=$B/tmp/time.$$ rc la u s m
  la=$(cut -d' ' -f1 /proc/loadavg)
  echo "=== $(date +%T) step $step $method rep $rep: $*" >> $LOGDIR/commands.log
  LAST_T0=$(now)
  /usr/bin/time -f '%e %U %S %M' -o $tf "$@" >>"$out" 2>&1
  rc=$?
  LAST_T1=$(now)
  read -r _ u s m < <(tail -n1 $tf)
  LAST_WALL=$(sub $LAST_T0 $LAST_T1)
  printf 'T\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$step" "$method" "$rep" "$LAST_WALL" "${u:-NA}" "${s:-NA}" "${m:-NA}" "$rc" "$la" >> $RES
  if [ $rc -ne 0 ]; then log "WARN: step $step $method rep $rep exited rc=$rc (see $out)"; fi
  log "step $step $method rep $rep: ${LAST_WALL}s rc=$rc"
  return $rc
}

# ---------------------------------------------------------------- teardown (always)
# every data directory this script can have made: the source cluster, the restore targets (and pgborg's staging
# directories next to them), the raw extract directory
datadirs() { echo $PGDATA; ls -d $B/restore-* 2>/dev/null; }
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  local d
  for d in $(datadirs); do
    if [ -f $d/postmaster.pid ]; then
      if [ $d = $PGDATA ]; then asp $PGBIN/pg_ctl -D $d -m fast -w stop >> $LOGDIR/postgres-ctl.log 2>&1
      else asp $PGBIN/pg_ctl -D $d -m immediate -w stop >> $LOGDIR/postgres-ctl.log 2>&1; fi
    fi
  done
  # only rows of this script's own pg_ctl are left if a stop failed; remove the directories anyway
  rm -rf $PGDATA $SPOOL $B/restore-* $B/raw-*
  echo "[$(date +%T)] teardown done (exit $rc); logs in $LOGDIR" >&2
  exit $rc
}

# ---------------------------------------------------------------- setup
need=
command -v borg >/dev/null || need="$need borgbackup"
command -v pgbackrest >/dev/null || need="$need pgbackrest"
[ -x $PGBIN/pgbench ] || need="$need postgresql-15 postgresql-contrib-15"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $need; fi
id postgres >/dev/null 2>&1 || useradd -r -m -d /var/lib/postgresql -s /bin/bash postgres
[ -x "$PGBORG_SRC" ] || { echo "pgborg binary not found: $PGBORG_SRC (publish it first, or set PGBORG=...)" >&2; exit 2; }
# clusters left running by a previous (killed) run of this script: stop them, by their data directories only
if [ -d "$B" ]; then
  for d in $(datadirs); do [ -f $d/postmaster.pid ] && asp $PGBIN/pg_ctl -D $d -m immediate -w stop; done
fi
rm -rf "$B" "$SPOOL"
mkdir -p $B/logs/pg $B/logs/restore $B/tmp $B/bin $B/conf $B/run $B/rrun $B/pgbr $B/pgbrlog $B/pgbrlock $B/pgbrspool
trap teardown EXIT
trap 'exit 130' INT TERM
# copy the binary (the developers may be re-publishing it right now: retry until the copy runs)
for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
  cp "$PGBORG_SRC" $PGB && chmod 755 $PGB && $PGB --version >/dev/null 2>&1 && break
  echo "pgborg copy not runnable yet (publish in progress?), retrying in 10 s" >&2; sleep 10
done
$PGB --version >/dev/null 2>&1 || { echo "the copied pgborg does not run: $PGB --version failed" >&2; exit 2; }
# archive_command while both tools must receive the WAL (pgcad not running). pgBackRest's backup refuses an
# archive_command that does not contain "pgbackrest", hence the name.
BOTH=$B/bin/pgbackrest-and-pgborg.sh
cat > $BOTH <<EOF
#!/bin/sh
# archive_command: the WAL goes to pgborg's spool AND pgBackRest's archive; fails if either fails.
$PGB wal-push "\$1" || exit 1
exec pgbackrest --config=$PGBR_CONF --stanza=bench archive-push "\$1"
EOF
chmod 755 $BOTH
: > $RES
for d in run rrun tmp logs/pg logs/restore pgbr pgbrlog pgbrlock pgbrspool; do chown postgres: $B/$d; done
chmod 755 $B $B/bin $B/run $B/rrun
log "run start: BENCH_DIR=$B SCALE=$SCALE REPS=$REPS METHODS=\"$METHODS\" WAL_MIN_BYTES=$WAL_MIN_BYTES pgborg=$PGBORG_SRC"

# ---------------------------------------------------------------- step 0: environment
val 0 env cpu "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
val 0 env cores "$(nproc)"
val 0 env mem_gib "$(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo)"
val 0 env kernel "$(uname -r)"
val 0 env os "$(. /etc/os-release; echo "$PRETTY_NAME")"
val 0 env fs "$(findmnt -no FSTYPE,SOURCE -T $B | tr -s ' ')"
val 0 env borg "$(borg --version)"
val 0 env pgbackrest "$(pgbackrest version)"
val 0 env postgres "$($PGBIN/postgres --version)"
val 0 env pgborg_version "$($PGB --version 2>&1 | head -1)"
val 0 env pgborg_sha256 "$(sha256sum $PGB | cut -c1-16)"
val 0 env pgborg_mtime "$(date -u -r "$PGBORG_SRC" '+%Y-%m-%d %H:%M:%S UTC')"
val 0 env git_head "$(git -C $REPO_ROOT log -1 --format='%h %s' 2>/dev/null | cut -c1-80)"
val 0 env loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
# the busiest processes right now (top's second sample, 1 s apart), to see what else runs on the machine
busiest() { top -b -n 2 -d 1 -o %CPU -w 200 | awk '/^top -/{n++} n==2 && $1 ~ /^[0-9]+$/ {print $12" "$9"%"}' | head -4 | paste -sd';' | sed 's/;/; /g'; }
val 0 env top_start "$(busiest)"

# ---------------------------------------------------------------- step 0: cluster
log "step 0: cluster + pgbench -i -s $SCALE"
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
start-fast=y

[bench]
pg1-path=$PGDATA
pg1-port=$PGPORT
pg1-socket-path=$PGSOCK
CONF
chmod 644 $PGBR_CONF
mkdir -m 700 $PGDATA && chown postgres: $PGDATA
asp $PGBIN/initdb -D $PGDATA -U postgres --auth=trust -E UTF8 --locale=C >> $LOGDIR/initdb.log 2>&1 || { log "initdb failed"; exit 1; }
cat >> $PGDATA/postgresql.conf <<CONF
# --- bench/restore
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$PGSOCK'
wal_level = replica
archive_mode = on
archive_timeout = 60
max_wal_size = 1GB
log_checkpoints = on
archive_command = '/bin/true'
CONF
asp $PGBIN/pg_ctl -D $PGDATA -l $PGLOG -w start >> $LOGDIR/postgres-ctl.log 2>&1 || { log "pg start failed"; exit 1; }
DB=postgres psqlc "CREATE DATABASE bench" >/dev/null || { log "createdb failed"; exit 1; }
asp $PGBR stanza-create >> $LOGDIR/pgbr-stanza.log 2>&1 || { log "pgbackrest stanza-create failed"; exit 1; }

# archive_command phases (one cluster has one archive_command; see README.md)
declare -A ACMD=(
  [none]="/bin/true"
  [pgborg]="$PGB wal-push %p"
  [both]="$BOTH %p"
)
CUR_ARCHIVE=none
active_spool() { [ -n "$(for d in $SPOOL/*Z; do [ -d "$d" ] && [ ! -e "$d/.closing" ] && echo "$d"; done 2>/dev/null)" ]; }
# wait until the archiver has no .ready files (max $1 s); with pgborg and no spool it cannot drain: do not wait
wait_archive() {
  local t=0 max=${1:-120}
  if [ "$CUR_ARCHIVE" = pgborg ] && ! active_spool; then return 0; fi
  while ls $PGDATA/pg_wal/archive_status/ 2>/dev/null | grep -q '\.ready$'; do
    sleep 0.2; t=$((t+1))
    if [ $t -ge $((max * 5)) ]; then log "WARN: archive backlog ($CUR_ARCHIVE) not drained after ${max}s"; return 1; fi
  done
  return 0
}
set_archive() { # MODE: drain under the current command, then switch
  [ "$CUR_ARCHIVE" = "$1" ] && return 0
  wait_archive 300
  DB=postgres psqlc "ALTER SYSTEM SET archive_command = '${ACMD[$1]}'" >/dev/null || log "WARN: ALTER SYSTEM archive_command $1 failed"
  DB=postgres psqlc "SELECT pg_reload_conf()" >/dev/null
  CUR_ARCHIVE=$1
  sleep 1
  echo "=== $(date +%T) archive_command -> $1: ${ACMD[$1]}" >> $LOGDIR/commands.log
}

tm 0 pgbench_init 1 $LOGDIR/pgbench-init.log runuser -u postgres -- $PGBIN/pgbench -h $PGSOCK -p $PGPORT -i -s $SCALE bench || { log "pgbench -i failed"; exit 1; }
DBSIZE=$(psqlc "SELECT pg_database_size('bench')")
while [ "$DBSIZE" -lt "$MIN_DB_BYTES" ]; do
  log "pg_database_size(bench) = $DBSIZE < $MIN_DB_BYTES at scale $SCALE: raising the scale by 5"
  SCALE=$((SCALE + 5))
  tm 0 pgbench_init 1 $LOGDIR/pgbench-init.log runuser -u postgres -- $PGBIN/pgbench -h $PGSOCK -p $PGPORT -i -s $SCALE bench || { log "pgbench -i failed"; exit 1; }
  DBSIZE=$(psqlc "SELECT pg_database_size('bench')")
done
psqlc "CHECKPOINT" >/dev/null
val 0 env scale "$SCALE"
val 0 env db_size_bytes "$DBSIZE"

# ---------------------------------------------------------------- step 1: one base in each tool, then >= 1 GiB of WAL
cat > $CONF <<TOML
state_directory = "$STATE"
[discovery]
debian = false
systemd = false
[instances.main]
data_directory = "$PGDATA"
port = $PGPORT
socket_directory = "$PGSOCK"
[archive]
repository = "$REPO"
passphrase = "$PASS"
snapshot = "direct"
ingest_interval = "10s"
TOML
chmod 600 $CONF
mkdir -p -m 700 $STATE
BORG_BASE_DIR=$STATE/borg BORG_PASSPHRASE=$PASS borg init -e repokey-blake2 $REPO >> $LOGDIR/borg-init.log 2>&1 || { log "borg init failed"; exit 1; }

log "step 1: pgborg base (pgcad --once --new-cycle), then pgBackRest full (archive_command = both tools)"
set_archive pgborg
sync
tm 1 pgcad_base 1 $LOGDIR/1-pgcad-base.log $PGB --config $CONF pgcad --once --new-cycle || { log "pgcad base failed"; cat $LOGDIR/1-pgcad-base.log >&2; exit 1; }
val 1 pgcad_base line "$(grep -o 'base backup of cycle .*' $LOGDIR/1-pgcad-base.log | tail -1)"
# from here on every WAL file must reach both tools: pgborg's cycle needs a gapless WAL from its base onwards
set_archive both
sync
tm 1 pgbr_full 1 $LOGDIR/1-pgbr-full.log runuser -u postgres -- $PGBR --type=full --compress-type=lz4 --process-max=2 --start-fast=y backup || { log "pgbackrest backup failed"; cat $LOGDIR/1-pgbr-full.log >&2; exit 1; }
LSN0=$(psqlc "SELECT pg_current_wal_lsn()")
W0=$(psqlc "SELECT pg_walfile_name(pg_current_wal_lsn())")
val 1 wal lsn_start "$LSN0 ($W0)"
log "step 1: pgbench -T $CHURN_T -c 2 chunks until >= $WAL_MIN_BYTES bytes of WAL after $LSN0 (archive_command = both tools)"
n=0
while :; do
  n=$((n + 1))
  asp $PGBIN/pgbench -h $PGSOCK -p $PGPORT -T $CHURN_T -c 2 -j 2 bench > $LOGDIR/1-pgbench-$n.log 2>&1 || log "WARN pgbench chunk $n failed"
  val 1 wal "tps_chunk$n" "$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' $LOGDIR/1-pgbench-$n.log)"
  WB=$(psqlc "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$LSN0')::bigint")
  log "  chunk $n: $WB bytes of WAL so far"
  [ "$WB" -ge "$WAL_MIN_BYTES" ] && break
  [ $n -ge 40 ] && { log "WAL target not reached after $n chunks"; exit 1; }
done
val 1 wal pgbench_chunks "$n"
# the end of the generated WAL: the switch record starts at or after LSN_T (pgborg's recovery target, see below)
LSN_T=$(psqlc "SELECT pg_current_wal_insert_lsn()")
val 1 wal lsn_target "$LSN_T"
psqlc "SELECT pg_switch_wal()" >/dev/null
LSN1=$(psqlc "SELECT pg_current_wal_lsn()")
val 1 wal lsn_end "$LSN1"
val 1 wal bytes "$(psqlc "SELECT pg_wal_lsn_diff('$LSN1', '$LSN0')::bigint")"
wait_archive 600 || { log "archive backlog not drained"; exit 1; }
val 1 wal archiver "$(DB=postgres psqlc "SELECT archived_count || ' archived, ' || failed_count || ' failed, last ' || coalesce(last_archived_wal, '-') FROM pg_stat_archiver")"
LAST_ARCHIVED=$(DB=postgres psqlc "SELECT last_archived_wal FROM pg_stat_archiver")
# what a correct restore must show (checked on every restored server)
EXPECT=$(psqlc "SELECT (SELECT count(*) FROM pgbench_history) || ' ' || (SELECT coalesce(sum(delta), 0) FROM pgbench_history) || ' ' || (SELECT sum(bbalance) FROM pgbench_branches)")
val 1 wal expect "$EXPECT"
# pgborg: ingest its spool (pgcad refuses any other archive_command; the backlog is drained first)
set_archive pgborg
tm 1 pgcad_ingest 1 $LOGDIR/1-pgcad-ingest.log $PGB --config $CONF pgcad --once || { log "pgcad ingest failed"; cat $LOGDIR/1-pgcad-ingest.log >&2; exit 1; }
val 1 pgcad_ingest lines "$(grep -o 'archived [0-9]* WAL files .*' $LOGDIR/1-pgcad-ingest.log | sed 's/ into .*~\([0-9TZ]*\)$/ (cycle \1)/' | paste -sd ';' - | sed 's/;/; /g')"
NEWCYCLE=$(grep -o 'starting cycle .*' $LOGDIR/1-pgcad-ingest.log | head -1)
val 1 pgcad_ingest new_cycle "${NEWCYCLE:-none}"
val 1 pgcad_ingest base_line "$(grep -o 'base backup of cycle .*' $LOGDIR/1-pgcad-ingest.log | tail -1)"
val 1 wal last_archived_after_ingest "$(DB=postgres psqlc "SELECT coalesce(last_archived_wal, '-') FROM pg_stat_archiver")"
# the source cluster is no longer needed: stop it, so that nothing else runs during the timings
asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop >> $LOGDIR/postgres-ctl.log 2>&1
val 1 wal last_archived "$LAST_ARCHIVED"
val 1 pgbr_archive_bytes bytes "$(dub $B/pgbr/archive)"
val 1 pgbr_archive_files count "$(find $B/pgbr/archive -type f -name '0*' | wc -l)"
val 1 pgbr_archive_files last "$(find $B/pgbr/archive -type f -name '0*' -printf '%f\n' | grep -E '^[0-9A-F]{24}-' | sort | tail -1 | cut -c1-24)"
val 1 pgbr_backup bytes "$(dub $B/pgbr/backup)"
val 1 pgborg_repo bytes "$(( $(dub $REPO) + $([ -d $REPO-wal ] && dub $REPO-wal || echo 0) ))"
asp $PGBR info > $LOGDIR/1-pgbr-info.txt 2>&1
pborg list $REPO > $LOGDIR/1-pgborg-archives.txt 2>&1
# WAL has a repository of its own (wal_repository's default: the archive repository's location with -wal appended)
WAL_REPO=$REPO-wal
pborg list $WAL_REPO > $LOGDIR/1-pgborg-wal-archives.txt 2>&1
# pgcad starts a new cycle in the ingest round when the cycle's compressed WAL outgrew its compressed base (not
# configurable). "Latest" would then restore that new base, taken after the WAL, and replay almost nothing. So that
# pgborg replays the same >= 1 GiB as pgBackRest, its restores target LSN_T (--lsn, promote): the newest base that
# ended before LSN_T is the first one, and recovery replays through the switch record, as pgBackRest's does to
# the end of its archive. The method pgborg_latest restores the newest base (no target), for context.
if [ -n "$NEWCYCLE" ]; then TARGET="--lsn $LSN_T --target-action promote"; else TARGET=; fi
val 1 pgborg target "${TARGET:-latest}"
tm 1 pgcarestore_info 1 $LOGDIR/1-pgcarestore-info.txt $PGB --config $CONF pgcarestore info $( [ -n "$TARGET" ] && echo "--lsn $LSN_T")
tm 1 pgcarestore_info_latest 1 $LOGDIR/1-pgcarestore-info-latest.txt $PGB --config $CONF pgcarestore info
for f in info info-latest; do
  k=${f#info}; k=${k#-}
  val 1 pgcarestore_info${k:+_$k} base "$(sed -n 's/^base: *//p' $LOGDIR/1-pgcarestore-$f.txt)"
  val 1 pgcarestore_info${k:+_$k} wal "$(sed -n 's/^WAL: *//p' $LOGDIR/1-pgcarestore-$f.txt)"
  val 1 pgcarestore_info${k:+_$k} size "$(sed -n 's/^size: *//p' $LOGDIR/1-pgcarestore-$f.txt)"
done
BASE_ARCHIVE=$(sed -n 's/^base: *\([^ ]*\) .*/\1/p' $LOGDIR/1-pgcarestore-info.txt)
BASE_CYCLE=${BASE_ARCHIVE##*~}
# the WAL archives of that cycle (pgcarestore's local mode extracts all of them)
WAL_ARCHIVES=$(cat $LOGDIR/1-pgborg-archives.txt $LOGDIR/1-pgborg-wal-archives.txt | grep '~wal~' | awk '{print $1}' | grep "~$BASE_CYCLE\$")
val 1 pgborg_repo base_archive "$BASE_ARCHIVE"
val 1 pgborg_repo wal_archives "$(echo $WAL_ARCHIVES | wc -w)"
val 1 pgborg_repo wal_archive_names "$(echo $WAL_ARCHIVES)"
[ -n "$BASE_ARCHIVE" ] || { log "pgcarestore info found no base"; cat $LOGDIR/1-pgcarestore-info.txt >&2; exit 1; }
[ -n "$NEWCYCLE" ] || METHODS=$(echo " $METHODS " | sed 's/ pgborg_latest / /; s/^ //; s/ $//')

# ---------------------------------------------------------------- step 2: restores
repo_owner() { chown -R "$1" $REPO $STATE; }   # postgres: "borg" mode; root: "local" mode (the normal case)
# restore METHOD REP: (a) the restore command, sync; (b) start + wait until promoted; verify; stop; delete
restore_run() {
  local m=$1 r=$2 D=$B/restore-$1 out=$LOGDIR/restore/$1-$2.log rlog=$LOGDIR/restore/$1-$2.postgres.log
  local rc=0 tS tC tP res p st
  rm -rf $D $D.pgborg-extract-* $RSOCK/.s.PGSQL.*
  : > $out
  case $m in pgborg_borg) repo_owner postgres: ;; pgborg|pgborg_latest) repo_owner root: ;; esac
  sync
  case $m in
    pgborg|pgborg_borg|pgborg_latest)
      local tgt=$TARGET; [ $m = pgborg_latest ] && tgt=
      tm 2 $m $r $out bash -c "set -o pipefail; $PGB --config $CONF pgcarestore restore --target-dir $D $tgt 2>&1 | $HERE/stamp.sh" || rc=1
      # phases from the stamped output: planning (cycle listing), base (list items + parallel extract + recovery
      # files + chown + rename + starting the background WAL extractor), the rest
      local tb tw te
      tb=$(awk '/ extracting base /{print $1; exit}' $out)
      tw=$(awk '/is being extracted into .* in the background/{print $1; exit}' $out)
      te=$(awk '/ target: /{print $1; exit}' $out)
      [ -n "$tb" ] && val 2 $m "plan_s_rep$r" "$(sub $LAST_T0 $tb)"
      if [ -n "$tb" ] && [ -n "$tw" ]; then val 2 $m "base_s_rep$r" "$(sub $tb $tw)"; val 2 $m "wal_s_rep$r" "$(sub $tw ${te:-$LAST_T1})"
      elif [ -n "$tb" ]; then val 2 $m "base_s_rep$r" "$(sub $tb ${te:-$LAST_T1})"; fi
      [ -n "$te" ] && val 2 $m "tail_s_rep$r" "$(sub $te $LAST_T1)"
      val 2 $m "walline_rep$r" "$(grep -o 'the cycle.s WAL .*' $out | head -1)"
      ;;
    pgbr|pgbr_async)
      mkdir -m 700 $D && chown postgres: $D
      # async archive-get: pgBackRest's restore has no --archive-async, so the restore_command is given in full
      # (the generated one plus --archive-async --process-max=2); its spool starts empty every time
      rm -rf $B/pgbrspool/archive
      if [ $m = pgbr_async ]; then
        tm 2 $m $r $out runuser -u postgres -- $PGBR --pg1-path=$D --process-max=2 \
          "--recovery-option=restore_command=pgbackrest --config=$PGBR_CONF --pg1-path=$D --stanza=bench --archive-async --process-max=2 archive-get %f \"%p\"" restore || rc=1
      else
        tm 2 $m $r $out runuser -u postgres -- $PGBR --pg1-path=$D --process-max=2 restore || rc=1
      fi
      ;;
  esac
  local restore_wall=$LAST_WALL
  tm 2 ${m}_sync $r $out sync
  val 2 $m "restored_bytes_rep$r" "$(dub $D)"
  val 2 $m "walarea_bytes_rep$r" "$(dub $D/pgborg_restore || echo 0)"
  val 2 $m "restore_command_rep$r" "$(grep -h '^restore_command' $D/postgresql.auto.conf 2>/dev/null | tail -1)"
  if [ $rc -ne 0 ] || [ ! -f $D/PG_VERSION ]; then
    log "ERROR: $m restore rep $r failed:"; tail -n 30 $out | sed 's/^/    /' >&2
    val 2 $m "error_rep$r" "$(grep -v '^\s*$' $out | tail -n 5 | tr '\n' ' ' | cut -c1-600)"
    rm -rf $D $D.pgborg-extract-*
    [ $m = pgborg_borg ] && repo_owner root:
    return 1
  fi
  # (b) start on another port and socket, archiving off; poll every 0.1 s until it accepts connections and has
  # left recovery
  local la; la=$(cut -d' ' -f1 /proc/loadavg)
  tS=$(now)
  asp $PGBIN/pg_ctl -D $D -l $rlog -W -o "-c port=$RPORT -c unix_socket_directories=$RSOCK -c archive_mode=off -c listen_addresses=''" start >> $out 2>&1
  tC= tP= st=ok
  while :; do
    res=$(DB=postgres rpsql "SELECT pg_is_in_recovery()" 2>/dev/null)
    if [ -n "$res" ] && [ -z "$tC" ]; then tC=$(now); fi
    if [ "$res" = f ]; then tP=$(now); break; fi
    p=$(head -1 $D/postmaster.pid 2>/dev/null)
    if [ "$(sub $tS $(now) | cut -d. -f1)" -gt 3600 ]; then st=timeout; break; fi
    if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then
      sleep 0.5; [ -f $D/postmaster.pid ] && continue
      st=died; break
    fi
    sleep 0.1
  done
  if [ $st = ok ]; then
    val 2 $m "start_to_conn_rep$r" "$(sub $tS $tC)"
    val 2 $m "start_to_promoted_rep$r" "$(sub $tS $tP)"
    printf 'T\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' 2 ${m}_start $r "$(sub $tS $tP)" NA NA NA 0 "$la" >> $RES
    log "step 2 $m rep $r: start -> promoted $(sub $tS $tP) s (accepting connections after $(sub $tS $tC) s)"
    local got; got=$(rpsql "SELECT (SELECT count(*) FROM pgbench_history) || ' ' || (SELECT coalesce(sum(delta), 0) FROM pgbench_history) || ' ' || (SELECT sum(bbalance) FROM pgbench_branches)")
    val 2 $m "check_rep$r" "$( [ "$got" = "$EXPECT" ] && echo "OK $got" || echo "MISMATCH got '$got' expected '$EXPECT'")"
    [ "$got" = "$EXPECT" ] || log "WARN: $m rep $r: restored data differ: got '$got', expected '$EXPECT'"
    val 2 $m "timeline_rep$r" "$(DB=postgres rpsql "SELECT timeline_id FROM pg_control_checkpoint()")"
  else
    log "ERROR: $m rep $r: restored server $st; log:"; tail -n 20 $rlog | sed 's/^/    /' >&2
    val 2 $m "error_rep$r" "server $st: $(tail -n 3 $rlog | tr '\n' ' ' | cut -c1-600)"
  fi
  # the server's own account of the recovery (log_line_prefix '%m [%p] ': millisecond timestamps)
  python3 - "$rlog" "$tS" "$m" "$r" >> $RES <<'PY'
import re, sys, datetime
path, t0, m, r = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
ev = {}
restored = 0
ts_re = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC')
marks = [('redo_start', 'redo starts at'), ('consistent', 'consistent recovery state reached'),
         ('redo_done', 'redo done at'), ('archive_complete', 'archive recovery complete'),
         ('ready', 'database system is ready to accept connections')]
for line in open(path, errors='replace'):
    mt = ts_re.match(line)
    if not mt:
        continue
    t = datetime.datetime.strptime(mt.group(1), '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc).timestamp()
    ev.setdefault('first', t)
    if 'restored log file' in line:
        restored += 1
        ev.setdefault('first_restored', t)
    for k, s in marks:
        if s in line and k not in ev:
            ev[k] = t
            if k == 'redo_done':
                x = re.search(r'elapsed: ([0-9.]+) s', line)
                if x: print(f'V\t2\t{m}\tredo_elapsed_rep{r}\t{x.group(1)}')
                x = re.search(r'CPU: user: ([0-9.]+) s, system: ([0-9.]+) s', line)
                if x: print(f'V\t2\t{m}\tredo_cpu_rep{r}\t{float(x.group(1)) + float(x.group(2)):.2f}')
print(f'V\t2\t{m}\trestored_files_rep{r}\t{restored}')
for k in ['first', 'first_restored'] + [k for k, _ in marks]:
    if k in ev:
        print(f'V\t2\t{m}\tpglog_{k}_rep{r}\t{ev[k] - t0:.3f}')
PY
  asp $PGBIN/pg_ctl -D $D -m immediate -w stop >> $out 2>&1
  rm -rf $D $D.pgborg-extract-*
  # a background WAL extractor notices its area is gone and stops; the next run must not compete with it
  while pgrep -f "__wal-extract $D/" >/dev/null; do sleep 0.1; done
  [ $m = pgborg_borg ] && repo_owner root:
  return 0
}

# raw REP: pgborg's repository, raw borg: the base alone with 1 and with 2 processes (pgborg's split), the WAL
# archives alone (2 at a time)
raw_run() {
  local r=$1 D=$B/raw-$1 out=$LOGDIR/restore/raw-$1.log
  export BORG_BASE_DIR=$STATE/borg BORG_PASSPHRASE=$PASS BORG_REPO=$REPO BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
  tm 2 raw_list $r $out $HERE/raw.sh list $BASE_ARCHIVE $B/tmp/items.jsonl
  python3 - $B/tmp/items.jsonl $B/tmp/paths1 $B/tmp/excludes $B/tmp/split.txt <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# pgborg's ParallelExtract.Split with 2 workers: worker 0 starts with everything small (bytes + 512 KiB per item),
# files > 1 MiB go largest first to the lighter worker
PER_ITEM = 512 * 1024
big = lambda i: i['type'] == '-' and i['size'] > 1 << 20
buckets = [[sum(i['size'] + PER_ITEM for i in items if not big(i)), []], [0, []]]
for i in sorted((i for i in items if big(i)), key=lambda i: (-i['size'], i['path'])):
    b = min(buckets, key=lambda b: b[0])
    b[0] += i['size'] + PER_ITEM; b[1].append(i['path'])
open(sys.argv[2], 'w').write(''.join(p + '\n' for p in buckets[1][1]))
open(sys.argv[3], 'w').write(''.join('pp:' + p + '\n' for p in buckets[1][1]))
open(sys.argv[4], 'w').write(f"worker 0: weight {buckets[0][0]} (the small items + {len(buckets[0][1])} big files); worker 1: weight {buckets[1][0]} ({len(buckets[1][1])} files: {' '.join(buckets[1][1])}); all regular files: {sum(i['size'] for i in items if i['type'] == '-')} bytes")
PY
  for op in base1 base2 wal; do
    rm -rf $D; mkdir -m 700 $D; sync
    case $op in
      base1) tm 2 raw_base1 $r $out $HERE/raw.sh base1 $BASE_ARCHIVE $D ;;
      base2) tm 2 raw_base2 $r $out $HERE/raw.sh base2 $BASE_ARCHIVE $D $B/tmp/paths1 $B/tmp/excludes ;;
      wal)   tm 2 raw_wal $r $out env BORG_REPO=$WAL_REPO $HERE/raw.sh wal $D $WAL_ARCHIVES ;;
    esac
    tm 2 raw_${op}_sync $r $out sync
    val 2 raw_$op "bytes_rep$r" "$(dub $D)"
  done
  rm -rf $D
  unset BORG_BASE_DIR BORG_PASSPHRASE BORG_REPO
}

log "step 2: $REPS rounds of restores, methods rotating: $METHODS, then raw borg extracts"
read -ra MS <<< "$METHODS"
NM=${#MS[@]}
for r in $(seq 1 $REPS); do
  for j in $(seq 0 $((NM - 1))); do
    m=${MS[$(( (r - 1 + j) % NM ))]}
    restore_run $m $r || log "WARN: $m rep $r failed"
  done
  raw_run $r
done
val 2 raw split "$(cat $B/tmp/split.txt 2>/dev/null)"

# one extra pgcarestore restore (local mode) under a process poller: which borg process runs when
if [ "$PROFILE" = 1 ]; then
  log "step 2: profile run of pgcarestore restore (process timeline)"
  repo_owner root:
  D=$B/restore-profile
  rm -rf $D; sync
  tm 2 pgborg_profile 1 $LOGDIR/restore/profile.log python3 $HERE/../lib/rsspoll.py $LOGDIR/restore/profile.tsv 0.05 -- bash -c "$PGB --config $CONF pgcarestore restore --target-dir $D $TARGET 2>&1 | $HERE/stamp.sh"
  rm -rf $D $D.pgborg-extract-*
fi

# ---------------------------------------------------------------- report
val 9 env loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
val 9 env top_end "$(busiest)"
val 9 env total_s "$(( $(date +%s) - START ))"
val 9 env command "BENCH_DIR=$B$( [ "$SCALE0" != 50 ] && echo " SCALE=$SCALE0")$( [ "$REPS" != 3 ] && echo " REPS=$REPS")$( [ "$WAL_MIN_BYTES" != 1073741824 ] && echo " WAL_MIN_BYTES=$WAL_MIN_BYTES")$( [ "${METHODS0}" != "pgborg pgbr pgborg_borg pgbr_async pgborg_latest" ] && echo " METHODS=\"$METHODS0\"") bash bench/restore/run.sh"
python3 $HERE/report.py $RES "$RESULTS" $B || { log "report failed"; exit 1; }
log "run done in $(( $(date +%s) - START )) s; results in $RESULTS"
