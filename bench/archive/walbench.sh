#!/bin/bash
# Per-segment WAL archiving cost, run as the postgres user (as archive_command would be).
# usage: walbench.sh OUT_TSV REPS WB PGB PGBR_CONF PUSHREPO SEG...
#   WB       a scratch dir holding data/ (a fake data directory: PG_VERSION, global/pg_control, pg_wal/SEG...),
#            data.pgborg-spool/20260101T000000Z/ (pgborg's spool) and cpspool/ (the cp + sync target)
#   PUSHREPO a pgBackRest repository with stanza "bench" already created
# For every rep and segment the three methods run in rotating order; each call is one process start, timed with
# bash's $EPOCHREALTIME around GNU time (which reports CPU and max RSS). Before each call: `sync` (untimed), so
# no method pays for the previous one's writeback. After each call the stored copy is removed (untimed), so the
# next call of that method stores the segment again. One untimed warm-up call per method comes first.
# Writes T rows: T 1 METHOD REP.SEGNO wall user sys maxrss_kb rc loadavg1
set -u
out=$1 reps=$2 wb=$3 pgb=$4 conf=$5 pushrepo=$6; shift 6
segs=("$@")
spool=$wb/data.pgborg-spool/20260101T000000Z
tf=$wb/time.$$
pgbr="pgbackrest --config=$conf --stanza=bench --repo1-path=$pushrepo"
: > "$out"
run() { # METHOD SEG -> sets rc; wall in $W
  local m=$1 s=$2
  case $m in
    pgborg)  (cd $wb/data && exec /usr/bin/time -f '%e %U %S %M' -o $tf $pgb wal-push pg_wal/$s) ;;
    cp_sync) /usr/bin/time -f '%e %U %S %M' -o $tf sh -c 'cp "$1" "$2/" && sync "$2/${1##*/}"' sh $wb/data/pg_wal/$s $wb/cpspool ;;
    pgbr)    /usr/bin/time -f '%e %U %S %M' -o $tf $pgbr archive-push $wb/data/pg_wal/$s ;;
  esac
}
clean() { # METHOD SEG
  case $1 in
    pgborg)  rm -f $spool/$2 ;;
    cp_sync) rm -f $wb/cpspool/$2 ;;
    pgbr)    rm -f $pushrepo/archive/bench/*/*/$2-* ;;
  esac
}
check() { # METHOD SEG: the stored copy exists
  case $1 in
    pgborg)  cmp -s $spool/$2 $wb/data/pg_wal/$2 ;;
    cp_sync) cmp -s $wb/cpspool/$2 $wb/data/pg_wal/$2 ;;
    pgbr)    ls $pushrepo/archive/bench/*/*/$2-* >/dev/null 2>&1 ;;
  esac
}
methods=(pgborg cp_sync pgbr)
for m in "${methods[@]}"; do   # warm-up (binary and libraries into the page cache)
  run $m ${segs[0]} > $wb/warmup-$m.log 2>&1 || echo "warm-up of $m failed: $(cat $wb/warmup-$m.log)" >&2
  clean $m ${segs[0]}
done
k=0
for r in $(seq 1 $reps); do
  i=0
  for s in "${segs[@]}"; do
    i=$((i+1))
    for j in 0 1 2; do
      m=${methods[$(( (k + j) % 3 ))]}
      sync
      la=$(cut -d' ' -f1 /proc/loadavg)
      t0=$EPOCHREALTIME
      run $m $s >> $wb/$m.log 2>&1
      rc=$?
      t1=$EPOCHREALTIME
      if [ $rc = 0 ] && ! check $m $s; then echo "$m $s: exit 0 but no stored copy" >> $wb/$m.log; rc=99; fi
      read -r _ u sy mx < <(tail -n1 $tf)
      wall=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.4f", b-a}')
      printf 'T\t1\t%s\t%s.%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $m $r $i $wall ${u:-NA} ${sy:-NA} ${mx:-NA} $rc $la >> "$out"
      clean $m $s
    done
    k=$((k+1))
  done
done
rm -f $tf
