#!/usr/bin/python3
"""Build RESULTS.md from the results.tsv written by bench/dumps/run.sh.
usage: report.py RESULTS_TSV OUT_MD BENCH_DIR
T rows: T step method rep wall user sys maxrss_kb rc loadavg1
V rows: V step method key value"""
import datetime, os, re, statistics, sys

res, out, bdir = sys.argv[1], sys.argv[2], sys.argv[3]
T, V = {}, {}
for line in open(res):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'T':
        step, m, rep, wall, u, s, rss, rc, la = f[1:10]

        def fl(x):
            try:
                return float(x)
            except ValueError:
                return None
        T.setdefault((step, m), []).append(dict(rep=rep, wall=fl(wall), cpu=(fl(u) or 0) + (fl(s) or 0), rss=fl(rss), rc=rc, load=la))
    elif f[0] == 'V':
        V[(f[1], f[2], f[3])] = f[4] if len(f) > 4 else ''


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def walls(step, m): return [r['wall'] for r in T.get((step, m), [])]
def mwall(step, m): return med(walls(step, m))
def mcpu(step, m): return med([r['cpu'] for r in T.get((step, m), [])])
def rcs(step, m): return [r['rc'] for r in T.get((step, m), [])]
def v(step, m, k, d='—'): return V.get((step, m, k), d)


def vnum(step, m, k):
    try:
        return float(V[(step, m, k)])
    except (KeyError, ValueError):
        return None


def S(x, nd=1): return '—' if x is None else f'{x:.{nd}f}'
def MB(b, nd=1): return '—' if b is None else f'{b/1e6:,.{nd}f}'
def pct(a, b, nd=2): return '—' if a is None or not b else f'{100*a/b:.{nd}f}%'
def ratio(a, b): return '—' if a is None or not b else f'{a/b:.2f}×'
def runs(xs, nd=1): return '/'.join(S(x, nd) for x in xs) if xs else '—'


UNITS = {'B': 1, 'KiB': 1 << 10, 'MiB': 1 << 20, 'GiB': 1 << 30, 'TiB': 1 << 40}


def size(txt):
    """'19.2 MiB' -> bytes (as printed by pgborg, so rounded to 3-4 digits)."""
    m = re.match(r'^\s*([0-9.]+)\s*(B|KiB|MiB|GiB|TiB)\s*$', txt or '')
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def line(step, m, rep, what='bench'):
    """pgborg log line of one run -> (read_bytes, new_bytes, secs) or Nones."""
    raw = V.get((step, m, f'line_{what}_rep{rep}'), 'NA')
    p = raw.split('|')
    if len(p) != 3:
        return None, None, None
    try:
        secs = float(p[2])
    except ValueError:
        secs = None
    return size(p[0]), size(p[1]), secs


def stats(step, m, rep):
    """borg create --json stats of a pipeline run -> (orig, comp, dedup) or Nones."""
    p = V.get((step, m, f'stats_rep{rep}'), 'NA NA NA').split()
    try:
        return tuple(float(x) for x in p[:3])
    except ValueError:
        return None, None, None


def loads(step, m): return '/'.join(r['load'] for r in T.get((step, m), [])) or '—'
def reps(step, m): return [r['rep'] for r in T.get((step, m), [])]
def okrc(step, m): return all(rc == '0' for rc in rcs(step, m)) and bool(rcs(step, m))


def verdict(ok):
    return '**PASS**' if ok else '**FAIL**'


L = []
A = L.append
now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
A('# Benchmark: pgborg pgdumpd vs a hand-made `pg_dump | borg create` pipeline')
A('')
A(f'Generated {now} by `{v("9","env","command")}` (scripts in bench/dumps/; raw rows in `$BENCH_DIR/results.tsv`, '
  f'logs in `$BENCH_DIR/logs/`). Total run time {v("9","env","total_s")} s.')
A('')
A('MB = 10^6 bytes, MiB = 2^20 bytes (pgborg prints MiB/KiB; those figures are rounded to 0.1 of the unit). '
  '"median" = median over the repeated runs, all runs listed as "a/b/c". CPU u+s = user+system CPU seconds of the '
  'timed command and all its children (GNU time). Everything runs with a warm page cache (24 GB RAM vs a ~1 GB database).')
A('')

