#!/usr/bin/python3
"""RESULTS.md from bench/largebase/run.sh's results.tsv (V key value / T step wall rc borg_rss_kb all_rss_kb)."""
import sys

vals, steps = {}, {}
for line in open(sys.argv[1]):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'V':
        vals[f[1]] = f[2]
    elif f[0] == 'T':
        steps[f[1]] = dict(wall=float(f[2]), rc=int(f[3]), borg=int(f[4]), all=int(f[5]))

gib = int(vals.get('data_dir_bytes', vals.get('db_bytes', '0'))) / 2**30
out = print
out('# Large database: base backups with Borg\'s files cache, side by side with pgBackRest')
out()
out(f"Command: `{vals.get('command', '?')}` (as root). Data directory without pg_wal: {gib:.2f} GiB "
    f"({int(vals.get('db_bytes', 0)) / 2**30:.2f} GiB database) over the tables named in the command; "
    f"chunker chosen by pgborg: `{vals.get('chunker', '?')}`. Writes before the second base: every 10th row of "
    f"{vals.get('change_tables', '?')} tables (their share of the data), then CHECKPOINT.")
out()
out(f"Machine: {vals.get('cpu', '?')}, {vals.get('cores', '?')} cores (shared), {vals.get('mem_gib', '?')} GiB, "
    f"kernel {vals.get('kernel', '?')}; {vals.get('borg', '?')}, pgBackRest {vals.get('pgbackrest', '?')}, "
    f"{vals.get('postgres', '?')}. Load average at start {vals.get('loadavg_start', '?')}, at end {vals.get('loadavg_end', '?')}. "
    f"Commit: {vals.get('git_head', '?')}.")
out()
out('| step | wall s | s per GiB | Borg peak RSS MiB | Borg RSS MiB per GiB | rc |')
out('|---|---|---|---|---|---|')
for name, s in steps.items():
    rss = s['borg'] / 1024
    out(f"| {name} | {s['wall']:.1f} | {s['wall'] / gib:.2f} | {rss:.0f} | {rss / gib:.1f} | {s['rc']} |"
        if s['borg'] else f"| {name} | {s['wall']:.1f} | {s['wall'] / gib:.2f} | — | — | {s['rc']} |")
out()
b1, b2 = steps.get('base1_pgborg'), steps.get('base2_pgborg')
incr = steps.get('base2_pgbackrest_incr')
if b1 and b2:
    out(f"Second base / first base (pgborg): **{b2['wall'] / b1['wall']:.2f}×** (target ≤ 0.3×).")
if b2 and incr:
    out(f"Second base pgborg / `pgbackrest backup --type=incr`: **{b2['wall'] / incr['wall']:.2f}×** (target ≤ 1.0×).")
r1, r2 = vals.get('base1_borg_read_s'), vals.get('base2_borg_read_s')
if r1 and r2 and float(r1) > 0:
    out(f"Borg reading the snapshot alone (pgcad's log, snapshot ready → released, 1 s resolution): first base {r1} s, "
        f"second base {r2} s: **{float(r2) / float(r1):.2f}×**. The rest of each pgcad run is fixed cost: WAL ingest "
        f"before and after the base, waiting for the stop segment, completing the cycle, compact.")
a1, a2 = vals.get('base1_alone_s'), vals.get('base2_alone_s')
if a1 and a2 and float(a1) > 0:
    out(f"The base alone (pgcad's log, starting cycle → stored, 1 s resolution; without the ingest of the WAL written "
        f"before it, which pgBackRest's archive-push paid for inside archive_command during the writes, and without "
        f"the older cycle's consolidation and the compacts): first base {a1} s, second base {a2} s: "
        f"**{float(a2) / float(a1):.2f}×** the first"
        + (f", **{float(a2) / incr['wall']:.2f}×** `pgbackrest backup --type=incr`." if incr else "."))
out()
for k in sorted(vals):
    if k.startswith('archive_'):
        o, d, n = vals[k].split()
        out(f"- base of cycle {k[8:]}: {int(o) / 2**30:.2f} GiB original, {int(d) / 2**20:.1f} MiB unique to it (borg info, after both bases), {n} files")
out(f"- Borg's peak RSS is mostly Python and fixed tables at this size: the model (164 B per 64 KiB chunk) gives "
    f"{gib * 2**30 / 65536 * 164 / 2**20:.0f} MiB of chunk tables for {gib:.1f} GiB, 2.6 MiB per GiB; extrapolate with the model, not the per-GiB column")
out(f"- repository sizes: Borg {int(vals.get('borg_repo_bytes', 0)) / 2**30:.2f} GiB, pgBackRest {int(vals.get('pgbr_repo_bytes', 0)) / 2**30:.2f} GiB")
