#!/bin/bash
# Rerunnable benchmark (issue 10, "Scale"): pgborg's own operations against repositories that hold months of WAL
# archives, and the archive count that WAL consolidation leaves.
#   BENCH_DIR=/var/tmp/pgborg-bench-scale-pgborg bash bench/scale/pgborg.sh
# Wipes and recreates $BENCH_DIR, builds one small PostgreSQL 15 cluster (pgbench -s 10; its WAL starts at segment
# 0x20000000000 via pg_resetwal, above the generated history), then:
#   A. consolidation, for real: pgcad as a daemon with ingest_interval = "10s", wal_consolidation = "1m" for CONS_S
#      seconds while a segment is completed every ~10 s (a row + pg_switch_wal()); every 30 s the WAL repository's
#      archives are counted (`borg list --bypass-lock` with a reader's own BORG_BASE_DIR, so pgcad's locks are not
#      touched); compared with the model (one archive per closed window + the current window's batches);
#   B. operations at STEPS archives: a real cycle first (pgcad --once --new-cycle: a real base and its WAL, and a
#      restore point), then gen.py --history adds one-segment WAL batches shaped like 90 busy days (a new cycle every
#      7 days, each with a complete base in the archive repository, names and comments like pgcad's), and at each
#      step REPS runs of: `pgcarestore info`, `pgbuptool list`, `pgborg status`, and one ingest (`pgcad --once` after
#      exactly one new segment was archived by wal-push). Every Borg call pgborg makes goes through a wrapper
#      (PGBORG_BORG) that records its subcommand and wall time, so each operation's cost splits into Borg's and the rest;
#      and Borg's own floor in the same WAL repository: `borg list --short`, `borg list` with every comment, and a
#      tiny `borg create` (one 16 MiB file).
#   C. the archive count after 90 days by the model, with and without consolidation.
# Writes PGBORG-RESULTS.md next to this script (or $RESULTS). The cluster, spools and repositories are removed at the
# end, even on failure (KEEP=1 keeps them).
# Env: STEPS ("1000 10000 100000") REPS (3) CONS_S (300; 0 skips A) PORT (55451) PGBORG (artifacts/publish/pgborg) RESULTS KEEP
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
CMDLINE="$(for v in BENCH_DIR STEPS REPS CONS_S PORT PGBORG; do [ -n "${!v:-}" ] && printf '%s=%q ' $v "${!v}"; done)bash bench/scale/pgborg.sh"
. "$HERE/../lib/common.sh"
bench_dir /var/tmp/pgborg-bench-scale-pgborg
RESULTS=${RESULTS:-$HERE/PGBORG-RESULTS.md}
STEPS=${STEPS:-"1000 10000 100000"}
REPS=${REPS:-3}
CONS_S=${CONS_S:-300}
PORT=${PORT:-55451}
PGBORG_SRC=${PGBORG:-$REPO_ROOT/artifacts/publish/pgborg}
SOCK=$B/run
PGDATA=$B/pg/data
PASS=bench-passphrase
PGB=$B/bin/pgborg
LOGDIR=$B/logs
RES=$B/results.tsv
HOSTNAME_=scale
export LC_ALL=C TZ=UTC BORG_PASSPHRASE=$PASS BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
MAXN=0; for n in $STEPS; do [ "$n" -gt "$MAXN" ] && MAXN=$n; done

psqlc() { $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $SOCK -p $PORT -U postgres -d "${DB:-bench}" -c "$1"; }
log() { echo "[$(date +%T)] $*" | tee -a $LOGDIR/run.log >&2; }
val() { printf 'V\t%s\t%s\n' "$1" "$2" >> $RES; }

PID_PGCAD=""
PID_SWITCH=""
stop_pgcad() { stop_pid "$PID_PGCAD"; PID_PGCAD=""; }
stop_switch() { [ -n "$PID_SWITCH" ] && { kill "$PID_SWITCH" 2>/dev/null; wait "$PID_SWITCH" 2>/dev/null; }; PID_SWITCH=""; }
cleanup() {
  stop_switch; stop_pgcad
  pg_stop $PGDATA immediate
  [ "${KEEP:-0}" = 1 ] || rm -rf $B/pg $B/repo-* $B/state-* $B/reader $B/bin
}

