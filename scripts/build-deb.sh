#!/bin/bash
# Builds artifacts/pgborg_VERSION_ARCH.deb with dpkg-deb: the NativeAOT binary and its five names, the systemd
# units (shipped disabled), the configuration as a 0600 conffile, man pages and bash completion generated from the
# binary's own command line, and /usr/share/doc/pgborg. Then checks it with lintian when lintian is installed.
#   --no-publish   package artifacts/publish/pgborg as it is (the tests package the binary they test)
set -euo pipefail
cd "$(dirname "$0")/.."
publish=1
for arg in "$@"; do
  case $arg in
    --no-publish) publish=0 ;;
    *) echo "usage: $0 [--no-publish]" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' src/PgBorg/PgBorg.csproj)
arch=$(dpkg --print-architecture)
# reproducible: the same commit gives the same dates in the changelog, the man pages and the archive
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
maintainer=${PGBORG_MAINTAINER:-"$(git config user.name || echo pgborg maintainers) <$(git config user.email || echo pgborg@example.org)>"}

if [ $publish = 1 ]; then
  dotnet publish src/PgBorg -c Release -o artifacts/publish
fi
binary=artifacts/publish/pgborg
[ -x $binary ] || { echo "$binary is missing: run without --no-publish" >&2; exit 1; }

root=artifacts/deb/pgborg
rm -rf artifacts/deb
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system/postgresql@.service.d" \
  "$root/usr/share/man/man1" "$root/usr/share/man/man5" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/doc/pgborg" "$root/usr/share/lintian/overrides"
install -d -m 0700 "$root/etc/pgborg"

install -m 0755 $binary "$root/usr/bin/pgborg"
names=(pgcad pgbuptool pgcarestore pgdumpd pgdumprestore)
for name in "${names[@]}"; do
  ln -s pgborg "$root/usr/bin/$name"
done
install -m 0644 packaging/pgcad.service packaging/pgdumpd.service packaging/pgborg-verify.service packaging/pgborg-verify.timer "$root/lib/systemd/system/"
install -m 0644 packaging/postgresql@.service.d/pgborg.conf "$root/lib/systemd/system/postgresql@.service.d/"
# 0600: the administrator may put a passphrase in it, and pgborg refuses a passphrase in a readable file
install -m 0600 packaging/pgborg.toml "$root/etc/pgborg/pgborg.toml"

# man pages and completion come from the command line definition itself, so they cannot drift from --help
man=artifacts/deb/man
$binary __man $man --config-example packaging/pgborg.toml
for page in $man/*.1; do gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"; done
gzip -9n <$man/pgborg.toml.5 >"$root/usr/share/man/man5/pgborg.toml.5.gz"
$binary __completion >"$root/usr/share/bash-completion/completions/pgborg"
chmod 0644 "$root/usr/share/bash-completion/completions/pgborg" "$root"/usr/share/man/man*/*.gz
# bash-completion loads a command's completion by the command's name
for name in "${names[@]}"; do
  ln -s pgborg "$root/usr/share/bash-completion/completions/$name"
done

doc="$root/usr/share/doc/pgborg"
install -m 0644 packaging/debian/copyright "$doc/copyright"
gzip -9n <README.md >"$doc/README.md.gz"
{
  echo "pgborg ($version) unstable; urgency=medium"
  echo
  echo "  * Built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  # subjects shortened at a word (a word cut in two reads to lintian as a misspelling: "proces")
  git log -20 --format='%s' 2>/dev/null \
    | awk '{ if (length($0) > 74) { s = substr($0, 1, 70); sub(/ [^ ]*$/, "", s); $0 = s " ..." } print "  * " $0 }' || true
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc"/*
install -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/pgborg"

for script in postinst prerm postrm; do
  install -m 0755 packaging/debian/$script "$root/DEBIAN/$script"
done
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
# the binary links only libc (libc.so.6, libm.so.6): the newest glibc symbol version it uses is the dependency
libc=$(objdump -T $binary | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 | cut -d_ -f2)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" -e "s|@SIZE@|$size|" -e "s|@LIBC@|$libc|" \
  packaging/debian/control >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=artifacts/pgborg_${version}_${arch}.deb
rm -f artifacts/pgborg_*.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb"
echo "built $deb"
if command -v lintian >/dev/null; then
  # errors fail the build; every warning is fixed or explained in packaging/debian/lintian-overrides
  lintian --fail-on error,warning --info --display-info "$deb"
  echo "lintian: no errors or warnings"
fi
