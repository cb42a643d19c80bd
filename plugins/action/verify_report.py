# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.verify_report: the report of a playbooks/verify.yml run.

Reads what the role fleetcfg.claude_code.verify registered on every host (``__verify_result``), builds the report
(plugins/plugin_utils/verify.py), writes it atomically on the controller, prints its summary, and fails when any
account is not ok. Never contacts a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.fleetcfg.claude_code.plugins.action.drift_report import plain, report_target, write_atomic
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.verify_target import account_key
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import verify

display = Display()
REGISTERED = '__verify_result'
ARGS_SPEC = dict(
    hosts=dict(type='list', elements='str', required=True),
    path=dict(type='str', default='claude-code-verify.json'),
    mode=dict(type='raw', default='0644'),
    users=dict(type='raw', default='all'),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGS_SPEC)
        path, mode = report_target(args)
        hostvars = task_vars['hostvars']
        hosts = {}
        for host in args['hosts']:
            found = hostvars.raw_get(host) if hasattr(hostvars, 'raw_get') else hostvars[host]
            registered = plain(found[REGISTERED]) if REGISTERED in found else None
            # The accounts an unreachable host was asked for: its own verify_users, else the play's.
            users = plain(found['verify_users']) if 'verify_users' in found else plain(args['users'])
            # Entries that are mappings {name, config_dir, label} are named as the verify module names them.
            users = [account_key(user) for user in users] if isinstance(users, list) else 'all'
            hosts[host] = verify.host_entries(registered, users)
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        report = verify.build_report(hosts, now, path)
        lines = verify.summary_lines(report)
        try:
            write_atomic(path, json.dumps(report, indent=2, sort_keys=True) + '\n', mode)
        except (OSError, IOError) as e:
            raise AnsibleActionFail('%s: cannot write the report: %s' % (getattr(e, 'filename', None) or path, e.strerror or e))
        display.display('\n'.join(lines))
        result.update(changed=False, path=path, summary=report['summary'])
        if report['summary']['failed']:
            result['failed'] = True
            result['msg'] = '%d of %d account(s) do not reach their provider (report: %s)' % (
                report['summary']['failed'], report['summary']['accounts'], path)
        else:
            result['msg'] = 'every account reaches its provider (report: %s)' % path
        return result