# ---------------------------------------------------------------- setup
bench_prereqs $([ -x /usr/bin/time ] || echo time)
bench_pgborg_check
bench_fresh $PGDATA
mkdir -p $B/logs $B/bin $B/run $B/pg $B/reader
chown postgres: $B/run $B/pg $B/logs
chmod 755 $B/bin $B/run
bench_trap cleanup
bench_pgborg_copy
# every Borg call pgborg makes, with the operation it belongs to ($B/current-op: pgborg gives Borg an environment of
# its own, so an environment variable would not get through) and its wall time
cat > $B/bin/borg-timed <<EOF
#!/bin/bash
s=\$(date +%s%N)
/usr/bin/borg "\$@"
rc=\$?
printf '%s\t%s\t%s\t%s\n' "\$(cat $B/current-op 2>/dev/null || echo other)" "\$1" "\$(( (\$(date +%s%N) - s) / 1000000 ))" "\$rc" >> $B/borgcalls.tsv
exit \$rc
EOF
chmod 755 $B/bin/borg-timed
: > $RES; : > $B/borgcalls.tsv
val date "$(date -u '+%Y-%m-%d %H:%M UTC')"
val machine "$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores, $(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo) GiB"
val os "$(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r), $(findmnt -no FSTYPE -T $B)"
val loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
val versions "$($PGBIN/postgres --version); $(borg --version); pgborg $($PGB --version 2>&1 | head -1) (sha256 $(sha256sum $PGB | cut -c1-16)); git $(git -C $REPO_ROOT log -1 --format='%h' 2>/dev/null)"
val settings "STEPS=$STEPS REPS=$REPS CONS_S=$CONS_S"
log "run start: $CMDLINE"

# ---------------------------------------------------------------- cluster
pg_initdb $PGDATA $PORT < /dev/null || { log "initdb failed"; exit 1; }
# WAL above the generated history (segments 1 .. STEPS' largest), so the real cycle continues it
asp $PGBIN/pg_resetwal -l 000000010000020000000000 -D $PGDATA >> $LOGDIR/initdb.log 2>&1 || { log "pg_resetwal failed"; exit 1; }
cat >> $PGDATA/postgresql.conf <<CONF
archive_command = '$PGB wal-push %p'
archive_timeout = 60
CONF
pg_start $PGDATA $LOGDIR/postgres.log || { log "pg start failed"; exit 1; }
DB=postgres psqlc "CREATE DATABASE bench" >/dev/null || exit 1
asp $PGBIN/pgbench -h $SOCK -p $PORT -i -s 10 -q bench >> $LOGDIR/pgbench-init.log 2>&1 || { log "pgbench -i failed"; exit 1; }
psqlc "CREATE TABLE tick (t timestamptz)" >/dev/null
SYSID=$(psqlc "select system_identifier from pg_control_system()")
SVN=$(psqlc "show server_version_num")

mkconf() { # NAME EXTRA-ARCHIVE-LINES
  cat > $B/$1.toml <<CONF
host_name = "$HOSTNAME_"
$(pgborg_conf_head $B/state-$1)
$(pgborg_conf_instance main $PGDATA $PORT)
[archive]
repository = "$B/repo-$1"
passphrase = "$PASS"
snapshot = "direct"
ingest_interval = "10s"
$2
CONF
  chmod 600 $B/$1.toml
}
# one new completed segment, archived by wal-push (pg_stat_archiver.last_archived_wal reaches it)
one_segment() {
  local seg t=0
  # pg_switch_wal() returns the end of the segment it completed: pg_walfile_name() of it names that segment
  seg=$(psqlc "insert into tick values (now()); select pg_walfile_name(pg_switch_wal())" | tail -1)
  while [ "$(psqlc "select coalesce(last_archived_wal, '') from pg_stat_archiver")" \< "$seg" ]; do
    sleep 0.2; t=$((t + 1))
    if [ $t -gt 300 ]; then log "segment $seg not archived within 60 s"; return 1; fi
  done
  return 0
}
reader_count() { # REPO -> number of WAL archives (a reader with its own base dir and --bypass-lock: pgcad's locks untouched)
  BORG_BASE_DIR=$B/reader borg list --bypass-lock --short --glob-archives '*~wal~*' "$1" 2>>$LOGDIR/reader.log | wc -l
}

