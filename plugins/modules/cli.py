#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: cli
short_description: Install the Claude Code client at a pinned exact version under an npm global prefix
version_added: 0.5.0
description:
  - The target side of the role M(fleetcfg.claude_code.cli) (see its documentation and the collection's docs/cli.md).
    Used through the role, whose action reads the C(cli_*) variables, checks them before any host is touched, and copies
    a mirrored package tarball to a host only when that host needs an install. A task of this name takes no options of
    its own; the options below are what the action sends to the target.
  - Reads the installed version from C(<prefix>/lib/node_modules/@anthropic-ai/claude-code/package.json) and runs
    C(<prefix>/bin/claude --version). When both report O(version), nothing else happens (no npm, no Node.js needed).
  - Otherwise checks Node.js against O(node_version) (or installs it from the distribution's packages with
    O(install_node=true)), runs C(npm install --global) into a staging folder of the prefix, checks that the staged client
    reports O(version), and only then moves it into place. A failed install leaves the installed client as it was.
  - Check mode reports what would change (install, upgrade, downgrade or repair) and changes nothing.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  version:
    description:
      - The exact version to install, such as C(2.1.332).
    type: str
    required: true
  prefix:
    description:
      - The npm global prefix. The client goes to C(<prefix>/lib/node_modules/@anthropic-ai/claude-code), the command to
        C(<prefix>/bin/claude).
    type: path
    default: /usr/local
  npm:
    description:
      - The npm program, a name looked up on C(PATH) (and in C(<prefix>/bin), C(/usr/local/bin), C(/usr/bin)) or an
        absolute path.
    type: str
    default: npm
  registry:
    description:
      - The npm registry to install from, such as an internal mirror. Unset, npm's own configuration decides.
      - Given to npm in its environment (C(npm_config_registry)), never on its command line; the password of a URL in
        a message is hidden.
    type: str
  packages:
    description:
      - Package tarballs on the target (C(npm pack) output) to install instead of the registry, the wrapper
        C(anthropic-ai-claude-code-<version>.tgz) and this host's platform package
        C(anthropic-ai-claude-code-<platform>-<version>.tgz).
    type: list
    elements: path
    default: []
  node_version:
    description:
      - The Node.js versions npm and the package's install script need, as a range such as C(>=22.0.0).
      - Unset, the package's C(engines.node), asked from the registry with C(npm view) when an install is needed.
        An empty string checks only that Node.js is there.
    type: str
  install_node:
    description:
      - When Node.js is missing or older than O(node_version), install C(nodejs) and C(npm) from the distribution's
        packages (apt-get, dnf, yum, zypper, apk or pacman) instead of failing.
    type: bool
    default: false
notes:
  - The client's native binary is an optional dependency of the wrapper package. Offline, the wrapper tarball alone
    installs without error but leaves a client that does not start. The module reports that and keeps the old client.
'''

EXAMPLES = r'''
- name: Claude Code 2.1.332 in /usr/local (through the role, which sets cli_version)
  ansible.builtin.include_role:
    name: fleetcfg.claude_code.cli
  vars:
    cli_version: 2.1.332
'''

RETURN = r'''
version:
  description: The pinned version.
  returned: always
  type: str
  sample: 2.1.332
previous:
  description: The version the prefix held before (from its package.json), or null when there was none.
  returned: always
  type: str
  sample: 2.1.331
operation:
  description: What was (or in check mode would be) done, V(none), V(install), V(upgrade), V(downgrade) or V(repair).
  returned: always
  type: str
  sample: upgrade
claude:
  description: The path of the client, C(<prefix>/bin/claude).
  returned: always
  type: str
  sample: /usr/local/bin/claude
reports:
  description: What C(claude --version) reports after the run (before it in check mode), or null when it does not start.
  returned: always
  type: str
  sample: 2.1.332
platform:
  description: The platform package this host needs, such as C(linux-x64) or C(linux-arm64-musl).
  returned: always
  type: str
  sample: linux-x64
node:
  description: The Node.js version found, when an install was needed.
  returned: when an install was needed
  type: str
  sample: v22.11.0
'''

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import cli_target

ARGUMENT_SPEC = dict(
    version=dict(type='str', required=True),
    prefix=dict(type='path', default='/usr/local'),
    npm=dict(type='str', default='npm'),
    registry=dict(type='str'),
    packages=dict(type='list', elements='path', default=[]),
    node_version=dict(type='str'),
    install_node=dict(type='bool', default=False),
)
# Protocol options of the action plugin (not user options): _defer stops before installing, when the action has
# tarballs to copy to hosts that need them; _node_source says where node_version comes from, for the message. They are
# added to the spec only when the action sends them, so they stay out of the documented options.
INTERNAL_SPEC = dict(_defer=dict(type='bool'), _node_source=dict(type='str'))


def main():
    internal = bool(set(basic._load_params() or {}) & set(INTERNAL_SPEC))
    spec = dict(ARGUMENT_SPEC)
    if internal:
        spec.update(INTERNAL_SPEC)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        result = cli_target.converge(module.params, cli_target.command_runner(module), check_mode=module.check_mode,
                                     defer=bool(module.params.get('_defer')))
    except cli_target.CliError as e:
        module.fail_json(msg=str(e), version=module.params['version'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
