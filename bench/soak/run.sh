#!/bin/bash
# Soak (issue 13, item 6): pgbench writes while pgcad and pgdumpd run as daemons against repositories reached through
# `borg serve` (an ssh stand-in, as in the tests), and after a pause of FAULT_EVERY +-5 s a fault is injected, drawn
# uniformly from six kinds (the pause is shorter than the issue's "about every 20 s": a draw also lasts as long as its
# fault; see the Method paragraph report.py writes):
#   unavailable    the WAL or archive repository moved away for 10-40 s (drill 1);
#   full-disk      the data directory and the spool (DATADIR.pgborg-spool, its sibling) live on a small ext4 loop
#                  filesystem made by this script; a file fills its free space but FILL_LEAVE_MB (8 MiB: less than one
#                  16 MiB segment; wal-push stores one only with twice its size free, so it fails with ENOSPC) for 15-30 s, then is deleted
#                  (drill 2). PostgreSQL writes its WAL into recycled segments (min_wal_size keeps them), so pg_wal
#                  needs no new space; RESULTS.md counts PANIC lines in PostgreSQL's log to show it never needed any;
#   postgres-kill9 the postmaster kill -9'd, restarted 3 s later (drill 3);
#   cut            a running `borg serve` kill -9'd (drill 4); when none runs, it waits up to CUT_WAIT s for one, and
#                  failing that the draw is recorded as cut-missed (not effective) and another kind is drawn;
#   pgcad-kill9 / pgdumpd-kill9   the daemon kill -9'd with its whole process group, restarted 2 s later; only in
#                  the first DAEMON_KILLS_MIN minutes (default: the whole run), so that the daemons then started run to
#                  the end and their RSS shows growth rather than warm-up.
# The run lasts until MIN_FAULTS effective faults AND SOAK_MIN minutes, but never past 1.5 x SOAK_MIN.
#   BENCH_DIR=/var/tmp/pgborg-soak bash bench/soak/run.sh
# Samples every second: the age of the newest WAL in Borg (pgcad's state file: now - newestWalStoredAt) and how many
# completed segments PostgreSQL has that Borg lacks; each daemon's RSS. At the end: faults stop, pgbench stops, a last
# WAL switch, pgcad drains (the newest WAL in Borg reaches that segment and every spool is empty); then `pgborg
# verify` (every kept cycle continuous), a restore to the latest state compared with the source (pgbench_accounts
# count+sum, pgbench_history count), and checks that nothing is left behind (pgborg sessions, snapshots, checkpoint
# archives, repository locks, spool temporaries). Writes RESULTS.md next to this script (or $RESULTS). The loop filesystem is unmounted and detached at the end, also on failure.
# Env: SOAK_MIN (30) MIN_FAULTS (100) FAULT_EVERY (8) DAEMON_KILLS_MIN (all) RATE (100) SCALE (20) FS_MB (3072)
#      FILL_LEAVE_MB (8) CUT_WAIT (10) PORT (55461) PGBORG RESULTS KEEP
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/common.sh"
bench_dir /var/tmp/pgborg-soak
RESULTS=${RESULTS:-$HERE/RESULTS.md}
SOAK_MIN=${SOAK_MIN:-30}
MIN_FAULTS=${MIN_FAULTS:-100}
FAULT_EVERY=${FAULT_EVERY:-8}
RATE=${RATE:-100}
SCALE=${SCALE:-20}
FS_MB=${FS_MB:-3072}
FILL_LEAVE_MB=${FILL_LEAVE_MB:-8}
CUT_WAIT=${CUT_WAIT:-10}
PORT=${PORT:-55461}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
SOCK=$B/run
PGB=$B/bin/pgborg
CONF=$B/pgborg.toml
LOGDIR=$B/logs
LOG=$LOGDIR
FS=$B/fs
DATA=$FS/data
export LC_ALL=C TZ=UTC PGBORG_CONFIG=$CONF
CMDLINE="$(for v in BENCH_DIR SOAK_MIN MIN_FAULTS FAULT_EVERY DAEMON_KILLS_MIN RATE SCALE FS_MB FILL_LEAVE_MB CUT_WAIT PORT PGBORG; do
  [ -n "${!v:-}" ] && printf '%s=%q ' $v "${!v}"; done)bash bench/soak/run.sh"

psqlc() { $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $SOCK -p $PORT -U postgres -d "${DB:-bench}" -c "$1"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOG/run.log >&2; }
fault() { # KIND EFFECTIVE(1/0) DETAIL
  printf '%s\t%s\t%s\t%s\n' "$(date +%s)" "$1" "$2" "${3:-}" >> $B/faults.tsv
  log "fault $1 $([ "$2" = 1 ] || echo '(not effective) ')${3:-}"
}

