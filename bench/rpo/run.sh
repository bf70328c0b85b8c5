#!/bin/bash
# Rerunnable benchmark (issue 10, "RPO during a base"): how far WAL in Borg lags behind PostgreSQL while pgcad takes a
# base backup with the slowest method (snapshot = "direct") and pgbench writes the whole time.
#   BENCH_DIR=/var/tmp/pgborg-bench-rpo bash bench/rpo/run.sh
# Wipes and recreates $BENCH_DIR, then:
#   1. two PostgreSQL 15 clusters: `main` (pgbench -i, SIZE_GB) and `small` (SIZE2_GB), archive_command =
#      '<pgborg> wal-push %p', archive_timeout = 60; pgbench -c 2 -R RATE (RATE2) on each for the whole run;
#   2. variant `walrepo` (this branch's design): one pgcad daemon for both instances (one [archive] section, so both
#      share the archive repository and the WAL repository <repository>-wal), ingest_interval = 10s. It takes each
#      instance's first base; after STEADY_S seconds SIGUSR1 starts a new cycle everywhere: `main`'s base of SIZE_GB
#      runs while both instances' WAL keeps flowing (`small`'s own base shares the archive repository with it);
#   3. variant `shared` (COMPARE=1, the old behaviour): wal_repository = repository, one instance alone (COMPARE_ON,
#      default `main`; `small` gives a shorter run): its WAL waits for its base's `borg create`;
# sampling every second (sample.py) the newest segment PostgreSQL completed and the newest in Borg (pgcad's state
# file). Writes RESULTS.md next to this script (or $RESULTS); raw samples, events and logs stay in $BENCH_DIR until
# the end; clusters, spools and repositories are removed at the end, even on failure (KEEP=1 keeps the files).
# Env: SIZE_GB (10) SIZE2_GB (2) RATE (150 tps) RATE2 (100) STEADY_S (45) POST_S (20) INGEST (10s) COMPARE (1) COMPARE_ON (main)
#      PORT1 (55441) PORT2 (55442) PGBORG (default artifacts/publish/pgborg) RESULTS KEEP
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
CMDLINE="$(for v in BENCH_DIR SIZE_GB SIZE2_GB RATE RATE2 STEADY_S POST_S INGEST COMPARE COMPARE_ON PORT1 PORT2 PGBORG; do [ -n "${!v:-}" ] && printf '%s=%q ' $v "${!v}"; done)bash bench/rpo/run.sh"
. "$HERE/../lib/common.sh"
bench_dir /var/tmp/pgborg-bench-rpo
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SIZE_GB=${SIZE_GB:-10}
SIZE2_GB=${SIZE2_GB:-2}
RATE=${RATE:-150}
RATE2=${RATE2:-100}
STEADY_S=${STEADY_S:-45}
POST_S=${POST_S:-20}
INGEST=${INGEST:-10s}
COMPARE=${COMPARE:-1}
COMPARE_ON=${COMPARE_ON:-main}
case "$COMPARE_ON" in main|small) ;; *) echo "COMPARE_ON is main or small" >&2; exit 2;; esac
PORT1=${PORT1:-55441}
PORT2=${PORT2:-55442}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
SOCK=$B/run
PASS=bench-passphrase
PGB=$B/bin/pgborg
EV=$B/events.tsv
LOGDIR=$B/logs
export LC_ALL=C TZ=UTC
ingest_s=${INGEST%s}

psqlc() { $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $SOCK -p "$1" -U postgres -d "${DB:-bench}" -c "$2"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOGDIR/run.log >&2; }
val() { printf 'V\t%s\t%s\n' "$1" "$2" >> $EV; }
event() { printf 'E\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(date +%s.%N)" "${3:-}" >> $EV; log "event $1 $2 ${3:-}"; }
phase() { echo "$1" > $B/phase; }

PIDS_PGBENCH=""
PID_PGCAD=""
PID_SAMPLER=""
stop_pgcad() { stop_pid "$PID_PGCAD"; PID_PGCAD=""; }
stop_sampler() {
  [ -n "$PID_SAMPLER" ] || return 0
  touch $B/stop-sampler; wait "$PID_SAMPLER" 2>/dev/null; rm -f $B/stop-sampler; PID_SAMPLER=""
}
stop_pgbench() {
  local p
  for p in $PIDS_PGBENCH; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS_PGBENCH=""
}
cleanup() {
  stop_sampler; stop_pgbench; stop_pgcad
  pg_stop $B/c1/data immediate; pg_stop $B/c2/data immediate
  [ "${KEEP:-0}" = 1 ] || rm -rf $B/c1 $B/c2 $B/repo-* $B/state-* $B/bin
}

# ---------------------------------------------------------------- setup
bench_prereqs
bench_pgborg_check
bench_fresh $B/c1/data $B/c2/data
mkdir -p $B/logs $B/bin $B/run $B/c1 $B/c2
chown postgres: $B/run $B/c1 $B/c2 $B/logs
chmod 755 $B/bin $B/run
bench_trap cleanup
bench_pgborg_copy
: > $EV
val date "$(date -u '+%Y-%m-%d %H:%M UTC')"
val machine "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
val cores "$(nproc)"
val mem_gib "$(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo)"
val os "$(. /etc/os-release; echo "$PRETTY_NAME")"
val kernel "$(uname -r)"
val fs "$(findmnt -no FSTYPE,SOURCE -T $B | tr -s ' ')"
val loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)"
val postgres "$($PGBIN/postgres --version)"
val borg "$(borg --version)"
val pgborg_version "$($PGB --version 2>&1 | head -1)"
val pgborg_sha256 "$(sha256sum $PGB | cut -c1-16)"
val git_head "$(git -C $REPO_ROOT log -1 --format='%h %s' 2>/dev/null | cut -c1-80)"
val settings "SIZE_GB=$SIZE_GB SIZE2_GB=$SIZE2_GB RATE=$RATE RATE2=$RATE2 STEADY_S=$STEADY_S POST_S=$POST_S INGEST=$INGEST COMPARE=$COMPARE COMPARE_ON=$COMPARE_ON"
log "run start: $CMDLINE"

