#!/usr/bin/env bash
# Fetch the npm pack tarballs of the real Claude Code client that tests/e2e/test_cli.py installs offline.
#
#   tests/e2e/fetch-claude-tarballs.sh   -> one line per version: <version> <wrapper tarball> <platform tarball>
#
# The role fleetcfg.claude_code.cli installs from mirrored tarballs with no registry reachable. Measured (docs/cli.md):
# the wrapper @anthropic-ai/claude-code (~32 KB) alone installs without error but leaves a client that does not
# start; with the platform package @anthropic-ai/claude-code-<platform> (~185 MB) next to it, npm installs both
# offline and the wrapper's postinstall puts the native binary in place. So both are fetched, for each version.
#
# Two versions (the pin and the nearest older release) for the upgrade and downgrade tests; both pinned here only.
# Cache: ${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}/claude-code-tarballs, outside the repository; a tarball already
# there is reused (npm pack writes to a temporary folder first, so an interrupted fetch leaves no half file).
# Environment: FLEETCFG_CACHE, NPM (default npm), FLEETCFG_CLAUDE_PLATFORM (default linux-x64).
set -euo pipefail

CLI_E2E_VERSIONS="2.1.332 2.1.331"   # the pin first (tests/e2e/install-claude.sh's), then the nearest older one

cache=${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}/claude-code-tarballs
npm=${NPM:-npm}
platform=${FLEETCFG_CLAUDE_PLATFORM:-linux-x64}
mkdir -p "$cache"
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

for version in $CLI_E2E_VERSIONS; do
  wrapper=$cache/anthropic-ai-claude-code-$version.tgz
  native=$cache/anthropic-ai-claude-code-$platform-$version.tgz
  for pair in "@anthropic-ai/claude-code@$version $wrapper" "@anthropic-ai/claude-code-$platform@$version $native"; do
    spec=${pair% *}
    file=${pair#* }
    [ -s "$file" ] && continue
    echo "fetch-claude-tarballs: npm pack $spec" >&2
    tmp=$(mktemp -d "$cache/.pack.XXXXXX")
    (cd "$tmp" && "$npm" pack --silent --no-update-notifier "$spec" >/dev/null)
    mv "$tmp/$(basename "$file")" "$file"
    rm -rf "$tmp"
  done
  echo "$version $wrapper $native"
done
