#!/bin/bash
# Soak (issue 13, item 6): pgbench writes for SOAK_MIN minutes while pgcad and pgdumpd run as daemons against
# repositories reached through `borg serve` (an ssh stand-in, as in the tests), and about every FAULT_EVERY seconds a
# fault is injected: the WAL or archive repository moved away for 10-40 s (unavailable), PostgreSQL's postmaster
# kill -9'd (restarted 3 s later), a running `borg serve` kill -9'd (a cut connection), or pgcad or pgdumpd kill -9'd
# with its whole process group (restarted 2 s later). Not drawn here: the full disk (drill 2 needs a loop filesystem
# per cluster; SpoolFullTests covers it).
#   BENCH_DIR=/var/tmp/pgborg-soak bash bench/soak/run.sh
# Samples every second: the age of the newest WAL in Borg (pgcad's state file: now - newestWalStoredAt) and how many
# completed segments PostgreSQL has that Borg lacks; each daemon's RSS. At the end: faults stop, pgbench stops, a last
# WAL switch, pgcad drains; then `pgborg verify` (every kept cycle continuous), a restore to the latest state compared
# with the source (pgbench_accounts count+sum, pgbench_history count), and checks that nothing is left behind
# (pgborg sessions, snapshots, checkpoint archives, repository locks, spool temporaries). Writes RESULTS.md next to
# this script (or $RESULTS). Env: SOAK_MIN (30) FAULT_EVERY (20) RATE (100) SCALE (20) PORT (55461) PGBORG KEEP
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
B=${BENCH_DIR:?set BENCH_DIR to a scratch directory under /var/tmp (it is wiped), e.g. /var/tmp/pgborg-soak}
case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
B=${B%/}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SOAK_MIN=${SOAK_MIN:-30}
FAULT_EVERY=${FAULT_EVERY:-20}
RATE=${RATE:-100}
SCALE=${SCALE:-20}
PORT=${PORT:-55461}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
PGBIN=/usr/lib/postgresql/15/bin
SOCK=$B/run
PGB=$B/bin/pgborg
CONF=$B/pgborg.toml
LOG=$B/logs
export LC_ALL=C TZ=UTC PGBORG_CONFIG=$CONF
CMDLINE="BENCH_DIR=$B SOAK_MIN=$SOAK_MIN FAULT_EVERY=$FAULT_EVERY RATE=$RATE SCALE=$SCALE bash bench/soak/run.sh"

asp() { runuser -u postgres -- "$@"; }
psqlc() { $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $SOCK -p $PORT -U postgres -d "${DB:-bench}" -c "$1"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOG/run.log >&2; }
fault() { printf '%s\t%s\t%s\n' "$(date +%s)" "$1" "${2:-}" >> $B/faults.tsv; log "fault $1 ${2:-}"; }

start_daemon() { # NAME
  setsid $PGB "$1" >> $LOG/$1.log 2>&1 < /dev/null &
  echo $! > $B/$1.pid
  printf '%s\t%s\tstart\n' "$(date +%s)" "$1" >> $B/daemons.tsv
}
kill_daemon() { # NAME SIGNAL
  local pid; pid=$(cat $B/$1.pid 2>/dev/null) || return 0
  kill -$2 -- "-$pid" 2>/dev/null; kill -$2 "$pid" 2>/dev/null
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  printf '%s\t%s\tstop-%s\n' "$(date +%s)" "$1" "$2" >> $B/daemons.tsv
}
pg_start() {
  for _ in $(seq 1 30); do
    asp $PGBIN/pg_ctl -D $B/data -l $LOG/postgres.log -w -t 120 start >> $LOG/pg_ctl.log 2>&1 && return 0
    sleep 2
  done
  log "PostgreSQL does not start"; return 1
}
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  touch $B/stop
  [ -n "${PID_LOAD:-}" ] && { kill "$PID_LOAD" 2>/dev/null; wait "$PID_LOAD" 2>/dev/null; }
  [ -n "${PID_SAMPLER:-}" ] && wait "$PID_SAMPLER" 2>/dev/null
  kill_daemon pgcad KILL; kill_daemon pgdumpd KILL
  pkill -f "pgbench -h $SOCK" 2>/dev/null
  [ -f $B/data/postmaster.pid ] && asp $PGBIN/pg_ctl -D $B/data -m immediate -w stop >> $LOG/pg_ctl.log 2>&1
  [ -f $B/restored/postmaster.pid ] && asp $PGBIN/pg_ctl -D $B/restored -m immediate -w stop >> $LOG/pg_ctl.log 2>&1
  if [ "${KEEP:-0}" != 1 ]; then rm -rf $B/data $B/data.pgborg-* $B/restored $B/repo* $B/state $B/bin; fi
  echo "[$(date +%T)] teardown done (exit $rc); logs in $LOG" >&2
  exit $rc
}

