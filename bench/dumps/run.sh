#!/bin/bash
# Rerunnable benchmark: pgborg pgdumpd vs a hand-made `pg_dump | borg create` pipeline.
#   BENCH_DIR=/var/tmp/pgborg-bench-dumps bash bench/dumps/run.sh
# Wipes and recreates $BENCH_DIR, builds a PostgreSQL 15 cluster with one pgbench database
# (>= 1 GiB), then measures: first-dump wall time (pgborg vs pipeline), pgborg's own peak RSS,
# repository growth after localized and uniform-random churn. Writes RESULTS.md next to this
# script (or $RESULTS), raw rows to $BENCH_DIR/results.tsv, logs to $BENCH_DIR/logs/.
# The cluster is stopped and its data directory removed at the end, even on failure.
# Env: SCALE (70) REPS (3) PGPORT (55433) PGBORG (binary to copy; default artifacts/publish/pgborg)
#      KEEP_CLUSTER=1 (skip teardown) RESULTS (output path) MIN_DB_BYTES (1073741824)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
B=${BENCH_DIR:?set BENCH_DIR to a scratch directory (it is wiped), e.g. /var/tmp/pgborg-bench-dumps}
case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
B=${B%/}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SCALE=${SCALE:-70}
SCALE0=$SCALE
REPS=${REPS:-3}
PGPORT=${PGPORT:-55433}
MIN_DB_BYTES=${MIN_DB_BYTES:-1073741824}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
PGBIN=/usr/lib/postgresql/15/bin
PGSOCK=$B/run
PASS=bench-passphrase
LOGDIR=$B/logs
RES=$B/results.tsv
PGB=$B/bin/pgborg
export LC_ALL=C
START=$(date +%s)

asp() { runuser -u postgres -- "$@"; }
psqlc() { asp $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $PGSOCK -p $PGPORT -d "${DB:-bench}" -c "$1"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOGDIR/run.log >&2; }
val() { printf 'V\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> $RES; }   # V step method key value
dub() { du -sb "$1" 2>/dev/null | cut -f1; }
rborg() { BORG_BASE_DIR=$B/borghome-raw BORG_PASSPHRASE=$PASS borg "$@"; }

# tm STEP METHOD REP OUTFILE cmd...  -> T row: step method rep wall user sys maxrss_kb rc loadavg1
# stdout+stderr of cmd are appended to OUTFILE. user/sys/maxrss include all children (GNU time).
LAST_WALL=0
tm() {
  local step=$1 method=$2 rep=$3 out=$4; shift 4
  local tf=$B/tmp/time.$$ t0 t1 rc la u s m
  la=$(cut -d' ' -f1 /proc/loadavg)
  echo "=== $(date +%T) rep $rep: $*" >> $LOGDIR/commands.log
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
BGPID=
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$BGPID" ] && kill "$BGPID" 2>/dev/null
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    echo "KEEP_CLUSTER=1: cluster left running in $B/pgdata (socket $PGSOCK port $PGPORT)" >&2
  else
    if [ -f $B/pgdata/postmaster.pid ]; then asp $PGBIN/pg_ctl -D $B/pgdata -m fast -w stop >> $LOGDIR/postgres-ctl.log 2>&1; fi
    rm -rf $B/pgdata
  fi
  echo "[$(date +%T)] teardown done (exit $rc); logs in $LOGDIR" >&2
  exit $rc
}

# ---------------------------------------------------------------- setup
command -v borg >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y borgbackup; }
[ -x $PGBIN/pgbench ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 postgresql-contrib-15; }
[ -x /usr/bin/time ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y time; }
id postgres >/dev/null 2>&1 || useradd -r -m -d /var/lib/postgresql -s /bin/bash postgres
[ -x "$PGBORG_SRC" ] || { echo "pgborg binary not found: $PGBORG_SRC (publish it first, or set PGBORG=...)" >&2; exit 2; }
# a cluster left running by a previous (killed) run of this script: stop it, by its data directory only
if [ -f $B/pgdata/postmaster.pid ]; then asp $PGBIN/pg_ctl -D $B/pgdata -m fast -w stop || true; fi
rm -rf "$B"
mkdir -p $B/logs $B/tmp $B/bin $B/conf $B/rss $B/run
trap teardown EXIT
trap 'exit 130' INT TERM
# copy the binary (the developers may be re-publishing it right now: retry until the copy runs)
for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
  cp "$PGBORG_SRC" $PGB && chmod 755 $PGB && $PGB --version >/dev/null 2>&1 && break
  echo "pgborg copy not runnable yet (publish in progress?), retrying in 10 s" >&2; sleep 10
