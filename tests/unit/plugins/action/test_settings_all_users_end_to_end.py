# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""users: all through the settings module's main() and its action plugin, on this host's real account database.

The task's rule is uid 0..0 (root only, whose home exists everywhere), so nothing but tmp_path is written: the
accounts' files go to config_dir under tmp_path. The action plugin runs with its module calls made in-process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import ActionModule
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import USER_SPEC, USER_SPEC_RULES
from ansible_collections.fleetcfg.claude_code.plugins.modules import settings as settings_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='writes files owned by the accounts: needs root')
ENV = {'env': {'ANTHROPIC_BASE_URL': 'https://gw'}}


def run(capsys, **args):
    """main() with these module arguments; (exit code, result)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            settings_module.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def task(tmp_path, **kw):
    args = dict(scope='user', users=['all'], human_uid_min=0, human_uid_max=0, config_dir=str(tmp_path / 'cfg'), settings=ENV,
                _phase='plan', _apply_new=True)
    args.update(kw)
    return args


def test_all_configures_the_human_accounts_the_host_has_and_says_which(tmp_path, capsys):
    code, result = run(capsys, **task(tmp_path))
    assert code == 0 and not result.get('failed')
    assert result['accounts'] == ['root']
    assert [(item['user'], item['changed']) for item in result['files']] == [('root', True)]
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == ENV


def test_all_on_a_host_without_a_human_account_writes_nothing_not_even_the_modules_own_users_file(tmp_path, capsys):
    code, result = run(capsys, **task(tmp_path, human_uid_min=4000000000, human_uid_max=4000000001))
    assert code == 0 and (result['accounts'], result['files'], result['changed']) == ([], [], False)
    assert not (tmp_path / 'cfg').exists()


def test_user_settings_of_an_account_that_is_not_human_here_is_reported_and_not_used(tmp_path, capsys):
    own = {'root': {'model': 'opus'}, 'nobody': {'model': 'haiku'}, 'no-such-user-4242': {'model': 'haiku'}}
    code, result = run(capsys, **task(tmp_path, user_settings=own))
    assert code == 0
    assert result['accounts'] == ['root']
    reasons = dict((item['user'], item['reason']) for item in result['left_out'])
    assert reasons['nobody'].startswith('user_settings names it, but not a human account: uid 65534 is outside 0..0')
    assert reasons['no-such-user-4242'] == 'user_settings names it, but no account of that name is on this host'
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == dict(ENV, model='opus')


def test_the_apply_call_uses_the_accounts_the_plan_found(tmp_path, capsys):
    (tmp_path / 'cfg').mkdir()
    (tmp_path / 'cfg' / 'settings.json').write_text('{"theme": "dark"}\n')
    code, planned = run(capsys, **task(tmp_path))
    (root,) = planned['files']
    assert root['would_change'] and not root['changed']
    code, applied = run(capsys, **task(tmp_path, users=planned['accounts'], _phase='apply', _expect_checksums=[root['checksum']]))
    assert code == 0 and applied['files'][0]['changed'] is True
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == dict(ENV, theme='dark')


# ---------------------------------------------------------------------------------------------------------------
# through the action plugin

class FakeTask(object):

    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.diff = False


def action(capsys, calls, check_mode=False):
    """An ActionModule whose module calls run main() in this process (the calls' arguments recorded in ``calls``)."""
    plugin = ActionModule.__new__(ActionModule)
    plugin._task = FakeTask(check_mode)

    def call(module_args, task_vars):
        calls.append(module_args)
        code, result = run(capsys, _ansible_check_mode=check_mode, **module_args)
        if result.get('failed'):
            raise AnsibleActionFail(result['msg'])
        return result

    plugin._call = call
    return plugin


def settings_task(tmp_path, **kw):
    args = dict(users=['all'], human_uid_min=0, human_uid_max=0, config_dir=str(tmp_path / 'cfg'), settings=ENV)
    args.update(kw)
    checked = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
    assert not checked.error_messages
    return checked.validated_parameters


def test_the_task_result_names_the_accounts_configured_and_the_ones_left_out(tmp_path, capsys):
    calls = []
    result = action(capsys, calls)._settings(settings_task(tmp_path, user_settings={'nobody': {'model': 'haiku'}}), {}, {})
    assert result['changed'] is True
    assert result['accounts'] == ['root']
    assert [(item['user'], item['path']) for item in result['files']] == [('root', str(tmp_path / 'cfg' / 'settings.json'))]
    assert [item['user'] for item in result['skipped_accounts']] == ['nobody']
    assert 'warnings' not in result  # an account of another host is no news
    assert len(calls) == 1  # a new file: written by the plan call


def test_an_existing_file_is_applied_for_the_accounts_of_the_plan_not_a_new_look(tmp_path, capsys):
    (tmp_path / 'cfg').mkdir()
    (tmp_path / 'cfg' / 'settings.json').write_text('{"theme": "dark"}\n')
    calls = []
    result = action(capsys, calls)._settings(settings_task(tmp_path), {}, {})
    assert result['changed'] is True and result['accounts'] == ['root']
    assert [call['users'] for call in calls] == [['all'], ['root']]
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == dict(ENV, theme='dark')
    calls = []
    again = action(capsys, calls)._settings(settings_task(tmp_path), {}, {})
    assert again['changed'] is False and len(calls) == 1  # no drift: one module call


def test_check_mode_reports_the_accounts_that_would_be_configured_and_writes_nothing(tmp_path, capsys):
    calls = []
    result = action(capsys, calls, check_mode=True)._settings(settings_task(tmp_path), {}, {})
    assert (result['accounts'], result['changed']) == (['root'], True)
    assert [(item['user'], item['changed']) for item in result['files']] == [('root', True)]
    assert not (tmp_path / 'cfg').exists()
