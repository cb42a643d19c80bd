#!/usr/bin/env bash
# Secrets (env values whose names hold TOKEN, KEY, AUTH, CUSTOM_HEADERS, ...; env values that hold a URL with a password
# or an OTLP auth header; keys listed in secret_keys; helper contents) never appear in the output, even with -vvvv --diff,
# whether the run writes, checks, or fails; files holding them are private, and a file every user reads (0644, a managed
# drop-in) is refused. A secret that changed shows as changed in the diff, without its value.
set -eu

tmp=$(mktemp -d /tmp/fleetcfg-it-secrets-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
mkdir -p "$out"

# (svc-claude is the proxy URL's user: the whole value is hidden, not only the password.)
secrets=(
  it-secret-authtoken-A1f7 it-secret-bedrock-B2c9 it-secret-header-C3d1 it-secret-helper-D4e6
  it-secret-authtoken-E5a2 it-secret-bedrock-F6b8 it-secret-header-G7c4 it-secret-helper-H8d3
  it-secret-proxypw-J9a1 it-secret-otlp-L1c3 it-secret-cookie-N3e5
  it-secret-proxypw-K0b2 it-secret-otlp-M2d4 it-secret-cookie-P4f6 it-secret-proxypw-Q5g7
  svc-claude
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

# expect_not NAME TEXT: the output does not hold TEXT.
expect_not() {
  if grep -qF -- "$2" "$out/$1.log"; then grep -nF -- "$2" "$out/$1.log" >&2; fail "$1: '$2' is in the output"; fi
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
expect write '"HTTPS_PROXY": "********"'
expect write '"OTEL_EXPORTER_OTLP_HEADERS": "********"'
expect write '"CORP_SSO_COOKIE": "********"'
expect write '"NO_PROXY": "localhost,visible-gateway.example.com"'
expect write 'changed: [testhost]'
expect write 'ESTABLISH LOCAL CONNECTION'  # -vvvv is in effect
grep -qF it-secret-authtoken-A1f7 "$settings" || fail "the token was not written to $settings"
grep -qF it-secret-bedrock-B2c9 "$settings" || fail "the Bedrock token was not written to $settings"
grep -qF 'X-Gateway-Key: it-secret-header-C3d1' "$settings" || fail "the custom header was not written to $settings"
grep -qF it-secret-helper-D4e6 "$helper" || fail "the helper was not written"
grep -qF 'http://svc-claude:it-secret-proxypw-J9a1@proxy.example.com:3128' "$settings" || fail "the proxy URL was not written"
grep -qF 'Authorization=Bearer%20it-secret-otlp-L1c3' "$settings" || fail "the OTLP headers were not written"
grep -qF it-secret-cookie-N3e5 "$settings" || fail "the listed secret was not written"
[ "$(stat -c '%a %U' "$settings")" = "600 root" ] || fail "$settings holds secrets but has mode/owner $(stat -c '%a %U' "$settings")"
[ "$(stat -c '%a %U' "$helper")" = "700 root" ] || fail "$helper has mode/owner $(stat -c '%a %U' "$helper")"
[ "$(stat -c '%a' "$tmp/claude")" = "700" ] || fail "$tmp/claude has mode $(stat -c '%a' "$tmp/claude")"

# 2. A check run with drift in every secret.
sum=$(cat "$settings" "$helper" | sha256sum)
run check 0 --check -e secret_set=second
expect check 'https://visible-gateway.example.com'
expect check '"ANTHROPIC_AUTH_TOKEN": "********"'
expect check 'changed: [testhost]'
# Every secret changed: each shows as changed (old/new), with no part of either value.
expect check '"ANTHROPIC_AUTH_TOKEN": "******** (old)"'
expect check '"ANTHROPIC_AUTH_TOKEN": "******** (new)"'
expect check '"HTTPS_PROXY": "******** (old)"'
expect check '"OTEL_EXPORTER_OTLP_HEADERS": "******** (new)"'
expect check '"CORP_SSO_COOKIE": "******** (new)"'
[ "$(cat "$settings" "$helper" | sha256sum)" = "$sum" ] || fail "the check run changed a file"

# 2b. Only the proxy password changes: that secret shows as changed, the others as they were; then it is rotated.
run proxy_check 0 --check -e secret_set=proxy_only
expect proxy_check '"HTTPS_PROXY": "******** (old)"'
expect proxy_check '"HTTPS_PROXY": "******** (new)"'
expect proxy_check '"ANTHROPIC_AUTH_TOKEN": "********"'
expect proxy_check '"env.HTTPS_PROXY"'
expect_not proxy_check '"ANTHROPIC_AUTH_TOKEN": "******** (old)"'
expect_not proxy_check '"OTEL_EXPORTER_OTLP_HEADERS": "******** (new)"'
[ "$(cat "$settings" "$helper" | sha256sum)" = "$sum" ] || fail "the check run changed a file"
run proxy_rotate 0 -e secret_set=proxy_only
expect proxy_rotate 'changed: [testhost]'
expect proxy_rotate '"HTTPS_PROXY": "******** (new)"'
grep -qF 'svc-claude:it-secret-proxypw-Q5g7@' "$settings" || fail "the new proxy password was not written"
[ "$(stat -c '%a' "$settings")" = "600" ] || fail "$settings has mode $(stat -c '%a' "$settings")"
run proxy_again 0 -e secret_set=proxy_only
expect proxy_again 'ok: [testhost]'
expect_not proxy_again '(new)'

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

# 5. Secrets found only by their value (a proxy password, an OTLP auth header) into a 0644 file: refused the same way.
run shared_by_value fail -e config_dir="$tmp/shared-by-value" -e it_mode=0644 -e it_by_value_only=true
expect shared_by_value 'refusing to write secrets (env.HTTPS_PROXY: a URL with a password, env.OTEL_EXPORTER_OTLP_HEADERS: an auth header)'
expect shared_by_value 'with mode 0644'
[ ! -e "$tmp/shared-by-value/settings.json" ] || fail "a 0644 file with a proxy password was created"

# 6. The same into a managed drop-in (0644: every user reads it): refused, with advice for the managed scope.
run managed fail -e it_scope=managed_dropin -e it_dropin=50-network.json -e it_managed_dir="$tmp/managed" -e it_by_value_only=true
expect managed 'refusing to write secrets (env.HTTPS_PROXY: a URL with a password, env.OTEL_EXPORTER_OTLP_HEADERS: an auth header)'
expect managed "$tmp/managed/managed-settings.d/50-network.json with mode 0644"
expect managed 'Managed settings must stay readable by every user'
[ ! -e "$tmp/managed/managed-settings.d/50-network.json" ] || fail "a managed drop-in with a proxy password was created"

echo "settings_secrets: all checks passed"
