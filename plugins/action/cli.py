# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.cli: the role's variables -> the client at the pin, one module call per host
when nothing drifted.

The variables (cli_*) are checked before any host is touched (plugin_utils/cli.py). With cli_package_file, the first
module call says whether the host needs an install and which platform package; only then are the wrapper tarball and
that host's platform tarball copied to it and a second call installs them. The result carries the managed version
policy (``policy``) that the role's second task writes with fleetcfg.claude_code.settings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import cli
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import role_defaults, role_variables
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

MODULE = 'fleetcfg.claude_code.cli'
role_defaults('cli')  # read once, before the strategy forks a worker per host


class ActionModule(ActionBase):

    TRANSFERS_FILES = True
    _supports_check_mode = True
    _supports_async = False

    def _update_module_args(self, module_name, module_args, task_vars, *args, **kwargs):
        super(ActionModule, self)._update_module_args(module_name, module_args, task_vars, *args, **kwargs)
        # cli_registry may hold a password (https://user:password@npm.example.com/): never log the arguments to the
        # target's syslog. The module hides URL passwords in what it returns (cli_target.CliError).
        module_args['_ansible_no_log'] = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if self._task.args:
            raise AnsibleActionFail('fleetcfg.claude_code.cli takes no options; set the role\'s variables (cli_version, ...) '
                                    'instead, got %s' % ', '.join(sorted(self._task.args)))
        task_vars = task_vars or {}
        raw = role_variables('cli', cli.PREFIX, task_vars, self._templar.template)
        try:
            args, tarballs, policy = cli.check(raw)
        except InputError as e:
            raise AnsibleActionFail(str(e))
        result['policy'] = policy
        if tarballs:
            args['_defer'] = True
        try:
            answer = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            if answer.get('pending') and not answer.get('failed'):
                answer = self._install_from_tarballs(args, tarballs, answer, task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        answer.pop('invocation', None)
        answer.pop('pending', None)
        result.update(answer)
        if not result.get('failed'):
            result['msg'] = self._words(result, self._task.check_mode)
        return result

    def _install_from_tarballs(self, args, tarballs, answer, task_vars):
        """Copy the wrapper and this host's platform tarball to a temporary folder of the host, and install them."""
        files = cli.pick_tarballs(tarballs, answer['platform'])
        tmp = self._connection._shell.tmpdir or self._make_tmp_path()
        remote = []
        for path in files:
            dest = self._connection._shell.join_path(tmp, os.path.basename(path))
            self._transfer_file(path, dest)
            remote.append(dest)
        self._fixup_perms2([tmp] + remote)
        args = dict(args, packages=remote)
        args.pop('_defer')
        final = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        return final

    @staticmethod
    def _words(result, check_mode):
        op = result.get('operation')
        if op == 'none':
            return 'Claude Code %s is installed (%s)' % (result['version'], result.get('claude'))
        if op == 'install':
            done = 'installed'
        else:
            done = dict(upgrade='upgraded', downgrade='downgraded', repair='repaired').get(op, op)
        verb = 'would be ' if check_mode else ''
        return 'Claude Code %s %s%s (was %s)' % (result['version'], verb, done, result.get('previous') or 'not installed')
