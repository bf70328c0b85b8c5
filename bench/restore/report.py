#!/usr/bin/python3
"""Build RESULTS.md from the results.tsv written by bench/restore/run.sh.
usage: report.py RESULTS_TSV OUT_MD BENCH_DIR
T rows: T step method rep wall user sys maxrss_kb rc loadavg1
V rows: V step method key value"""
import datetime, os, re, statistics, sys

res, out, bdir = sys.argv[1], sys.argv[2], sys.argv[3]
T, V = {}, {}


def fl(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


for line in open(res):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'T':
        step, m, rep, wall, u, s, rss, rc, la = f[1:10]
        T.setdefault((step, m), []).append(dict(rep=rep, wall=fl(wall), cpu=(fl(u) or 0) + (fl(s) or 0) if fl(u) is not None else None,
                                                rss=fl(rss), rc=rc, load=la))
    elif f[0] == 'V':
        V[(f[1], f[2], f[3])] = f[4] if len(f) > 4 else ''


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rows(step, m): return T.get((step, m), [])
def wall(step, m, r): return next((x['wall'] for x in rows(step, m) if x['rep'] == str(r)), None)
def walls(step, m): return [x['wall'] for x in rows(step, m)]
def mwall(step, m): return med(walls(step, m))
def mcpu(step, m): return med([x['cpu'] for x in rows(step, m)])
def mrss(step, m): return med([x['rss'] for x in rows(step, m)])
def okrc(step, m): return bool(rows(step, m)) and all(x['rc'] == '0' for x in rows(step, m))
def loads(step, m): return '/'.join(x['load'] for x in rows(step, m)) or '—'
def v(step, m, k, d='—'): return V.get((step, m, k), d)
def vnum(step, m, k): return fl(V.get((step, m, k)))


def S(x, nd=1): return '—' if x is None else f'{x:.{nd}f}'
def MB(b, nd=1): return '—' if b is None else f'{b/1e6:,.{nd}f}'
def ratio(a, b): return None if a is None or not b else a / b
def R(x): return '—' if x is None else f'{x:.2f}×'
def runs(xs, nd=2): return '/'.join(S(x, nd) for x in xs) if xs else '—'
def verdict(x, target): return '—' if x is None else ('**PASS**' if x <= target else '**FAIL**')


reps = sorted({int(x['rep']) for (st, m), xs in T.items() if st == '2' for x in xs})
ALL = ['pgborg', 'pgborg_borg', 'pgborg_latest', 'pgbr', 'pgbr_async']
methods = [m for m in ALL if rows('2', m)]
LABEL = {
    'pgborg': 'pgborg `pgcarestore restore` ("local" mode: root-owned repository)',
    'pgborg_borg': 'pgborg `pgcarestore restore` ("borg" mode: repository readable by postgres)',
    'pgborg_latest': 'pgborg `pgcarestore restore`, no target (the newest base, see the setup; context only)',
    'pgbr': '`pgbackrest restore --process-max=2` (archive-get, archive-async off)',
    'pgbr_async': '`pgbackrest restore --process-max=2` + restore_command with `--archive-async --process-max=2`',
}
INCL = {
    'pgborg': 'choose (one `borg list`), 2 parallel `borg extract` of the base (split by the base\'s stored extract hints, no item listing), recovery files, chown -R, syncfs, rename + fsync of the parent, then start the background WAL extractor and return: the WAL comes out of Borg behind the command while PostgreSQL replays (4, 16, then 32 segments per `borg extract`, 2 at a time, at most 128 segments ahead of replay)',
    'pgborg_borg': 'the same, with a probe `borg list --bypass-lock` as postgres beside the extraction (so that wal-fetch can read Borg itself should the extractor stop)',
    'pgborg_latest': 'the newer base (taken after the WAL) and its cycle\'s few WAL files',
    'pgbr': 'base only (files fsynced by pgBackRest); WAL comes during recovery, one archive-get process per segment',
    'pgbr_async': 'base only, as pgbr; during recovery archive-get prefetches in the background (2 processes)',
}


def per_run(m, r):
    """(restore, sync, start->promoted) of one run; None if missing."""
    a, s = wall('2', m, r), wall('2', m + '_sync', r)
    p = vnum('2', m, f'start_to_promoted_rep{r}')
    return a, s, p


def totals(m, with_sync=True):
    xs = []
    for r in reps:
        a, s, p = per_run(m, r)
        xs.append(None if a is None or p is None or (with_sync and s is None) else a + (s if with_sync else 0) + p)
    return xs


def rs_total(m):
    return [None if wall('2', m, r) is None or wall('2', m + '_sync', r) is None else wall('2', m, r) + wall('2', m + '_sync', r) for r in reps]


L = []
A = L.append
cmd = v('9', 'env', 'command', 'BENCH_DIR=/var/tmp/pgborg-bench-restore bash bench/restore/run.sh')
A('# Benchmark: pgborg `pgcarestore restore` vs `pgbackrest restore`')
A('')
A(f'Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `{cmd}` (scripts in bench/restore/; raw rows in '
  f'`$BENCH_DIR/results.tsv`, logs in `$BENCH_DIR/logs/`). Total run time {v("9","env","total_s")} s.')
A('')
A('MB = 10^6 bytes, MiB = 2^20 bytes. "median" = median over the rounds; every run is listed as "a/b/c" in round order. '
  'CPU u+s = user+system CPU seconds of the timed command and all its children (GNU time); max RSS = the largest single '
  'process. Everything runs with a warm page cache (the repositories are a few hundred MB, the machine has '
  f'{v("0","env","mem_gib")} GiB), restores write to the same disk.')
A('')
A('## Environment')
A('')
A('| item | value |')
A('|---|---|')
for k, lab in [('cpu', 'CPU model (lscpu)'), ('cores', 'cores'), ('mem_gib', 'RAM GiB'), ('kernel', 'kernel'), ('os', 'OS'),
               ('fs', 'filesystem of $BENCH_DIR'), ('borg', 'borg --version'), ('pgbackrest', 'pgbackrest version'),
               ('postgres', 'postgres --version'), ('pgborg_version', 'pgborg --version'),
               ('pgborg_sha256', 'pgborg binary sha256 (first 16 hex)'), ('pgborg_mtime', 'pgborg binary build time (mtime)'),
               ('git_head', 'git HEAD of the work tree')]:
    A(f'| {lab} | {v("0","env",k)} |')
A(f'| load average at start | {v("0","env","loadavg_start")} (busiest processes in `top`: {v("0","env","top_start")}) |')
A(f'| load average at end | {v("9","env","loadavg_end")} (busiest processes in `top`: {v("9","env","top_end")}) |')
db = vnum('0', 'env', 'db_size_bytes')
A(f'| pgbench scale | {v("0","env","scale")} |')
A(f'| pg_database_size(\'bench\') after `pgbench -i` | {MB(db)} MB ({S(db/2**20 if db else None)} MiB) |')
wb = vnum('1', 'wal', 'bytes')
A(f'| WAL after the later base (pg_wal_lsn_diff) | {MB(wb)} MB ({S(wb/2**30 if wb else None, 2)} GiB), '
  f'{v("1","wal","lsn_start")} → {v("1","wal","lsn_end")}; {v("1","wal","pgbench_chunks")} chunks of `pgbench -T … -c 2 -j 2` '
  f'(tps {", ".join(S(fl(v("1","wal",f"tps_chunk{i}")),0) for i in range(1, int(fl(v("1","wal","pgbench_chunks")) or 0) + 1))}) |')
A(f'| archiver after the final switch | {v("1","wal","archiver")} |')
A(f'| pgBackRest archive | {v("1","pgbr_archive_files","count")} WAL files, {MB(vnum("1","pgbr_archive_bytes","bytes"))} MB (lz4), last {v("1","pgbr_archive_files","last")}; backup set(s) {MB(vnum("1","pgbr_backup","bytes"))} MB |')
A(f'| pgborg repository | {MB(vnum("1","pgborg_repo","bytes"))} MB (du of the archive and the WAL repository, all cycles) |')
A('')
A('Cluster: PostgreSQL 15, initdb defaults (shared_buffers 128MB, no data checksums), `wal_level = replica`, '
  '`archive_mode = on`, `max_wal_size = 1GB`, `log_checkpoints = on`, Unix socket only. pgBackRest: `$BENCH_DIR/pgbackrest.conf` '
  '(compress-type=lz4, start-fast=y, the anchors\' form). pgborg: a copy of `artifacts/publish/pgborg` in `$BENCH_DIR/bin` '
  '(mode 755), `[archive] snapshot = "direct"`, default chunker, repokey-blake2.')
A('')
A('## Setup: one base in each tool, then the WAL')
A('')
A(f'1. `archive_command = <pgborg> wal-push %p`; `pgcad --once --new-cycle` took pgborg\'s base ({S(mwall("1","pgcad_base"),2)} s): '
  f'{v("1","pgcad_base","line")}.')
A(f'2. `archive_command = pgbackrest-and-pgborg.sh %p` (pgborg wal-push, then pgbackrest archive-push; fails if either fails; '
  f'its name contains "pgbackrest" because pgBackRest\'s backup checks that), then `pgbackrest backup --type=full '
  f'--compress-type=lz4 --process-max=2 --start-fast=y` ({S(mwall("1","pgbr_full"),2)} s).')
A(f'3. Still with both tools archiving: `pgbench -T … -c 2 -j 2` chunks until ≥ 1 GiB of WAL after the pgBackRest base, '
  f'then `pg_switch_wal()` (the insert LSN just before it: {v("1","wal","lsn_target")}), wait until no `.ready` is left: '
  f'pgBackRest\'s archive ends at {v("1","pgbr_archive_files","last")}.')
A(f'4. `archive_command = <pgborg> wal-push %p`, `pgcad --once` ({S(mwall("1","pgcad_ingest"),2)} s) ingested the spool: '
  f'{v("1","pgcad_ingest","lines")}. Then the source cluster was stopped, so that nothing else runs during the timings.')
A('')
nc = v('1', 'pgcad_ingest', 'new_cycle', 'none')
if nc != 'none':
    A(f'**pgcad started a new cycle in that ingest round** ("{nc}"; the rule is built in, not configurable), and took a new '
      f'base: {v("1","pgcad_ingest","base_line")}. `pgcarestore restore` without a target therefore restores that newer base '
      f'and replays almost nothing (`pgcarestore info`: base {v("1","pgcarestore_info_latest","base")}; WAL {v("1","pgcarestore_info_latest","wal")}). '
      f'To replay the same WAL as pgBackRest, pgborg\'s runs below restore with `{v("1","pgborg","target")}`: the newest base that '
      f'ended before that LSN is the first one, and recovery stops after the record at that LSN (the switch record), which is '
      f'exactly the end of what pgBackRest replays with its default target (the end of its archive). `pgcarestore info` for that target: '
      f'base {v("1","pgcarestore_info","base")}; WAL {v("1","pgcarestore_info","wal")}; size {v("1","pgcarestore_info","size")}. '
      f'The method pgborg_latest (no target, the newer base) is listed for context only: pgBackRest has no base that recent.')
else:
    A(f'pgcad did not start a new cycle; pgborg\'s runs restore the latest state (no target). `pgcarestore info`: base '
      f'{v("1","pgcarestore_info","base")}; WAL {v("1","pgcarestore_info","wal")}; size {v("1","pgcarestore_info","size")}.')
A('')
A(f'pgborg WAL archives of the restored cycle: {v("1","pgborg_repo","wal_archives")} ({v("1","pgborg_repo","wal_archive_names")}).')
A('')
A('Every restored server was checked after promotion: `count(*)` and `sum(delta)` of pgbench_history and `sum(bbalance)` of '
  f'pgbench_branches must equal the source\'s after the WAL ({v("1","wal","expect")}).')
checks = [(m, r, v('2', m, f'check_rep{r}', 'missing')) for m in methods for r in reps]
bad = [(m, r, c) for m, r, c in checks if not c.startswith('OK')]
A(f'Result: {len(checks) - len(bad)} of {len(checks)} restored servers OK' + ('' if not bad else '; NOT OK: ' + '; '.join(f'{m} round {r}: {c}' for m, r, c in bad)) + '.')
errs = [(k, x) for k, x in V.items() if k[2].startswith('error_rep')]
if errs:
    A('')
    A('**Errors:**')
    A('')
    for (st, m, k), x in errs:
        A(f'- {m} round {k[len("error_rep"):]}: `{x}`')
A('')
A(f'## Procedure ({len(reps)} rounds, the order of the methods rotating each round)')
A('')
A('For each run: remove the restore directory, `sync` (untimed); (a) the restore command, timed; `sync`, timed separately; '
  '(b) `pg_ctl start` as postgres with `-o "-c port=… -c unix_socket_directories=… -c archive_mode=off"`, not waiting, then '
  '`SELECT pg_is_in_recovery()` every 0.1 s until it answers `f` (all WAL replayed, promoted, read-write). Then the check '
  'above, `pg_ctl stop -m immediate`, and the directory is removed. The "borg" mode runs chown the repository and '
  'pgborg\'s state directory to postgres before and back to root after (untimed). pgBackRest\'s archive-get spool is emptied '
  'before each pgBackRest run.')
A('')
A('| method | what the restore command does |')
A('|---|---|')
for m in methods:
    A(f'| {m}: {LABEL[m]} | {INCL[m]} |')
A('')
A(f'Load average (1 min) at the start of each restore command: ' + '; '.join(f'{m} {loads("2", m)}' for m in methods) + '.')
A('')

# ---------------------------------------------------------------- (a)
A('## (a) The restore command alone ("extract-only")')
A('')
A('| method | median s | runs s | median `sync` after s | median restore + sync s | runs s | CPU u+s s | max RSS MB | restored MB (of which pgborg_restore/ WAL) |')
A('|---|---|---|---|---|---|---|---|---|')
for m in methods:
    rb = med([vnum('2', m, f'restored_bytes_rep{r}') for r in reps])
    wa = med([vnum('2', m, f'walarea_bytes_rep{r}') for r in reps])
    A(f'| {m} | {S(mwall("2",m),2)} | {runs(walls("2",m))} | {S(mwall("2",m+"_sync"),2)} | {S(med(rs_total(m)),2)} | '
      f'{runs(rs_total(m))} | {S(mcpu("2",m))} | {S(mrss("2",m)/1000 if mrss("2",m) else None,0)} | {MB(rb)}'
      f'{" (" + MB(wa) + ")" if wa and wa > 1e6 else ""} |' + ('' if okrc('2', m) else ' (some runs failed)'))
A('')
A('pgborg\'s phases, from its stdout lines timestamped as they arrive (`extracting base …`, `… is being extracted … in the '
  'background`, the plan printed at the end): choose = start → "extracting base" (process start, reading the config, one '
  '`borg list` of the archives, in borg mode the probe `borg list` as postgres); base = → "in the background" (the parallel '
  'extract, recovery files, chown -R, syncfs, rename, starting the WAL extractor); WAL = → the end.')
A('')
A('| method | choose s | base s | WAL s | runs (choose / base / WAL) |')
A('|---|---|---|---|---|')
for m in [m for m in methods if m.startswith('pgborg')]:
    pl = [vnum('2', m, f'plan_s_rep{r}') for r in reps]
    bs = [vnum('2', m, f'base_s_rep{r}') for r in reps]
    ws = [vnum('2', m, f'wal_s_rep{r}') for r in reps]
    A(f'| {m} | {S(med(pl),2)} | {S(med(bs),2)} | {S(med(ws),2)} | {runs(pl)} / {runs(bs)} / {runs(ws)} |')
A('')
A(f'Raw Borg on the same repository (root, pgborg\'s state directory as BORG_BASE_DIR), each into an empty directory, '
  f'`sync` timed separately. pgborg\'s split of the base over 2 workers: {v("2","raw","split")}.')
A('')
A('| raw command | median s | runs s | median sync s | CPU u+s s | MB written |')
A('|---|---|---|---|---|---|')
for m, lab in [('raw_list', '`borg list --json-lines` of the base (what pgborg needs only for bases without extract hints)'),
               ('raw_base1', '`borg extract` of the base, 1 process'),
               ('raw_base2', 'the base with pgborg\'s 2-worker split, 2 `borg extract` in parallel'),
               ('raw_wal', '`borg extract` of the cycle\'s WAL archives, ≤ 2 at a time (pgborg\'s gate)')]:
    if rows('2', m):
        A(f'| {lab} | {S(mwall("2",m),2)} | {runs(walls("2",m))} | {S(mwall("2",m+"_sync"),2)} | {S(mcpu("2",m))} | '
          f'{MB(med([vnum("2", m, f"bytes_rep{r}") for r in reps]))} |')
A('')
pa, pb_ = med(rs_total('pgborg')), med(rs_total('pgbr'))
A('| ratio (medians) | value | target | verdict |')
A('|---|---|---|---|')
A(f'| pgborg local mode restore / pgBackRest restore (command only) | {R(ratio(mwall("2","pgborg"), mwall("2","pgbr")))} | ≤ 1.0× | {verdict(ratio(mwall("2","pgborg"), mwall("2","pgbr")), 1.0)} |')
A(f'| pgborg local mode restore + sync / pgBackRest restore + sync | {R(ratio(pa, pb_))} | ≤ 1.0× | {verdict(ratio(pa, pb_), 1.0)} |')
if 'pgborg_borg' in methods:
    pbb = med(rs_total('pgborg_borg'))
    A(f'| pgborg borg mode restore (base only, like pgBackRest) / pgBackRest restore | {R(ratio(mwall("2","pgborg_borg"), mwall("2","pgbr")))} | ≤ 1.0× | {verdict(ratio(mwall("2","pgborg_borg"), mwall("2","pgbr")), 1.0)} |')
    A(f'| pgborg borg mode restore + sync / pgBackRest restore + sync | {R(ratio(pbb, pb_))} | ≤ 1.0× | {verdict(ratio(pbb, pb_), 1.0)} |')
A(f'| (context) raw 1-process base extract / pgBackRest restore | {R(ratio(mwall("2","raw_base1"), mwall("2","pgbr")))} | — | — |')
A(f'| (context) raw 2-process base extract / pgBackRest restore | {R(ratio(mwall("2","raw_base2"), mwall("2","pgbr")))} | — | — |')
A('')
A('Both commands write the base only and make it durable before they return: pgBackRest fsyncs each file, pgborg calls '
  'syncfs(2) once after its extraction (so the separate `sync` after either has little left to do). pgborg\'s background WAL '
  'extractor is still working when its command returns: it competes with the timed `sync` and with the start in (b), '
  'where it is counted in full; pgBackRest fetches its WAL during recovery too.')
A('')

# ---------------------------------------------------------------- (b)
A('## (b) Restore until the server accepts read-write connections (all WAL replayed, promoted)')
A('')
A('(b) = restore command + `sync` + (`pg_ctl start` → `pg_is_in_recovery()` = false). Every run, per method:')
A('')
A('| method | median (b) s | runs s | without the sync: median s | restore s | sync s | start → accepting connections s | start → promoted s | redo elapsed (PostgreSQL) s | WAL files restored |')
A('|---|---|---|---|---|---|---|---|---|---|')
for m in methods:
    tt = totals(m)
    tn = totals(m, with_sync=False)
    conn = [vnum('2', m, f'start_to_conn_rep{r}') for r in reps]
    prom = [vnum('2', m, f'start_to_promoted_rep{r}') for r in reps]
    redo = [vnum('2', m, f'redo_elapsed_rep{r}') for r in reps]
    nf = [vnum('2', m, f'restored_files_rep{r}') for r in reps]
    A(f'| {m} | {S(med(tt),2)} | {runs(tt)} | {S(med(tn),2)} | {S(mwall("2",m),2)} | {S(mwall("2",m+"_sync"),2)} | '
      f'{S(med(conn),2)} ({runs(conn)}) | {S(med(prom),2)} ({runs(prom)}) | {S(med(redo),2)} ({runs(redo)}) | {S(med(nf),0)} |')
A('')
A('Inside the start → promoted span, from the restored server\'s log (seconds after `pg_ctl start`, medians): first WAL file '
  'restored, redo starts, consistent (read-only connections), redo done, archive recovery complete, ready for read-write '
  '(after the end-of-recovery checkpoint); redo CPU = user+system of the startup process during redo (PostgreSQL\'s "redo done" line).')
A('')
A('| method | first restored | redo starts | consistent | redo done | recovery complete | ready (read-write) | redo CPU s |')
A('|---|---|---|---|---|---|---|---|')
for m in methods:
    def pm(k): return S(med([vnum('2', m, f'pglog_{k}_rep{r}') for r in reps]), 2)
    A(f'| {m} | {pm("first_restored")} | {pm("redo_start")} | {pm("consistent")} | {pm("redo_done")} | {pm("archive_complete")} | '
      f'{pm("ready")} | {S(med([vnum("2", m, f"redo_cpu_rep{r}") for r in reps]),2)} |')
A('')
A('| ratio (medians of (b)) | value | target | verdict |')
A('|---|---|---|---|')
for a_, b_, lab in [('pgborg', 'pgbr', 'pgborg local mode / pgBackRest (archive-async off, the default)'),
                    ('pgborg', 'pgbr_async', 'pgborg local mode / pgBackRest with archive-async'),
                    ('pgborg_borg', 'pgbr', 'pgborg borg mode / pgBackRest (archive-async off)'),
                    ('pgborg_borg', 'pgbr_async', 'pgborg borg mode / pgBackRest with archive-async')]:
    if a_ in methods and b_ in methods:
        x = ratio(med(totals(a_)), med(totals(b_)))
        A(f'| {lab} | {R(x)} | ≤ 1.0× | {verdict(x, 1.0)} |')
for a_, b_, lab in [('pgborg', 'pgbr', 'without the sync: pgborg local mode / pgBackRest (async off)')]:
    if a_ in methods and b_ in methods:
        x = ratio(med(totals(a_, False)), med(totals(b_, False)))
        A(f'| (context) {lab} | {R(x)} | — | — |')
A('')

# ---------------------------------------------------------------- profile
prof = os.path.join(bdir, 'logs', 'restore', 'profile.tsv')
if os.path.exists(prof):
    A('## Where pgborg\'s restore time goes (one extra local-mode run under a process poller, every 0.05 s)')
    A('')
    me, kids = None, []
    for line in open(prof):
        f = line.rstrip('\n').split('\t')
        if f[0] == 'self':
            me = f
        elif f[0] == 'child':
            kids.append(f)
    A(f'Whole command {S(mwall("2","pgborg_profile"),2)} s under the poller. Child processes in start order (seconds after the '
      'start, ±0.05 s; CPU = last value seen):')
    A('')
    A('| from s | to s | ~dur s | CPU u+s s | RSS MB | process |')
    A('|---|---|---|---|---|---|')
    for f in kids:
        first, last = fl(f[5]), fl(f[6])
        c = f[7]
        a = c.split(' ')
        if len(a) > 2 and a[1].endswith('/borg'):
            sub = a[2]
            if sub == 'list' and '--glob-archives' in c:
                lab = 'borg list (archives of the instance)'
            elif sub == 'list' and '--json-lines' in c:
                lab = 'borg list --json-lines (the base\'s items, for the split)'
            elif sub == 'list' and '--short' in c:
                lab = 'borg list --short as postgres (can wal-fetch read the repository?)'
            elif sub == 'extract' and '~wal~' in c:
                lab = 'borg extract (WAL archive ' + c.split('~wal~')[1].split('~')[0] + '…)'
            elif sub == 'extract' and '--exclude-from' in c:
                lab = 'borg extract (base, worker 0: everything except worker 1\'s files)'
            elif sub == 'extract':
                lab = 'borg extract (base, worker 1: ' + ' '.join(a[a.index(next(x for x in a if x.startswith('::'))) + 1:])[:60] + ')'
            else:
                lab = 'borg ' + sub
        elif 'pgcarestore' in c:
            lab = 'pgborg pgcarestore restore'
        elif 'stamp.sh' in c:
            lab = 'stamp.sh (this benchmark\'s timestamping of stdout)'
        else:
            lab = c[:80]
        A(f'| {S(first,2)} | {S(last,2)} | {S(last-first+0.05 if first is not None else None,2)} | '
          f'{S((fl(f[3]) or 0)+(fl(f[4]) or 0),2)} | {S(fl(f[2])/1000,0)} | {lab.replace("|","/")} |')
    A('')
    # summary of the timeline
    borgs = [(fl(f[5]), fl(f[6]), f[7]) for f in kids if len(f[7].split(' ')) > 2 and f[7].split(' ')[1].endswith('/borg')]
    if borgs:
        def d(x): return x[1] - x[0] + 0.05
        ext_base = [b for b in borgs if ' extract ' in b[2] and '~base~' in b[2]]
        ext_wal = [b for b in borgs if ' extract ' in b[2] and '~wal~' in b[2]]
        others = [b for b in borgs if ' extract ' not in b[2]]
        parts = [f'{len(borgs)} borg processes.']
        if ext_base:
            parts.append(f'Base: {len(ext_base)} extracts in parallel, ' + ' and '.join(f'{d(b):.2f} s' for b in ext_base)
                         + f' (the base phase lasts as long as the slowest; one file cannot be split between workers).')
        if ext_wal:
            span = max(b[1] for b in ext_wal) - min(b[0] for b in ext_wal) + 0.05
            parts.append(f'WAL: {len(ext_wal)} archive extracts, {span:.2f} s from the first start to the last end; the longest '
                         f'{max(d(b) for b in ext_wal):.2f} s (one borg process per archive, so an archive holding most of the '
                         f'segments is extracted by one process on one core).')
        if ext_base and ext_wal:
            parts.append(f'The WAL extraction starts only after the base extraction has ended '
                         f'({min(b[0] for b in ext_wal) - max(b[1] for b in ext_base):.2f} s later).')
        if others:
            # the wall time they cover (they may overlap: the two repositories are listed at once), and their sum
            covered = max(b[1] for b in others) - min(b[0] for b in others) + 0.05
            parts.append(f'The {len(others)} other borg calls (lists, the probe as postgres; each a Python start + repository open) '
                         f'take ~{sum(d(b) for b in others):.2f} s in all and span {covered:.2f} s from the first start to the last end.')
        A('Summary: ' + ' '.join(parts))
        A('')
A('## Rerun')
A('')
A('```')
A(f'cd {os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))} && {cmd}')
A('```')
A('')
open(out, 'w').write('\n'.join(L))
print(f'wrote {out}')
