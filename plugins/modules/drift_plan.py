#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: drift_plan
short_description: Which of the collection's configurations the inventory gives a host (the first step of playbooks/drift.yml)
version_added: 0.4.0
description:
  - Runs on the controller and never contacts the host. It reads which variables the host has and says what the
    drift playbook C(playbooks/drift.yml) checks there.
  - A provider role (V(bedrock), V(vertex), V(litellm), V(foundry), V(anthropic_aws)) is configured for the host when the
    host sets any variable with the role's prefix (C(bedrock_region), C(vertex_users), ...). C(<role>_hosts), which says
    which hosts the role's playbook runs on, does not count. When it is set (with C(-e), as the role's playbook reads
    it), the host must be in that host pattern.
  - The configuration of C(playbooks/settings.yml) applies when C(claude_code_users) or C(claude_code_managed) is set
    and not empty, and, when C(claude_code_hosts) is set, the host is in it.
  - It also lists the M(fleetcfg.claude_code.settings_info) calls that read the accounts these configurations target,
    one per Claude Code folder (usually one).
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  become:
    description:
      - Whether the drift playbook's tasks on this host run with become. Unset, they do when a provider role is
        configured, as the provider playbooks run; C(playbooks/settings.yml) runs without.
    type: bool
attributes:
  action:
    support: full
    description: Runs on the controller only.
  check_mode:
    support: full
    description: Reads variables only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: all
    description: Never contacts the host.
seealso:
  - module: fleetcfg.claude_code.drift_report
  - module: fleetcfg.claude_code.settings_info
  - module: fleetcfg.claude_code.provider
'''

EXAMPLES = r'''
- name: Find the configurations the inventory gives this host
  fleetcfg.claude_code.drift_plan:
  register: plan

- name: Show them
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is configured by {{ plan.configurations | join(', ') or 'nothing' }}"
'''

RETURN = r'''
configurations:
  description: Every configuration the host has, in the order the drift playbook checks them (the provider roles, then
    V(settings) for C(playbooks/settings.yml)).
  returned: always
  type: list
  elements: str
  sample: [litellm, settings]
roles:
  description: The provider roles configured for the host.
  returned: always
  type: list
  elements: str
  sample: [litellm]
settings:
  description: Whether the configuration of C(playbooks/settings.yml) applies.
  returned: always
  type: bool
left_out:
  description: Provider roles whose variables the host has but whose C(<role>_hosts) pattern leaves the host out, with
    the reason.
  returned: always
  type: dict
  sample: {bedrock: bedrock_hosts does not select this host}
info:
  description:
    - The M(fleetcfg.claude_code.settings_info) calls that read the targeted accounts, one per Claude Code folder,
      each with C(users) and the options that are set, C(config_dir), C(managed_dir), and with C(users=[all]) the
      configured role's C(human_uid_min), C(human_uid_max) and C(human_shells). Empty when nothing is configured.
  returned: always
  type: list
  elements: dict
  sample: [{users: [alice, bob], managed_dir: /etc/claude-code}]
become:
  description: Whether the drift playbook's tasks run with become on this host.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # Everything happens in the action plugin; run without it, the module only says so.
    module = AnsibleModule(argument_spec=dict(become=dict(type='bool')), supports_check_mode=True)
    module.fail_json(msg='fleetcfg.claude_code.drift_plan runs on the controller (its action plugin); it cannot run as a module')


if __name__ == '__main__':
    main()
