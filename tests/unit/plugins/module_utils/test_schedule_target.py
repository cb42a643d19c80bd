# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schedule on the host (plugins/module_utils/schedule_target.py): the files of its platform written once and
owned as asked, the timer enabled with systemd running or by its wants link without, the launchd job loaded, check
mode, and state absent. Every path is in a temporary folder (Layout); systemctl and launchctl are recorded, not run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest
import yaml

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import schedule_target
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.schedule_target import Layout, converge
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import schedule
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import role_defaults

RUNNER = '#!/usr/bin/python3\nprint("runner")\n'
PYTHON = '/usr/bin/python3.11'


class Systemctl(object):
    """Records commands; ``enabled``: what is-enabled / is-active / launchctl print answer."""

    def __init__(self, enabled=False):
        self.enabled = enabled
        self.calls = []

    def __call__(self, argv):
        self.calls.append(' '.join(argv))
        if argv[1] in ('is-enabled', 'is-active', 'print'):
            return (0 if self.enabled else 1), '', ''
        return 0, '', ''


@pytest.fixture
def layout(tmp_path):
    def make(platform='linux', running=False):
        if running:
            (tmp_path / 'run-systemd').mkdir(exist_ok=True)
        return Layout(runner_dir=str(tmp_path / 'libexec'), systemd_dir=str(tmp_path / 'systemd'),
                      launchd_dir=str(tmp_path / 'LaunchDaemons'), systemd_running=str(tmp_path / 'run-systemd'),
                      platform=platform, uid=os.geteuid(), gid=os.getegid())
    return make


def params(tmp_path, **variables):
    raw = dict(role_defaults('schedule'), schedule_playbook='/srv/site.yml', schedule_status_file=str(tmp_path / 'var' / 'status.json'))
    raw.update(variables)
    return schedule.module_args(schedule.check(raw), RUNNER)


def apply(p, layout, run=None, check_mode=False):
    return converge(p, run or Systemctl(), check_mode=check_mode, layout=layout, python=PYTHON)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_without_systemd_running_the_files_are_written_and_the_timer_enabled_by_its_wants_link(tmp_path, layout):
    where = layout()
    run = Systemctl()
    result = apply(params(tmp_path), where, run)
    assert result['changed'] is True and result['enabled'] is True and result['started'] is False
    assert result['systemd'] == 'offline' and run.calls == [] and result['commands'] == []
    assert result['unit'] == 'fleetcfg-claude-code.timer' and result['status_file'] == str(tmp_path / 'var' / 'status.json')
    name = 'fleetcfg-claude-code'
    assert [(e['path'], e['state']) for e in result['files']] == [
        (str(tmp_path / 'var'), 'created'), (where.runner(name), 'created'), (where.service(name), 'created'),
        (where.timer(name), 'created'), (where.wants_link(name), 'created')]
    assert os.readlink(where.wants_link(name)) == where.timer(name)
    assert (mode(where.runner(name)), mode(where.service(name)), mode(where.timer(name))) == (0o755, 0o644, 0o644)
    with open(where.runner(name)) as f:
        assert f.read() == '#!%s\nprint("runner")\n' % PYTHON
    assert 'systemd is not running here' in result['msg']


def test_a_second_run_changes_nothing(tmp_path, layout):
    where = layout()
    apply(params(tmp_path), where)
    result = apply(params(tmp_path), where)
    assert result['changed'] is False
    assert set(e['state'] for e in result['files']) == {'unchanged'}


def test_a_file_with_the_right_content_but_another_mode_is_repaired(tmp_path, layout):
    where = layout()
    apply(params(tmp_path), where)
    os.chmod(where.service('fleetcfg-claude-code'), 0o666)
    result = apply(params(tmp_path), where)
    assert result['changed'] is True
    assert mode(where.service('fleetcfg-claude-code')) == 0o644


def test_with_systemd_running_it_reloads_and_enables_the_timer_now(tmp_path, layout):
    where = layout(running=True)
    result = apply(params(tmp_path), where)
    assert result['commands'] == ['systemctl daemon-reload', 'systemctl enable --now fleetcfg-claude-code.timer']
    assert (result['systemd'], result['enabled'], result['started']) == ('running', True, True)
    run = Systemctl(enabled=True)
    again = apply(params(tmp_path), where, run)
    assert again['changed'] is False and again['commands'] == []
    assert run.calls == ['systemctl is-enabled --quiet fleetcfg-claude-code.timer',
                         'systemctl is-active --quiet fleetcfg-claude-code.timer']


def test_a_new_interval_restarts_the_running_timer(tmp_path, layout):
    where = layout(running=True)
    apply(params(tmp_path), where)
    result = apply(params(tmp_path, schedule_interval='30min'), where, Systemctl(enabled=True))
    assert result['commands'] == ['systemctl daemon-reload', 'systemctl restart fleetcfg-claude-code.timer']
    assert [e['state'] for e in result['files']] == ['unchanged', 'updated', 'updated']


