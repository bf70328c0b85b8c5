#!/usr/bin/python3
"""Adds empty archives named and commented like pgborg's to Borg repositories, through Borg's Python API (Debian's
borgbackup 1.2), in one Borg session: what a repository looks like after weeks or months of ingests, made in minutes.
BORG_PASSPHRASE and BORG_BASE_DIR come from the environment (use pgcad's, STATE_DIRECTORY/borg, so its cache stays
in step with the repository and pgborg's next Borg call does not resync).

usage: gen.py REPOSITORY FIRST COUNT
    COUNT one-segment WAL batches of host "scale", instance "main", one cycle, one commit per archive (as pgcad's
    ingest does; bench/scale/run.sh).

usage: gen.py --history WAL_REPOSITORY ARCHIVE_REPOSITORY FIRST COUNT --total N --host H --instance I
              [--days 90] [--cycle-days 7] [--end ISO-UTC] [--sysid ID] [--server-version 150000]
              [--commit-every 5000]
    Archives FIRST .. FIRST+COUNT-1 of a history of N one-segment WAL batches spread evenly over the DAYS before END
    (default: one hour ago), as a busy server that pgcad archived without consolidation leaves it: batch i holds
    segment i+1 of timeline 1 and is named HOST~INSTANCE~pg15~wal~SEG~SEG~CYCLE, its comment pgborg-wal/1 with the
    file list; a new cycle every CYCLE_DAYS, whose complete base (an empty archive with a pgborg-base/1 comment that
    says complete, started at the cycle's first segment) goes into ARCHIVE_REPOSITORY when its first batch is
    made. Archives are committed COMMIT_EVERY at a time (one commit per archive would rewrite the manifest
    100k times: hours, for nothing the benchmark measures). Segment numbers stay below N+1, so a real cluster whose
    WAL starts above them (pg_resetwal -l) continues the history.
"""
import argparse
import datetime
import json
import sys

from borg.archive import Archive
from borg.cache import Cache
from borg.helpers import Manifest
from borg.logger import setup_logging
from borg.repository import Repository

SEG = 16 * 1024 * 1024


def segname(n, tl=1):
    return "%08X%08X%08X" % (tl, n >> 8, n & 0xFF)


