# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A machine's last scheduled run in the fleet view: settings_info returns the status file as ``schedule`` (null when
there is none, a warning when it is unreadable or not one), and the drift report puts it per host, with a failed or
stale last run in its summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

pytest.importorskip('ansible')

from ansible_collections.fleetcfg.claude_code.plugins.action.settings_info import host_view  # noqa: E402
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_info import read_status  # noqa: E402
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import drift  # noqa: E402

STATUS = dict(format=1, schedule='fleetcfg-claude-code', playbook='fleetcfg.claude_code.bedrock', repository=None,
              check_only=False, interval=3600, started='2026-03-02T10:07:12Z', finished='2026-03-02T10:07:31Z',
              result='repaired', changed=1, exit_status=0, reason=None)


def found(schedule):
    return dict(managed_dir='/etc/claude-code', managed=[], accounts={}, schedule=schedule)


def test_a_status_file_is_read_as_the_schedule(tmp_path):
    path = tmp_path / 'status.json'
    path.write_text(json.dumps(STATUS))
    entry = read_status(str(path))
    assert entry == dict(path=str(path), state='present', status=STATUS, reason=None)
    assert host_view(found(entry))['schedule'] == STATUS


def test_no_status_file_is_a_null_schedule_without_a_warning(tmp_path):
    view = host_view(found(read_status(str(tmp_path / 'none.json'))))
    assert view['schedule'] is None and 'warnings' not in view


@pytest.mark.parametrize('text, reason', [('{not json', 'not JSON'), ('{"result": "maybe"}', 'not a status file')])
def test_a_status_file_that_is_not_one_is_a_warning(tmp_path, text, reason):
    path = tmp_path / 'status.json'
    path.write_text(text)
    view = host_view(found(read_status(str(path))))
    assert view['schedule'] is None
    assert view['warnings'][0].startswith('status_file %s: %s' % (path, reason))


def entry_with(status):
    registered = {drift.PLAN: dict(configurations=['settings'], roles=[], settings=True, info=[{}]),
                  drift.INFO: dict(results=[dict(item=dict(users=['alice']), accounts={}, managed={}, schedule=status)])}
    return drift.host_entry(registered, check_mode=True)


def test_the_report_holds_each_hosts_last_scheduled_run():
    assert entry_with(STATUS)['schedule'] == STATUS
    assert 'schedule' not in entry_with(None)


def test_a_failed_or_stale_last_run_shows_in_the_summary_and_a_recent_one_does_not():
    failed = dict(STATUS, result='failed', reason='exit status 128 before any play ran (the repository ...)')
    entries = {'dev-01': entry_with(STATUS), 'dev-02': entry_with(failed), 'dev-03': entry_with(dict(STATUS, finished='2026-03-01T01:00:00Z'))}
    lines = drift.summary_lines(drift.build_report(entries, True, '2026-03-02T11:00:00Z'))
    assert [line for line in lines if line.startswith('  schedule:')] == [
        '  schedule:    dev-02: last run failed (2026-03-02T10:07:31Z): exit status 128 before any play ran (the repository ...)',
        '  schedule:    dev-03: stale: last run 2026-03-01T01:00:00Z, 34 h ago (every 60 min)']
