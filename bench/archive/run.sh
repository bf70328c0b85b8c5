#!/bin/bash
# Rerunnable benchmark: pgborg continuous archiving (wal-push, pgcad base backups) against cp + sync,
# a raw `borg create` base backup and pgBackRest.
#   BENCH_DIR=/var/tmp/pgborg-bench-archive bash bench/archive/run.sh
# Wipes and recreates $BENCH_DIR, builds a PostgreSQL 15 cluster with one pgbench database (>= 750 MiB), then:
#   1. wal-push of real 16 MiB segments: pgborg wal-push vs cp + sync vs pgbackrest archive-push (lz4, sync mode)
#   2. full base backup: pgborg pgcad --once --new-cycle (snapshot = direct) vs raw borg create (anchors' script)
#      vs pgbackrest backup --type=full (lz4, process-max=2, start-fast=y); fresh repositories for the Borg ones
#   3. second base after a localized change (1% contiguous UPDATE + 2% appended rows): pgcad --new-cycle vs
#      pgbackrest --type=incr, repository growth; plus (CHUNKERS) pgborg with other chunker parameters, after the
#      same localized change and after a scattered one (one row on every 100th heap page)
# Writes RESULTS.md next to this script (or $RESULTS), raw rows to $BENCH_DIR/results.tsv, logs to $BENCH_DIR/logs/.
# The cluster is stopped and its data directory (and pgborg's spool next to it) removed at the end, even on failure.
# Env: SCALE (50) REPS (3) NSEG (6) CHURN_T (20) PGPORT (55434) PGBORG (binary to copy; default artifacts/publish/pgborg)
#      CHUNKERS ("fixed,8192 buzhash,19,23,21,4095 fixed,65536"; empty skips 3b) MIN_DB_BYTES (786432000 = 750 MiB)
#      KEEP_CLUSTER=1 (skip teardown) RESULTS (output path)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
B=${BENCH_DIR:?set BENCH_DIR to a scratch directory (it is wiped), e.g. /var/tmp/pgborg-bench-archive}
case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
B=${B%/}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SCALE=${SCALE:-50}
SCALE0=$SCALE
REPS=${REPS:-3}
NSEG=${NSEG:-6}
CHURN_T=${CHURN_T:-20}
PGPORT=${PGPORT:-55434}
CHUNKERS=${CHUNKERS-"fixed,8192 buzhash,19,23,21,4095 fixed,65536"}
MIN_DB_BYTES=${MIN_DB_BYTES:-786432000}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
PGBIN=/usr/lib/postgresql/15/bin
PGSOCK=$B/run
PASS=bench-passphrase
LOGDIR=$B/logs
RES=$B/results.tsv
PGB=$B/bin/pgborg
PGDATA=$B/pgdata
SPOOL=$B/pgdata.pgborg-spool
PGLOG=$LOGDIR/pg/postgres.log
PGBR_CONF=$B/pgbackrest.conf
PGBR="pgbackrest --config=$PGBR_CONF --stanza=bench"
export LC_ALL=C
# for borg_basebackup.sh and the raw borg commands
export B PGBIN PGSOCK PGPORT BORG_PASSPHRASE=$PASS BORG_BASE_DIR=$B/borghome-raw BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
START=$(date +%s)