start_daemon() { # NAME
  setsid $PGB "$1" >> $LOG/$1.log 2>&1 < /dev/null &
  echo $! > $B/$1.pid
  printf '%s\t%s\tstart\n' "$(date +%s)" "$1" >> $B/daemons.tsv
}
# pids are recycled within minutes on a busy host (pid_max 32768): every kill first checks that the pid is still the
# soak's own process, by its command line or its environment, never only by a pid recorded earlier
is_ours() { # PID PATTERN -> 0 when /proc/PID/cmdline (NULs as spaces) contains PATTERN
  { tr '\0' ' ' < /proc/$1/cmdline; } 2>/dev/null | grep -qF -- "$2"
}
kill_daemon() { # NAME SIGNAL
  local pid; pid=$(cat $B/$1.pid 2>/dev/null) || return 0
  is_ours "$pid" "$PGB $1" || { wait "$pid" 2>/dev/null; return 0; }
  kill -$2 -- "-$pid" 2>/dev/null; kill -$2 "$pid" 2>/dev/null
  for _ in $(seq 1 90); do is_ours "$pid" "$PGB $1" || break; sleep 1; done
  is_ours "$pid" "$PGB $1" && kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  printf '%s\t%s\tstop-%s\n' "$(date +%s)" "$1" "$2" >> $B/daemons.tsv
}
postmaster_pid() { # the running postmaster of $DATA, or nothing (a stale postmaster.pid names a recycled pid)
  local pid; pid=$(head -1 $DATA/postmaster.pid 2>/dev/null) && [ -n "$pid" ] && is_ours "$pid" "postgres -D $DATA" && echo "$pid"
}
postmaster_alive() { [ -n "$(postmaster_pid)" ]; }

fs_make() { # an ext4 image (sparse, no blocks reserved for root) loop-mounted at $FS
  mkdir -p $FS
  truncate -s ${FS_MB}M $B/fs.img && mkfs.ext4 -q -F -m 0 $B/fs.img && mount -o loop $B/fs.img $FS || return 1
  chown postgres: $FS; chmod 755 $FS
}
fs_remove() { # unmount (retried while busy, lazily as a last resort), detach the loop device, delete the image
  local dev
  if mountpoint -q $FS; then
    for _ in $(seq 1 10); do umount $FS 2>/dev/null && break; sleep 0.5; done
    mountpoint -q $FS && umount -l $FS
  fi
  # mount -o loop sets autoclear, but a lazy unmount may leave the device attached
  for dev in $(losetup -j $B/fs.img 2>/dev/null | cut -d: -f1); do losetup -d $dev; done
  rm -f $B/fs.img
}
cleanup() {
  touch $B/stop $B/stop-load
  [ -n "${PID_LOAD:-}" ] && { kill "$PID_LOAD" 2>/dev/null; wait "$PID_LOAD" 2>/dev/null; }
  [ -n "${PID_SAMPLER:-}" ] && wait "$PID_SAMPLER" 2>/dev/null
  kill_daemon pgcad KILL; kill_daemon pgdumpd KILL
  pkill -f "pgbench -h $SOCK" 2>/dev/null
  pg_stop $DATA immediate; pg_stop $B/restored immediate
  rm -f $FS/filler
  if [ "${KEEP:-0}" != 1 ]; then rm -rf $DATA $DATA.pgborg-* $B/restored $B/repo* $B/state $B/bin; fi
  fs_remove
}

# ---------------------------------------------------------------- setup
bench_prereqs
bench_pgborg_check
mountpoint -q $FS 2>/dev/null && { pg_stop $DATA immediate; fs_remove; }
bench_fresh $B/restored
mkdir -p $LOG $B/bin $SOCK $B/textfile
chown postgres: $SOCK $B $LOG
bench_trap cleanup
bench_pgborg_copy
fs_make || { log "no loop filesystem at $FS"; exit 1; }
: > $B/faults.tsv; : > $B/daemons.tsv
cat > $B/bin/ssh <<SSH
#!/bin/sh
# stands in for ssh: drops ssh's options and the host, records the serve's pid (this one, after exec), runs it here
while [ \$# -gt 0 ]; do
  case "\$1" in -p|-o|-i|-l) shift 2 ;; -*) shift ;; *) shift; break ;; esac
