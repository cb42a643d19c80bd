# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.verify: checks the task, makes one module call per host (it reads the
settings files as settings_info does and runs ``claude -p`` as each account), and turns what came back into one
entry per account (plugins/plugin_utils/verify.py; the provider, endpoint and dropped files from settings_info's
answer, plugins/plugin_utils/effective.py). Fails the task when any account is not ok."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.action.settings_info import host_view
from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.verify_target import (
    ARGUMENT_SPEC, ENTRY_KEYS, account_key, timeout_problem)
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import validation, verify

MODULE = 'fleetcfg.claude_code.verify'
ALL = 'all'
_NAME = re.compile(r'^[A-Za-z0-9._][A-Za-z0-9._-]*\$?\Z')

if validation.HAS_JSONSCHEMA:
    validation.prepare()  # once, before the strategy forks a worker per host


def entry_problem(index, user):
    """The error of one ``users`` entry: an account name, or a mapping {name, config_dir, label} (None when good)."""
    if isinstance(user, str):
        return None if _NAME.match(user) else 'users[%d]: expected an account name (or all), got %r' % (index, user)
    if not isinstance(user, dict):
        return ('users[%d]: expected an account name or a mapping {name, config_dir, label}, got %r' % (index, user))
    unknown = sorted(str(key) for key in user if key not in ENTRY_KEYS)
    if unknown:
        return 'users[%d]: unknown key %s; a mapping has name, config_dir and label' % (index, ', '.join(unknown))
    name = user.get('name')
    if not isinstance(name, str) or not _NAME.match(name) or name == ALL:
        return 'users[%d].name: expected an account name, got %r' % (index, name)
    for key in ('config_dir', 'label'):
        value = user.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip() or re.search(r'[\x00-\x1f]', value)):
            return 'users[%d].%s: expected a non-empty string, got %r' % (index, key, value)
    if user.get('label') == ALL:
        return "users[%d].label: all means every human account; choose another label" % index
    return None


def input_problems(args):
    """The errors of a task's options, each naming the option, the value and what was expected."""
    problems = []
    users = args.get('users')
    if users is not None:
        mixed = accounts.users_problem(users)
        if mixed:
            problems.append(mixed)
        keys = {}
        for index, user in enumerate(users):
            problem = entry_problem(index, user)
            if problem:
                problems.append(problem)
                continue
            key = account_key(user)
            if key in keys:
                problems.append('users[%d]: names the same entry %r as users[%d]; give each mapping its own label'
                                % (index, key, keys[key]))
            keys.setdefault(key, index)
    problem = timeout_problem(args.get('timeout'))
    if problem:
        problems.append(problem)
    claude = args.get('claude')
    if claude is not None and (not claude or re.search(r'[\s\x00-\x1f]', claude) or
                               ('/' in claude and not posixpath.isabs(claude))):
        problems.append('claude: expected the absolute path of the client, or a command name such as claude, got %r' % (claude,))
    prefix = args.get('cli_prefix')
    if prefix is not None and (not prefix or not posixpath.isabs(prefix) or re.search(r'[\x00-\x1f]', prefix)):
        problems.append('cli_prefix: expected the absolute path of an npm global prefix, such as /opt/claude-code, got %r' % (prefix,))
    return problems


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        problems = input_problems(args)
        if problems:
            raise AnsibleActionFail('; '.join(problems))
        try:
            validation.prepare()
        except validation.ValidationUnavailable as e:
            raise AnsibleActionFail(str(e))
        found = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        found.pop('invocation', None)
        if found.get('failed'):
            raise AnsibleActionFail(found.get('msg', 'the verify module failed'))
        views = host_view(found['settings'])['accounts']
        entries = verify.account_entries(found, views, args['timeout'])
        failing = sorted(user for user, entry in entries.items() if not entry['ok'])
        result.update(changed=False, accounts=entries, failed_accounts=failing,
                      skipped_accounts=found.get('skipped_accounts', []))
        if failing:
            result['failed'] = True
            words = ['%s: %s (%s)' % (user, entries[user]['cause'], entries[user]['message']) for user in failing]
            result['msg'] = 'Claude Code does not reach its provider for %d of %d account(s): %s' % (
                len(failing), len(entries), '; '.join(words))
        else:
            result['msg'] = 'Claude Code reaches its provider for all %d account(s)' % len(entries)
        return result