asp() { runuser -u postgres -- "$@"; }
psqlc() { asp $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $PGSOCK -p $PGPORT -d "${DB:-bench}" -c "$1"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOGDIR/run.log >&2; }
val() { printf 'V\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> $RES; }   # V step method key value
dub() { du -sb "$1" 2>/dev/null | cut -f1; }
pborg() { local n=$1; shift; BORG_BASE_DIR=$B/state-$n/borg borg "$@"; }   # borg on pgborg's repo NAME

# tm STEP METHOD REP OUTFILE cmd...  -> T row: step method rep wall user sys maxrss_kb rc loadavg1
# stdout+stderr of cmd are appended to OUTFILE. user/sys/maxrss include all children (GNU time; maxrss = the
# largest single process of the tree).
LAST_WALL=0
tm() {
  local step=$1 method=$2 rep=$3 out=$4; shift 4
  local tf=$B/tmp/time.$$ t0 t1 rc la u s m
  la=$(cut -d' ' -f1 /proc/loadavg)
  echo "=== $(date +%T) step $step $method rep $rep: $*" >> $LOGDIR/commands.log
  t0=$(date +%s.%N)
  /usr/bin/time -f '%e %U %S %M' -o $tf "$@" >>"$out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  read -r _ u s m < <(tail -n1 $tf)
  LAST_WALL=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.3f", b-a}')
  printf 'T\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$step" "$method" "$rep" "$LAST_WALL" "${u:-NA}" "${s:-NA}" "${m:-NA}" "$rc" "$la" >> $RES
  if [ $rc -ne 0 ]; then log "WARN: step $step $method rep $rep exited rc=$rc (see $out)"; fi
  log "step $step $method rep $rep: ${LAST_WALL}s rc=$rc"
  return $rc
}

# ---------------------------------------------------------------- teardown (always)
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    echo "KEEP_CLUSTER=1: cluster left running in $PGDATA (socket $PGSOCK port $PGPORT)" >&2
  else
    if [ -f $PGDATA/postmaster.pid ]; then asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop >> $LOGDIR/postgres-ctl.log 2>&1; fi
    rm -rf $PGDATA $SPOOL $B/walbench $B/walcapture $B/walraw
  fi
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
# a cluster left running by a previous (killed) run of this script: stop it, by its data directory only
if [ -f $PGDATA/postmaster.pid ]; then asp $PGBIN/pg_ctl -D $PGDATA -m fast -w stop || true; fi
rm -rf "$B" "$SPOOL"
mkdir -p $B/logs/pg $B/tmp $B/bin $B/conf $B/run $B/labels $B/pgbr $B/pgbrlog $B/pgbrlock $B/pgbrspool $B/pgbr_pushtest \
  $B/walcapture $B/walraw $B/borghome-raw
trap teardown EXIT
trap 'exit 130' INT TERM
# copy the binary (the developers may be re-publishing it right now: retry until the copy runs)
for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
  cp "$PGBORG_SRC" $PGB && chmod 755 $PGB && $PGB --version >/dev/null 2>&1 && break
  echo "pgborg copy not runnable yet (publish in progress?), retrying in 10 s" >&2; sleep 10
done
$PGB --version >/dev/null 2>&1 || { echo "the copied pgborg does not run: $PGB --version failed" >&2; exit 2; }
cat > $B/bin/both.sh <<EOF
#!/bin/sh
# archive_command for the churn phase of step 3: the WAL goes to pgborg's spool AND pgBackRest's archive.
$PGB wal-push "\$1" || exit 1
exec pgbackrest --config=$PGBR_CONF --stanza=bench archive-push "\$1"
EOF
chmod 755 $B/bin/both.sh
: > $RES
for d in run tmp logs/pg labels pgbr pgbrlog pgbrlock pgbrspool pgbr_pushtest walcapture walraw; do chown postgres: $B/$d; done
chmod 755 $B $B/bin $B/run
log "run start: BENCH_DIR=$B SCALE=$SCALE REPS=$REPS NSEG=$NSEG PGPORT=$PGPORT pgborg=$PGBORG_SRC"

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
# --- bench/archive
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
  [pgbr]="pgbackrest --config=$PGBR_CONF --stanza=bench archive-push %p"
  [both]="$B/bin/both.sh %p"
  [raw]="test ! -f $B/walraw/%f && cp %p $B/walraw/%f"
  [capture]="test ! -f $B/walcapture/%f && cp %p $B/walcapture/%f"
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
  wait_archive 120
  DB=postgres psqlc "ALTER SYSTEM SET archive_command = '${ACMD[$1]}'" >/dev/null || log "WARN: ALTER SYSTEM archive_command $1 failed"
  DB=postgres psqlc "SELECT pg_reload_conf()" >/dev/null
  CUR_ARCHIVE=$1
  sleep 1
  echo "=== $(date +%T) archive_command -> $1: ${ACMD[$1]}" >> $LOGDIR/commands.log
}
pglog_mark() { stat -c %s $PGLOG; }
ckpt_since() { # OFFSET -> "total s" of the checkpoints completed since (comma-separated)
  tail -c +$(( $1 + 1 )) $PGLOG | sed -n 's/.*checkpoint complete:.* total=\([0-9.]*\) s.*/\1/p' | paste -sd, -
}