done
echo \$\$ >> $B/serve-pids
# marks the serve as the soak's: a cut kills only a process whose environment holds this (pids are recycled)
export PGBORG_SOAK_SERVE=$B
exec "\$@"
SSH
chmod 755 $B/bin/ssh
# the restore's WAL extractor runs as postgres, through this stand-in too
: > $B/serve-pids; chmod 666 $B/serve-pids

pg_initdb $DATA $PORT <<CONF || exit 1
archive_command = '$PGB wal-push %p'
archive_timeout = 30
max_wal_size = 1GB
# recycled segments: PostgreSQL goes on writing WAL while the filesystem is full (the full-disk fault)
min_wal_size = 512MB
CONF
pg_start $DATA $LOG/postgres.log || exit 1
DB=postgres psqlc "CREATE DATABASE bench" >/dev/null
asp $PGBIN/pgbench -h $SOCK -p $PORT -i -s $SCALE -q bench >> $LOG/pgbench-init.log 2>&1 || exit 1
cat > $CONF <<TOML
$(pgborg_conf_head $B/state)
$(pgborg_conf_instance main $DATA $PORT)
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
live_serves() { # the recorded `borg serve` pids still running (a recycled pid runs something else)
  local p
  # thousands of serves are recorded over a run: look closer (two programs per pid) only at pids that exist, else one
  # pass takes longer than a serve lives and a cut never finds one
  for p in $(tail -n 200 $B/serve-pids 2>/dev/null); do
    [ -d /proc/$p ] || continue
    is_ours $p "borg serve" && tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qxF "PGBORG_SOAK_SERVE=$B" && echo $p
  done
}
cut_serve() { # -> 1 when nothing was cut
  local p t what
  for t in $(seq 1 $((CUT_WAIT * 2))); do
    p=$(live_serves | shuf -n 1)
    # it may have ended since it was listed: only a kill that found it counts
    if [ -n "$p" ] && what=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-60) && kill -KILL $p 2>/dev/null; then
      fault cut 1 "borg serve $p ($what) after $(( (t - 1) / 2 )) s"; return 0
    fi
    sleep 0.5
  done
  fault cut-missed 0 "no borg serve ran within $CUT_WAIT s: another fault drawn"; return 1
}
full_disk() {
  local free size d=$(( 15 + RANDOM % 16 ))
  free=$(df --output=avail -B1 $FS | tail -1)
  size=$(( free - FILL_LEAVE_MB * 1048576 ))
  if [ $size -gt 0 ] && fallocate -l $size $FS/filler; then
    fault full-disk 1 "$((size / 1048576)) MiB filled, $(df --output=avail -B1M $FS | tail -1 | tr -d ' ') MiB left, ${d}s"
    sleep $d
  else
    fault full-disk 0 "could not fill: $((free / 1048576)) MiB free"
  fi
  rm -f $FS/filler
  # should PostgreSQL have stopped (a PANIC when pg_wal could not grow), the check at the end counts it; restart
  postmaster_alive || { log "PostgreSQL is down after the full disk: restarting it"; pg_start $DATA $LOG/postgres.log; }
}
inject() { # KIND
  local r d pid
  case $1 in
    unavailable) r=$([ $((RANDOM % 2)) = 0 ] && echo repo-wal || echo repo); d=$(( 10 + RANDOM % 31 ))
       if mv $B/$r $B/$r.away; then fault unavailable 1 "$r ${d}s"; sleep $d; mv $B/$r.away $B/$r
       else fault unavailable 0 "$r: could not move it away"; fi ;;
    full-disk) full_disk ;;
    postgres-kill9) pid=$(postmaster_pid)
       if [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; then fault postgres-kill9 1 "postmaster $pid"
       else fault postgres-kill9 0 "no postmaster running"; fi
       sleep 3; pg_start $DATA $LOG/postgres.log ;;
    cut) cut_serve ;;
    pgcad-kill9|pgdumpd-kill9) d=${1%-kill9}; pid=$(cat $B/$d.pid)
       if is_ours "$pid" "$PGB $d"; then fault $1 1 "pid $pid"; else fault $1 0 "pid $pid had exited"; fi
       kill_daemon $d KILL; sleep 2; start_daemon $d ;;
  esac
}
KINDS=(unavailable full-disk postgres-kill9 cut pgcad-kill9 pgdumpd-kill9)
t0=$(date +%s)
min_end=$(( t0 + SOAK_MIN * 60 ))
cap_end=$(( t0 + SOAK_MIN * 90 ))
kills_end=$(( t0 + ${DAEMON_KILLS_MIN:-$(( SOAK_MIN * 2 ))} * 60 ))
n=0
effective() { awk -F'\t' '$3 == 1' $B/faults.tsv | wc -l; }
while [ "$(date +%s)" -lt $cap_end ]; do
  [ "$(date +%s)" -ge $min_end ] && [ "$(effective)" -ge $MIN_FAULTS ] && break
  pause=$(( FAULT_EVERY - 5 + RANDOM % 11 )); sleep $(( pause < 0 ? 0 : pause ))
  n=$((n + 1))
  # past DAEMON_KILLS_MIN the daemons are no longer killed: the processes then running live to the end, long enough
  # to tell their memory's growth from their warm-up
  kinds=$([ "$(date +%s)" -lt $kills_end ] && echo 6 || echo 4)
  kind=${KINDS[RANDOM % kinds]}
  # a cut with nothing to cut draws again, from the other kinds
  if ! inject $kind; then
    other=$(( RANDOM % (kinds - 1) )); [ $other -ge 3 ] && other=$((other + 1))
    inject ${KINDS[$other]}
  fi
