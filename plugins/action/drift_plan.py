# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.drift_plan: what playbooks/drift.yml checks on one host.

Runs on the controller only and never contacts the host: it reads which variables the host has and templates the few
it needs (the accounts, folders and host patterns of the configured roles and of playbooks/settings.yml); the decision
is plugins/plugin_utils/drift.py's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.inventory.manager import InventoryManager
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import drift

ARGS_SPEC = dict(become=dict(type='bool'))


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGS_SPEC)
        host = task_vars['inventory_hostname']
        found = {}

        def value(name):
            return self._templar.template(task_vars[name])

        def matches(pattern):
            if 'inventory' not in found:  # the inventory's groups, as the play's host pattern reads them (built once)
                manager = InventoryManager(self._loader, parse=False)
                for group, hosts in task_vars['groups'].items():
                    manager.add_group(group)
                    for name in hosts:
                        manager.add_host(name, group=group)
                found['inventory'] = manager
            try:
                return host in [h.name for h in found['inventory'].get_hosts(pattern=pattern)]
            except Exception as e:  # an invalid pattern
                raise AnsibleActionFail('host pattern %r: %s' % (pattern, e))

        result.update(drift.host_plan(list(task_vars), value, matches, args.get('become')))
        result['changed'] = False
        return result
