#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: verify_report
short_description: Write the report of a playbooks/verify.yml run, print its summary, fail when any account failed
version_added: 0.5.0
description:
  - The last step of the playbook C(fleetcfg.claude_code.verify), on the controller. It reads what the role
    M(fleetcfg.claude_code.verify) registered on every host and writes one JSON report. Its top level has C(hosts), a
    mapping from inventory name to a mapping from account to an entry with C(ok), C(cause) and C(message) (and for ok
    C(provider) and C(endpoint)). An unreachable host appears with the cause C(host_unreachable) for each account asked
    for (or for C(all)).
  - The report holds account names, file paths, endpoints and the collection's own messages, never a secret. It is
    written atomically (a temporary file in the same folder, then a rename).
  - Fails, so that the playbook ends non-zero, when any account of any host is not ok. See docs/verify.md.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  hosts:
    description:
      - The inventory names of the hosts the playbook verified.
    type: list
    elements: str
    required: true
  path:
    description:
      - The report's path on the controller, relative to the current folder or absolute. Its folder must exist.
    type: str
    default: claude-code-verify.json
  mode:
    description:
      - The report's mode, C(0644) or C(0600).
    type: raw
    default: '0644'
  users:
    description:
      - The accounts asked for (a list, or V(all)), named in the entries of a host that was unreachable or failed
        (a host's own C(verify_users) wins).
    type: raw
    default: all
attributes:
  action:
    support: full
    description: Runs on the controller only.
  check_mode:
    support: full
    description: The report is the run's output; it is written in check mode too.
  diff_mode:
    support: none
    description: The report is the output.
  platform:
    support: full
    platforms: all
    description: Never contacts a host.
seealso:
  - module: fleetcfg.claude_code.verify
'''

EXAMPLES = r'''
- name: Write the report of the hosts the verify playbook ran on
  fleetcfg.claude_code.verify_report:
    hosts: "{{ __verify_hosts }}"
    path: /var/lib/claude-code/verify.json
  run_once: true
  delegate_to: localhost
'''

RETURN = r'''
path:
  description: The report's absolute path.
  returned: always
  type: str
  sample: /home/ops/claude-code-verify.json
summary:
  description: The counts of the report, C(hosts), C(accounts), C(ok), C(failed), and C(causes) (the number of accounts by cause).
  returned: always
  type: dict
  sample: {hosts: 3, accounts: 7, ok: 6, failed: 1, causes: {helper_failed: 1}}
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # Everything happens in the action plugin; run without it, the module only says so.
    module = AnsibleModule(argument_spec=dict(hosts=dict(type='list', elements='str', required=True),
                                              path=dict(type='str', default='claude-code-verify.json'),
                                              mode=dict(type='raw', default='0644'),
                                              users=dict(type='raw', default='all')),
                           supports_check_mode=True)
    module.fail_json(msg='fleetcfg.claude_code.verify_report runs on the controller (its action plugin); it cannot run as a module')


if __name__ == '__main__':
    main()
