#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: golden_image_plan
short_description: What playbooks/golden_image.yml puts into an image (its first step, on the controller)
version_added: 0.5.0
description:
  - Runs on the controller and never contacts the image. It reads the playbook's variables and says what goes into the
    image; wrong input fails here, naming every bad variable, before anything is written.
  - C(golden_image_provider) (required) names the provider role, one of V(bedrock), V(vertex), V(litellm), V(foundry),
    V(anthropic_aws), whose managed settings and helper scripts go into the image; that role's own variables come from
    the inventory. Its scope variable (C(<role>_scope)) must be unset or V(managed), since an image has no developer account
    yet.
  - C(golden_image_user_settings) are keys for the home folder template C(/etc/skel/.claude/settings.json), which
    C(useradd -m) copies into every account created later. A secret there is refused, since every account would get
    a copy.
  - C(golden_image_cli) (default V(false)) also installs the client with the role M(fleetcfg.claude_code.cli).
  - A variable starting with C(golden_image_) that the playbook does not know is an error (a misspelling).
author:
  - fleetcfg maintainers (@fleetcfg)
options: {}
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
  - module: fleetcfg.claude_code.provider
  - module: fleetcfg.claude_code.settings
'''

EXAMPLES = r'''
- name: Check the golden image's variables
  fleetcfg.claude_code.golden_image_plan:
  register: golden

- name: Show what goes into the image
  ansible.builtin.debug:
    msg: "{{ golden.role }} in managed scope; {{ golden.skel_file }}: {{ golden.skel }}"
'''

RETURN = r'''
provider:
  description: The provider role's short name.
  returned: always
  type: str
  sample: litellm
role:
  description: The provider role's full name, which the playbook includes.
  returned: always
  type: str
  sample: fleetcfg.claude_code.litellm
scope_var:
  description: The provider role's scope variable, which the playbook sets to V(managed).
  returned: always
  type: str
  sample: litellm_scope
cli:
  description: Whether the client role M(fleetcfg.claude_code.cli) runs too.
  returned: always
  type: bool
skel:
  description: Whether there are keys for the home folder template (C(golden_image_user_settings) is not empty).
  returned: always
  type: bool
skel_file:
  description: The settings file of the home folder template.
  returned: always
  type: str
  sample: /etc/skel/.claude/settings.json
user_settings:
  description: The keys for the home folder template, as given.
  returned: always
  type: dict
  sample: {permissions: {deny: ["Read(./.env)"]}}
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    # Everything happens in the action plugin; run without it, the module only says so.
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.fail_json(msg='fleetcfg.claude_code.golden_image_plan runs on the controller (its action plugin); it cannot run as a module')


if __name__ == '__main__':
    main()