# ---------------------------------------------------------------- setup
need=
command -v borg >/dev/null || need="$need borgbackup"
[ -x $PGBIN/pgbench ] || need="$need postgresql-15 postgresql-contrib-15"
if [ -n "$need" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $need; fi
id postgres >/dev/null 2>&1 || useradd -r -m -d /var/lib/postgresql -s /bin/bash postgres
[ -x "$PGBORG_SRC" ] || { echo "pgborg binary not found: $PGBORG_SRC (dotnet publish src/PgBorg -c Release -o artifacts/publish, or PGBORG=...)" >&2; exit 2; }
[ -f $B/data/postmaster.pid ] && asp $PGBIN/pg_ctl -D $B/data -m immediate -w stop
rm -rf "$B"; mkdir -p $LOG $B/bin $SOCK $B/textfile
chown postgres: $SOCK $B $LOG; chmod 755 $B $B/bin
trap teardown EXIT
trap 'exit 130' INT TERM
cp "$PGBORG_SRC" $PGB && chmod 755 $PGB
: > $B/faults.tsv; : > $B/daemons.tsv
cat > $B/bin/ssh <<SSH
#!/bin/sh
# stands in for ssh: drops ssh's options and the host, records the serve's pid (this one, after exec), runs it here
while [ \$# -gt 0 ]; do
  case "\$1" in -p|-o|-i|-l) shift 2 ;; -*) shift ;; *) shift; break ;; esac
done
echo \$\$ >> $B/serve-pids
exec "\$@"
SSH
chmod 755 $B/bin/ssh

asp $PGBIN/initdb -D $B/data -U postgres --auth=trust -E UTF8 --locale=C >> $LOG/initdb.log 2>&1 || exit 1
cat >> $B/data/postgresql.conf <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
wal_level = replica
archive_mode = on
archive_command = '$PGB wal-push %p'
archive_timeout = 30
max_wal_size = 1GB
CONF
pg_start || exit 1
DB=postgres psqlc "CREATE DATABASE bench" >/dev/null
asp $PGBIN/pgbench -h $SOCK -p $PORT -i -s $SCALE -q bench >> $LOG/pgbench-init.log 2>&1 || exit 1
cat > $CONF <<TOML
state_directory = "$B/state"
[discovery]
debian = false
systemd = false
[instances.main]
data_directory = "$B/data"
port = $PORT
socket_directory = "$SOCK"
[archive]
repository = "ssh://soak$B/repo"
environment = { BORG_RSH = "$B/bin/ssh" }
passphrase = "soak-passphrase"
snapshot = "direct"
ingest_interval = "10s"
cycle_max_age = "10m"
[dump]
repository = "ssh://soak$B/repo-dump"
environment = { BORG_RSH = "$B/bin/ssh" }
passphrase = "soak-passphrase"
interval = "3m"
[metrics]
textfile_directory = "$B/textfile"
TOML
chmod 600 $CONF
log "start: $CMDLINE"
start_daemon pgcad
start_daemon pgdumpd
for _ in $(seq 1 300); do grep -q "stored (direct)" $LOG/pgcad.log && break; sleep 1; done
grep -q "stored (direct)" $LOG/pgcad.log || { log "no first base within 5 min"; exit 1; }

# load: pgbench in a loop (a killed postmaster ends a pgbench run; the next one starts when the server is back)
( while [ ! -f $B/stop-load ]; do
    asp $PGBIN/pgbench -h $SOCK -p $PORT -n -c 2 -j 1 -R $RATE --latency-limit=2000 -T 60 bench >> $LOG/pgbench.log 2>&1 || sleep 2
  done ) &
PID_LOAD=$!

