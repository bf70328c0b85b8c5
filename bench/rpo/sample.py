#!/usr/bin/python3
"""Samples, every INTERVAL seconds until STOPFILE exists, each instance's WAL position in PostgreSQL and in Borg.

usage: sample.py OUT_TSV INTERVAL STATE_JSON PHASEFILE STOPFILE NAME:SOCKETDIR:PORT [NAME:SOCKETDIR:PORT ...]

PostgreSQL: pg_walfile_name(pg_current_wal_lsn()) (the segment being written; the one before it is the newest
completed) and pg_stat_archiver.last_archived_wal (what archive_command, pgborg wal-push, has taken).
Borg: newestWal of the instance in pgcad's state file (STATE_DIRECTORY/status/pgcad.json), which pgcad rewrites
after every WAL round from its catalog of the WAL repository: the greatest segment a committed batch holds. Reading
the file costs nothing and takes no Borg lock (a `borg list` every second would compete with pgcad for the lock).
PHASEFILE holds the run's current phase label (written by run.sh).

Rows: epoch  phase  instance  current_wal  last_archived_wal  newest_in_borg  newest_base_cycle  complete_cycles  psql_ok
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from walstat import psql  # noqa: E402

out, interval, state_path, phase_file, stop_file = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
instances = [a.split(':') for a in sys.argv[6:]]
SQL = ("select pg_walfile_name(pg_current_wal_lsn()), coalesce(last_archived_wal, '') from pg_stat_archiver")


def pg(sock, port):
    r = psql(sock, port, SQL, timeout=5)
    if r and '\t' in r:
        cur, arch = r.split('\t')
        return cur, arch or '-', 1
    return '-', '-', 0


def state():
    try:
        with open(state_path) as f:
            s = json.load(f)
        return {i['instance']: i for i in s.get('instances', [])}
    except (OSError, ValueError):
        return {}


with open(out, 'a', buffering=1) as o:
    nxt = time.time()
    while not os.path.exists(stop_file):
        t = time.time()
        try:
            with open(phase_file) as f:
                phase = f.read().strip() or '-'
        except OSError:
            phase = '-'
        rows = [(name, *pg(sock, port)) for name, sock, port in instances]
        st = state()
        for name, cur, arch, ok in rows:
            i = st.get(name, {})
            base = (i.get('newestBase') or {}).get('cycle') or '-'
            o.write('%.3f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n' % (
                t, phase, name, cur, arch, i.get('newestWal') or '-', base, i.get('completeCycles', '-'), ok))
        nxt += interval
        time.sleep(max(0.0, nxt - time.time()))