done
$PGB --version >/dev/null 2>&1 || { echo "the copied pgborg does not run: $PGB --version failed" >&2; exit 2; }
: > $RES
mkdir -p $LOGDIR/pg; for d in run tmp logs/pg; do chown postgres: $B/$d; done
chmod 755 $B $B/run
log "run start: BENCH_DIR=$B SCALE=$SCALE REPS=$REPS PGPORT=$PGPORT pgborg=$PGBORG_SRC"

# ---------------------------------------------------------------- step 0: environment
val 0 env cpu "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
val 0 env cores "$(nproc)"
val 0 env mem_gib "$(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo)"
val 0 env kernel "$(uname -r)"
val 0 env os "$(. /etc/os-release; echo "$PRETTY_NAME")"
val 0 env fs "$(findmnt -no FSTYPE,SOURCE -T $B | tr -s ' ')"
val 0 env borg "$(borg --version)"
val 0 env postgres "$($PGBIN/postgres --version)"
val 0 env pgborg_version "$($PGB --version 2>&1 | head -1)"
val 0 env pgborg_sha256 "$(sha256sum $PGB | cut -c1-16)"
val 0 env pgborg_mtime "$(date -u -r "$PGBORG_SRC" '+%Y-%m-%d %H:%M:%S UTC')"
val 0 env git_head "$(git -C $REPO_ROOT log -1 --format='%h %s' 2>/dev/null | cut -c1-80)"
val 0 env loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- step 1: cluster
log "step 1: cluster + pgbench -i"
mkdir -m 700 $B/pgdata && chown postgres: $B/pgdata
asp $PGBIN/initdb -D $B/pgdata -U postgres --auth=trust -E UTF8 --locale=C >> $LOGDIR/initdb.log 2>&1 || { log "initdb failed"; exit 1; }
cat >> $B/pgdata/postgresql.conf <<CONF
# --- bench/dumps
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$PGSOCK'
max_wal_size = 4GB
CONF
asp $PGBIN/pg_ctl -D $B/pgdata -l $LOGDIR/pg/postgres.log -w start >> $LOGDIR/postgres-ctl.log 2>&1 || { log "pg start failed"; exit 1; }
DB=postgres psqlc "CREATE DATABASE bench" >/dev/null || { log "createdb failed"; exit 1; }
pginit() { # STEP LABEL: (re)initialise pgbench tables at $SCALE (drops existing ones), then CHECKPOINT
  tm $1 pgbench_init $2 $LOGDIR/pgbench-init.log runuser -u postgres -- $PGBIN/pgbench -h $PGSOCK -p $PGPORT -i -s $SCALE bench || { log "pgbench -i failed"; exit 1; }
  psqlc "CHECKPOINT" >/dev/null
}
pginit 1 1
DBSIZE=$(psqlc "SELECT pg_database_size('bench')")
while [ "$DBSIZE" -lt "$MIN_DB_BYTES" ]; do
  log "pg_database_size(bench) = $DBSIZE < $MIN_DB_BYTES at scale $SCALE: raising the scale by 10"
  SCALE=$((SCALE + 10))
  pginit 1 1
  DBSIZE=$(psqlc "SELECT pg_database_size('bench')")
done
val 1 env scale "$SCALE"
val 1 env db_size_bytes "$DBSIZE"
val 1 env accounts_rows "$(psqlc "SELECT count(*) FROM pgbench_accounts")"
val 1 env databases "$(DB=postgres psqlc "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database")"
val 1 env postgres_db_bytes "$(psqlc "SELECT pg_database_size('postgres')")"
log "bench database: $DBSIZE bytes at scale $SCALE"

