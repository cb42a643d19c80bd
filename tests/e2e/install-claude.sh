#!/usr/bin/env bash
# Install the real Claude Code client, at an exact pinned version, for the end-to-end tests.
#
#   tests/e2e/install-claude.sh            -> prints the absolute path of the `claude` binary
#
# The client comes from the npm registry only: the wrapper package @anthropic-ai/claude-code pulls the
# platform package (@anthropic-ai/claude-code-linux-x64, a ~245 MB native binary) as an optional dependency,
# and its postinstall copies that binary over bin/claude.exe. Nothing else is downloaded, at install time or
# when the tests run the client (checked below by running `claude --version` without any network).
#
# Cache: ${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}/claude-code-<version>, outside the repository. A cached
# copy is reused when its `claude --version` prints the pinned version; otherwise it is rebuilt in a temporary
# directory next to it and moved into place, so an interrupted install never leaves a half copy behind.
# Concurrent runs (parallel test sessions) serialise on a lock file.
#
# Environment:
#   FLEETCFG_CLAUDE_VERSION  override the pinned version (for trying a bump; see docs/testing-e2e.md)
#   FLEETCFG_CACHE           cache root (default $HOME/.cache/fleetcfg)
#   NPM                      npm executable (default: npm)
#
# Only the path is printed on stdout; progress and npm output go to stderr.
set -euo pipefail

# Pinned client version. Bump here (and in docs/testing-e2e.md), then run the e2e suite.
CLAUDE_CODE_VERSION_PINNED=2.1.332

version=${FLEETCFG_CLAUDE_VERSION:-$CLAUDE_CODE_VERSION_PINNED}
cache_root=${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}
dest=$cache_root/claude-code-$version
npm=${NPM:-npm}

case $version in
  *[!0-9.]* | '' | .* | *. ) echo "install-claude: not an exact version: '$version'" >&2; exit 2 ;;
esac

# bin/claude.exe is the native binary itself once the postinstall ran (a shell stub before).
claude_bin() { printf '%s\n' "$1/node_modules/@anthropic-ai/claude-code/bin/claude.exe"; }

# is_good DIR: the copy in DIR runs and reports the pinned version.
is_good() {
  local bin out
  bin=$(claude_bin "$1")
  [ -x "$bin" ] || return 1
  out=$(cd / && env -i PATH=/usr/bin:/bin HOME="$1" timeout 30 "$bin" --version 2>/dev/null) || return 1
  # `claude --version` prints e.g. "2.1.332 (Claude Code)".
  [ "${out%% *}" = "$version" ]
}

mkdir -p "$cache_root"
exec 9>"$cache_root/.claude-code-$version.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if is_good "$dest"; then
  claude_bin "$dest"
  exit 0
fi

echo "install-claude: installing @anthropic-ai/claude-code@$version into $dest" >&2
start=$(date +%s)
tmp=$(mktemp -d "$cache_root/.claude-code-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A throwaway package.json keeps npm from walking up into any project above the cache.
printf '{"name":"fleetcfg-e2e-claude-code","private":true}\n' > "$tmp/package.json"
# --save-exact + "@$version": the exact version, never a range. --include=optional: the native binary is an
# optional dependency and must not be skipped by a user's npm config. --engine-strict=false: the wrapper
# declares node>=22, but it only runs a small postinstall; the client itself is the native binary.
(
  cd "$tmp"
  "$npm" install --no-audit --no-fund --no-update-notifier --save-exact --include=optional \
    --engine-strict=false --loglevel=warn "@anthropic-ai/claude-code@$version"
) >&2

# npm may hold back install scripts (its allowScripts policy); then bin/claude.exe is still the stub that
# only prints an error. The postinstall is local work (it copies the binary out of the platform package),
# so run it ourselves in that case.
if ! is_good "$tmp"; then
  echo "install-claude: running the package's postinstall explicitly" >&2
  (cd "$tmp/node_modules/@anthropic-ai/claude-code" && node install.cjs) >&2 || true
fi

if ! is_good "$tmp"; then
  echo "install-claude: installed copy does not report version $version:" >&2
  "$(claude_bin "$tmp")" --version >&2 || true
  exit 1
fi

# Proof that the client needs no further download: it must start with no network at all. unshare needs
# privileges (root or user namespaces); where it is not available this check is skipped, not faked.
bin=$(claude_bin "$tmp")
if unshare -rn true >/dev/null 2>&1; then
  if ! (cd / && env -i PATH=/usr/bin:/bin HOME="$tmp" unshare -rn timeout 30 "$bin" --version >/dev/null 2>&1); then
    echo "install-claude: the client does not start without network (it wants a further download)" >&2
    exit 1
  fi
else
  echo "install-claude: note: unshare not permitted here; offline start not checked" >&2
fi

rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "install-claude: done in $(( $(date +%s) - start )) s ($(du -sh "$dest" | cut -f1))" >&2
claude_bin "$dest"
