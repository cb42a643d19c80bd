#!/usr/bin/env bash
# playbooks/drift.yml on a fleet of five hosts (inventory.yml): four local ones, each with its files in a temporary
# folder, and one that cannot be reached. One run sets the fleet up; two hosts are then edited by hand and one user
# file is made one the client drops; a check run reports that (and changes nothing), a repair run repairs it, and a
# last check run finds only the unreachable host. fleet.py prepares, edits and checks each report and exit status.
set -eu
cd "$(dirname "$0")"
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
DRIFT_IT_ROOT=$(mktemp -d /tmp/fleetcfg-it-drift-XXXXXX)
export DRIFT_IT_ROOT ANSIBLE_NOCOLOR=1
trap 'rm -rf "$DRIFT_IT_ROOT"' EXIT
report=$DRIFT_IT_ROOT/reports/claude-code-drift.json
failed=()

# drift STEP ARGS...: run the drift playbook (output in STEP.log), then check its exit status and its report.
drift() {
  local step=$1 rc=0
  shift
  echo "=== $step: ansible-playbook fleetcfg.claude_code.drift $*"
  ansible-playbook -i inventory.yml fleetcfg.claude_code.drift -e "drift_report=$report" "$@" \
    > "$DRIFT_IT_ROOT/$step.log" 2>&1 || rc=$?
  cat "$DRIFT_IT_ROOT/$step.log"
  if "$python" fleet.py report "$step" "$report" "$rc" "$DRIFT_IT_ROOT/$step.log"; then
    echo "passed: $step"
  else
    echo "FAILED: $step" >&2
    failed+=("$step")
  fi
}

"$python" fleet.py prepare
drift setup                      # repair mode: every reachable host gets its configuration
drift steady --check             # nothing drifted: only the unreachable host
"$python" fleet.py edit          # two hosts edited by hand, one user file the client drops
"$python" fleet.py snapshot
drift check --check --diff       # the drift, the dropped file, the unreachable host
"$python" fleet.py unchanged     # check mode changed nothing
drift repair                     # repairs it, says what it changed
drift after --check              # in line again, but for the unreachable host
drift reachable --check --limit '!dev-05'                     # all in line: exit 0
drift selected --check -e 'litellm_hosts=gateway:!dev-05'     # the role's host pattern leaves dev-05 out: exit 0
drift failing --check -e '{"claude_code_settings": {"model": 5}}'  # a configuration that fails, by its message

if [ ${#failed[@]} -gt 0 ]; then
  echo "drift_report: ${#failed[@]} step(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "drift_report: every step passed"
