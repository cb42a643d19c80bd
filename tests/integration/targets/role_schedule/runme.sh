#!/usr/bin/env bash
# Every tests_*.yml playbook of this target, one per behaviour (../setup_role_tests/run-playbooks.sh).
set -eu
cd "$(dirname "$0")"
exec ../setup_role_tests/run-playbooks.sh "$@"