# ---------------------------------------------------------------- helpers for the two methods
# pgborg: per-name config, state dir and repository
mkconf() { # NAME -> $B/conf/NAME.toml
  cat > $B/conf/$1.toml <<CONF
state_directory = "$B/state-$1"
[discovery]
debian = false
systemd = false
[instances.main]
data_directory = "$B/pgdata"
port = $PGPORT
socket_directory = "$PGSOCK"
[dump]
repository = "$B/repo-$1"
passphrase = "$PASS"
CONF
  chmod 600 $B/conf/$1.toml
}
fresh_pgborg() { # NAME [noinit]: wipe its state + repo; pre-initialise the repo (repokey-blake2) unless noinit
  rm -rf $B/state-$1 $B/repo-$1
  mkconf $1
  if [ "${2:-}" != noinit ]; then
    mkdir -p -m 700 $B/state-$1
    BORG_BASE_DIR=$B/state-$1/borg BORG_PASSPHRASE=$PASS borg init -e repokey-blake2 $B/repo-$1 >> $LOGDIR/borg-init.log 2>&1 \
      || { log "borg init $1 failed"; exit 1; }
  fi
}
fresh_raw() { # NAME: wipe + init the raw pipeline's repository
  rm -rf $B/repo-$1
  rborg init -e repokey-blake2 $B/repo-$1 >> $LOGDIR/borg-init.log 2>&1 || { log "borg init $1 failed"; exit 1; }
}
# the hand-made pipeline; JSON stats of borg create on stdout
RAWPIPE='set -o pipefail; runuser -u postgres -- '$PGBIN'/pg_dump -Fc -Z0 -h '$PGSOCK' -p '$PGPORT' -d bench | BORG_BASE_DIR='$B'/borghome-raw BORG_PASSPHRASE='$PASS' borg create --json --compression lz4 --files-cache disabled --stdin-name bench.pgsql "$0::$1" -'
# (context only) the same with a `cat` relay in the middle, i.e. one extra copy through a plain process
# (cat's own CPU is written to $B/tmp/cat.time by GNU time: "wall user sys")
# (context) the same three archives a pgdumpd round stores (globals, `postgres`, `bench`), by hand, one after the
# other, as a cron script would; no listing or pruning (pgborg does both), so this favours the script
RAWROUND='set -o pipefail; export BORG_BASE_DIR='$B'/borghome-raw BORG_PASSPHRASE='$PASS'; runuser -u postgres -- '$PGBIN'/pg_dumpall --globals-only -h '$PGSOCK' -p '$PGPORT' | borg create --compression lz4 --files-cache disabled --stdin-name globals.sql "$0::g-$1" - \
 && runuser -u postgres -- '$PGBIN'/pg_dump -Fc -Z0 -h '$PGSOCK' -p '$PGPORT' -d postgres | borg create --compression lz4 --files-cache disabled --stdin-name postgres.pgsql "$0::p-$1" - \
 && runuser -u postgres -- '$PGBIN'/pg_dump -Fc -Z0 -h '$PGSOCK' -p '$PGPORT' -d bench | borg create --json --compression lz4 --files-cache disabled --stdin-name bench.pgsql "$0::$1" -'
