#!/usr/bin/env bash
# Build (once) a minimal Debian root filesystem for the golden-image end-to-end test, and print its tarball's path.
#
#   tests/e2e/build-debian-root.sh        -> prints the absolute path of the cached tarball
#
# The root is Debian bookworm, `debootstrap --variant=minbase` from the Debian package mirror, with only what the test
# needs: python3 (Ansible's target side), openssh-server (the image is reached as image builders reach one, over SSH)
# and nothing else (passwd for useradd, util-linux for su, coreutils, sed and findutils for the helper scripts are
# part of minbase). sshd's host keys are removed: each copy generates its own, as a real image's first boot does.
#
# Cache: ${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}/debian-root-<suite>-<recipe hash>.tar, outside the repository. A
# tarball, never a directory the tests use: each test run extracts a fresh copy, so no run dirties the cache. The
# recipe hash covers the suite, variant, package list and this script's build steps, so changing any of them builds
# a new tarball. The tarball is built in a temporary directory next to it and moved into place with a stamp file, so
# an interrupted build never leaves a half tarball that looks good. Concurrent runs serialise on a lock file.
#
# Environment:
#   FLEETCFG_CACHE           cache root (default $HOME/.cache/fleetcfg)
#   FLEETCFG_DEBIAN_MIRROR   the Debian mirror (default http://deb.debian.org/debian)
#
# Needs root (debootstrap) and debootstrap itself (`apt-get install debootstrap`; .ci/run installs it). Only the path
# is printed on stdout; progress goes to stderr. Exits non-zero, saying why, when the root cannot be built.
set -euo pipefail

suite=bookworm
variant=minbase
packages=python3,openssh-server
recipe_version=1  # bump when the build steps below change
mirror=${FLEETCFG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_root=${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}

recipe=$(printf '%s\n' "$suite" "$variant" "$packages" "$recipe_version" | sha256sum | cut -c1-12)
dest=$cache_root/debian-root-$suite-$recipe.tar
stamp=$dest.ok

fail() { echo "build-debian-root: $*" >&2; exit 1; }

# is_good: the tarball is there, and its stamp (written only after it was moved into place) names this recipe.
is_good() { [ -f "$dest" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe $(stat -c %s "$dest")" ]; }

mkdir -p "$cache_root"
exec 9>"$cache_root/.debian-root-$suite-$recipe.lock"
command -v flock >/dev/null 2>&1 && flock 9

if is_good; then
  printf '%s\n' "$dest"
  exit 0
fi

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap builds the root filesystem as root)"
debootstrap=$(command -v debootstrap || true)
if [ -z "$debootstrap" ] && [ -x /usr/sbin/debootstrap ]; then debootstrap=/usr/sbin/debootstrap; fi
[ -n "$debootstrap" ] || fail "debootstrap is not installed (apt-get install debootstrap)"

echo "build-debian-root: building Debian $suite ($variant, with $packages) from $mirror into $dest" >&2
start=$(date +%s)
tmp=$(mktemp -d "$cache_root/.debian-root-$suite-$recipe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! "$debootstrap" --variant="$variant" --include="$packages" "$suite" "$tmp/root" "$mirror" > "$tmp/debootstrap.log" 2>&1; then
  tail -n 30 "$tmp/debootstrap.log" >&2
  [ -f "$tmp/root/debootstrap/debootstrap.log" ] && tail -n 30 "$tmp/root/debootstrap/debootstrap.log" >&2
  fail "debootstrap failed (mirror $mirror reachable? set FLEETCFG_DEBIAN_MIRROR for another one); see above"
fi

for cmd in /usr/bin/python3 /usr/sbin/sshd /usr/bin/ssh-keygen /usr/sbin/useradd /usr/bin/su; do
  [ -x "$tmp/root$cmd" ] || fail "the built root has no $cmd"
done
# A golden image carries no host keys (each machine generates its own), no package lists and no package cache.
rm -f "$tmp/root"/etc/ssh/ssh_host_*
rm -rf "$tmp/root"/var/lib/apt/lists/* "$tmp/root"/var/cache/apt/*.bin "$tmp/root"/var/cache/apt/archives/*.deb

tar --numeric-owner --xattrs -C "$tmp/root" -cf "$tmp/root.tar" .
mv "$tmp/root.tar" "$dest"
printf '%s %s\n' "$recipe" "$(stat -c %s "$dest")" > "$stamp.tmp"
mv "$stamp.tmp" "$stamp"
# Tarballs of earlier recipes are not used any more.
for old in "$cache_root"/debian-root-"$suite"-*.tar; do
  [ "$old" = "$dest" ] || rm -f "$old" "$old.ok"
done
echo "build-debian-root: done in $(( $(date +%s) - start )) s ($(du -sh "$dest" | cut -f1))" >&2
printf '%s\n' "$dest"
