#!/usr/bin/env bash
# Runs every tests_*.yml playbook of the current folder (a role_* target's runme.sh cds there) in turn, each against the test host with its own temporary
# folders (the playbooks make and remove them; nothing is written to /etc/claude-code or a real home).
# A playbook's header may name what its output must (and must not) hold, for what only the output shows, such
# as a deprecation warning or an account reported as skipped:
#   # output: <text>      the output of ansible-playbook contains <text>
#   # no-output: <text>   it does not
# Every playbook runs even when an earlier one fails; the target fails when one did.
set -eu
# ansible-test turns deprecation warnings off; the roles' deprecated variables are tested by their warning.
export ANSIBLE_DEPRECATION_WARNINGS=true

out=$(mktemp -d /tmp/fleetcfg-it-role-XXXXXX)
trap 'rm -rf "$out"' EXIT
inventory=${INVENTORY_PATH:-localhost,}
failed=()

for playbook in tests_*.yml; do
  log=$out/${playbook%.yml}.log
  echo "=== $playbook"
  rc=0
  ansible-playbook -i "$inventory" "$playbook" "$@" >"$log" 2>&1 || rc=$?
  cat "$log"
  problem=
  [ "$rc" -eq 0 ] || problem="ansible-playbook exited with $rc"
  while IFS= read -r text; do
    grep -qF -- "$text" "$log" || problem="${problem:+$problem; }the output does not contain: $text"
  done < <(sed -n 's/^# output: //p' "$playbook")
  while IFS= read -r text; do
    if grep -qF -- "$text" "$log"; then problem="${problem:+$problem; }the output contains: $text"; fi
  done < <(sed -n 's/^# no-output: //p' "$playbook")
  if [ -n "$problem" ]; then
    echo "FAILED: $playbook: $problem" >&2
    failed+=("$playbook")
  else
    echo "passed: $playbook"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "$(basename "$PWD"): ${#failed[@]} playbook(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "$(basename "$PWD"): every playbook passed"