# ---------------------------------------------------------------- environment
A('## Environment')
A('')
A('| item | value |')
A('|---|---|')
for k, lab in [('cpu', 'CPU model (lscpu)'), ('cores', 'cores'), ('mem_gib', 'RAM GiB'), ('kernel', 'kernel'), ('os', 'OS'),
               ('fs', 'filesystem of $BENCH_DIR'), ('borg', 'borg --version'), ('postgres', 'postgres --version'),
               ('pgborg_version', 'pgborg --version'), ('pgborg_sha256', 'pgborg binary sha256 (first 16 hex)'),
               ('pgborg_mtime', 'pgborg binary build time (mtime)'), ('git_head', 'git HEAD of the work tree'),
               ('loadavg_start', 'load average at start')]:
    A(f'| {lab} | {v("0","env",k)} |')
A(f'| load average at end | {v("9","env","loadavg_end")} |')
dbsize = vnum('1', 'env', 'db_size_bytes')
stream = vnum('2', 'env', 'dump_stream_bytes')
A(f'| pgbench scale | {v("1","env","scale")} ({v("1","env","accounts_rows")} rows in pgbench_accounts) |')
A(f'| `pgbench -i` wall s | {S(mwall("1","pgbench_init"))} |')
A(f'| pg_database_size(\'bench\') | {MB(dbsize)} MB ({dbsize/2**30 if dbsize else 0:.2f} GiB) |')
A(f'| dump stream size (`pg_dump -Fc -Z0 bench \\| wc -c`) | {MB(stream)} MB |')
A(f'| databases in the cluster | {v("1","env","databases")} (postgres db {MB(vnum("1","env","postgres_db_bytes"))} MB) |')
A('')
A('Cluster: PostgreSQL 15 initdb defaults (shared_buffers 128MB, no checksums), `listen_addresses = \'\'`, own port and '
  'socket directory in $BENCH_DIR/run, max_wal_size=4GB. pgborg runs as root with a config per repository '
  '(`[discovery] debian = false, systemd = false`, one instance `main`, `[dump] repository + passphrase`, all other '
  'settings default: compression lz4, Borg default chunker); it dumps globals (`pg_dumpall --globals-only`), `bench` and `postgres`. '
  'The binary is copied from artifacts/publish/pgborg into $BENCH_DIR/bin at the start of the run.')
A('')

# ---------------------------------------------------------------- step 2
A('## 1. First dump into a fresh repository')
A('')
nrep = len(walls('2', 'pgborg'))
A(f'{nrep} alternating rounds (odd rounds pgborg, the pipeline, E; even rounds E, the pipeline, pgborg; then pg_dump alone and the `cat` relay). Every run gets a '
  'fresh repository initialised beforehand with `borg init -e repokey-blake2` (not timed, for both methods; pgborg uses its own '
  'BORG_BASE_DIR = state/borg, which is also fresh). A warm-up `pg_dump > /dev/null` ran first.')
A('')
A('- **A** = `pgborg --config FILE pgdumpd --once` (whole round: one `borg list` of the instance\'s archives (for pruning), then the globals and the databases smallest first (`postgres`, `bench`), each one `borg create --content-from-command` that is started while the previous Borg process still works and waits for the repository lock in 1-s attempts; then `borg delete` + `borg compact` only if the keep rules drop something — never in these runs).')
A(f'- **B** = `set -o pipefail; runuser -u postgres -- pg_dump -Fc -Z0 bench | borg create --json --compression lz4 --files-cache disabled --stdin-name bench.pgsql REPO::x -`')
A('')
A('| method | wall s (median) | runs s | CPU u+s (median) | repo size MB | notes |')
A('|---|---|---|---|---|---|')
a_reps = reps('2', 'pgborg')
A(f'| A: pgborg pgdumpd --once (whole round) | {S(mwall("2","pgborg"),2)} | {runs(walls("2","pgborg"),2)} | {S(mcpu("2","pgborg"))} | '
  f'{MB(med([vnum("2","pgborg",f"repo_bytes_rep{r}") for r in a_reps]))} | exit codes {",".join(rcs("2","pgborg"))}; 1-min load at start of each run {loads("2","pgborg")} |')