RAWPIPE_CAT=${RAWPIPE/ | BORG_BASE_DIR/ | /usr/bin/time -f \"%e %U %S\" -o $B/tmp/cat.time cat | BORG_BASE_DIR}
run_raw() { # STEP METHOD REP REPONAME ARCHIVE -> json in $LOGDIR/STEP-METHOD-REP.json ($PIPE overrides the pipeline)
  local json=$LOGDIR/$1-$2-$3.json
  : > $json
  tm $1 $2 $3 $LOGDIR/$1-$2.log bash -c "${PIPE:-$RAWPIPE} > $json" $B/repo-$4 $5
  local rc=$?
  val $1 $2 "stats_rep$3" "$(/usr/bin/python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))["archive"]["stats"]
print(d["original_size"],d["compressed_size"],d["deduplicated_size"])' $json 2>/dev/null || echo NA NA NA)"
  return $rc
}
# record pgborg's "dumped ... into ...: X read, Y new in the repository, Z s" lines from one run's log
pgborg_lines() { # STEP METHOD REP LOGFILE
  local what
  for what in globals "database postgres" "database bench"; do
    local key=${what##* }
    local l
    l=$(sed -n "s/.*: dumped $what into [^:]*: \(.*\) \(read\|dumped\), \(.*\) new in the repository, \([0-9.]*\) s\$/\1|\3|\4/p" "$4" | tail -1)
    val $1 $2 "line_${key}_rep$3" "${l:-NA}"
  done
  val $1 $2 "round_rep$3" "$(sed -n 's/.*dump round finished: \(.*\)$/\1/p' "$4" | tail -1)"
  local bad
  bad=$(grep -E '(^| )(fail|warn|crit): ' "$4" | head -3 | tr '\n' ' ')
  [ -n "$bad" ] && val $1 $2 "problems_rep$3" "$bad"
  return 0
}
run_pgborg() { # STEP METHOD REP NAME -> per-run log $LOGDIR/STEP-METHOD-REP.log
  local lf=$LOGDIR/$1-$2-$3.log
  : > $lf
  tm $1 $2 $3 $lf $PGB --config $B/conf/$4.toml pgdumpd --once
  local rc=$?
  pgborg_lines $1 $2 $3 $lf
  return $rc
}

# ---------------------------------------------------------------- step 2: first dump, alternating
log "step 2: first dump into a fresh repo, pgborg vs pipeline, $REPS reps"
mkdir -p $B/borghome-raw
# warm-up (page cache, first-touch) - timed but not part of the comparison
tm 2 warmup_pg_dump_devnull 1 $LOGDIR/2-warmup.log bash -c "set -o pipefail; runuser -u postgres -- $PGBIN/pg_dump -Fc -Z0 -h $PGSOCK -p $PGPORT -d bench | wc -c > $B/tmp/streamsize"
val 2 env dump_stream_bytes "$(cat $B/tmp/streamsize)"
for r in $(seq 1 $REPS); do
  if [ $((r % 2)) = 1 ]; then order="A B E C D"; else order="E B A C D"; fi
  for m in $order; do
    case $m in
      A) fresh_pgborg first; run_pgborg 2 pgborg $r first
         val 2 pgborg "repo_bytes_rep$r" "$(dub $B/repo-first)" ;;
      B) fresh_raw rawfirst; run_raw 2 pipeline $r rawfirst x
         val 2 pipeline "repo_bytes_rep$r" "$(dub $B/repo-rawfirst)" ;;
      D) fresh_raw rawcat; rm -f $B/tmp/cat.time; PIPE=$RAWPIPE_CAT run_raw 2 pipeline_cat $r rawcat x
         val 2 pipeline_cat "cat_time_rep$r" "$(tail -n1 $B/tmp/cat.time 2>/dev/null)" ;;
      E) fresh_raw rawround; PIPE=$RAWROUND run_raw 2 pipeline_round $r rawround x ;;
      C) tm 2 pg_dump_devnull $r $LOGDIR/2-pg_dump_devnull.log bash -c "set -o pipefail; runuser -u postgres -- $PGBIN/pg_dump -Fc -Z0 -h $PGSOCK -p $PGPORT -d bench > /dev/null" ;;
    esac
  done
done
# (extra) one run where pgborg has to initialise the missing repository itself
fresh_pgborg selfinit noinit
run_pgborg 2 pgborg_selfinit 1 selfinit
rm -rf $B/repo-selfinit $B/state-selfinit $B/repo-rawcat $B/repo-rawround

# ---------------------------------------------------------------- step 3: peak RSS of pgborg itself
log "step 3: peak RSS (VmHWM polled every 0.1 s), $REPS reps"
for r in $(seq 1 $REPS); do
  fresh_pgborg rss
  lf=$LOGDIR/3-pgborg_rss-$r.log
  tm 3 pgborg_rss $r $lf /usr/bin/python3 $HERE/../lib/rsspoll.py $B/rss/rss-$r.tsv 0.1 -- $PGB --config $B/conf/rss.toml pgdumpd --once
  pgborg_lines 3 pgborg_rss $r $lf
  if [ -s $B/rss/rss-$r.tsv ]; then
    val 3 pgborg_rss "self_rep$r" "$(grep '^self\s' $B/rss/rss-$r.tsv | cut -f2- | tr '\t' ' ')"
    val 3 pgborg_rss "selfio_rep$r" "$(grep '^selfio' $B/rss/rss-$r.tsv | cut -f2- | tr '\t' ' ')"
    # peak of borg (python) and pg_dump children, for context
    val 3 pgborg_rss "borg_hwm_kb_rep$r" "$(awk -F'\t' '$1=="child" && $8 ~ /borg/ {if($3>m)m=$3} END{print m+0}' $B/rss/rss-$r.tsv)"
    val 3 pgborg_rss "pg_dump_hwm_kb_rep$r" "$(awk -F'\t' '$1=="child" && $8 ~ /pg_dump /{if($3>m)m=$3} END{print m+0}' $B/rss/rss-$r.tsv)"
  fi