pginit() { # STEP LABEL: (re)initialise pgbench tables at $SCALE (WAL not archived: archive_command = /bin/true), CHECKPOINT
  set_archive none
  tm $1 pgbench_init $2 $LOGDIR/pgbench-init.log runuser -u postgres -- $PGBIN/pgbench -h $PGSOCK -p $PGPORT -i -s $SCALE bench || { log "pgbench -i failed"; exit 1; }
  psqlc "CHECKPOINT" >/dev/null
  wait_archive 120
}
pginit 0 1
DBSIZE=$(psqlc "SELECT pg_database_size('bench')")
while [ "$DBSIZE" -lt "$MIN_DB_BYTES" ]; do
  log "pg_database_size(bench) = $DBSIZE < $MIN_DB_BYTES at scale $SCALE: raising the scale by 5"
  SCALE=$((SCALE + 5))
  pginit 0 1
  DBSIZE=$(psqlc "SELECT pg_database_size('bench')")
done
val 0 env scale "$SCALE"
val 0 env db_size_bytes "$DBSIZE"
val 0 env accounts_rows "$(psqlc "SELECT count(*) FROM pgbench_accounts")"

# WAL sample: a short pgbench run with archive_command = cp into walcapture/
log "step 0: pgbench -T $CHURN_T -c 2 for real WAL segments"
set_archive capture
asp $PGBIN/pgbench -h $PGSOCK -p $PGPORT -T $CHURN_T -c 2 bench > $LOGDIR/0-pgbench-walsample.log 2>&1
val 0 walsample tps "$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' $LOGDIR/0-pgbench-walsample.log)"
psqlc "SELECT pg_switch_wal()" >/dev/null
wait_archive 120
set_archive none
psqlc "CHECKPOINT" >/dev/null
val 0 env db_size_after_sample "$(psqlc "SELECT pg_database_size('bench')")"
val 0 env pgdata_bytes "$(dub $PGDATA)"
val 0 env pgwal_bytes "$(dub $PGDATA/pg_wal)"

# ---------------------------------------------------------------- step 1: wal-push per segment
log "step 1: wal-push of $NSEG segments x $REPS reps: pgborg vs cp+sync vs pgbackrest archive-push"
# full 16 MiB segments from the middle of the capture whose last 64 KiB are not all zero (really written through)
cands=$(ls $B/walcapture | grep -E '^[0-9A-F]{24}$' | sort | while read -r s; do
  [ "$(stat -c %s $B/walcapture/$s)" = 16777216 ] && [ "$(tail -c 65536 $B/walcapture/$s | tr -d '\0' | head -c 1 | wc -c)" = 1 ] && echo $s; done)