def stamp(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


class Session:
    """One write session on a repository; archives are committed in groups (Archive.save commits every time)."""

    def __init__(self, path):
        self.repository = Repository(path, exclusive=True, lock_wait=600)
        self.repository.__enter__()
        self.manifest, self.key = Manifest.load(self.repository, (Manifest.Operation.WRITE,))
        self.cache = Cache(self.repository, self.key, self.manifest, lock_wait=600)
        self.cache.__enter__()
        self._real = (self.manifest.write, self.repository.commit, self.cache.commit)
        self.manifest.write = lambda: None
        self.repository.commit = lambda *a, **k: None
        self.cache.commit = lambda: None
        self.pending = 0

    def add(self, name, comment, when):
        archive = Archive(self.repository, self.key, self.manifest, name, cache=self.cache, create=True)
        archive.save(comment=comment, timestamp=when)
        self.pending += 1

    def commit(self):
        if self.pending:
            write, commit, cache_commit = self._real
            write()
            commit(compact=False)
            cache_commit()
            self.pending = 0

    def close(self):
        self.commit()
        self.cache.__exit__(None, None, None)
        self.repository.__exit__(None, None, None)


def simple(path, first, count):
    with Repository(path, exclusive=True, lock_wait=60) as repository:
        manifest, key = Manifest.load(repository, (Manifest.Operation.WRITE,))
        with Cache(repository, key, manifest, lock_wait=60) as cache:
            for i in range(first, first + count):
                segment = "00000001%08X%08X" % (i >> 8, i & 0xFF)
                name = "scale~main~pg15~wal~%s~%s~20261101T000000Z" % (segment, segment)
                comment = json.dumps({"format": "pgborg-wal/1", "host": "scale", "instance": "main",
                                      "cycle": "20261101T000000Z", "files": [segment], "bytes": 16777216,
                                      "createdAt": "2026-11-01T00:00:00+00:00"})
                archive = Archive(repository, key, manifest, name, cache=cache, create=True)
                archive.save(comment=comment)


def base_comment(a, host, instance, cycle_start, first_seg):
    start_lsn = "%X/%X" % ((first_seg * SEG) >> 32, ((first_seg * SEG) & 0xFFFFFFFF) + 0x28)
    stopped = cycle_start + datetime.timedelta(minutes=30)
    label = ("START WAL LOCATION: %s (file %s)\nCHECKPOINT LOCATION: %s\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
             "START TIME: %s UTC\nLABEL: pgborg %s %s %s\nSTART TIMELINE: 1\n"
             % (start_lsn, segname(first_seg), start_lsn, cycle_start.strftime("%Y-%m-%d %H:%M:%S"), host, instance, stamp(cycle_start)))
    return json.dumps({
        "format": "pgborg-base/1", "complete": True, "host": host, "instance": instance, "cycle": stamp(cycle_start),
        "pgVersion": 15, "serverVersionNum": a.server_version, "systemIdentifier": a.sysid, "timeline": 1,
        "walSegmentSize": SEG, "startLsn": start_lsn, "startWalFile": segname(first_seg), "stopLsn": start_lsn,
        "stopWalFile": segname(first_seg), "startedAt": iso(cycle_start), "stoppedAt": iso(stopped), "method": "direct",
        "backupLabel": label, "tablespaceMap": "", "tablespaces": [],
        # sizes of a large base, so no cycle of the history looks like its WAL outgrew it
        "originalSize": 1 << 40, "compressedSize": 1 << 39, "deduplicatedSize": 1 << 30,
        "extractHints": {"items": 1000, "bytes": 1 << 40, "large": []}})


def history(a):
    end = (datetime.datetime.fromisoformat(a.end.replace("Z", "+00:00")).replace(tzinfo=None) if a.end
           else datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(hours=1))
    span = datetime.timedelta(days=a.days)
    start = end - span
    step = span / a.total
    cycle_len = datetime.timedelta(days=a.cycle_days)

    def time_of(i):
        return start + step * i

    def cycle_of(i):
        k = int((time_of(i) - start) / cycle_len)
        return k, start + cycle_len * k

    wal = Session(a.wal_repository)
    new_cycles = []  # (cycle start, first segment) of cycles whose first batch is made now
    try:
        for i in range(a.first, a.first + a.count):
            k, cstart = cycle_of(i)
            if i == 0 or cycle_of(i - 1)[0] != k:
                new_cycles.append((cstart, i + 1))
            seg = segname(i + 1)
            when = time_of(i)
            cyc = stamp(cstart)
            name = "%s~%s~pg15~wal~%s~%s~%s" % (a.host, a.instance, seg, seg, cyc)
            comment = json.dumps({"format": "pgborg-wal/1", "host": a.host, "instance": a.instance, "cycle": cyc,
                                  "files": [seg], "bytes": SEG, "createdAt": iso(when)}, separators=(",", ":"))
            wal.add(name, comment, when)
            if wal.pending >= a.commit_every:
                wal.commit()
                print("  %d archives" % (i + 1 - a.first), file=sys.stderr)
    finally:
        wal.close()
    if new_cycles:
        bases = Session(a.archive_repository)
        try:
            for cstart, first_seg in new_cycles:
                name = "%s~%s~pg15~base~%s" % (a.host, a.instance, stamp(cstart))
                bases.add(name, base_comment(a, a.host, a.instance, cstart, first_seg), cstart)
        finally:
            bases.close()
    print("added %d WAL archives (%s .. %s), %d bases" % (a.count, stamp(time_of(a.first)), stamp(time_of(a.first + a.count - 1)),
                                                         len(new_cycles)), file=sys.stderr)


def main():
    setup_logging(level="warning")
    if len(sys.argv) > 1 and sys.argv[1] == "--history":
        p = argparse.ArgumentParser()
        p.add_argument("--history", action="store_true")
        p.add_argument("wal_repository")
        p.add_argument("archive_repository")
        p.add_argument("first", type=int)
        p.add_argument("count", type=int)
        p.add_argument("--total", type=int, required=True)
        p.add_argument("--host", required=True)
        p.add_argument("--instance", required=True)
        p.add_argument("--days", type=float, default=90)
        p.add_argument("--cycle-days", type=float, default=7)
        p.add_argument("--end")
        p.add_argument("--sysid", default="7000000000000000000")
        p.add_argument("--server-version", type=int, default=150000)
        p.add_argument("--commit-every", type=int, default=5000)
        history(p.parse_args())
    else:
        simple(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))


if __name__ == "__main__":
    main()