done
rm -rf $B/repo-rss $B/state-rss

# ---------------------------------------------------------------- step 4: deduplication after churn
NROWS=$(psqlc "SELECT count(*) FROM pgbench_accounts")
churn_phase() { # STEP KIND(localized|random)
  local st=$1 kind=$2 pg=pgb_$2 raw=raw_$2 b0 b1
  fresh_pgborg $pg; fresh_raw $raw
  # dump 1 of the original data
  b0=$(dub $B/repo-$pg); run_pgborg $st pgborg_dump1 1 $pg; b1=$(dub $B/repo-$pg)
  val $st pgborg_dump1 repo_before "$b0"; val $st pgborg_dump1 repo_after "$b1"
  b0=$(dub $B/repo-$raw); run_raw $st pipeline_dump1 1 $raw dump1; b1=$(dub $B/repo-$raw)
  val $st pipeline_dump1 repo_before "$b0"; val $st pipeline_dump1 repo_after "$b1"
  # churn
  local t0=$(date +%s.%N)
  if [ $kind = localized ]; then
    local n1=$((NROWS / 100)) x=$((NROWS / 2))
    val $st churn sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN $x AND $((x + n1 - 1)); INSERT $n1 rows with aid > max(aid); VACUUM"
    psqlc "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN $x AND $((x + n1 - 1))" > $B/tmp/upd.out || log "WARN churn update failed"
    psqlc "INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT m.mx + g, 1 + (g % $SCALE), 0, '' FROM generate_series(1, $n1) g, (SELECT max(aid) AS mx FROM pgbench_accounts) m" > $B/tmp/ins.out || log "WARN churn insert failed"
    val $st churn updated "$(sed -n 's/^UPDATE //p' $B/tmp/upd.out)"
    val $st churn inserted "$(sed -n 's/^INSERT 0 //p' $B/tmp/ins.out)"
  else
    val $st churn sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.01; VACUUM"
    psqlc "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.01" > $B/tmp/upd.out || log "WARN churn update failed"
    val $st churn updated "$(sed -n 's/^UPDATE //p' $B/tmp/upd.out)"
    val $st churn inserted 0
  fi
  psqlc "VACUUM" >/dev/null; psqlc "CHECKPOINT" >/dev/null
  val $st churn secs "$(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN{printf "%.1f", b-a}')"
  val $st churn db_size_bytes "$(psqlc "SELECT pg_database_size('bench')")"
  # dump 2
  b0=$(dub $B/repo-$pg); run_pgborg $st pgborg_dump2 1 $pg; b1=$(dub $B/repo-$pg)
  val $st pgborg_dump2 repo_before "$b0"; val $st pgborg_dump2 repo_after "$b1"
  b0=$(dub $B/repo-$raw); run_raw $st pipeline_dump2 1 $raw dump2; b1=$(dub $B/repo-$raw)
  val $st pipeline_dump2 repo_before "$b0"; val $st pipeline_dump2 repo_after "$b1"
  BORG_BASE_DIR=$B/state-$pg/borg BORG_PASSPHRASE=$PASS borg list $B/repo-$pg > $LOGDIR/$st-pgborg-archives.txt 2>&1
}
log "step 4a: localized churn (1% contiguous update + 1% appended rows)"
churn_phase 4a localized
log "step 4b: uniform random churn (1% of rows) after re-initialising the original data"
pginit 4b 1
val 4b env db_size_bytes "$(psqlc "SELECT pg_database_size('bench')")"
churn_phase 4b random

# ---------------------------------------------------------------- report
val 9 env loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
val 9 env total_s "$(( $(date +%s) - START ))"
val 9 env command "BENCH_DIR=$B$( [ "$SCALE0" != 70 ] && echo " SCALE=$SCALE0")$( [ "$REPS" != 3 ] && echo " REPS=$REPS") bash bench/dumps/run.sh"
/usr/bin/python3 $HERE/report.py $RES "$RESULTS" $B || { log "report failed"; exit 1; }
log "run done in $(( $(date +%s) - START )) s; results in $RESULTS"