# ---------------------------------------------------------------- clusters
mkcluster() { # DIR PORT SCALE
  local d=$B/$1/data port=$2 scale=$3 t0
  pg_initdb $d $port <<CONF || { log "initdb $1 failed"; exit 1; }
archive_command = '/bin/true'       # while pgbench -i loads; wal-push from the first pgcad round on
archive_timeout = 60
shared_buffers = 256MB
maintenance_work_mem = 256MB
max_wal_size = 2GB
log_checkpoints = on
CONF
  pg_start $d $LOGDIR/postgres-$1.log || { log "start $1 failed"; exit 1; }
  DB=postgres psqlc $port "CREATE DATABASE bench" >/dev/null || exit 1
  t0=$(date +%s)
  asp $PGBIN/pgbench -h $SOCK -p $port -i -s $scale -q bench >> $LOGDIR/pgbench-init-$1.log 2>&1 || { log "pgbench -i $1 failed"; exit 1; }
  psqlc $port "CHECKPOINT" >/dev/null
  psqlc $port "ALTER SYSTEM SET archive_command = '$PGB wal-push %p'" >/dev/null
  psqlc $port "SELECT pg_reload_conf()" >/dev/null
  val "$1.size" "$(psqlc $port "select pg_size_pretty(pg_database_size('bench'))") (pgbench -s $scale, loaded in $(( $(date +%s) - t0 )) s)"
  log "$1: pgbench -s $scale loaded in $(( $(date +%s) - t0 )) s: $(psqlc $port "select pg_size_pretty(pg_database_size('bench'))")"
}
scale1=$(awk -v g=$SIZE_GB 'BEGIN{printf "%d", g*68 + 0.5}')
scale2=$(awk -v g=$SIZE2_GB 'BEGIN{printf "%d", g*68 + 0.5}')
[ "$scale1" -ge 1 ] && [ "$scale2" -ge 1 ] || { echo "SIZE_GB/SIZE2_GB too small" >&2; exit 2; }
log "clusters: main pgbench -s $scale1 (~$SIZE_GB GB), small -s $scale2 (~$SIZE2_GB GB)"
mkcluster c1 $PORT1 $scale1
mkcluster c2 $PORT2 $scale2

start_pgbench() { # PORT RATE NAME
  # -R with --latency-limit: transactions already late are skipped, so a slow machine gets a bounded load, not a backlog
  asp $PGBIN/pgbench -h $SOCK -p $1 -n -c 2 -j 1 -R $2 --latency-limit=2000 -T 86400 -P 30 bench >> $LOGDIR/pgbench-$3.log 2>&1 &
  PIDS_PGBENCH="$PIDS_PGBENCH $!"
}

