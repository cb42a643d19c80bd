# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.schedule: the role's variables -> the timer (or launchd job) on the host,
in one module call per host.

The variables (schedule_*) are checked before any host is touched (plugin_utils/schedule.py), which also renders every
file for both platforms; the runner's text is the collection's own plugins/module_utils/schedule_runner.py, read once.
The module writes the files of the host's platform that differ and enables the timer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import schedule_runner
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import schedule
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import role_defaults, role_variables
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

MODULE = 'fleetcfg.claude_code.schedule'
role_defaults('schedule')  # read once, before the strategy forks a worker per host
with open(os.path.splitext(schedule_runner.__file__)[0] + '.py') as _f:
    RUNNER = _f.read()


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if self._task.args:
            raise AnsibleActionFail('fleetcfg.claude_code.schedule takes no options; set the role\'s variables '
                                    '(schedule_playbook, schedule_interval, ...) instead, got %s' % ', '.join(sorted(self._task.args)))
        task_vars = task_vars or {}
        raw = role_variables('schedule', schedule.PREFIX, task_vars, self._templar.template)
        try:
            conf = schedule.check(raw)
        except InputError as e:
            raise AnsibleActionFail(str(e))
        answer = self._execute_module(module_name=MODULE, module_args=schedule.module_args(conf, RUNNER),
                                      task_vars=task_vars)
        answer.pop('invocation', None)
        if not answer.get('failed') and not self._task.diff:
            answer.pop('diff', None)
        result.update(answer)
        return result
