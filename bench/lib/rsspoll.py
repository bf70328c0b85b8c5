#!/usr/bin/python3
"""Run a command and poll its memory high-water mark while it runs.

usage: rsspoll.py SUMMARY_TSV INTERVAL_S -- cmd args...

Starts cmd (stdin/stdout/stderr inherited), then every INTERVAL_S reads
/proc/PID/status VmHWM of the command's own process (the last value seen before it
exits is its peak RSS; a high-water mark, so only growth in the last interval can be
missed), its own CPU ticks from /proc/PID/stat, and the same for every descendant
process (found by scanning /proc for the parent-pid tree), with first/last time seen
and the last command line (setpriv execs pg_dump in place, so the line can change).

Writes SUMMARY_TSV rows:
  self  <pid> <vmhwm_kb> <utime_s> <stime_s> <wall_s> <rc> <samples>
  selfio <rchar> <wchar> <syscr> <syscw> <voluntary_ctxt_switches> <nonvoluntary_ctxt_switches> <max_threads>
  (own I/O syscalls and context switches of the command's live threads, summed; last/max value seen)
  child <pid> <vmhwm_kb> <utime_s> <stime_s> <first_s> <last_s> <cmdline>
(times relative to the start; CPU of children = last value seen, so approximate).
Exits with the command's exit code.
"""
import os, subprocess, sys, time

out, interval = sys.argv[1], float(sys.argv[2])
cmd = sys.argv[sys.argv.index('--') + 1:]
TCK = os.sysconf('SC_CLK_TCK')


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return None


def status_hwm(pid):
    s = read(f'/proc/{pid}/status')
    if not s:
        return None
    for line in s.split(b'\n'):
        if line.startswith(b'VmHWM:'):
            return int(line.split()[1])
    return None


def stat(pid):
    """(ppid, utime_ticks, stime_ticks) or None."""
    s = read(f'/proc/{pid}/stat')
    if not s:
        return None
    rest = s[s.rfind(b')') + 2:].split()
    # fields after comm: state(3) ppid(4) ... utime(14) stime(15)  -> index = field - 3
    return int(rest[1]), int(rest[11]), int(rest[12])


def io_ctx(pid):
    """Own I/O counters and context switches of PID, summed over its live threads
    (/proc/PID/io itself also counts reaped children, so it is not used)."""
    d = {}
    try:
        tids = os.listdir(f'/proc/{pid}/task')
    except OSError:
        return d
    d['Threads'] = len(tids)
    for tid in tids:
        for path in (f'/proc/{pid}/task/{tid}/io', f'/proc/{pid}/task/{tid}/status'):
            s = read(path)
            if s:
                for line in s.split(b'\n'):
                    k, _, rest = line.partition(b':')
                    if k in (b'rchar', b'wchar', b'syscr', b'syscw', b'voluntary_ctxt_switches', b'nonvoluntary_ctxt_switches'):
                        d[k.decode()] = d.get(k.decode(), 0) + int(rest.split()[0])
    return d


def cmdline(pid):
    s = read(f'/proc/{pid}/cmdline')
    if not s:
        return None
    return ' '.join(a.decode(errors='replace') for a in s.rstrip(b'\0').split(b'\0'))


t0 = time.monotonic()
proc = subprocess.Popen(cmd)
me = proc.pid
self_hwm = 0
self_cpu = (0, 0)
self_io = {}
max_threads = 0
children = {}   # pid -> dict(hwm, ut, st, first, last, cmd)
samples = 0
while True:
    if proc.poll() is not None:
        break
    now = time.monotonic() - t0
    h = status_hwm(me)
    st = stat(me)
    if h is not None:
        self_hwm = max(self_hwm, h)
    if st is not None:
        self_cpu = (st[1], st[2])
    d = io_ctx(me)
    if d:
        self_io = {k: max(x, self_io.get(k, 0)) for k, x in d.items()}
        max_threads = max(max_threads, d.get('Threads', 0))
    samples += 1
    # descendants
    ppids = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            s = stat(int(d))
            if s:
                ppids[int(d)] = s
    desc, frontier = set(), {me}
    while frontier:
        nxt = {p for p, s in ppids.items() if s[0] in frontier and p not in desc}
        desc |= nxt
        frontier = nxt
    for p in desc:
        c = children.get(p)
        if c is None:
            c = children[p] = dict(hwm=0, ut=0, st=0, first=now, last=now, cmd='')
        c['last'] = now
        h = status_hwm(p)
        if h:
            c['hwm'] = max(c['hwm'], h)
        c['ut'], c['st'] = ppids[p][1], ppids[p][2]
        cl = cmdline(p)
        if cl:
            c['cmd'] = cl
    time.sleep(interval)
wall = time.monotonic() - t0
rc = proc.returncode
with open(out, 'w') as f:
    f.write(f'self\t{me}\t{self_hwm}\t{self_cpu[0]/TCK:.2f}\t{self_cpu[1]/TCK:.2f}\t{wall:.3f}\t{rc}\t{samples}\n')
    f.write('selfio\t' + '\t'.join(str(self_io.get(k, 'NA')) for k in
            ('rchar', 'wchar', 'syscr', 'syscw', 'voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')) + f'\t{max_threads}\n')
    for p, c in sorted(children.items(), key=lambda kv: kv[1]['first']):
        f.write(f'child\t{p}\t{c["hwm"]}\t{c["ut"]/TCK:.2f}\t{c["st"]/TCK:.2f}\t{c["first"]:.2f}\t{c["last"]:.2f}\t'
                f'{c["cmd"].replace(chr(9), " ")[:300]}\n')
sys.exit(rc if rc >= 0 else 128 - rc)