bl = [line('2', 'pgborg', r)[2] for r in a_reps]
gl = [line('2', 'pgborg', r, 'globals')[2] for r in a_reps]
pl = [line('2', 'pgborg', r, 'postgres')[2] for r in a_reps]
rd = [line('2', 'pgborg', r)[0] for r in a_reps]
nw = [line('2', 'pgborg', r)[1] for r in a_reps]
A(f'| A, `bench` database only (pgborg log line) | {S(med(bl))} | {runs(bl)} | — | — | `borg create --content-from-command` running pg_dump, timed by pgborg from the start of the Borg process that stored it (so it includes that process\'s wait for the lock); '
  f'{MB(med(rd))} MB read, {MB(med(nw))} MB new in the repository |')
A(f'| A, globals + `postgres` database (log lines) | {S(med([(g or 0)+(p or 0) for g, p in zip(gl, pl)]))} | '
  f'{runs([(g or 0)+(p or 0) for g, p in zip(gl, pl)])} | — | — | globals {runs(gl)} s, postgres {runs(pl)} s |')
rest = [w - (b or 0) - (g or 0) - (p or 0) for w, b, g, p in zip(walls('2', 'pgborg'), bl, gl, pl)]
A(f'| A, rest of the round (start, inventory, list) | {S(med(rest))} | {runs(rest)} | — | — | A wall minus the three log lines (they overlap each other and the list, so this can be small or negative) |')
b_reps = reps('2', 'pipeline')
bst = [stats('2', 'pipeline', r) for r in b_reps]
A(f'| B: pg_dump \\| borg create pipeline | {S(mwall("2","pipeline"),2)} | {runs(walls("2","pipeline"),2)} | {S(mcpu("2","pipeline"))} | '
  f'{MB(med([vnum("2","pipeline",f"repo_bytes_rep{r}") for r in b_reps]))} | stream {MB(med([s[0] for s in bst]))} MB → compressed '
  f'{MB(med([s[1] for s in bst]))} MB, dedup {MB(med([s[2] for s in bst]))} MB; exit codes {",".join(rcs("2","pipeline"))}; 1-min load at start of each run {loads("2","pipeline")} |')
A(f'| (context) B with a `cat` relay: `pg_dump \\| cat \\| borg create` | {S(mwall("2","pipeline_cat"),2)} | {runs(walls("2","pipeline_cat"),2)} | '
  f'{S(mcpu("2","pipeline_cat"))} | — | one extra copy through a plain process, as pgborg adds one; exit codes {",".join(rcs("2","pipeline_cat"))} |')
A(f'| (context) E: the round\'s three archives by hand, one after the other | {S(mwall("2","pipeline_round"),2)} | {runs(walls("2","pipeline_round"),2)} | '
  f'{S(mcpu("2","pipeline_round"))} | — | `pg_dumpall --globals-only \\| borg create`, then the same for `postgres`, then B: what a cron script storing the same per-database archives pays (no list, no prune); exit codes {",".join(rcs("2","pipeline_round"))} |')
A(f'| (context) `pg_dump -Fc -Z0 bench > /dev/null` | {S(mwall("2","pg_dump_devnull"),2)} | {runs(walls("2","pg_dump_devnull"),2)} | '
  f'{S(mcpu("2","pg_dump_devnull"))} | — | pg_dump alone, lower bound; warm-up run {runs(walls("2","warmup_pg_dump_devnull"),2)} s |')
si = line('2', 'pgborg_selfinit', '1')
A(f'| (extra) A with no repository: pgborg runs `borg init` itself | {S(mwall("2","pgborg_selfinit"),2)} | 1 run | '
  f'{S(mcpu("2","pgborg_selfinit"))} | — | bench line {S(si[2])} s; exit code {",".join(rcs("2","pgborg_selfinit"))} |')
A('')
ma, mb = mwall('2', 'pgborg'), mwall('2', 'pipeline')
ok = ma is not None and mb and ma / mb <= 1.05 and okrc('2', 'pgborg')
A(f'**Ratio A/B (median wall, whole pgborg round vs pipeline) = {ratio(ma, mb)}** — target ≤ 1.05×: {verdict(ok)}. '
  f'Absolute difference {S(ma - mb if ma and mb else None, 2)} s.')
A('')
mbl = med(bl)
me = mwall('2', 'pipeline_round')
A(f'Ratio A/E (whole round vs the same three archives stored by hand, one after the other) = {ratio(ma, me)}; '
  f'E/B = {ratio(me, mb)}: what storing globals and `postgres` as archives of their own costs at all, since Borg '
  f'holds the repository lock for the whole of each `borg create` and every archive needs its own commit.')
