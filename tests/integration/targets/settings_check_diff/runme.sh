#!/usr/bin/env bash
# Check mode and diff, the way a scheduled drift job uses them: `--check --diff` reports drift without touching
# anything and shows it with secrets redacted; a normal run repairs it; then `--check` reports no drift.
set -eu

tmp=$(mktemp -d /tmp/fleetcfg-it-diff-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
mkdir -p "$out"

run() {
  # run NAME ARGS...: ansible-playbook with the test inventory; output kept in $out/NAME.log and shown.
  local name=$1
  shift
  local rc=0
  ansible-playbook -i "${INVENTORY_PATH}" -e it_dir="$tmp" "$@" >"$out/$name.log" 2>&1 || rc=$?
  cat "$out/$name.log"
  return $rc
}

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# 1. The drift job from the command line. drift.yml holds one settings task; the user's file differs from it.
file=$tmp/drift/settings.json
mkdir -m 0700 "$tmp/drift"
(umask 077 && cat >"$file" <<'JSON'
{
  "model": "opus",
  "env": {
    "ANTHROPIC_AUTH_TOKEN": "old-drift-secret-51c2",
    "ANTHROPIC_BASE_URL": "https://old-gateway.example.com"
  }
}
JSON
)
sum_before=$(sha256sum "$file")
stat_before=$(stat -c '%i %.9Y %a %U' "$file")

run check drift.yml --check --diff "$@"
log=$out/check.log
grep -qE 'changed=1\b' "$log" || fail "check run did not report the drift as a change"
grep -qF -- "--- before: $file" "$log" || fail "no diff header for $file"
grep -qF -- '-  "model": "opus",' "$log" || fail "diff does not show the old model"
grep -qF -- '+  "model": "sonnet",' "$log" || fail "diff does not show the new model"
grep -qF -- '+    "ANTHROPIC_BASE_URL": "https://visible-gateway.example.com"' "$log" || fail "diff does not show the new base URL"
grep -qF -- '-    "ANTHROPIC_AUTH_TOKEN": "******** (old)"' "$log" || fail "diff does not show the changed token as ******** (old)"
grep -qF -- '+    "ANTHROPIC_AUTH_TOKEN": "******** (new)"' "$log" || fail "diff does not show the changed token as ******** (new)"
if grep -qE 'old-drift-secret-51c2|new-drift-secret-8d07' "$log"; then fail "a secret value is in the check --diff output"; fi
[ "$(sha256sum "$file")" = "$sum_before" ] || fail "check mode changed the file's content"
[ "$(stat -c '%i %.9Y %a %U' "$file")" = "$stat_before" ] || fail "check mode touched the file (inode, mtime, mode or owner)"

run repair drift.yml --diff "$@"
grep -qE 'changed=1\b' "$out/repair.log" || fail "the normal run did not repair the drift"
grep -qF '"model": "sonnet"' "$file" || fail "the normal run did not write the new model"
if grep -qE 'old-drift-secret-51c2|new-drift-secret-8d07' "$out/repair.log"; then fail "a secret value is in the --diff output"; fi

sum_repaired=$(sha256sum "$file")
run recheck drift.yml --check --diff "$@"
grep -qE 'changed=0\b' "$out/recheck.log" || fail "check run after the repair still reports drift"
if grep -qF -- '--- before' "$out/recheck.log"; then fail "check run without drift shows a diff"; fi
[ "$(sha256sum "$file")" = "$sum_repaired" ] || fail "check run without drift changed the file"

# 2. In-play assertions: check mode and diff per task, absent and invalid files, helpers (see check_diff.yml).
run assertions check_diff.yml "$@"

echo "settings_check_diff: all checks passed"