# ---------------------------------------------------------------- A: consolidation, for real
if [ "$CONS_S" -gt 0 ]; then
  log "A: pgcad daemon, ingest_interval 10s, wal_consolidation 1m, a segment every ~10 s, for $CONS_S s"
  mkconf cons 'wal_consolidation = "1m"'
  setsid $PGB --config $B/cons.toml pgcad >> $LOGDIR/pgcad-cons.log 2>&1 &
  PID_PGCAD=$!
  # wait for the first base (the cycle's spool exists once the cycle started)
  for _ in $(seq 1 600); do grep -q 'base backup of cycle' $LOGDIR/pgcad-cons.log && break; sleep 1; done
  ( while true; do psqlc "insert into tick values (now()); select pg_switch_wal()" >/dev/null 2>&1; sleep 10; done ) &
  PID_SWITCH=$!
  t0=$(date +%s); seg0=$(psqlc "select pg_walfile_name(pg_current_wal_lsn())")
  : > $B/cons.tsv
  while [ $(( $(date +%s) - t0 )) -lt $CONS_S ]; do
    sleep 30
    printf '%s\t%s\t%s\n' $(( $(date +%s) - t0 )) "$(psqlc "select pg_walfile_name(pg_current_wal_lsn())")" "$(reader_count $B/repo-cons-wal)" >> $B/cons.tsv
    log "A: $(tail -1 $B/cons.tsv)"
  done
  stop_switch
  seg1=$(psqlc "select pg_walfile_name(pg_current_wal_lsn())")
  sleep 12   # the last segments' ingest round
  stop_pgcad
  BORG_BASE_DIR=$B/state-cons/borg borg list --format '{name}{TAB}{time}{NL}' --glob-archives '*~wal~*' $B/repo-cons-wal > $B/cons-final.txt 2>>$LOGDIR/reader.log
  val cons_segments "$(( 16#${seg1:16:8} - 16#${seg0:16:8} )) segments completed in $CONS_S s ($seg0 .. $seg1)"
  val cons_consolidations "$(grep -c 'consolidated\|WAL files .* into one' $LOGDIR/pgcad-cons.log) consolidation lines in pgcad's log; $(grep -c 'archived [0-9]* WAL files' $LOGDIR/pgcad-cons.log) WAL batches ingested"
  rm -rf $B/repo-cons $B/repo-cons-wal $B/state-cons $PGDATA.pgborg-spool
fi

