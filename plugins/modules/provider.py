#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: provider
short_description: Apply a provider role's variables as Claude Code settings, in one settings module run
version_added: 0.1.0
description:
  - The one task of every provider role of the collection (M(fleetcfg.claude_code.settings) does the writing). It reads
    the role's variables (every variable named with the role's prefix, such as C(bedrock_region)) from the task's
    variables, checks them all before any host is touched, and writes what that provider needs.
  - A variable with the role's prefix that the role does not know fails, naming the closest known variable. Every
    problem of the input is listed at once, each as C(variable) then what was expected and what was given, secrets not
    shown.
  - Configuring a provider removes every key, helper pointer and helper file that another provider of the collection
    owned in the same file; C(<role>_state=absent) removes what the role owns and nothing else.
  - A host with no drift costs one module call; with drift two.
  - Use the roles (R(fleetcfg.claude_code.bedrock,ansible_collections.fleetcfg.claude_code.bedrock_role),
    R(fleetcfg.claude_code.vertex,ansible_collections.fleetcfg.claude_code.vertex_role),
    R(fleetcfg.claude_code.litellm,ansible_collections.fleetcfg.claude_code.litellm_role),
    R(fleetcfg.claude_code.foundry,ansible_collections.fleetcfg.claude_code.foundry_role),
    R(fleetcfg.claude_code.anthropic_aws,ansible_collections.fleetcfg.claude_code.anthropic_aws_role)) rather than this action;
    their argument specs document the variables.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  name:
    description:
      - The provider, which is also the role whose variables are read (C(<name>_*)).
    type: str
    required: true
    choices: [anthropic_aws, bedrock, foundry, litellm, vertex]
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
notes:
  - The returned values are those of M(fleetcfg.claude_code.settings) with O(fleetcfg.claude_code.settings#module:users)
    (or a single file for the managed scope), plus RV(provider).
'''

EXAMPLES = r'''
- name: Claude Code through Amazon Bedrock (the task of the role fleetcfg.claude_code.bedrock)
  fleetcfg.claude_code.provider:
    name: bedrock
  vars:
    bedrock_region: eu-central-1
    bedrock_auth: sso
    bedrock_profile: developer
    bedrock_users: [alice, bob]
    bedrock_models:
      haiku: eu.anthropic.claude-haiku-4-5-20251001-v1:0
'''

RETURN = r'''
provider:
  description: The provider configured.
  returned: always
  type: str
  sample: bedrock
files:
  description: One entry per account's settings file, as M(fleetcfg.claude_code.settings) returns it.
  returned: with the user scope
  type: list
  elements: dict
skipped_accounts:
  description: Accounts left out (O(fleetcfg.claude_code.settings#module:account_errors=skip)), each with C(user) and C(reason).
  returned: with the user scope
  type: list
  elements: dict
path:
  description: The managed drop-in.
  returned: with the managed scope
  type: str
  sample: /etc/claude-code/managed-settings.d/50-bedrock.json
login_profile:
  description:
    - The login-shell profile (C(<role>_login_profile)) after the run. C(state) is C(present) when the file exists (this
      provider's, or with C(<role>_state=absent) another provider's that was left alone), C(absent) when it does not.
    - C(hooks) lists the macOS startup files whose sourcing block was added or taken out.
  returned: always
  type: dict
  sample: {"path": "/etc/profile.d/claude-code.sh", "state": "present", "changed": true, "hooks": []}
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # Everything happens in the action plugin; run without it, the module only says so.
    module = AnsibleModule(argument_spec=dict(name=dict(type='str', required=True,
                                                        choices=['anthropic_aws', 'bedrock', 'foundry', 'litellm', 'vertex'])),
                           supports_check_mode=True)
    module.fail_json(msg='fleetcfg.claude_code.provider runs on the controller (its action plugin); it cannot run as a module')


if __name__ == '__main__':
    main()
