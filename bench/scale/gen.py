#!/usr/bin/python3
"""Adds COUNT empty archives named and commented like pgborg's WAL batches to a Borg repository, in one Borg
session (one archive per commit, as pgcad's ingest does, without a process start each): what a repository looks like
after weeks of ingests, made in minutes. Uses Borg 1.2's Python API (Debian's borgbackup); BORG_PASSPHRASE and
BORG_BASE_DIR come from the environment.

usage: gen.py REPOSITORY FIRST COUNT
"""
import json
import sys

from borg.archive import Archive
from borg.cache import Cache
from borg.helpers import Manifest
from borg.logger import setup_logging
from borg.repository import Repository


def main():
    path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    setup_logging(level="warning")
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


if __name__ == "__main__":
    main()