ncand=$(echo "$cands" | grep -c .)
segs=$(echo "$cands" | tail -n +$(( ncand > NSEG ? (ncand - NSEG) / 2 + 1 : 1 )) | head -n $NSEG)
val 1 walsample captured "$(ls $B/walcapture | grep -cE '^[0-9A-F]{24}$')"
val 1 walsample segments "$(echo $segs | tr ' ' ,)"
WB=$B/walbench
mkdir -p $WB/data/global $WB/data/pg_wal $WB/data.pgborg-spool/20260101T000000Z $WB/cpspool
cp $PGDATA/PG_VERSION $WB/data/; cp $PGDATA/global/pg_control $WB/data/global/
for s in $segs; do cp $B/walcapture/$s $WB/data/pg_wal/; done
chown -R postgres: $WB; chmod 700 $WB/data.pgborg-spool $WB/data.pgborg-spool/20260101T000000Z
rm -rf $B/walcapture
asp $PGBR --repo1-path=$B/pgbr_pushtest stanza-create >> $LOGDIR/1-pushtest.log 2>&1 || log "WARN pushtest stanza-create failed"
nseg=$(echo $segs | wc -w)
[ "$nseg" -ge 1 ] || { log "no WAL segments captured"; exit 1; }
sync
asp $HERE/walbench.sh $B/tmp/walbench.tsv $REPS $WB $PGB $PGBR_CONF $B/pgbr_pushtest $segs 2>> $LOGDIR/1-walbench.log
cat $B/tmp/walbench.tsv >> $RES
cp $WB/*.log $LOGDIR/ 2>/dev/null; for f in $WB/*.log; do mv -f $LOGDIR/$(basename $f) $LOGDIR/1-$(basename $f) 2>/dev/null; done
for m in pgborg cp_sync pgbr; do
  log "step 1 $m: median $(awk -F'\t' -v m=$m '$3==m{print $5}' $B/tmp/walbench.tsv | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') s over $(awk -F'\t' -v m=$m '$3==m' $B/tmp/walbench.tsv | wc -l) calls, rc!=0: $(awk -F'\t' -v m=$m '$3==m && $9!=0' $B/tmp/walbench.tsv | wc -l)"
done
# what pgBackRest stores for the sample (lz4): push every segment once more, untimed
for s in $segs; do asp $PGBR --repo1-path=$B/pgbr_pushtest archive-push $WB/data/pg_wal/$s >> $LOGDIR/1-pushtest.log 2>&1; done
val 1 pgbr stored_bytes "$(find $B/pgbr_pushtest/archive/bench -type f -name '0*' -printf '%s\n' | awk '{t+=$1} END{print t+0}')"
val 1 walsample bytes "$(cat $WB/data/pg_wal/* | wc -c)"

# ---------------------------------------------------------------- helpers for the base backups
mkconf() { # NAME [CHUNKER] -> $B/conf/NAME.toml
  cat > $B/conf/$1.toml <<CONF
state_directory = "$B/state-$1"
[discovery]
debian = false
systemd = false
[instances.main]
data_directory = "$PGDATA"
port = $PGPORT
socket_directory = "$PGSOCK"
[archive]
repository = "$B/repo-$1"
passphrase = "$PASS"
snapshot = "direct"
ingest_interval = "10s"
CONF
  if [ -n "${2:-}" ]; then echo "chunker_params = \"$2\"" >> $B/conf/$1.toml; fi
  chmod 600 $B/conf/$1.toml
}
# wipe pgborg's state, repository and the spool (drained first), pre-initialise the repository (repokey-blake2,
# what pgborg itself would do; not timed, as for the raw borg repository)
fresh_pgborg() { # NAME [CHUNKER]
  wait_archive 60
  rm -rf $B/state-$1 $B/repo-$1 $SPOOL
  mkconf "$@"
  mkdir -p -m 700 $B/state-$1
  BORG_BASE_DIR=$B/state-$1/borg borg init -e repokey-blake2 $B/repo-$1 >> $LOGDIR/borg-init.log 2>&1 || { log "borg init $1 failed"; exit 1; }
}
# record pgborg's base line: "main: base backup of cycle C stored (M): X read, Y compressed, Z new in the repository, WAL A..B, S s"
base_line() { # STEP METHOD REP LOGFILE
  local l
  l=$(sed -n 's/.*: base backup of cycle \([0-9TZ]*\) stored (\([a-z]*\)): \(.*\) read, \(.*\) compressed, \(.*\) new in the repository, WAL \(.*\), \([0-9.]*\) s$/\1|\2|\3|\4|\5|\6|\7/p' "$4" | tail -1)
  val $1 $2 "base_rep$3" "${l:-NA}"
  val $1 $2 "walbatches_rep$3" "$(grep -c 'archived [0-9]* WAL files' "$4")"
  local bad
  bad=$(grep -E '(^| )(fail|warn|crit): ' "$4" | head -3 | tr '\n' ' ')
  [ -n "$bad" ] && val $1 $2 "problems_rep$3" "$bad"
  return 0
}
run_pgcad() { # STEP METHOD REP NAME [--new-cycle] -> log $LOGDIR/STEP-METHOD-REP.log
  local st=$1 m=$2 r=$3 n=$4; shift 4
  local lf=$LOGDIR/$st-$m-$r.log off
  : > $lf
  sync
  off=$(pglog_mark)
  tm $st $m $r $lf $PGB --config $B/conf/$n.toml pgcad --once "$@"
  local rc=$?
  base_line $st $m $r $lf
  val $st $m "ckpt_rep$r" "$(ckpt_since $off)"
  return $rc
}
latest_set() { ls $B/pgbr/backup/bench | grep -E "$1" | sort | tail -1; }
run_pgbr() { # STEP METHOD REP TYPE
  local st=$1 m=$2 r=$3 t=$4 off set_ T
  sync
  off=$(pglog_mark)
  tm $st $m $r $LOGDIR/$st-$m.log runuser -u postgres -- $PGBR --type=$t --compress-type=lz4 --process-max=2 --start-fast=y backup
  local rc=$?
  val $st $m "ckpt_rep$r" "$(ckpt_since $off)"
  if [ $t = full ]; then set_=$(latest_set '^[0-9]{8}-[0-9]{6}F$'); else T=$(echo ${t:0:1} | tr a-z A-Z); set_=$(latest_set "^[0-9]{8}-[0-9]{6}F_[0-9]{8}-[0-9]{6}$T\$"); fi
  val $st $m "set_rep$r" "${set_:-NA}"
  val $st $m "set_bytes_rep$r" "$( [ -n "$set_" ] && dub $B/pgbr/backup/bench/$set_ || echo NA)"
  return $rc
}
bjson() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))["archive"]["stats"]
print(d["original_size"],d["compressed_size"],d["deduplicated_size"],d["nfiles"])' "$1" 2>/dev/null || echo "NA NA NA NA"; }
run_raw() { # STEP METHOD REP
  local st=$1 m=$2 r=$3 json=$LOGDIR/$1-$2-$3.json off
  rm -rf $B/repo-raw; rm -f $B/walraw/*
  borg init -e repokey-blake2 $B/repo-raw >> $LOGDIR/borg-init.log 2>&1 || { log "borg init raw failed"; exit 1; }
  sync
  off=$(pglog_mark)
  tm $st $m $r $LOGDIR/$st-$m.log $HERE/borg_basebackup.sh $B/repo-raw base1 $json
  local rc=$?
  val $st $m "ckpt_rep$r" "$(ckpt_since $off)"
  val $st $m "create_wall_rep$r" "$(cat $B/tmp/bb.create_wall 2>/dev/null)"
  val $st $m "stats_rep$r" "$(bjson $json)"
  val $st $m "repo_bytes_rep$r" "$(dub $B/repo-raw)"
  return $rc
}

# ---------------------------------------------------------------- step 2: full base backup
log "step 2: full base backup, $REPS alternating reps: pgborg pgcad vs raw borg create vs pgbackrest full"
val 2 env db_size_bytes "$(psqlc "SELECT pg_database_size('bench')")"
methods=(A B C)
for r in $(seq 1 $REPS); do
  for j in 0 1 2; do
    case ${methods[$(( (r - 1 + j) % 3 ))]} in
      A) set_archive pgborg; fresh_pgborg main
         run_pgcad 2 pgborg $r main --new-cycle
         val 2 pgborg "repo_bytes_rep$r" "$(dub $B/repo-main)" ;;
      B) set_archive raw; run_raw 2 borg_raw $r ;;
      C) set_archive pgbr; run_pgbr 2 pgbr_full $r full ;;
    esac
  done
done
# one extra pgborg run under a process poller (every 0.05 s): which child runs when (not part of the comparison)
log "step 2: profile run of pgcad --once --new-cycle (process timeline)"
set_archive pgborg; fresh_pgborg prof
lf=$LOGDIR/2-pgborg_profile-1.log; : > $lf; sync; off=$(pglog_mark)
tm 2 pgborg_profile 1 $lf python3 $HERE/../lib/rsspoll.py $LOGDIR/2-profile.tsv 0.05 -- $PGB --config $B/conf/prof.toml pgcad --once --new-cycle
base_line 2 pgborg_profile 1 $lf
val 2 pgborg_profile ckpt_rep1 "$(ckpt_since $off)"
tail -c +$((off + 1)) $PGLOG > $LOGDIR/2-profile-postgres.log
rm -rf $B/repo-prof $B/state-prof $B/repo-raw

# ---------------------------------------------------------------- step 3: second base after a localized change
NROWS0=$(psqlc "SELECT count(*) FROM pgbench_accounts")
churn() { # STEP REP: 1% contiguous UPDATE (a different range each rep) + 2% appended rows, CHECKPOINT
  local st=$1 r=$2 n x t0
  n=$(psqlc "SELECT count(*) FROM pgbench_accounts")
  x=$(( NROWS0 / 2 + (r - 1) * NROWS0 / 10 ))
  t0=$(date +%s.%N)
  val $st churn "sql_rep$r" "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN $x AND $x + $n/100; INSERT $((n / 50)) rows aid > max(aid); CHECKPOINT"
  psqlc "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN $x AND $x + $n/100" > $B/tmp/upd.out || log "WARN churn update failed"
  psqlc "INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT m.mx + g, 1 + (g % $SCALE), 0, '' FROM generate_series(1, $((n / 50))) g, (SELECT max(aid) AS mx FROM pgbench_accounts) m" > $B/tmp/ins.out || log "WARN churn insert failed"
  psqlc "CHECKPOINT" >/dev/null
  val $st churn "updated_rep$r" "$(sed -n 's/^UPDATE //p' $B/tmp/upd.out)"
  val $st churn "inserted_rep$r" "$(sed -n 's/^INSERT 0 //p' $B/tmp/ins.out)"
  val $st churn "secs_rep$r" "$(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN{printf "%.1f", b-a}')"
  val $st churn "db_size_rep$r" "$(psqlc "SELECT pg_database_size('bench')")"
}
pgborg_second() { # STEP METHOD REP NAME: ingest the churn WAL (pgcad --once), then the timed --new-cycle base
  local st=$1 m=$2 r=$3 n=$4 a0 a1 a2
  set_archive pgborg
  a0=$(dub $B/repo-$n)
  run_pgcad $st ${m}_ingest $r $n
  grep -q 'starting cycle' $LOGDIR/$st-${m}_ingest-$r.log && val $st $m "note_rep$r" "the ingest-only round started a cycle"
  a1=$(dub $B/repo-$n)
  run_pgcad $st $m $r $n --new-cycle
  a2=$(dub $B/repo-$n)
  val $st $m "repo_before_ingest_rep$r" "$a0"; val $st $m "repo_before_rep$r" "$a1"; val $st $m "repo_after_rep$r" "$a2"
}
borg_repo_info() { # STEP METHOD NAME: unique chunks etc. + chunks cache size
  pborg $3 info $B/repo-$3 > $LOGDIR/$1-$2-borginfo.txt 2>&1
  val $1 $2 chunks "$(sed -n 's/^Chunk index:[[:space:]]*\([0-9]*\)[[:space:]]*\([0-9]*\).*/\1 \2/p' $LOGDIR/$1-$2-borginfo.txt)"
  val $1 $2 all_archives "$(sed -n 's/^All archives:[[:space:]]*//p' $LOGDIR/$1-$2-borginfo.txt | tr -s ' ')"
  val $1 $2 chunks_cache_bytes "$(find $B/state-$3/borg -path '*/.cache/borg/*/chunks' -printf '%s\n' 2>/dev/null | head -1)"
}

