"""Helpers the benchmarks' samplers and reports share (bench/rpo, bench/soak): WAL segment numbers, a psql query that
never hangs a sampler, and percentiles.

Import from a script next to it: sys.path.insert(0, <script dir>/../lib); from walstat import ...
"""
import subprocess

PSQL = '/usr/lib/postgresql/15/bin/psql'
# 16 MiB segments (the benchmarks' clusters use the default)
SEG_PER_XLOGID = 0x100000000 // (16 * 1024 * 1024)


def segno(name):
    """The segment number of a WAL file name (timeline ignored), or None for '-', '' or a malformed name."""
    if not name or name == '-' or len(name) < 24:
        return None
    try:
        return int(name[8:16], 16) * SEG_PER_XLOGID + int(name[16:24], 16)
    except ValueError:
        return None


def psql(sock, port, sql, timeout=3):
    """One query's unaligned tab-separated output on the postgres database, or None when it fails or times out."""
    try:
        r = subprocess.run([PSQL, '-X', '-At', '-F', '\t', '-h', sock, '-p', str(port), '-U', 'postgres',
                            '-d', 'postgres', '-c', sql], capture_output=True, text=True, timeout=timeout)
        return r.stdout.strip() if r.returncode == 0 else None
    except subprocess.TimeoutExpired:
        return None


def pct(values, p):
    """The p-th percentile, linearly interpolated between the closest ranks; nan when there are no values."""
    if not values:
        return float('nan')
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)
