#!/bin/bash
# Quick side-by-side on what bench/restore/run.sh left in BENCH_DIR (run that first): alternately
# `pgcarestore restore` (the newest base, as root, local mode) and `pgbackrest restore --process-max=2` (its newest
# backup), PAIRS pairs (default 4), the wall time of each command. Both make the restore durable before they return.
#   BENCH_DIR=/var/tmp/pgborg-bench-restore bash bench/restore/ab.sh
set -u
B=${BENCH_DIR:?set BENCH_DIR to the directory bench/restore/run.sh used}
export PGBORG_CONFIG=$B/conf/main.toml
PGCARESTORE=$B/bin/pgcarestore
[ -x $PGCARESTORE ] || ln -sf pgborg $PGCARESTORE
for i in $(seq 1 ${PAIRS:-4}); do
  D=$B/ab-restore; rm -rf $D; sync
  s=$(date +%s.%N); (cd /tmp && $PGCARESTORE restore --target-dir $D >/dev/null 2>&1); r1=$?; e=$(date +%s.%N)
  [ -f $D/PG_VERSION ] || r1="$r1 (no PG_VERSION)"
  while pgrep -f "__wal-extract $D/" >/dev/null; do sleep 0.1; done; rm -rf $D; sync
  mkdir -m 700 $D; chown postgres: $D
  s2=$(date +%s.%N); runuser -u postgres -- pgbackrest --config=$B/pgbackrest.conf --stanza=bench --pg1-path=$D --process-max=2 restore >/dev/null 2>&1; r2=$?; e2=$(date +%s.%N)
  [ -f $D/PG_VERSION ] || r2="$r2 (no PG_VERSION)"
  rm -rf $D
  echo "pgborg $(echo "$e-$s"|bc) s (rc $r1)   pgbackrest $(echo "$e2-$s2"|bc) s (rc $r2)"
done