log "step 3: first bases (pgborg fresh repo, pgBackRest full), then $REPS x (localized churn -> second base in each)"
set_archive pgborg; fresh_pgborg m3
run_pgcad 3 pgborg_base1 1 m3 --new-cycle
val 3 pgborg_base1 repo_bytes "$(dub $B/repo-m3)"
set_archive pgbr
run_pgbr 3 pgbr_full1 1 full
val 3 pgbr_full1 repo_bytes "$(dub $B/pgbr)"
for r in $(seq 1 $REPS); do
  set_archive both   # the churn's WAL reaches both tools
  p0=$(dub $B/repo-m3); q0=$(dub $B/pgbr)
  val 3 pgborg "repo_before_churn_rep$r" "$p0"; val 3 pgbr_incr "repo_before_churn_rep$r" "$q0"
  churn 3 $r
  wait_archive 120
  if [ $((r % 2)) = 1 ]; then order="A C"; else order="C A"; fi
  for mth in $order; do
    case $mth in
      A) pgborg_second 3 pgborg $r m3 ;;
      C) set_archive pgbr
         q1=$(dub $B/pgbr)
         run_pgbr 3 pgbr_incr $r incr
         val 3 pgbr_incr "repo_before_rep$r" "$q1"; val 3 pgbr_incr "repo_after_rep$r" "$(dub $B/pgbr)"
         val 3 pgbr_incr "archive_bytes_rep$r" "$(dub $B/pgbr/archive)" ;;
    esac
  done
