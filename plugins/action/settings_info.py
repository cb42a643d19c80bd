# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.settings_info: one module call reads the files of every account; the
answer (what the client loads, drops, shadows, which provider) is computed here (plugin_utils/effective.py), where
the collection's schema is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_info import ARGUMENT_SPEC
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import effective, validation

MODULE = 'fleetcfg.claude_code.settings_info'
HUMAN_OPTIONS = ('human_uid_min', 'human_uid_max', 'human_shells')

if validation.HAS_JSONSCHEMA:
    validation.prepare()  # once, before the strategy forks a worker per host


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        problems = [problem for problem in [accounts.users_problem(args.get('users'))] if problem]
        if not accounts.every_account(args.get('users')) and any(args.get(name) is not None for name in HUMAN_OPTIONS):
            problems.append('%s: only with users: all' % ', '.join(name for name in HUMAN_OPTIONS if args.get(name) is not None))
        problems.extend(accounts.criteria_problems(*[args.get(name) for name in HUMAN_OPTIONS]))
        if problems:
            raise AnsibleActionFail('; '.join(problems))
        try:
            validation.prepare()
        except validation.ValidationUnavailable as e:
            raise AnsibleActionFail(str(e))
        found = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        found.pop('invocation', None)
        if found.get('failed'):
            raise AnsibleActionFail(found.get('msg', 'the settings_info module failed'))
        result.update(host_view(found))
        return result


def host_view(found):
    """The task result from what the module read: accounts, managed, skipped_accounts."""
    accounts = {}
    skipped = []
    for user, read in sorted(found['accounts'].items()):
        if 'error' in read:
            skipped.append(dict(user=user, reason=read['error']))
        else:
            accounts[user] = effective.account_view(found['managed'], read['files'], read.get('remote'))
    managed_dropped = []
    for entry in found['managed']:
        managed_dropped.extend(effective.judge_file(entry)[1])
    managed = dict(dir=found['managed_dir'], files=[dict(path=e['path'], state=e['state']) for e in found['managed']],
                   dropped=managed_dropped)
    view = dict(changed=False, accounts=accounts, managed=managed, skipped_accounts=skipped, schedule=None)
    status = found.get('schedule') or {}
    if status.get('state') == 'present':
        view['schedule'] = status['status']
    elif status.get('state') in ('invalid', 'unreadable'):
        view['warnings'] = ['status_file %s: %s; schedule is null' % (status.get('path'), status.get('reason'))]
    return view
