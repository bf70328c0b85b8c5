#!/usr/bin/python3
"""Every second until STOPFILE exists: the age of the newest WAL in Borg, the segments PostgreSQL completed that Borg
lacks, and each daemon's RSS.

usage: sample.py OUT_TSV STATE_JSON STOPFILE SOCKETDIR PORT PGCAD_PIDFILE PGDUMPD_PIDFILE

Age: now - newestWalStoredAt of pgcad's state file (rewritten after every WAL round; reading it takes no Borg lock).
Lag: WAL segments between pg_walfile_name(pg_current_wal_lsn()) - 1 and the state file's newestWal (16 MiB segments).
Rows: epoch  age_s  lag_segments  pgcad_pid  pgcad_rss_kib  pgdumpd_pid  pgdumpd_rss_kib
"""
import json
import os
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from walstat import psql, segno  # noqa: E402

out, state_path, stop_file, sock, port, pgcad_pid, pgdumpd_pid = sys.argv[1:8]


def rss(pid_file):
    try:
        pid = open(pid_file).read().strip()
        for line in open(f'/proc/{pid}/status'):
            if line.startswith('VmRSS:'):
                return pid, line.split()[1]
    except OSError:
        pass
    return '-', '-'


def current():
    return psql(sock, port, 'select pg_walfile_name(pg_current_wal_lsn())')


with open(out, 'a', buffering=1) as o:
    nxt = time.time()
    while not os.path.exists(stop_file):
        now = time.time()
        age = lag = '-'
        try:
            inst = json.load(open(state_path))['instances'][0]
            stored = inst.get('newestWalStoredAt')
            if stored:
                age = f"{now - datetime.fromisoformat(stored.replace('Z', '+00:00')).timestamp():.1f}"
            cur = current()
            if cur and inst.get('newestWal'):
                lag = str(max(0, segno(cur) - 1 - segno(inst['newestWal'])))
        except (OSError, ValueError, KeyError, IndexError):
            pass
        p1, r1 = rss(pgcad_pid)
        p2, r2 = rss(pgdumpd_pid)
        o.write(f'{int(now)}\t{age}\t{lag}\t{p1}\t{r1}\t{p2}\t{r2}\n')
        nxt += 1
        time.sleep(max(0.0, nxt - time.time()))