A('')
A(f'Ratio of the `bench` dump alone (pgborg\'s log line, 0.1 s resolution, measured inside pgborg so without process start-up) '
  f'to B = {ratio(mbl, mb)} (informational).')
A('')

# ---------------------------------------------------------------- step 3
A('## 2. Peak memory of the pgborg process')
A('')
A('pgborg started by bench/dumps/rsspoll.py (fresh pre-initialised repository each run), which polls /proc/PID/status '
  '`VmHWM` of the pgborg process itself every 0.1 s and keeps the last value seen before it exits; children '
  '(borg, pg_dump, pg_dumpall) are polled the same way, separately. GNU time\'s max RSS of the whole tree is the largest '
  'single process (usually a borg). read()/write() calls and context switches are pgborg\'s own (summed over its live '
  'threads from /proc/PID/task/*/io and status, last value seen), i.e. mostly the copying of the dump stream from '
  'pg_dump\'s pipe into borg\'s.')
A('')
A('| run | pgborg VmHWM MB (MiB) | pgborg own CPU u+s s | pgborg read() calls / avg KiB per read | write() calls | context switches vol/invol | threads | peak borg MB | peak pg_dump MB | wall s | GNU time max RSS of tree MB |')
A('|---|---|---|---|---|---|---|---|---|---|---|')
hw = []
for r in reps('3', 'pgborg_rss'):
    sp = V.get(('3', 'pgborg_rss', f'self_rep{r}'), '').split()
    if len(sp) >= 6:
        kb = float(sp[1]); hw.append(kb)
        cpu = float(sp[2]) + float(sp[3])
        tr = [x for x in T[('3', 'pgborg_rss')] if x['rep'] == r][0]
        io = V.get(('3', 'pgborg_rss', f'selfio_rep{r}'), '').split()
        try:
            rch, wch, scr, scw, vcs, ics, thr = (int(x) for x in io[:7])
            iotxt = f'{scr:,} / {rch/max(scr,1)/1024:.1f} | {scw:,} | {vcs:,}/{ics:,} | {thr}'
        except ValueError:
            iotxt = '— | — | — | —'
        A(f'| {r} | {MB(kb*1024)} ({kb/1024:.1f}) | {cpu:.2f} | {iotxt} | {MB(vnum("3","pgborg_rss",f"borg_hwm_kb_rep{r}") * 1024 if vnum("3","pgborg_rss",f"borg_hwm_kb_rep{r}") else None)} | '
          f'{MB(vnum("3","pgborg_rss",f"pg_dump_hwm_kb_rep{r}") * 1024 if vnum("3","pgborg_rss",f"pg_dump_hwm_kb_rep{r}") else None)} | {S(float(sp[4]),2)} | '
          f'{MB(tr["rss"]*1024 if tr["rss"] else None)} |')
A('')
selfcpu = []
for r in reps('3', 'pgborg_rss'):
    sp = V.get(('3', 'pgborg_rss', f'self_rep{r}'), '').split()
    if len(sp) >= 4:
        selfcpu.append(float(sp[2]) + float(sp[3]))
catc = []
for r in reps('2', 'pipeline_cat'):
    p = V.get(('2', 'pipeline_cat', f'cat_time_rep{r}'), '').split()
    if len(p) == 3:
        catc.append(float(p[1]) + float(p[2]))
A(f'pgborg\'s own CPU for a round (almost all of it relaying the {MB(stream)} MB `bench` stream): median {S(med(selfcpu),2)} s '
  f'(runs {runs(selfcpu,2)}). For comparison, the `cat` relay in the context pipeline of section 1 used {S(med(catc),2)} s '
  f'of CPU (median, runs {runs(catc,2)}; GNU time of cat alone).')
A('')
mx = max(hw) if hw else None
A(f'**pgborg peak RSS = {MB(mx*1024 if mx else None)} MB** (max over runs; median {MB(med(hw)*1024 if hw else None)} MB) — target ≤ 100 MB: '
  f'{verdict(mx is not None and mx * 1024 <= 100e6)}.')
