# Shared setup of the benchmarks that drive PostgreSQL 15, Borg and pgborg (bench/rpo, bench/scale, bench/soak).
# Sourced, never run: `. "$HERE/../lib/common.sh"`. It defines functions only; a script calls them in this order:
#   bench_dir HINT            B=$BENCH_DIR, checked (absolute, two levels deep: it is wiped), trailing slash dropped
#   bench_prereqs [PKG...]    borg, PostgreSQL 15 with pgbench, the postgres user (apt-get when missing) + PKG...
#   bench_pgborg_check        the binary to copy exists (PGBORG_SRC) -> exit 2 with the publish command if not
#   bench_fresh DIR...        stops clusters still running in DIR/postmaster.pid, wipes $B, recreates it
#   bench_trap CLEANUP        EXIT runs CLEANUP (the script's own: daemons, clusters, files) then one line; INT/TERM exit
#   bench_pgborg_copy         copies PGBORG_SRC to $PGB and checks that it runs
#   pg_initdb DATA PORT       initdb as postgres, then the archiving settings every benchmark uses (+ stdin's lines)
#   pg_start DATA LOGFILE     pg_ctl start as postgres, retried (a crashed server may need a few tries)
#   pg_stop DATA MODE         pg_ctl stop when a postmaster.pid exists
#   pgborg_conf_head STATE    the config's top: state_directory and discovery off
#   pgborg_conf_instance NAME DATA PORT   an [instances.NAME] section on the socket directory $SOCK
#   stop_pid PID [WAIT_S]     SIGTERM, then after WAIT_S (120) SIGKILL to its process group (started with setsid)
# Variables a script sets before calling them: B (by bench_dir), PGBIN, SOCK, PGB, PGBORG_SRC, LOGDIR.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

asp() { runuser -u postgres -- "$@"; }

bench_dir() { # HINT
  B=${BENCH_DIR:-}
  [ -n "$B" ] || { echo "set BENCH_DIR to a scratch directory under /var/tmp (it is wiped), e.g. $1" >&2; exit 2; }
  case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
  B=${B%/}
}

bench_prereqs() { # [EXTRA_DEBIAN_PACKAGE...]
  local need=""
  command -v borg >/dev/null || need="$need borgbackup"
  [ -x $PGBIN/pgbench ] || need="$need postgresql-15 postgresql-contrib-15"
  need="$need $*"
  if [ -n "${need// /}" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $need; fi
  id postgres >/dev/null 2>&1 || useradd -r -m -d /var/lib/postgresql -s /bin/bash postgres
}

bench_pgborg_check() {
  [ -x "$PGBORG_SRC" ] && return 0
  echo "pgborg binary not found: $PGBORG_SRC (dotnet publish src/PgBorg -c Release -o artifacts/publish, or PGBORG=...)" >&2
  exit 2
}

bench_fresh() { # DATA_DIRECTORY... (clusters a previous run may have left running)
  local d
  for d in "$@"; do
    [ -f "$d/postmaster.pid" ] && asp $PGBIN/pg_ctl -D "$d" -m immediate -w stop
  done
  rm -rf "$B"
  mkdir -p "$B"
  chmod 755 "$B"
}

bench_trap() { # CLEANUP_FUNCTION
  BENCH_CLEANUP=$1
  trap bench_teardown EXIT
  trap 'exit 130' INT TERM
}
bench_teardown() {
  local rc=$?
  trap - EXIT INT TERM
  $BENCH_CLEANUP
  echo "[$(date +%T)] teardown done (exit $rc); logs in $LOGDIR" >&2
  exit $rc
}

bench_pgborg_copy() {
  mkdir -p "$(dirname "$PGB")"
  chmod 755 "$(dirname "$PGB")"
  cp "$PGBORG_SRC" $PGB && chmod 755 $PGB && $PGB --version >/dev/null 2>&1 || { echo "the copied pgborg does not run" >&2; exit 2; }
}

pg_initdb() { # DATA PORT; stdin: more postgresql.conf lines
  asp $PGBIN/initdb -D "$1" -U postgres --auth=trust -E UTF8 --locale=C >> $LOGDIR/initdb.log 2>&1 || return 1
  {
    echo "# --- $(basename "$(dirname "$0")") benchmark"
    echo "listen_addresses = ''"
    echo "port = $2"
    echo "unix_socket_directories = '$SOCK'"
    echo "wal_level = replica"
    echo "archive_mode = on"
    cat
  } >> "$1/postgresql.conf"
}

pg_start() { # DATA LOGFILE
  local _
  for _ in $(seq 1 30); do
    asp $PGBIN/pg_ctl -D "$1" -l "$2" -w -t 120 start >> $LOGDIR/pg_ctl.log 2>&1 && return 0
    sleep 2
  done
  echo "[$(date +%T)] PostgreSQL in $1 does not start" >&2
  return 1
}

pg_stop() { # DATA MODE
  [ -f "$1/postmaster.pid" ] || return 0
  asp $PGBIN/pg_ctl -D "$1" -m "$2" -w stop >> $LOGDIR/pg_ctl.log 2>&1
}

pgborg_conf_head() { # STATE_DIRECTORY
  printf 'state_directory = "%s"\n[discovery]\ndebian = false\nsystemd = false\n' "$1"
}

pgborg_conf_instance() { # NAME DATA PORT
  printf '[instances.%s]\ndata_directory = "%s"\nport = %s\nsocket_directory = "%s"\n' "$1" "$2" "$3" "$SOCK"
}

stop_pid() { # PID [WAIT_S]
  local pid=$1 _
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 "${2:-120}"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    # still there: its whole process group (started with setsid, so the group is its own)
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}
