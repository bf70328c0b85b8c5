#!/bin/bash
# The WAL index's cost per segment (issue 11): pgbench writes SEGMENTS segments of WAL (16 MiB) on a PostgreSQL 15
# cluster, with a restore point made by plain SQL among them; then pgborg's indexer (WalIndexer: pg_waldump as the
# service user and SHA-256, exactly as ingest runs it) indexes copies of them, filtered as for PostgreSQL 15 and later
# and unfiltered as for 13 and 14, ROUNDS times each.
#   BENCH_DIR=/var/tmp/pgborg-bench-walindex bash bench/walindex/run.sh
# Env: SEGMENTS (16) SCALE (pgbench -i -s, 10) CLIENTS (2) ROUNDS (3) PORT (55461). Wipes $BENCH_DIR, removes it at the end.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
B=${BENCH_DIR:?set BENCH_DIR to a scratch directory (it is wiped), e.g. /var/tmp/pgborg-bench-walindex}
case "$B" in /?*/?*) ;; *) echo "BENCH_DIR must be an absolute path at least two levels deep (it is wiped): $B" >&2; exit 2;; esac
SEGMENTS=${SEGMENTS:-16}
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-2}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-55461}
PGBIN=/usr/lib/postgresql/15/bin
as_pg() { runuser -u postgres -- "$@"; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$B/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$B"; }
trap cleanup EXIT
rm -rf "$B"; mkdir -p "$B/wal"; chown postgres "$B" "$B/wal"
as_pg "$PGBIN/initdb" -D "$B/data" -A trust >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$B/data" -l "$B/log" -o "-p $PORT -k $B -c listen_addresses= -c max_wal_size=4GB -c wal_keep_size=4GB" start >/dev/null
psql() { as_pg "$PGBIN/psql" -h "$B" -p "$PORT" -d postgres -XAtq "$@"; }
as_pg "$PGBIN/pgbench" -h "$B" -p "$PORT" -i -s "$SCALE" -q postgres >/dev/null 2>&1
start=$(psql -c "SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
as_pg "$PGBIN/pgbench" -h "$B" -p "$PORT" -c "$CLIENTS" -T 3600 postgres >/dev/null 2>&1 &
bench=$!
while :; do
  now=$(psql -c "SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
  [ $((16#${now:16:8} - 16#${start:16:8})) -ge $((SEGMENTS / 2)) ] && { psql -c "SELECT pg_create_restore_point('bench-point')" >/dev/null; break; }
  sleep 1
done
while :; do
  now=$(psql -c "SELECT pg_walfile_name(pg_current_wal_insert_lsn())")
  [ $((16#${now:16:8} - 16#${start:16:8})) -ge "$SEGMENTS" ] && break
  sleep 1
done
kill "$bench"; wait "$bench" 2>/dev/null || true
# the segments pgbench filled (TPC-B: small commits; kept by wal_keep_size), copied as wal-push spools them, owned by the service user
for f in $(psql -c "SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$' AND name >= '$start' AND name < '$now' ORDER BY name" | head -n "$SEGMENTS"); do
  cp "$B/data/pg_wal/$f" "$B/wal/$f"
done
chown postgres "$B"/wal/*
echo "$(ls "$B/wal" | wc -l) segments of pgbench -c $CLIENTS (scale $SCALE) WAL, $(nproc) cores"
# wall time per segment (the machine's load shows in it) and CPU time (user + sys of the indexer, pg_waldump and
# setpriv, start-up of the .NET runtime included) per segment indexed
dotnet build -c Release -o "$B/bin" "$HERE/WalIndexCost.csproj" >/dev/null
uptime
for major in 15 14; do
  /usr/bin/time -f "%U %S" -o "$B/cpu" dotnet "$B/bin/WalIndexCost.dll" "$B/wal" "$major" "$ROUNDS"
  n=$(ls "$B/wal" | wc -l)
  awk -v n="$n" -v r="$ROUNDS" -v m="$major" '{ printf "major %s: %.1f ms CPU per segment (user %.2f s + sys %.2f s over %d segments x %d rounds)\n", m, ($1 + $2) * 1000 / (n * r), $1, $2, n, r }' "$B/cpu"
done
