#!/usr/bin/python3
"""Build RESULTS.md from the results.tsv written by bench/archive/run.sh.
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
        T.setdefault((step, m), []).append(dict(rep=rep, wall=fl(wall), cpu=(fl(u) or 0) + (fl(s) or 0), rss=fl(rss), rc=rc, load=la))
    elif f[0] == 'V':
        V[(f[1], f[2], f[3])] = f[4] if len(f) > 4 else ''


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rows(step, m): return T.get((step, m), [])
def walls(step, m): return [r['wall'] for r in rows(step, m)]
def mwall(step, m): return med(walls(step, m))
def mcpu(step, m): return med([r['cpu'] for r in rows(step, m)])
def mrss(step, m): return med([r['rss'] for r in rows(step, m)])
def rcs(step, m): return [r['rc'] for r in rows(step, m)]
def okrc(step, m): return bool(rcs(step, m)) and all(rc == '0' for rc in rcs(step, m))
def loads(step, m): return '/'.join(r['load'] for r in rows(step, m)) or '—'
def v(step, m, k, d='—'): return V.get((step, m, k), d)
def vnum(step, m, k): return fl(V.get((step, m, k)))


def S(x, nd=1): return '—' if x is None else f'{x:.{nd}f}'
def MB(b, nd=1): return '—' if b is None else f'{b/1e6:,.{nd}f}'
def ratio(a, b): return None if a is None or not b else a / b
def R(x): return '—' if x is None else f'{x:.2f}×'
def runs(xs, nd=1): return '/'.join(S(x, nd) for x in xs) if xs else '—'
def verdict(x, target): return '—' if x is None else ('**PASS**' if x <= target else '**FAIL**')


UNITS = {'B': 1, 'KiB': 1 << 10, 'MiB': 1 << 20, 'GiB': 1 << 30, 'TiB': 1 << 40, 'kB': 1e3, 'MB': 1e6, 'GB': 1e9}


def size(txt):
    """'19.2 MiB' -> bytes (as printed by pgborg, so rounded to 3-4 digits)."""
    m = re.match(r'^\s*([0-9.]+)\s*(B|KiB|MiB|GiB|TiB|kB|MB|GB)\s*$', txt or '')
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def base(step, m, rep):
    """pgborg base line -> dict(cycle, method, read, comp, new, wal, secs) or None."""
    p = V.get((step, m, f'base_rep{rep}'), 'NA').split('|')
    if len(p) != 7:
        return None
    return dict(cycle=p[0], method=p[1], read=size(p[2]), comp=size(p[3]), new=size(p[4]), wal=p[5], secs=fl(p[6]))


def bases(step, m): return [base(step, m, r['rep']) for r in rows(step, m)]
def bfield(step, m, k): return [b[k] if b else None for b in bases(step, m)]


def bstats(step, m, rep):
    p = V.get((step, m, f'stats_rep{rep}'), 'NA NA NA NA').split()
    return [fl(x) for x in (p + ['NA'] * 4)[:4]]


def problems(step, m):
    out_ = []
    for r in rows(step, m):
        p = V.get((step, m, f'problems_rep{r["rep"]}'))
        if p:
            out_.append(f'rep {r["rep"]}: `{p.strip()}`')
    return out_


def ckpts(step, m):
    return '/'.join(v(step, m, f'ckpt_rep{r["rep"]}', '') or '—' for r in rows(step, m)) or '—'


L = []
A = L.append
now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
A('# Benchmark: pgborg continuous archiving vs cp + sync, raw `borg create` and pgBackRest')
A('')
A(f'Generated {now} by `{v("9","env","command")}` (scripts in bench/archive/; raw rows in `$BENCH_DIR/results.tsv`, '
  f'logs in `$BENCH_DIR/logs/`). Total run time {v("9","env","total_s")} s.')
A('')
A('MB = 10^6 bytes, MiB = 2^20 bytes (pgborg prints MiB/KiB rounded to 0.1 of the unit). "median" = median over the '
  'repeated runs, every run listed as "a/b/c" in run order. CPU u+s = user+system CPU seconds of the timed command and '
  'all its children (GNU time; PostgreSQL server work such as the checkpoint is not included); max RSS = the largest '
  'single process of the tree. Everything runs with a warm page cache (24 GB RAM vs a ~0.8 GB database).')
A('')

# ---------------------------------------------------------------- environment
A('## Environment')
A('')
A('| item | value |')
A('|---|---|')
for k, lab in [('cpu', 'CPU model (lscpu)'), ('cores', 'cores'), ('mem_gib', 'RAM GiB'), ('kernel', 'kernel'), ('os', 'OS'),
               ('fs', 'filesystem of $BENCH_DIR'), ('borg', 'borg --version'), ('pgbackrest', 'pgbackrest version'),
               ('postgres', 'postgres --version'), ('pgborg_version', 'pgborg --version'),
               ('pgborg_sha256', 'pgborg binary sha256 (first 16 hex)'), ('pgborg_mtime', 'pgborg binary build time (mtime)'),
               ('git_head', 'git HEAD of the work tree'), ('loadavg_start', 'load average at start')]:
    A(f'| {lab} | {v("0","env",k)} |')
A(f'| load average at end | {v("9","env","loadavg_end")} |')
db = vnum('0', 'env', 'db_size_bytes')
A(f'| pgbench scale | {v("0","env","scale")} ({v("0","env","accounts_rows")} rows in pgbench_accounts) |')
A(f'| `pgbench -i` wall s | {S(med(walls("0","pgbench_init")))} |')
A(f'| pg_database_size(\'bench\') after `pgbench -i` | {MB(db)} MB ({db/2**20 if db else 0:,.1f} MiB) |')
db2 = vnum('2', 'env', 'db_size_bytes')
A(f'| pg_database_size(\'bench\') at step 2 | {MB(db2)} MB ({db2/2**20 if db2 else 0:,.1f} MiB) |')
A(f'| data directory (du -sb) at step 2 | {MB(vnum("0","env","pgdata_bytes"))} MB, of which pg_wal {MB(vnum("0","env","pgwal_bytes"))} MB |')
A('')
A('Cluster: PostgreSQL 15, initdb defaults (no data checksums, shared_buffers 128MB), `wal_level = replica`, '
  '`archive_mode = on`, `archive_timeout = 60`, `max_wal_size = 1GB`, Unix socket only. pgBackRest\'s configuration '
  'lives in `$BENCH_DIR/pgbackrest.conf` (repo1-retention-full=99, compress-type=lz4, start-fast=y). pgborg is a copy '
  'of `artifacts/publish/pgborg` in `$BENCH_DIR/bin` (mode 755), config `[archive] snapshot = "direct"`, '
  '`ingest_interval = "10s"`, the default chunker (`fixed,65536`) unless stated.')
A('')
A('**archive_command phases.** A cluster has one archive_command and pgcad refuses to run unless it is exactly '
  '`<pgborg> wal-push %p`, so the script switches it (ALTER SYSTEM + pg_reload_conf, after draining the .ready '
  'backlog under the old command): `pgborg wal-push %p` for every pgcad run, `pgbackrest archive-push %p` for every '
  'pgBackRest backup, a plain `cp` into a scratch dir for the raw borg base (its pg_backup_stop waits for the WAL), '
  '`/bin/true` during `pgbench -i`, and during the step-3 churn a wrapper `both.sh %p` (pgborg wal-push, then '
  'pgbackrest archive-push; fails if either fails) so that the churn\'s WAL reaches both tools. Each tool\'s WAL '
  'archive therefore has gaps where the other tool was active; this does not affect the figures below.')
A('')

# ---------------------------------------------------------------- step 1
A('## 1. wal-push of one 16 MiB segment')
A('')
segs = v('1', 'walsample', 'segments')
nseg = len(segs.split(',')) if segs != '—' else 0
A(f'{nseg} real, full segments ({segs}) taken from the middle of the WAL of `pgbench -T ... -c 2` '
  f'({v("0","walsample","tps")} tps), {v("1","walsample","captured")} segments captured. A fake data directory '
  '(PG_VERSION and global/pg_control copied from the cluster, the segments in pg_wal/, one spool '
  '`data.pgborg-spool/20260101T000000Z/` owned by postgres) serves pgborg. Every call runs as postgres and is one '
  'process start, as archive_command does; the three methods rotate their order per segment; `sync` (untimed) before '
  'each call; the stored copy is removed after it (untimed). Wall = bash `$EPOCHREALTIME` around the call (includes '
  'the fork/exec of GNU time, ~1 ms, equally for all). One untimed warm-up call per method first.')
A('')
A('| method | median wall ms | min–max ms | median CPU u+s ms (10 ms resolution) | max RSS MB | calls (failed) | all runs ms |')
A('|---|---|---|---|---|---|---|')
labels = {'pgborg': '`pgborg wal-push pg_wal/SEG` (cwd = data dir)', 'cp_sync': '`cp SEG SPOOL/ && sync SPOOL/SEG` (sh -c)',
          'pgbr': '`pgbackrest archive-push SEG` (lz4, sync mode, fresh stanza repo)'}
for m in ('pgborg', 'cp_sync', 'pgbr'):
    w = walls('1', m)
    if not w:
        continue
    nfail = sum(1 for rc in rcs('1', m) if rc != '0')
    A(f'| {labels[m]} | {S(med(w)*1000)} | {S(min(w)*1000)}–{S(max(w)*1000)} | {S((mcpu("1",m) or 0)*1000,0)} | '
      f'{S((mrss("1",m) or 0)/1000)} | {len(w)} ({nfail}) | {runs([x*1000 for x in w], 0)} |')
A('')
sb, st = vnum('1', 'pgbr', 'stored_bytes'), vnum('1', 'walsample', 'bytes')
if sb and st:
    A(f'pgBackRest stores the sample in {MB(sb)} MB of {MB(st)} MB ({100*sb/st:.0f}%, lz4); pgborg and cp store it '
      'uncompressed in the spool (pgcad compresses it with lz4 when it moves it into Borg).')
    A('')
r1 = ratio(mwall('1', 'pgborg'), mwall('1', 'cp_sync'))
r2 = ratio(mwall('1', 'pgborg'), mwall('1', 'pgbr'))
A('| ratio (medians) | value | target | verdict |')
A('|---|---|---|---|')
A(f'| pgborg / cp + sync | {R(r1)} | ≤ 1.3× | {verdict(r1, 1.3)} |')
A(f'| pgborg / pgbackrest archive-push | {R(r2)} | ≤ 0.5× | {verdict(r2, 0.5)} |')
A('')

# ---------------------------------------------------------------- step 2
A('## 2. Full base backup')
A('')
A(f'{len(rows("2","pgborg"))} rounds, the order of the three methods rotating each round. Fresh repository for each pgborg '
  'and raw borg run (repokey-blake2, initialised before the timed command, so `borg init` is not timed for either); '
  'pgBackRest writes each full into the same stanza. `sync` before each timed command. Checkpoint = the "total" of '
  'PostgreSQL\'s `checkpoint complete` log lines during the command (the immediate checkpoint of the backup start).')
A('')
A('| method | median wall s | all runs s | median CPU u+s s | max RSS MB | stored MB | notes |')
A('|---|---|---|---|---|---|---|')
pg_b = bfield('2', 'pgborg', 'secs')
pg_new = [b['new'] if b else None for b in bases('2', 'pgborg')]
pg_read = med(bfield('2', 'pgborg', 'read'))
pg_comp = med(bfield('2', 'pgborg', 'comp'))
pg_repo = med([vnum('2', 'pgborg', f'repo_bytes_rep{r["rep"]}') for r in rows('2', 'pgborg')])
A(f'| pgborg `pgcad --once --new-cycle`, whole command | {S(mwall("2","pgborg"),2)} | {runs(walls("2","pgborg"),2)} | '
  f'{S(mcpu("2","pgborg"))} | {S((mrss("2","pgborg") or 0)/1000,0)} | {MB(pg_repo)} (repo du) | '
  f'read {MB(pg_read)} MB → lz4 {MB(pg_comp)} MB, new {MB(med(pg_new))} MB; checkpoint s {ckpts("2","pgborg")}; '
  f'WAL batches ingested {"/".join(v("2","pgborg","walbatches_rep" + r["rep"]) for r in rows("2","pgborg"))} |')
A(f'| pgborg, the base\'s own time (log line) | {S(med(pg_b),2)} | {runs(pg_b,1)} | | | | pg_backup_start → snapshot '
  '(direct) → borg create → pg_backup_stop → comment; excludes the WAL wait/ingest and the list/expiry calls |')
raw_cw = [vnum('2', 'borg_raw', f'create_wall_rep{r["rep"]}') for r in rows('2', 'borg_raw')]
raw_st = [bstats('2', 'borg_raw', r['rep']) for r in rows('2', 'borg_raw')]
raw_repo = med([vnum('2', 'borg_raw', f'repo_bytes_rep{r["rep"]}') for r in rows('2', 'borg_raw')])
A(f'| raw `borg create --compression lz4` (default chunker) + pg_backup_start/stop | {S(mwall("2","borg_raw"),2)} | '
  f'{runs(walls("2","borg_raw"),2)} | {S(mcpu("2","borg_raw"))} | {S((mrss("2","borg_raw") or 0)/1000,0)} | '
  f'{MB(raw_repo)} (repo du) | borg create alone {S(med(raw_cw),2)} s ({runs(raw_cw,2)}); input '
  f'{MB(med([s[0] for s in raw_st]))} MB → {MB(med([s[1] for s in raw_st]))} MB, {S(med([s[3] for s in raw_st]),0)} files; '
  f'checkpoint s {ckpts("2","borg_raw")} |')
pb_set = med([vnum('2', 'pgbr_full', f'set_bytes_rep{r["rep"]}') for r in rows('2', 'pgbr_full')])
A(f'| `pgbackrest backup --type=full` (lz4, process-max=2, start-fast=y) | {S(mwall("2","pgbr_full"),2)} | '
  f'{runs(walls("2","pgbr_full"),2)} | {S(mcpu("2","pgbr_full"))} | {S((mrss("2","pgbr_full") or 0)/1000,0)} | '
  f'{MB(pb_set)} (backup set dir) | checkpoint s {ckpts("2","pgbr_full")} |')
A('')
for m in ('pgborg', 'borg_raw', 'pgbr_full'):
    if not okrc('2', m):
        A(f'**{m}: non-zero exit codes {"/".join(rcs("2", m))}** (see logs).')
    for p in problems('2', m):
        A(f'- {m} log: {p}')
A(f'Load average (1 min) at the start of each run: pgborg {loads("2","pgborg")}; raw borg {loads("2","borg_raw")}; '
  f'pgBackRest {loads("2","pgbr_full")}.')
A('')
w_pg, w_raw, w_pb = mwall('2', 'pgborg'), mwall('2', 'borg_raw'), mwall('2', 'pgbr_full')
A('| ratio (medians) | value | target | verdict |')
A('|---|---|---|---|')
x = ratio(w_pg, w_raw); A(f'| pgborg whole command / raw borg | {R(x)} | ≤ 1.1× | {verdict(x, 1.1)} |')
x = ratio(med(pg_b), w_raw); A(f'| pgborg base (log line) / raw borg | {R(x)} | ≤ 1.1× | {verdict(x, 1.1)} |')
x = ratio(w_pg, w_pb); A(f'| pgborg whole command / pgBackRest full | {R(x)} | ≤ 1.0× | {verdict(x, 1.0)} |')
x = ratio(med(pg_b), w_pb); A(f'| pgborg base (log line) / pgBackRest full | {R(x)} | ≤ 1.0× | {verdict(x, 1.0)} |')
A('')
if w_pg and pg_b and med(pg_b):
    A(f'pgborg spends {S(w_pg - med(pg_b),2)} s (median) of its whole command outside the base itself: process start, '
      'settings check, `borg list` of the repository, waiting for the end-of-backup WAL segment and ingesting it '
      '(one `borg create` of the spool), the `borg recreate --comment` that marks the base complete and the '
      '`borg list` calls of the expiry check.')
    A('')

# profile
prof = os.path.join(bdir, 'logs', '2-profile.tsv')
if os.path.exists(prof):
    A('### Where pgborg\'s time goes (one extra run under a process poller, every 0.05 s)')
    A('')
    me = None
    kids = []
    for line in open(prof):
        f = line.rstrip('\n').split('\t')
        if f[0] == 'self':
            me = f
        elif f[0] == 'child':
            kids.append(f)
    pb = base('2', 'pgborg_profile', '1')
    A(f'Whole command {S(mwall("2","pgborg_profile"),2)} s (under the poller), base line {S(pb["secs"] if pb else None)} s, '
      f'checkpoint {v("2","pgborg_profile","ckpt_rep1")} s. pgborg itself: peak RSS {S(fl(me[2])/1000 if me else None)} MB, '
      f'CPU {me[3] if me else "—"} s user + {me[4] if me else "—"} s sys. Child processes, in start order (times relative '
      'to the start, ±0.05 s; CPU is the last value seen, so approximate for short ones):')
    A('')
    A('| from s | to s | ~dur s | CPU s | RSS MB | process |')
    A('|---|---|---|---|---|---|')

    def short(cmd):
        a = cmd.split(' ')
        if len(a) > 2 and a[1].endswith('/borg'):
            sub = a[2]
            if sub == 'create':
                what = '(base: data directory)' if '"pgborg-base/' in cmd else '(WAL batch from the spool)' if '"pgborg-wal/' in cmd else ''
            elif sub == 'recreate':
                what = '--comment (mark the base complete)' if '"complete":true' in cmd else '--comment (base metadata + stats)'
            elif sub == 'list':
                what = '(crash recovery: checkpoints)' if '--consider-checkpoints' in cmd else '(archives of the instance)'
            else:
                what = ''
            return ('borg', f'borg {sub} {what}'.strip(), sub, what)
        if len(a) > 1 and a[1] == '__session':
            return ('session', 'pgborg __session (PostgreSQL session helper as postgres: pg_backup_start … pg_backup_stop)', '', '')
        return ('other', ' '.join(a)[:90], '', '')
    borgs = []
    for f in kids:
        first, last = fl(f[5]), fl(f[6])
        kind, label, sub, what = short(f[7])
        if kind == 'borg':
            borgs.append((first, last, sub, what))
        A(f'| {S(first,2)} | {S(last,2)} | {S(last-first+0.05 if first is not None else None,2)} | '
          f'{S((fl(f[3]) or 0)+(fl(f[4]) or 0),2)} | {S(fl(f[2])/1000,0)} | {label.replace("|","/")} |')
    A('')
    if borgs:
        tot = sum(l - f_ + 0.05 for f_, l, _, _ in borgs)
        basec = [(f_, l) for f_, l, sub, what in borgs if sub == 'create' and 'base' in what]
        other = [(f_, l) for f_, l, sub, what in borgs if not (sub == 'create' and 'base' in what)]
        line_ = (f'Summary: {len(borgs)} borg processes, together ~{tot:.2f} s of the {S(mwall("2","pgborg_profile"),2)} s; '
                 f'the base\'s `borg create` ~{sum(l - f_ + 0.05 for f_, l in basec):.2f} s; the {len(other)} other borg calls '
                 f'(list, recreate, WAL create; each a Python start + repository/cache open) ~{sum(l - f_ + 0.05 for f_, l in other):.2f} s.')
        if basec:
            nxt = min((f_ for f_, l, _, _ in borgs if f_ > basec[0][1]), default=None)
            if nxt is not None:
                line_ += (f' Between the end of the base create and the next borg call: ~{nxt - basec[0][1]:.2f} s '
                          '(pg_backup_stop, which waits until the stop segment is archived; PostgreSQL checks that once a second).')
        A(line_)
    A('')
    lg = os.path.join(bdir, 'logs', '2-pgborg_profile-1.log')
    if os.path.exists(lg):
        A('pgborg\'s log of that run (1-second timestamps):')
        A('')
        A('```')
        for line in open(lg):
            if line.startswith('='):
                continue
            A(line.rstrip('\n')[:260])
        A('```')
        A('')
    pl = os.path.join(bdir, 'logs', '2-profile-postgres.log')
    if os.path.exists(pl):
        A('PostgreSQL\'s log during that run:')
        A('')
        A('```')
        for line in open(pl):
            if any(k in line for k in ('checkpoint', 'backup', 'archive')):
                A(line.rstrip('\n')[:260])
        A('```')
        A('')

# ---------------------------------------------------------------- step 3
A('## 3. Second base after a localized change')
A('')
b1 = base('3', 'pgborg_base1', '1')
A(f'First bases: pgborg `pgcad --once --new-cycle` into a fresh repository ({S(mwall("3","pgborg_base1"),2)} s, '
  f'repo {MB(vnum("3","pgborg_base1","repo_bytes"))} MB, new {MB(b1["new"] if b1 else None)} MB) and '
  f'`pgbackrest backup --type=full` ({S(mwall("3","pgbr_full1"),2)} s, set {MB(vnum("3","pgbr_full1","set_bytes_rep1"))} MB). '
  f'Then {len(rows("3","pgborg"))} rounds of: churn with archive_command = both.sh → the second base in each tool, '
  'alternating which goes first (odd rounds pgborg first). Each round\'s churn hits a different 1% range; pgBackRest\'s '
  'second backup is `--type=incr` on top of the previous one (full, then incr, incr, ...), pgborg\'s is always a new '
  'cycle, i.e. a new full base archive deduplicated against the repository.')
A('')
A('Churn per round: `' + v('3', 'churn', 'sql_rep1') + '` (later rounds: next ranges). Before pgborg\'s timed '
  '`--new-cycle` round, an untimed-for-the-comparison `pgcad --once` ingests the churn\'s WAL from the spool, so both '
  'tools\' "repository growth" windows contain only the second backup (pgBackRest received the churn WAL through '
  'both.sh before its backup). "incl. churn WAL" = growth from before the churn to after the second backup.')
A('')
A('| round | churn: updated / inserted rows, s | pgborg wall s (base line s) | pgborg new in repo MB | pgborg repo growth MB | pgborg growth incl. churn WAL MB | pgBackRest incr wall s | incr set dir MB | pgBackRest repo growth MB | pgBackRest growth incl. churn WAL MB |')
A('|---|---|---|---|---|---|---|---|---|---|')
G = dict(pg_new=[], pg_gr=[], pg_grc=[], pb_set=[], pb_gr=[], pb_grc=[])
for r in rows('3', 'pgborg'):
    rep = r['rep']
    b = base('3', 'pgborg', rep)
    pg_gr = (vnum('3', 'pgborg', f'repo_after_rep{rep}') or 0) - (vnum('3', 'pgborg', f'repo_before_rep{rep}') or 0)
    pg_grc = (vnum('3', 'pgborg', f'repo_after_rep{rep}') or 0) - (vnum('3', 'pgborg', f'repo_before_churn_rep{rep}') or 0)
    pbw = next((x['wall'] for x in rows('3', 'pgbr_incr') if x['rep'] == rep), None)
    pbs = vnum('3', 'pgbr_incr', f'set_bytes_rep{rep}')
    pb_gr = (vnum('3', 'pgbr_incr', f'repo_after_rep{rep}') or 0) - (vnum('3', 'pgbr_incr', f'repo_before_rep{rep}') or 0)
    pb_grc = (vnum('3', 'pgbr_incr', f'repo_after_rep{rep}') or 0) - (vnum('3', 'pgbr_incr', f'repo_before_churn_rep{rep}') or 0)
    G['pg_new'].append(b['new'] if b else None); G['pg_gr'].append(pg_gr); G['pg_grc'].append(pg_grc)
    G['pb_set'].append(pbs); G['pb_gr'].append(pb_gr); G['pb_grc'].append(pb_grc)
    A(f'| {rep} | {v("3","churn",f"updated_rep{rep}")} / {v("3","churn",f"inserted_rep{rep}")}, {v("3","churn",f"secs_rep{rep}")} | '
      f'{S(r["wall"],2)} ({S(b["secs"] if b else None)}) | {MB(b["new"] if b else None)} | {MB(pg_gr)} | {MB(pg_grc)} | '
      f'{S(pbw,2)} | {MB(pbs)} | {MB(pb_gr)} | {MB(pb_grc)} |')
A(f'| **median** | | {S(mwall("3","pgborg"),2)} ({S(med(bfield("3","pgborg","secs")))}) | {MB(med(G["pg_new"]))} | '
  f'{MB(med(G["pg_gr"]))} | {MB(med(G["pg_grc"]))} | {S(mwall("3","pgbr_incr"),2)} | {MB(med(G["pb_set"]))} | '
  f'{MB(med(G["pb_gr"]))} | {MB(med(G["pb_grc"]))} |')
A('')
A(f'pgborg\'s ingest-only rounds before the timed ones: {runs(walls("3","pgborg_ingest"),2)} s. pgborg\'s read per base: '
  f'{MB(med(bfield("3","pgborg","read")))} MB (median), lz4 {MB(med(bfield("3","pgborg","comp")))} MB. Checkpoint s: '
  f'pgborg {ckpts("3","pgborg")}, pgBackRest {ckpts("3","pgbr_incr")}.')
for m in ('pgborg', 'pgborg_ingest', 'pgbr_incr', 'pgborg_base1', 'pgbr_full1'):
    if rows('3', m) and not okrc('3', m):
        A(f'**{m}: non-zero exit codes {"/".join(rcs("3", m))}** (see logs).')
    for p in problems('3', m):
        A(f'- {m} log: {p}')
    for r in rows('3', m):
        n = V.get(('3', m, f'note_rep{r["rep"]}'))
        if n:
            A(f'- {m} rep {r["rep"]}: {n}')
A('')
ch = v('3', 'pgborg', 'chunks')
A(f'pgborg repository after all rounds: `borg info` all archives {v("3","pgborg","all_archives")} (original, compressed, '
  f'deduplicated); chunk index {ch} (unique, total chunks); Borg\'s chunks cache {MB(vnum("3","pgborg","chunks_cache_bytes"))} MB.')
A('')
A('| ratio (medians) | value | target | verdict |')
A('|---|---|---|---|')
x = ratio(med(G['pg_gr']), med(G['pb_gr'])); A(f'| pgborg repo growth / pgBackRest repo growth (second backup only) | {R(x)} | ≤ 0.25× | {verdict(x, 0.25)} |')
x = ratio(med(G['pg_new']), med(G['pb_set'])); A(f'| pgborg "new in the repository" (base only) / pgBackRest incr set dir | {R(x)} | ≤ 0.25× | {verdict(x, 0.25)} |')
x = ratio(med(G['pg_grc']), med(G['pb_grc'])); A(f'| (context) growth incl. churn WAL, pgborg / pgBackRest | {R(x)} | — | — |')
x = ratio(mwall('3', 'pgborg'), mwall('3', 'pgbr_incr')); A(f'| (context) wall, pgborg --new-cycle / pgBackRest incr | {R(x)} | — | — |')
A('')
A('Every pgborg base is a full, independently restorable copy: a complete Borg archive of the data directory '
  '(deduplicated against what the repository already holds), restorable with its own cycle\'s WAL alone. A pgBackRest '
  'incr needs its full and every incr in between. pgBackRest copies each changed relation segment file whole '
  '(pgbench_accounts is one ~0.6 GB file), pgborg stores only the changed 64 KiB chunks.')
A('')

# ---------------------------------------------------------------- step 3b
cks = sorted({k[1] for k in V if k[0] == '3b' and k[2] == 'chunker'})
if cks:
    A('## 3b. Why `fixed,65536`: pgborg with other chunker parameters')
    A('')
    sc_upd, sc_pages = v('3b', 'scatter', 'updated_rep1'), v('3b', 'scatter', 'heap_pages_rep1')
    A('Per chunker: `pgbench -i` again (same data, fresh files), a fresh repository with `[archive] chunker_params`, '
      'base 1; the round-1 localized churn (1% contiguous UPDATE + 2% appended rows, CHECKPOINT), an ingest-only round, '
      'base 2; then a **scattered** change: `UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE ctid = ANY(...)` '
      f'on the first tuple of every 100th heap page ({sc_upd} rows of {sc_pages} pages, i.e. 1% of the table\'s pages, '
      'evenly spread; plus the new tuple versions and index entries), CHECKPOINT, an ingest-only round, base 3. '
      'One run each (the step-3 runs above give the spread of the times). "new" = pgborg\'s "new in the repository" '
      '(base only, no WAL); growth = `du -sb` of the repository across the base\'s round. Max RSS = the largest process '
      'of the pgcad tree (borg create).')
    A('')
    A('| chunker_params | base 1 wall s (log s) | base 1 new MB | localized: base 2 wall s (log s) | base 2 new MB | base 2 growth MB | scattered: base 3 wall s (log s) | base 3 new MB | base 3 growth MB | unique / total chunks at the end | chunks cache MB | max RSS MB (base 2) |')
    A('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for n in cks:
        b1_, b2_, b3_ = base('3b', f'{n}_base1', '1'), base('3b', n, '1'), base('3b', f'{n}_scat', '1')
        gr = (vnum('3b', n, 'repo_after_rep1') or 0) - (vnum('3b', n, 'repo_before_rep1') or 0)
        gr3 = (vnum('3b', f'{n}_scat', 'repo_after_rep1') or 0) - (vnum('3b', f'{n}_scat', 'repo_before_rep1') or 0)
        w1, w2, w3 = mwall('3b', f'{n}_base1'), mwall('3b', n), mwall('3b', f'{n}_scat')
        A(f'| `{v("3b",n,"chunker")}` | {S(w1,2)} ({S(b1_["secs"] if b1_ else None)}) | {MB(b1_["new"] if b1_ else None)} | '
          f'{S(w2,2)} ({S(b2_["secs"] if b2_ else None)}) | {MB(b2_["new"] if b2_ else None)} | {MB(gr)} | '
          f'{S(w3,2)} ({S(b3_["secs"] if b3_ else None)}) | {MB(b3_["new"] if b3_ else None)} | {MB(gr3)} | '
          f'{v("3b",n,"chunks")} | {MB(vnum("3b",n,"chunks_cache_bytes"),2)} | {S((mrss("3b",n) or 0)/1000,0)} |')
        for m in (f'{n}_base1', n, f'{n}_ingest', f'{n}_scat', f'{n}_scat_ingest'):
            if rows('3b', m) and not okrc('3b', m):
                A(f'| ↳ {m}: exit codes {"/".join(rcs("3b", m))} | | | | | | | | | | | |')
    A('')

A('## Rerun')
A('')
A('```')
A(f'cd {os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))} && {v("9","env","command")}')
A('```')
A('')
with open(out, 'w') as f:
    f.write('\n'.join(L) + '\n')