A('')
# timeline
tl = os.path.join(bdir, 'rss', 'rss-1.tsv')
if os.path.exists(tl):
    A('### Where the time goes (child processes of pgborg, run 1)')
    A('')
    A('From the same 0.1 s polling: when each child was first/last seen (s after pgborg started), so each duration is '
      'accurate to about ±0.1 s; a process shorter than one interval can be missed (e.g. pg_dumpall for the globals).')
    A('')
    A('| child | first seen s | last seen s | ~duration s | CPU u+s s | peak RSS MB |')
    A('|---|---|---|---|---|---|')
    borg_other, borg_n, selfrow = 0.0, 0, None
    for ln in open(tl):
        f = ln.rstrip('\n').split('\t')
        if f[0] == 'self':
            selfrow = f
            continue
        if f[0] != 'child':
            continue
        cmd = f[7]
        words = cmd.split()
        if 'borg' in cmd and len(words) > 2 and words[1].endswith('/borg'):
            sub = words[2]
            extra = ''
            if '--stdin-name' in words:
                extra = ' ' + words[words.index('--stdin-name') + 1]
            elif '--glob-archives' in words:
                extra = ' ' + words[words.index('--glob-archives') + 1]
            elif sub == 'rename':
                extra = ' ' + words[-1]
            elif sub == 'config':
                extra = ' ' + ' '.join(words[-1:])
            lab = f'borg {sub}{extra}'
            borg_n += 1
            if sub != 'create':
                borg_other += float(f[6]) - float(f[5]) + 0.1
        elif 'pg_dump' in cmd:
            m = re.search(r"dbname='?([^' ]+)'?", cmd)
            lab = ('pg_dumpall' if 'pg_dumpall' in cmd else 'pg_dump') + (f' {m.group(1)}' if m else '')
        else:
            lab = cmd[:60]
        A(f'| `{lab}` | {f[5]} | {f[6]} | {float(f[6]) - float(f[5]) + 0.1:.1f} | {float(f[3]) + float(f[4]):.2f} | {MB(float(f[2])*1024)} |')
    A('')
    if selfrow:
        A(f'pgborg wall {selfrow[5]} s; {borg_n} borg processes, each started while the previous one still works (it waits '
          f'for the repository lock meanwhile); the ones other than `borg create` add up to ≈ {borg_other:.1f} s. Each borg start costs ~0.2 s of '
          'Python start-up, key loading and repository locking before it does any work; overlapping it with the previous '
          'dump is what keeps it out of the round\'s wall time.')
        A('')

# ---------------------------------------------------------------- step 4
A('## 3. Deduplication of a second dump after churn')
A('')
A('Each phase: fresh pgborg repository + fresh pipeline repository (both pre-initialised), dump 1 of the data into both, '
  'churn, VACUUM + CHECKPOINT, dump 2 into both. One run each (state-dependent, not repeated). '
  '"stream" = bytes of the dump-2 stream of `bench` (pgborg: its log line; pipeline: borg\'s original_size). '
  '"new" = what `borg create` reported as new (deduplicated, compressed) for `bench` (pgborg: its log line; '
  'pipeline: `--json` deduplicated_size). "du growth" = `du -sb` of the repository after dump 2 minus before; '
  'for pgborg this includes the globals and `postgres` dumps of the round, and whatever pruning and compacting the round did.')
A('')
A('| phase | method | dump 2 wall s | stream MB | new MB | du growth MB | new % of stream | du growth % of stream | new % of dump 1 stored | dump 1 new MB | dump 1 wall s |')
A('|---|---|---|---|---|---|---|---|---|---|---|')
res4 = {}
for st, lab in [('4a', 'localized'), ('4b', 'uniform random')]:
    for meth in ('pgborg', 'pipeline'):
        w1 = mwall(st, f'{meth}_dump1'); w2 = mwall(st, f'{meth}_dump2')
        if meth == 'pgborg':
            s1, n1, _ = line(st, 'pgborg_dump1', '1'); s2, n2, _ = line(st, 'pgborg_dump2', '1')
        else:
            s1, _c, n1 = stats(st, 'pipeline_dump1', '1'); s2, _c, n2 = stats(st, 'pipeline_dump2', '1')
        a0, a1 = vnum(st, f'{meth}_dump2', 'repo_before'), vnum(st, f'{meth}_dump2', 'repo_after')
        g = a1 - a0 if a0 is not None and a1 is not None else None
        res4[(st, meth)] = (s2, n2, g, okrc(st, f'{meth}_dump1') and okrc(st, f'{meth}_dump2'))
        A(f'| {lab} | {meth} | {S(w2,2)} | {MB(s2)} | {MB(n2,2)} | {MB(g,2)} | {pct(n2,s2)} | {pct(g,s2)} | {pct(n2,n1,1)} | {MB(n1,2)} | {S(w1,2)} |')
