# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the drift_report action writes the report on the controller: atomically, with a mode of 0644 or 0600, the
summary next to it, and only plain JSON values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.fleetcfg.claude_code.plugins.action.drift_report import parse_mode, plain, summary_path, write_atomic


def test_the_report_replaces_the_old_one_whole_with_its_mode_and_leaves_no_temporary_file(tmp_path):
    report = tmp_path / 'claude-code-drift.json'
    report.write_text('old')
    os.chmod(str(report), 0o600)
    write_atomic(str(report), '{"hosts": {}}\n', 0o644)
    assert json.loads(report.read_text()) == {'hosts': {}}
    assert stat.S_IMODE(os.stat(str(report)).st_mode) == 0o644
    assert os.listdir(str(tmp_path)) == ['claude-code-drift.json']


def test_a_failed_write_keeps_the_old_report_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    report = tmp_path / 'claude-code-drift.json'
    report.write_text('old')

    def broken(*args):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', broken)
    with pytest.raises(OSError):
        write_atomic(str(report), 'new', 0o644)
    assert report.read_text() == 'old' and os.listdir(str(tmp_path)) == ['claude-code-drift.json']


@pytest.mark.parametrize('given, mode', [('0644', 0o644), ('0600', 0o600), ('644', 0o644), (0o600, 0o600), ('0o644', 0o644)])
def test_the_report_mode_is_0644_or_0600(given, mode):
    assert parse_mode(given) == mode


@pytest.mark.parametrize('given', ['0666', '0777', 'rw', 0o640])
def test_any_other_mode_is_refused_naming_the_option(given):
    with pytest.raises(AnsibleActionFail, match='mode: expected 0600 or 0644'):
        parse_mode(given)


def test_the_summary_goes_next_to_the_report():
    assert summary_path('/srv/claude-code-drift.json') == '/srv/claude-code-drift.txt'
    assert summary_path('/srv/drift-report') == '/srv/drift-report.txt'


def test_registered_values_become_plain_json_types():
    class Text(str):
        pass

    class Mapping(dict):
        pass

    value = plain(Mapping(a=[Text('x'), 1, True, None, (2.5,)]))
    assert value == {'a': ['x', 1, True, None, [2.5]]}
    assert value['a'][0].__class__ is str and value.__class__ is dict  # not Ansible's subclasses