done
borg_repo_info 3 pgborg m3
asp $PGBR info > $LOGDIR/3-pgbr-info.txt 2>&1
pborg m3 list $B/repo-m3 > $LOGDIR/3-pgborg-archives.txt 2>&1

# ---------------------------------------------------------------- step 3b: chunker parameters (pgborg only)
i=0
for ck in $CHUNKERS; do
  i=$((i+1))
  name=ck$i
  log "step 3b: chunker_params = $ck (re-initialised data, base1, churn, base2)"
  val 3b $name chunker "$ck"
  pginit 3b $i
  set_archive pgborg; fresh_pgborg $name $ck
  run_pgcad 3b ${name}_base1 1 $name --new-cycle
  val 3b ${name}_base1 repo_bytes "$(dub $B/repo-$name)"
  borg_repo_info 3b ${name}_base1 $name
  NROWS0=$(psqlc "SELECT count(*) FROM pgbench_accounts")
  churn 3b $i
  wait_archive 120
  pgborg_second 3b $name 1 $name
  # then a scattered change: one row on every 100th heap page of pgbench_accounts (1% of its pages, spread evenly)
  t0=$(date +%s.%N)
  psqlc "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE ctid = ANY (ARRAY(SELECT format('(%s,1)', b)::tid FROM generate_series(0, (pg_relation_size('pgbench_accounts') / 8192)::int - 1, 100) b))" > $B/tmp/upd.out || log "WARN scattered update failed"
  psqlc "CHECKPOINT" >/dev/null
  val 3b scatter "updated_rep$i" "$(sed -n 's/^UPDATE //p' $B/tmp/upd.out)"
  val 3b scatter "heap_pages_rep$i" "$(psqlc "SELECT pg_relation_size('pgbench_accounts') / 8192")"
  val 3b scatter "secs_rep$i" "$(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN{printf "%.1f", b-a}')"
  wait_archive 120
  pgborg_second 3b ${name}_scat 1 $name
  borg_repo_info 3b $name $name
  rm -rf $B/repo-$name $B/state-$name
done

# ---------------------------------------------------------------- report
val 9 env loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
val 9 env total_s "$(( $(date +%s) - START ))"
val 9 env command "BENCH_DIR=$B$( [ "$SCALE0" != 50 ] && echo " SCALE=$SCALE0")$( [ "$REPS" != 3 ] && echo " REPS=$REPS")$( [ "$NSEG" != 6 ] && echo " NSEG=$NSEG")$( [ "$CHUNKERS" != "fixed,8192 buzhash,19,23,21,4095 fixed,65536" ] && echo " CHUNKERS=\"$CHUNKERS\"") bash bench/archive/run.sh"
python3 $HERE/report.py $RES "$RESULTS" $B || { log "report failed"; exit 1; }
log "run done in $(( $(date +%s) - START )) s; results in $RESULTS"