A('')
for st, lab in [('4a', 'Localized'), ('4b', 'Uniform random')]:
    A(f'{lab} churn: `{v(st,"churn","sql")}` → {v(st,"churn","updated")} rows updated, {v(st,"churn","inserted")} inserted '
      f'(of {v("1","env","accounts_rows")}); churn + VACUUM took {v(st,"churn","secs")} s; database then {MB(vnum(st,"churn","db_size_bytes"))} MB.')
    A('')
s2, n2, g, okr = res4.get(('4a', 'pgborg'), (None, None, None, False))
ok = okr and s2 and g is not None and n2 is not None and g / s2 < 0.10 and n2 / s2 < 0.10
A(f'**Localized churn, pgborg: du growth {pct(g, s2)} and new {pct(n2, s2)} of the dump stream** — target < 10%: {verdict(bool(ok))}. '
  f'(Pipeline: du growth {pct(res4.get(("4a","pipeline"),(None,)*4)[2], res4.get(("4a","pipeline"),(None,)*4)[0])}.)')
A('')
s2, n2, g, _ = res4.get(('4b', 'pgborg'), (None,) * 4)
A(f'Uniform random churn (no target): pgborg du growth {pct(g, s2)}, new {pct(n2, s2)} of the stream; pipeline du growth '
  f'{pct(res4.get(("4b","pipeline"),(None,)*4)[2], res4.get(("4b","pipeline"),(None,)*4)[0])}.')
A('')
A('Note: the stream is mostly blank-padded pgbench filler and compresses ~20× with lz4, so "% of stream" compares compressed new '
  'data with uncompressed stream bytes; "new % of dump 1 stored" (new data of dump 2 relative to what the full first dump '
  'stored) shows how much of a full copy a second dump costs.')
A('')

# ---------------------------------------------------------------- targets summary
A('## Targets')
A('')
A('| target | measured | verdict |')
A('|---|---|---|')
ma, mb = mwall('2', 'pgborg'), mwall('2', 'pipeline')
A(f'| first dump wall, pgborg round / pipeline ≤ 1.05 | {ratio(ma, mb)} ({S(ma,2)} s vs {S(mb,2)} s; `bench` line alone {ratio(mbl, mb)}) | {verdict(ma is not None and mb and ma/mb <= 1.05 and okrc("2","pgborg"))} |')
A(f'| pgborg peak RSS ≤ 100 MB | {MB(mx*1024 if mx else None)} MB | {verdict(mx is not None and mx*1024 <= 100e6)} |')
s2, n2, g, okr = res4.get(('4a', 'pgborg'), (None,) * 4)
A(f'| localized churn growth < 10% of the dump stream | du {pct(g, s2)}, new {pct(n2, s2)} | {verdict(bool(okr and s2 and g is not None and n2 is not None and g/s2 < 0.10 and n2/s2 < 0.10))} |')
A('')

# ---------------------------------------------------------------- warnings/errors logged by pgborg
probs = [(k[0], k[1], k[2], val) for k, val in sorted(V.items()) if k[2].startswith('problems_rep')]
A('## Warnings and errors in pgborg\'s logs')
A('')
if probs:
    A('First lines at level warn/fail/crit of each affected run (full logs in $BENCH_DIR/logs/):')
    A('')
    for st, m, k, val in probs:
        A(f'- step {st} {m} {k.replace("problems_", "")}: `{val.strip()[:600]}`')
else:
    A('None: every pgborg run logged only info lines.')
A('')

# ---------------------------------------------------------------- rerun
A('## Rerun')
A('')
A('```')
A('cd /work/main   # the repository root; publish pgborg to artifacts/publish/pgborg first')
A(f'{v("9","env","command")}')
A('```')
A('')
A('Env: SCALE (pgbench scale, default 70; raised by 10 until pg_database_size(\'bench\') ≥ 1 GiB), REPS (default 3), '
  'PGPORT (55433), PGBORG (binary to copy), RESULTS (this file\'s path), KEEP_CLUSTER=1 (leave the cluster running). '
  'The run wipes $BENCH_DIR first; at the end it stops the cluster and removes its data directory, keeping logs, '
  'repositories and results.tsv.')
A('')
obs = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'observations.md')
if os.path.exists(obs):
    A(open(obs).read().rstrip())
    A('')
open(out, 'w').write('\n'.join(L) + '\n')
print(f'wrote {out}')