python3 "$HERE/sample.py" $B/samples.tsv $B/state/status/pgcad.json $B/stop $SOCK $PORT $B/pgcad.pid $B/pgdumpd.pid &
PID_SAMPLER=$!

# ---------------------------------------------------------------- faults
end=$(( $(date +%s) + SOAK_MIN * 60 ))
n=0
while [ "$(date +%s)" -lt $end ]; do
  sleep $(( FAULT_EVERY - 5 + RANDOM % 11 ))
  n=$((n + 1))
  case $(( RANDOM % 6 )) in
    0) r=$([ $((RANDOM % 2)) = 0 ] && echo repo-wal || echo repo); d=$(( 10 + RANDOM % 31 ))
       fault unavailable "$r ${d}s"; mv $B/$r $B/$r.away && { sleep $d; mv $B/$r.away $B/$r; } ;;
    1) fault postgres-kill9; kill -KILL "$(head -1 $B/data/postmaster.pid)" 2>/dev/null; sleep 3; pg_start ;;
    2|3) pids=$(for p in $(cat $B/serve-pids 2>/dev/null); do kill -0 $p 2>/dev/null && echo $p; done)
       if [ -n "$pids" ]; then p=$(echo "$pids" | shuf -n 1); fault cut "borg serve $p ($(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-60))"; kill -KILL $p
       else fault cut "no borg serve running: nothing cut"; fi ;;
    4) fault pgcad-kill9; kill_daemon pgcad KILL; sleep 2; start_daemon pgcad ;;
    5) fault pgdumpd-kill9; kill_daemon pgdumpd KILL; sleep 2; start_daemon pgdumpd ;;
  esac
done
log "faults done: $n"

# ---------------------------------------------------------------- drain and check
sleep 60
touch $B/stop-load; wait $PID_LOAD; PID_LOAD=
last=$(psqlc "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 600); do
  newest=$(python3 -c "import json;print(json.load(open('$B/state/status/pgcad.json'))['instances'][0].get('newestWal') or '')" 2>/dev/null)
  [[ "$newest" > "$last" || "$newest" == "$last" ]] && break; sleep 1
done
log "last switched $last, newest in Borg $newest"
touch $B/stop; wait $PID_SAMPLER; PID_SAMPLER=
kill_daemon pgcad TERM; kill_daemon pgdumpd TERM
$PGB verify > $LOG/verify.log 2>&1; verify_rc=$?
expected=$(psqlc "SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_history)")
sessions=$(DB=postgres psqlc "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgborg%'")
asp $PGBIN/pg_ctl -D $B/data -m fast -w stop >> $LOG/pg_ctl.log 2>&1
$PGB pgcarestore restore --target-dir $B/restored > $LOG/restore.log 2>&1; restore_rc=$?
got=-
if [ $restore_rc = 0 ]; then
  printf "port = %s\narchive_mode = off\n" $PORT >> $B/restored/postgresql.auto.conf
  asp $PGBIN/pg_ctl -D $B/restored -l $LOG/restored.log -w -t 600 start >> $LOG/pg_ctl.log 2>&1
  for _ in $(seq 1 600); do [ "$(DB=postgres psqlc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 1; done
  got=$(psqlc "SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_history)")
  asp $PGBIN/pg_ctl -D $B/restored -m fast -w stop >> $LOG/pg_ctl.log 2>&1
fi
left=""
ls -d $B/data.pgborg-snapshot* >/dev/null 2>&1 && left="$left snapshot"
for r in repo repo-wal repo-dump; do [ -d $B/$r/lock.exclusive ] && left="$left lock:$r"; done
find $B/data.pgborg-spool -name '.*tmp*' 2>/dev/null | grep -q . && left="$left spool-temporary"
for r in repo repo-wal; do
  BORG_PASSPHRASE=soak-passphrase BORG_BASE_DIR=$B/borg-check borg list --short --consider-checkpoints $B/$r 2>/dev/null | grep -q '\.checkpoint$' && left="$left checkpoint:$r"
done
[ "$sessions" = 0 ] || left="$left pgborg-sessions:$sessions"
python3 "$HERE/report.py" "$B" "$RESULTS" "$CMDLINE" "$verify_rc" "$restore_rc" "$expected" "$got" "${left:-none}" "$last" "$n"
log "results in $RESULTS"