done
soak_s=$(( $(date +%s) - t0 ))
log "faults done: $n draws, $(effective) effective, in $soak_s s"

# ---------------------------------------------------------------- drain and check
sleep 60
touch $B/stop-load; wait $PID_LOAD; PID_LOAD=
last=$(psqlc "SELECT pg_walfile_name(pg_switch_wal())")
# drained: the newest WAL in Borg has reached the last switched segment AND no spool still holds a segment. The
# first alone is not enough: WAL goes into every open cycle's spool, and when a new cycle's base runs, the newer
# cycle's batch can reach Borg before the older (complete) cycle's, which a restore to latest reads.
waiting() { find $DATA.pgborg-spool -mindepth 2 -maxdepth 2 -regextype posix-extended -regex '.*/[0-9A-F]{24}' 2>/dev/null | wc -l; }
for _ in $(seq 1 600); do
  newest=$(python3 -c "import json;print(json.load(open('$B/state/status/pgcad.json'))['instances'][0].get('newestWal') or '')" 2>/dev/null)
  [[ "$newest" > "$last" || "$newest" == "$last" ]] && [ "$(waiting)" = 0 ] && break; sleep 1
done
spooled=$(waiting)
log "last switched $last, newest in Borg $newest, segments still in a spool: $spooled"
touch $B/stop; wait $PID_SAMPLER; PID_SAMPLER=
kill_daemon pgcad TERM; kill_daemon pgdumpd TERM
$PGB verify > $LOG/verify.log 2>&1; verify_rc=$?
expected=$(psqlc "SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_history)")
sessions=$(DB=postgres psqlc "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgborg%'")
pg_stop $DATA fast
$PGB pgcarestore restore --target-dir $B/restored > $LOG/restore.log 2>&1; restore_rc=$?
got=-
if [ $restore_rc = 0 ]; then
  printf "port = %s\narchive_mode = off\n" $PORT >> $B/restored/postgresql.auto.conf
  asp $PGBIN/pg_ctl -D $B/restored -l $LOG/restored.log -w -t 600 start >> $LOG/pg_ctl.log 2>&1
  for _ in $(seq 1 600); do [ "$(DB=postgres psqlc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 1; done
  got=$(psqlc "SELECT (SELECT count(*) || ':' || sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT count(*) FROM pgbench_history)")
  pg_stop $B/restored fast
fi
left=""
ls -d $DATA.pgborg-snapshot* >/dev/null 2>&1 && left="$left snapshot"
for r in repo repo-wal repo-dump; do [ -d $B/$r/lock.exclusive ] && left="$left lock:$r"; done
find $DATA.pgborg-spool -name '.*tmp*' 2>/dev/null | grep -q . && left="$left spool-temporary"
for r in repo repo-wal; do
  BORG_PASSPHRASE=soak-passphrase BORG_BASE_DIR=$B/borg-check borg list --short --consider-checkpoints $B/$r 2>/dev/null | grep -q '\.checkpoint$' && left="$left checkpoint:$r"
done
[ "$sessions" = 0 ] || left="$left pgborg-sessions:$sessions"
FAULT_EVERY=$FAULT_EVERY DAEMON_KILLS_MIN=${DAEMON_KILLS_MIN:-} python3 "$HERE/report.py" "$B" "$RESULTS" "$CMDLINE" "$verify_rc" "$restore_rc" "$expected" "$got" "${left:-none}" \
  "$last" "$newest" "$spooled" "$n" "$soak_s"
log "results in $RESULTS"
