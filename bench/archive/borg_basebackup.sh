#!/bin/bash
# Raw Borg base backup of $B/pgdata (adapted from /work/shared/anchors/borg_basebackup.sh):
#   pg_backup_start('ARCH', true) held open in a psql session fed from a fifo,
#   borg create --compression lz4 of the data dir (anchors' excludes, default chunker), pg_backup_stop(true),
#   which waits until the end-of-backup WAL segment has been archived.
# usage: borg_basebackup.sh REPO ARCHIVE JSONOUT [extra borg create args...]
# Env (exported by run.sh): B PGBIN PGSOCK PGPORT BORG_PASSPHRASE BORG_BASE_DIR
# Writes the borg-create-only wall time to $B/tmp/bb.create_wall and the backup_label to $B/labels/ARCHIVE.backup_label.
set -u
repo=$1 arch=$2 jsonout=$3; shift 3
BORG_EXCLUDES=(--exclude 'pgdata/pg_wal/*' --exclude 'pgdata/postmaster.pid' --exclude 'pgdata/postmaster.opts'
  --exclude 'pgdata/pg_replslot/*' --exclude 'pgdata/pg_stat_tmp/*' --exclude 'pgdata/pg_dynshmem/*'
  --exclude 'pgdata/pg_notify/*' --exclude 'pgdata/pg_serial/*' --exclude 'pgdata/pg_snapshots/*'
  --exclude 'pgdata/pg_subtrans/*' --exclude '*/pgsql_tmp*' --exclude 'pgdata/backup_label.old')
fifo=$B/tmp/bb.fifo mk=$B/tmp/bb
mkdir -p $B/labels
rm -f $fifo $mk.start $mk.stop $mk.create_wall
mkfifo $fifo && chown postgres $fifo
runuser -u postgres -- $PGBIN/psql -X -At -v ON_ERROR_STOP=1 -h $PGSOCK -p $PGPORT -d postgres < $fifo > $mk.psqlout 2>&1 &
ppid=$!
exec 3>$fifo
waitf() { local t=0; while [ ! -e "$1" ]; do
    kill -0 $ppid 2>/dev/null || { echo "psql session died:"; cat $mk.psqlout; return 1; }
    sleep 0.05; t=$((t+1)); if [ $t -gt 6000 ]; then echo "timeout waiting for $1"; return 1; fi; done; return 0; }
echo "SELECT pg_backup_start('$arch', true);" >&3
echo "\\! touch $mk.start" >&3
waitf $mk.start || exit 3
t0=$(date +%s.%N)
cd $B && borg create --json --compression lz4 "$@" "$repo::$arch" pgdata "${BORG_EXCLUDES[@]}" > "$jsonout"
rc=$?
t1=$(date +%s.%N)
awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.3f\n", b-a}' > $mk.create_wall
echo "\\o $B/labels/$arch.backup_label" >&3
echo "SELECT labelfile FROM pg_backup_stop(true);" >&3
echo "\\o" >&3
echo "\\! touch $mk.stop" >&3
waitf $mk.stop || exit 4
exec 3>&-
wait $ppid
# borg rc 1 = warnings (e.g. file changed while read) -> report but treat as success
[ $rc -le 1 ] || exit $rc
exit 0