mkconf() { # VARIANT INSTANCES... (c1:main c2:small) [--shared]
  local v=$1 shared=0; shift
  local f=$B/pgborg-$v.toml
  {
    pgborg_conf_head $B/state-$v
    for spec in "$@"; do
      [ "$spec" = --shared ] && { shared=1; continue; }
      local c=${spec%%:*} name=${spec#*:} port
      port=$([ $c = c1 ] && echo $PORT1 || echo $PORT2)
      pgborg_conf_instance $name $B/$c/data $port
    done
    echo "[archive]"
    echo "repository = \"$B/repo-$v\""
    [ $shared = 1 ] && echo "wal_repository = \"$B/repo-$v\""
    echo "passphrase = \"$PASS\""
    echo "snapshot = \"direct\""
    echo "ingest_interval = \"$INGEST\""
  } > $f
  chmod 600 $f
  val "$v.config" "$(grep -v passphrase $f | grep -v '^\[discovery\]\|debian\|systemd' | tr '\n' ' ' | sed 's/  */ /g')"
  val "$v.target_s" "$((ingest_s + 15))"
}

state_field() { # VARIANT INSTANCE FIELD(jq-less: python)
  python3 - "$B/state-$1/status/pgcad.json" "$2" "$3" <<'PY' 2>/dev/null
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except Exception:
    print('-'); sys.exit()
for i in s.get('instances', []):
    if i['instance'] == sys.argv[2]:
        v = i
        for k in sys.argv[3].split('.'):
            v = (v or {}).get(k) if isinstance(v, dict) else None
        print(v if v is not None else '-'); sys.exit()
print('-')
PY
}
wait_base() { # VARIANT INSTANCE NOT_CYCLE TIMEOUT_S -> 0 when a complete base other than NOT_CYCLE is in the state file
  local c t=0
  while [ $t -lt $4 ]; do
    c=$(state_field $1 $2 newestBase.cycle)
    if [ "$c" != "-" ] && [ "$c" != "$3" ]; then echo "$c"; return 0; fi
    kill -0 "$PID_PGCAD" 2>/dev/null || { log "pgcad exited"; return 1; }
    sleep 1; t=$((t + 1))
  done
  return 1
}

run_variant() { # VARIANT TITLE SAMPLE_SPECS -- CONF_SPECS...
  local v=$1 title=$2 specs=$3; shift 3
  local first base_timeout
  base_timeout=$(awk -v g=$SIZE_GB 'BEGIN{printf "%d", 600 + g * 240}')
  val "$v.title" "$title"
  mkconf $v "$@"
  phase first
  : > $B/samples-$v.tsv
  python3 $HERE/sample.py $B/samples-$v.tsv 1 $B/state-$v/status/pgcad.json $B/phase $B/stop-sampler $specs 2>> $LOGDIR/sampler.log &
  PID_SAMPLER=$!
  event $v pgcad_start
  setsid $PGB --config $B/pgborg-$v.toml pgcad >> $LOGDIR/pgcad-$v.log 2>&1 &
  PID_PGCAD=$!
  local watch=main
  [[ " $* " == *":main "* ]] || watch=small
  first=$(wait_base $v $watch - $base_timeout) || { log "$v: no first base of $watch within $base_timeout s"; return 1; }
  event $v first_base "$watch $first"
  if [ $watch = main ] && [[ " $* " == *":small "* ]]; then wait_base $v small - 600 >/dev/null || log "$v: small has no base yet"; fi
  phase steady
  sleep $STEADY_S
  phase base
  event $v sigusr1
  kill -USR1 $PID_PGCAD
  local second
  second=$(wait_base $v $watch "$first" $base_timeout) || { log "$v: no second base within $base_timeout s"; return 1; }
  event $v base_done "$watch $second"
  phase post
  sleep $POST_S
  stop_sampler
  stop_pgcad
  event $v stopped
  val "$v.repo_sizes" "$(du -sh $B/repo-$v* 2>/dev/null | awk '{printf "%s %s; ", $2, $1}')"
}

FAILED=0
start_pgbench $PORT1 $RATE main
start_pgbench $PORT2 $RATE2 small
sleep 5
vars="walrepo"
run_variant walrepo "This branch: WAL repository of its own (main ${SIZE_GB} GB + small ${SIZE2_GB} GB, one pgcad, shared [archive])" \
  "main:$SOCK:$PORT1 small:$SOCK:$PORT2" c1:main c2:small || { log "variant walrepo failed"; FAILED=1; }
if [ "$COMPARE" = 1 ]; then
  # the old behaviour: the WAL shares the bases' repository. One instance (COMPARE_ON, default `main` with its
  # SIZE_GB base); the other stops writing and archives nowhere (its spool would fill with WAL no pgcad drains).
  vars="$vars shared"
  stop_pgbench
  if [ "$COMPARE_ON" = main ]; then on=c1; onport=$PORT1; onrate=$RATE; off=$PORT2; onsize=$SIZE_GB; else on=c2; onport=$PORT2; onrate=$RATE2; off=$PORT1; onsize=$SIZE2_GB; fi
  psqlc $off "ALTER SYSTEM SET archive_command = '/bin/true'" >/dev/null; psqlc $off "SELECT pg_reload_conf()" >/dev/null
  rm -rf $B/c1/data.pgborg-spool $B/c2/data.pgborg-spool
  start_pgbench $onport $onrate $COMPARE_ON
  run_variant shared "Old behaviour for comparison: wal_repository = repository ($COMPARE_ON ${onsize} GB alone)" \
    "$COMPARE_ON:$SOCK:$onport" $on:$COMPARE_ON --shared || { log "variant shared failed"; FAILED=1; }
fi
stop_pgbench
val variants "$vars"
val loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
for f in $LOGDIR/pgbench-main.log $LOGDIR/pgbench-small.log; do
  val "note_$(basename $f .log)" "$(basename $f .log): $(grep -c '^progress' $f) progress lines; last: $(grep '^progress' $f | tail -1)"
done
python3 $HERE/report.py $B "$RESULTS" "$CMDLINE"
exit ${FAILED:-0}
