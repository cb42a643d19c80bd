#!/usr/bin/env bash
# Secrets (env values whose names hold TOKEN, KEY, AUTH, CUSTOM_HEADERS, ...; helper contents) never appear in the
# output, even with -vvvv --diff, whether the run writes, checks, or fails; files holding them are private.
set -eu

tmp=$(mktemp -d /tmp/fleetcfg-it-secrets-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
mkdir -p "$out"

secrets=(
  it-secret-authtoken-A1f7 it-secret-bedrock-B2c9 it-secret-header-C3d1 it-secret-helper-D4e6
  it-secret-authtoken-E5a2 it-secret-bedrock-F6b8 it-secret-header-G7c4 it-secret-helper-H8d3
)

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# run NAME EXPECTED_RC ARGS...: ansible-playbook secrets.yml -vvvv --diff; output (stdout and stderr) in $out/NAME.log.
run() {
  local name=$1 expected=$2 rc=0
  shift 2
  ansible-playbook -i "${INVENTORY_PATH}" secrets.yml -vvvv --diff -e it_dir="$tmp" "$@" >"$out/$name.log" 2>&1 || rc=$?
  if { [ "$expected" = fail ] && [ "$rc" -eq 0 ]; } || { [ "$expected" != fail ] && [ "$rc" -ne "$expected" ]; }; then
    cat "$out/$name.log"
    fail "$name: ansible-playbook exited with $rc, expected $expected"
  fi
  for s in "${secrets[@]}"; do
    if grep -qF -- "$s" "$out/$name.log"; then
      grep -nF -- "$s" "$out/$name.log" | cut -c1-300 >&2
      fail "$name: the secret $s is in the output"
    fi
  done
  echo "$name: exit $rc, $(wc -l <"$out/$name.log") lines of output, no secret in them"
}

# expect NAME TEXT: the output holds TEXT (so that the absence of the secrets means something).
expect() {
  grep -qF -- "$2" "$out/$1.log" || { tail -n 60 "$out/$1.log"; fail "$1: '$2' is not in the output"; }
}

settings=$tmp/claude/settings.json
helper=$tmp/claude/bin/key-helper

# 1. A normal run writes the secrets.
run write 0
expect write 'https://visible-gateway.example.com'
expect write '"ANTHROPIC_AUTH_TOKEN": "********"'
expect write '"AWS_BEARER_TOKEN_BEDROCK": "********"'
expect write '"ANTHROPIC_CUSTOM_HEADERS": "********"'
expect write '"AWS_REGION": "eu-central-1"'
expect write 'changed: [testhost]'
expect write 'ESTABLISH LOCAL CONNECTION'  # -vvvv is in effect
grep -qF it-secret-authtoken-A1f7 "$settings" || fail "the token was not written to $settings"
grep -qF it-secret-bedrock-B2c9 "$settings" || fail "the Bedrock token was not written to $settings"
grep -qF 'X-Gateway-Key: it-secret-header-C3d1' "$settings" || fail "the custom header was not written to $settings"
grep -qF it-secret-helper-D4e6 "$helper" || fail "the helper was not written"
[ "$(stat -c '%a %U' "$settings")" = "600 root" ] || fail "$settings holds secrets but has mode/owner $(stat -c '%a %U' "$settings")"
[ "$(stat -c '%a %U' "$helper")" = "700 root" ] || fail "$helper has mode/owner $(stat -c '%a %U' "$helper")"
[ "$(stat -c '%a' "$tmp/claude")" = "700" ] || fail "$tmp/claude has mode $(stat -c '%a' "$tmp/claude")"

# 2. A check run with drift in every secret.
sum=$(cat "$settings" "$helper" | sha256sum)
run check 0 --check -e secret_set=second
expect check 'https://visible-gateway.example.com'
expect check '"ANTHROPIC_AUTH_TOKEN": "********"'
expect check 'changed: [testhost]'
[ "$(cat "$settings" "$helper" | sha256sum)" = "$sum" ] || fail "the check run changed a file"

# 3. A failing run: a typo elsewhere in the same task, and a secret under a lower-case name.
sum=$(cat "$settings" "$helper" | sha256sum)
# (Given in a file: -vvvv prints the command line's extra vars.)
cat >"$tmp/invalid.json" <<'JSON'
{"extra_settings": {"awsAuthRefersh": "/bin/true", "env": {"anthropic_custom_headers": "X-Other: it-secret-header-G7c4"}}}
JSON
run invalid fail -e "@$tmp/invalid.json"
expect invalid "did you mean 'awsAuthRefresh'"
expect invalid "settings.env.anthropic_custom_headers"
[ "$(cat "$settings" "$helper" | sha256sum)" = "$sum" ] || fail "the failing run changed a file"

# 4. Secrets into a file other users can read: refused on the target, naming the variables, not their values.
run shared fail -e config_dir="$tmp/shared" -e it_mode=0644
expect shared 'refusing to write secrets'
expect shared 'env.ANTHROPIC_AUTH_TOKEN'
[ ! -e "$tmp/shared/settings.json" ] || fail "a 0644 file with secrets was created"
[ ! -e "$tmp/shared/bin/key-helper" ] || fail "the helper was written although the settings were refused"

echo "settings_secrets: all checks passed"
