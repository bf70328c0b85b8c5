#!/usr/bin/python3
"""Writes the soak's RESULTS.md from BENCH_DIR's samples.tsv, faults.tsv and daemons.tsv.

usage: report.py BENCH_DIR RESULTS CMDLINE VERIFY_RC RESTORE_RC EXPECTED GOT LEFT LAST_SEGMENT FAULTS
"""
import collections
import subprocess
import sys
from datetime import datetime, timezone

b, results, cmdline, verify_rc, restore_rc, expected, got, left, last, nfaults = sys.argv[1:11]
rows = [l.rstrip('\n').split('\t') for l in open(f'{b}/samples.tsv')]
faults = [l.rstrip('\n').split('\t') for l in open(f'{b}/faults.tsv') if l.strip()]


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float('nan')


ages = [float(r[1]) for r in rows if r[1] != '-']
lags = [int(r[2]) for r in rows if r[2] != '-']
# a cut drawn while no `borg serve` ran did nothing: counted apart, not as a fault
kinds = collections.Counter(('cut-missed' if f[1] == 'cut' and f[2].startswith('no borg serve') else f[1]) for f in faults)
effective = sum(v for k, v in kinds.items() if k != 'cut-missed')


def rss_runs(col_pid, col_rss):
    """Per daemon process (a kill -9 fault starts a new one): the first RSS after 60 s and the last."""
    runs = collections.OrderedDict()
    for r in rows:
        if r[col_pid] != '-' and r[col_rss] != '-':
            runs.setdefault(r[col_pid], []).append((int(r[0]), int(r[col_rss])))
    out = []
    for pid, s in runs.items():
        settled = [x for x in s if x[0] >= s[0][0] + 60] or s
        out.append((pid, s[-1][0] - s[0][0], settled[0][1], s[-1][1]))
    return out


def rss_line(name, runs):
    if not runs:
        return f'| {name} | - | - | - | - |'
    pid, secs, first, last_ = max(runs, key=lambda r: r[1])
    growth = (last_ - first) / first * 100 if first else float('nan')
    return f'| {name} | {len(runs)} | {pid} ran {secs} s | {first / 1024:.1f} MiB → {last_ / 1024:.1f} MiB | {growth:+.1f} % |'


verify = open(f'{b}/logs/verify.log').read().strip().splitlines()
lost = [l for l in verify if ': WAL ' in l and 'missing' in l]
with open(results, 'w') as f:
    f.write('# Soak results (issue 13, item 6)\n\n')
    f.write(f'Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {subprocess.getoutput("nproc")} cores; command: `{cmdline}`.\n')
    f.write(f'{len(rows)} one-second samples; {nfaults} faults drawn, {effective} effective: '
            + ', '.join(f'{k} {v}' for k, v in sorted(kinds.items())) + ' (cut-missed: no `borg serve` was running to cut).\n\n')
    f.write('| measure | value |\n|---|---|\n')
    f.write(f'| WAL ranges missing in a kept cycle (`pgborg verify`, exit {verify_rc}: its other problems below) | {len(lost)} |\n')
    f.write(f'| restore to latest (exit {restore_rc}) | {"exact" if expected == got else f"DIFFERS: {expected} vs {got}"} |\n')
    f.write(f'| left behind | {left} |\n')
    f.write(f'| RPO, age of the newest WAL in Borg: p50 / p99 / max | {pct(ages, 50):.1f} / {pct(ages, 99):.1f} / {max(ages, default=float("nan")):.1f} s |\n')
    f.write(f'| completed segments not in Borg: p50 / p99 / max | {pct(lags, 50)} / {pct(lags, 99)} / {max(lags, default=0)} |\n')
    f.write(f'| last switched segment | {last} |\n\n')
    f.write('RSS per daemon process (each kill -9 fault starts a new process; the longest-lived one is shown, first sample after 60 s against the last):\n\n')
    f.write('| daemon | processes | longest | RSS | growth |\n|---|---|---|---|---|\n')
    f.write(rss_line('pgcad', rss_runs(3, 4)) + '\n' + rss_line('pgdumpd', rss_runs(5, 6)) + '\n\n')
    f.write('`pgborg verify` said:\n\n```\n' + '\n'.join(verify[-15:]) + '\n```\n')
