#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: drift_report
short_description: Write the drift report of a playbooks/drift.yml run, print its summary, fail on drift
version_added: 0.4.0
description:
  - The last step of the drift playbook C(playbooks/drift.yml), on the controller. It reads what that playbook
    registered on every host it checked and writes a JSON report there. The report has one entry per host, with the
    accounts, keys and files that drifted (or, without C(--check), that were repaired), the files the client drops,
    and whether the host failed or was unreachable. It also writes a short text summary next to the report, and prints
    that summary.
  - The report holds key names, file paths, account names and the collection's own messages, never a settings value.
    It is written atomically (a temporary file in the same folder, then a rename), in check mode too.
  - Fails, so that the playbook ends non-zero, when there is drift in check mode, when a host failed or was
    unreachable, or when a settings file the client drops is left (one the run did not repair).
  - Meant for C(playbooks/drift.yml), whose registered results it reads; see the collection's docs/drift.md for the
    report's format.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  hosts:
    description:
      - The inventory names of the hosts the drift playbook checked.
    type: list
    elements: str
    required: true
  path:
    description:
      - The report's path on the controller, relative to the current folder or absolute. Its folder must exist.
      - The text summary goes next to it, with C(.txt) for C(.json).
    type: str
    default: claude-code-drift.json
  mode:
    description:
      - The mode of the report and the summary, C(0644) or C(0600).
    type: raw
    default: '0644'
  summary_file:
    description:
      - Whether to write the text summary next to the report.
    type: bool
    default: true
attributes:
  action:
    support: full
    description: Runs on the controller only.
  check_mode:
    support: full
    description: In check mode the report lists drift; without it, what was repaired. The report is written in both.
  diff_mode:
    support: none
    description: The report is the output.
  platform:
    support: full
    platforms: all
    description: Never contacts a host.
seealso:
  - module: fleetcfg.claude_code.drift_plan
  - module: fleetcfg.claude_code.settings_info
'''

EXAMPLES = r'''
- name: Write the report of the hosts the drift playbook checked
  fleetcfg.claude_code.drift_report:
    hosts: "{{ __drift_hosts }}"
    path: /var/lib/claude-code-drift/report.json
'''

RETURN = r'''
path:
  description: The report's absolute path.
  returned: always
  type: str
  sample: /home/ops/claude-code-drift.json
summary_path:
  description: The text summary's path.
  returned: when O(summary_file=true)
  type: str
  sample: /home/ops/claude-code-drift.txt
summary:
  description:
    - The counts of the report's C(summary), the number of C(hosts) checked and of those C(in_line),
      C(not_configured), with C(drift), C(repaired), C(failed) and C(unreachable), the C(dropped_files) and
      C(skipped_accounts), and C(alert).
  returned: always
  type: dict
  sample: {hosts: 5, in_line: 1, not_configured: 0, drift: 3, repaired: 0, failed: 0, unreachable: 1,
           dropped_files: 1, skipped_accounts: 0, alert: true}
alert:
  description: Whether the run must end non-zero (then the task fails).
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # Everything happens in the action plugin; run without it, the module only says so.
    module = AnsibleModule(argument_spec=dict(hosts=dict(type='list', elements='str', required=True),
                                              path=dict(type='str', default='claude-code-drift.json'),
                                              mode=dict(type='raw', default='0644'),
                                              summary_file=dict(type='bool', default=True)),
                           supports_check_mode=True)
    module.fail_json(msg='fleetcfg.claude_code.drift_report runs on the controller (its action plugin); it cannot run as a module')


if __name__ == '__main__':
    main()