# ---------------------------------------------------------------- B: operations at STEPS archives
log "B: a real cycle, then a generated history of up to $MAXN WAL archives"
mkconf ops 'keep_within = "200d"
keep_cycles = 100
wal_consolidation = "1d"'
export PGBORG_CONFIG=$B/ops.toml PGBORG_BORG=$B/bin/borg-timed
echo setup > $B/current-op
$PGB pgcad --once --new-cycle >> $LOGDIR/pgcad-ops.log 2>&1 || { log "first pgcad --once --new-cycle failed"; exit 1; }
one_segment && $PGB pgcad --once >> $LOGDIR/pgcad-ops.log 2>&1
$PGB pgbuptool restorepoint bench >> $LOGDIR/ops.log 2>&1 || log "restorepoint failed"
REAL_CYCLE=$(BORG_BASE_DIR=$B/state-ops/borg borg list --short --glob-archives '*~base~*' $B/repo-ops | tail -1 | sed 's/.*~//')
END=$(python3 -c "import datetime,sys; t=datetime.datetime.strptime('$REAL_CYCLE','%Y%m%dT%H%M%SZ')-datetime.timedelta(hours=1); print(t.strftime('%Y-%m-%dT%H:%M:%SZ'))")
val real_cycle "$REAL_CYCLE (history ends $END)"
have=0
for n in $STEPS; do
  if [ "$n" -gt "$have" ]; then
    g0=$(date +%s.%N)
    BORG_BASE_DIR=$B/state-ops/borg /usr/bin/python3 $HERE/gen.py --history $B/repo-ops-wal $B/repo-ops $have $((n - have)) \
      --total $MAXN --host $HOSTNAME_ --instance main --end $END --sysid $SYSID --server-version $SVN >> $LOGDIR/gen.log 2>&1 \
      || { log "gen.py failed"; exit 1; }
    log "B: generated $((n - have)) archives in $(awk -v a=$g0 -v b=$(date +%s.%N) 'BEGIN{printf "%.0f", b-a}') s"
    have=$n
    # one untimed round first: pgcad (and its Borg cache) see the new archives once, as a running daemon would have
    echo warm > $B/current-op
    $PGB pgcad --once >> $LOGDIR/pgcad-ops.log 2>&1
  fi
  total=$(BORG_BASE_DIR=$B/state-ops/borg borg list --short $B/repo-ops-wal | wc -l)
  totala=$(BORG_BASE_DIR=$B/state-ops/borg borg list --short $B/repo-ops | wc -l)
  for r in $(seq 1 $REPS); do
    for op in info list status ingest borglist borgcomments borgcreate; do
      case $op in
        info) cmd=($PGB pgcarestore info) ;;
        list) cmd=($PGB pgbuptool list) ;;
        status) cmd=($PGB status) ;;
        ingest) one_segment || exit 1; cmd=($PGB pgcad --once) ;;
        # Borg's own floor in the same repository, with pgcad's cache: the names (manifest), every comment (one
        # archive object each), a tiny create (one 16 MiB segment; deleted again, untimed)
        borglist) cmd=(env BORG_BASE_DIR=$B/state-ops/borg borg list --short $B/repo-ops-wal) ;;
        borgcomments) cmd=(env BORG_BASE_DIR=$B/state-ops/borg borg list --format '{name}{TAB}{comment}{NL}' $B/repo-ops-wal) ;;
        borgcreate) head -c 16777216 /dev/urandom > $B/segment
                    cmd=(env BORG_BASE_DIR=$B/state-ops/borg borg create --compression lz4 $B/repo-ops-wal::floor-$n-$r $B/segment) ;;
      esac
      echo "=== $n $op $r: ${cmd[*]}" >> $LOGDIR/ops.log
      echo "$n:$op:$r" > $B/current-op
      /usr/bin/time -f '%e %U %S %M' -o $B/time.txt "${cmd[@]}" > $B/op.out 2>&1
      rc=$?
      echo other > $B/current-op
      if [ "${op#borg}" = "$op" ]; then cat $B/op.out >> $LOGDIR/ops.log; else tail -3 $B/op.out >> $LOGDIR/ops.log; fi
      [ $op = borgcreate ] && BORG_BASE_DIR=$B/state-ops/borg borg delete $B/repo-ops-wal::floor-$n-$r >> $LOGDIR/ops.log 2>&1
      read -r wall u s m < <(tail -1 $B/time.txt)
      printf 'T\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$op" "$r" "$wall" "$u" "$s" "$m" "$rc" "$total/$totala" >> $RES
      log "B: $n archives, $op rep $r: ${wall}s (cpu $(awk -v a=$u -v b=$s 'BEGIN{print a+b}')s) rc=$rc"
    done
  done
done
val loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 $HERE/pgborg_report.py $B "$RESULTS" "$CMDLINE"
