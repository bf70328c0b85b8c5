#!/bin/bash
# Raw Borg extracts on pgborg's repository, for the time split of `pgcarestore restore` (run as root, BORG_* set
# by the caller: BORG_BASE_DIR = pgborg's state directory, BORG_PASSPHRASE, BORG_REPO).
#   raw.sh list   ARCHIVE OUT.jsonl             borg list --json-lines of the base (pgborg's first step of the base)
#   raw.sh base1  ARCHIVE DIR                   one `borg extract` of the whole base (non-sparse, as pgborg)
#   raw.sh base2  ARCHIVE DIR PATHS1 EXCLUDES   pgborg's split with 2 workers: worker 0 extracts everything except
#                                               PATHS1 (--exclude-from EXCLUDES), worker 1 extracts PATHS1; in parallel
#   raw.sh wal    DIR ARCHIVE...                `borg extract` of each WAL archive, at most 2 at a time (pgborg's gate;
#                                               BORG_REPO = the WAL repository)
set -u
op=$1; shift
case $op in
  list) borg list --json-lines "::$1" > "$2" ;;
  base1) cd "$2" && exec borg extract "::$1" ;;
  base2)
    cd "$2" || exit 1
    mapfile -t paths < "$3"
    borg extract --exclude-from "$4" "::$1" & p0=$!
    if [ ${#paths[@]} -gt 0 ]; then borg extract "::$1" "${paths[@]}" & p1=$!; else p1=; fi
    wait $p0; r0=$?
    r1=0; if [ -n "$p1" ]; then wait $p1; r1=$?; fi
    [ $r0 -le 1 ] && [ $r1 -le 1 ] ;;
  wal)
    cd "$1" || exit 1; shift
    printf '%s\n' "$@" | xargs -P 2 -I{} borg extract "::{}" ;;
  *) echo "raw.sh: unknown op $op" >&2; exit 2 ;;
esac
