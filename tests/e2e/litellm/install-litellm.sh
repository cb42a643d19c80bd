#!/usr/bin/env bash
# Install a real LiteLLM proxy, at an exact pinned version, for the end-to-end tests of the litellm role.
#
#   tests/e2e/litellm/install-litellm.sh     -> prints the absolute path of the `litellm` executable
#
# From PyPI only, `litellm[proxy]==<pin>` into its own virtual environment outside the repository:
# ${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}/litellm-<version> (~530 MB, ~80 s the first time). Never into the
# project's .venv/. A cached copy is reused when it imports and reports the pinned version; otherwise it is
# rebuilt in place (a venv cannot be moved) and removed again if the install fails, so a half copy is never
# reused. Concurrent runs serialise on a lock file.
#
# 1.82.7 and 1.82.8 were compromised releases and are refused.
#
# Environment:
#   FLEETCFG_LITELLM_VERSION  override the pinned version (for trying a bump; see docs/litellm.md)
#   FLEETCFG_CACHE            cache root (default $HOME/.cache/fleetcfg)
#   PYTHON                    Python used to create the venv (default: python3)
set -euo pipefail

# Pinned proxy version. Bump here (and in docs/litellm.md), then run: pytest tests/e2e -k litellm
LITELLM_VERSION_PINNED=1.108.7

version=${FLEETCFG_LITELLM_VERSION:-$LITELLM_VERSION_PINNED}
cache_root=${FLEETCFG_CACHE:-$HOME/.cache/fleetcfg}
dest=$cache_root/litellm-$version
python=${PYTHON:-python3}

case $version in
  *[!0-9.]* | '' | .* | *. ) echo "install-litellm: not an exact version: '$version'" >&2; exit 2 ;;
  1.82.7 | 1.82.8) echo "install-litellm: $version is a compromised release; refusing" >&2; exit 2 ;;
esac

# is_good DIR: the venv in DIR has litellm at the pinned version and its proxy extras.
is_good() {
  [ -x "$1/bin/python" ] && [ -x "$1/bin/litellm" ] || return 1
  local out
  out=$(cd / && env -i PATH=/usr/bin:/bin LITELLM_LOCAL_MODEL_COST_MAP=True timeout 120 "$1/bin/python" -c \
    'import importlib.metadata as m, fastapi, uvicorn; print(m.version("litellm"))' 2>/dev/null) || return 1
  [ "$out" = "$version" ]
}

mkdir -p "$cache_root"
exec 9>"$cache_root/.litellm-$version.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if is_good "$dest"; then
  echo "$dest/bin/litellm"
  exit 0
fi

echo "install-litellm: installing litellm[proxy]==$version into $dest" >&2
start=$(date +%s)
rm -rf "$dest"
trap 'rm -rf "$dest"' EXIT
"$python" -m venv "$dest" >&2
"$dest/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "litellm[proxy]==$version" >&2

if ! is_good "$dest"; then
  echo "install-litellm: the installed copy does not import or report version $version" >&2
  exit 1
fi
trap - EXIT
echo "install-litellm: done in $(( $(date +%s) - start )) s ($(du -sh "$dest" | cut -f1))" >&2
echo "$dest/bin/litellm"