def test_check_mode_writes_nothing_and_lists_what_would_run(tmp_path, layout):
    where = layout(running=True)
    run = Systemctl()
    result = apply(params(tmp_path), where, run, check_mode=True)
    assert result['changed'] is True
    assert result['commands'] == ['systemctl daemon-reload', 'systemctl enable --now fleetcfg-claude-code.timer']
    assert run.calls == []  # the timer file is not there: nothing to ask either
    assert not os.path.exists(str(tmp_path / 'systemd')) and not os.path.exists(str(tmp_path / 'var'))
    assert [d['after_header'] for d in result['diff']] == [where.runner('fleetcfg-claude-code'),
                                                           where.service('fleetcfg-claude-code'),
                                                           where.timer('fleetcfg-claude-code')]


def test_state_absent_stops_and_removes_everything_with_the_status_file(tmp_path, layout):
    where = layout(running=True)
    apply(params(tmp_path), where)
    status = tmp_path / 'var' / 'status.json'
    status.write_text('{}')
    (tmp_path / 'var' / 'status.json.lock').write_text('')
    os.makedirs(os.path.dirname(where.wants_link('fleetcfg-claude-code')))
    os.symlink(where.timer('fleetcfg-claude-code'), where.wants_link('fleetcfg-claude-code'))
    absent = params(tmp_path, schedule_state='absent')
    result = apply(absent, where, Systemctl(enabled=True))
    assert result['changed'] is True and result['enabled'] is False
    assert result['commands'] == ['systemctl disable --now fleetcfg-claude-code.timer', 'systemctl stop fleetcfg-claude-code.service',
                                  'systemctl daemon-reload',
                                  'systemctl reset-failed fleetcfg-claude-code.service fleetcfg-claude-code.timer']
    assert os.listdir(str(tmp_path / 'systemd')) == [schedule_target.TIMERS_WANTS]
    assert os.listdir(str(tmp_path / 'systemd' / schedule_target.TIMERS_WANTS)) == []
    assert os.listdir(str(tmp_path / 'libexec')) == [] and os.listdir(str(tmp_path / 'var')) == []
    assert apply(absent, where)['changed'] is False


def test_on_macos_the_runner_and_the_plist_are_written_and_the_job_bootstrapped(tmp_path, layout):
    where = layout(platform='darwin')
    run = Systemctl()
    result = apply(params(tmp_path), where, run)
    name = 'fleetcfg-claude-code'
    assert (result['platform'], result['unit'], result['enabled']) == ('launchd', name, True)
    assert [e['path'] for e in result['files'] if e['path'] != str(tmp_path / 'var')] == [where.runner(name), where.plist(name)]
    assert not os.path.exists(str(tmp_path / 'systemd'))
    assert result['commands'] == ['launchctl enable system/%s' % name, 'launchctl bootstrap system %s' % where.plist(name)]
    with open(where.plist(name), 'rb') as f:
        assert b'<key>StartInterval</key>' in f.read()
    changed = apply(params(tmp_path, schedule_interval='2h'), where, Systemctl(enabled=True))
    assert changed['commands'] == ['launchctl bootout system/%s' % name, 'launchctl enable system/%s' % name,
                                   'launchctl bootstrap system %s' % where.plist(name)]
    assert apply(params(tmp_path, schedule_interval='2h'), where, Systemctl(enabled=True))['commands'] == []
    gone = apply(params(tmp_path, schedule_state='absent'), where, Systemctl(enabled=True))
    assert gone['commands'] == ['launchctl bootout system/%s' % name]
    assert os.listdir(str(tmp_path / 'LaunchDaemons')) == []


def test_a_missing_ansible_program_is_a_warning_not_a_failure(tmp_path, layout):
    result = apply(params(tmp_path, schedule_ansible_bin='/nonexistent/bin'), layout())
    assert result['warnings'] == ['/nonexistent/bin/ansible-playbook is not on this host (looked on PATH and in /usr/local/bin, '
                                  '/usr/bin, /opt/homebrew/bin, ...): every scheduled run fails until it is installed; or '
                                  'set schedule_ansible_bin']


def test_a_planted_symlink_at_a_unit_path_is_not_followed(tmp_path, layout):
    where = layout()
    os.makedirs(str(tmp_path / 'systemd'))
    victim = tmp_path / 'victim'
    victim.write_text('keep')
    os.symlink(str(victim), where.service('fleetcfg-claude-code'))
    os.lchown(where.service('fleetcfg-claude-code'), 65534, 65534)
    if os.geteuid() != 0:
        pytest.skip('lchown to another user needs root')
    with pytest.raises(Exception, match='refusing to follow symlink'):
        apply(params(tmp_path), where)
    assert victim.read_text() == 'keep'


def test_the_shebang_falls_back_to_env_for_an_interpreter_path_with_a_space():
    assert schedule_target.with_shebang(RUNNER, '/Applications/My Python/bin/python3').startswith('#!/usr/bin/env python3\n')


def test_the_default_status_file_is_the_platforms():
    assert schedule_target.default_status_file('linux') == '/var/lib/fleetcfg-claude-code/status.json'
    assert schedule_target.default_status_file('darwin') == '/Library/Application Support/fleetcfg-claude-code/status.json'


def test_the_module_documents_what_the_action_sends():
    from ansible_collections.fleetcfg.claude_code.plugins.modules import schedule as module
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert sorted(doc['options']) == sorted(module.ARGUMENT_SPEC)
    assert sorted(schedule.module_args(schedule.check(dict(role_defaults('schedule'), schedule_playbook='/p.yml')), 'R')) == \
        sorted(set(module.ARGUMENT_SPEC))
