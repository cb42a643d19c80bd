#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: verify
short_description: Whether Claude Code starts and reaches its provider, as each account of a host
version_added: 0.5.0
description:
  - Runs one tiny non-interactive C(claude -p) as each account, with only that account's settings files, no retries
    (C(CLAUDE_CODE_MAX_RETRIES=0)), no non-essential traffic and a timeout, and answers for each account whether the client
    reached its provider, or why not.
  - The answer for each account is V(ok) with the provider and endpoint reached, or a cause (C(no_credentials),
    C(helper_failed), C(auth_rejected), C(unreachable), C(settings_invalid), C(model_rejected), C(version_out_of_range),
    C(login_policy), C(timeout), C(client_missing), C(account_missing), C(not_permitted), C(client_failed)) and a message in
    plain words. The provider, endpoint and dropped settings files come from what M(fleetcfg.claude_code.settings_info)
    reads, in the same module call.
  - The client runs as the account (its uid, gid and groups), in its home folder, with an environment built from
    scratch (C(HOME), C(USER), C(LOGNAME), C(SHELL), C(PATH), C(LANG)); variables exported in the account's shell are not
    seen. On a timeout the client and everything it started are killed.
  - One request per account, one module call per host. Nothing printed is a secret; the client's output comes back as
    short tails with a key helper's own output cut off and anything that looks like a credential replaced by
    C(********).
  - The role C(fleetcfg.claude_code.verify) and the playbook C(fleetcfg.claude_code.verify) write the JSON report of a
    whole fleet on the controller.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  users:
    description:
      - The accounts to run the client as, by name, or V(all) for every human account of the host (see
        M(fleetcfg.claude_code.settings)). Defaults to the account the module runs as.
      - An entry may also be a mapping with C(name) (the account), C(config_dir) (its Claude Code folder, as
        O(config_dir)) and C(label), the shape of C(claude_code_users) in C(playbooks/settings.yml), for an account
        whose Claude Code folder is elsewhere, or one account with several folders.
      - The entry of a mapping in RV(accounts) is named by its C(label), else C(<name>:<config_dir>).
    type: list
    elements: raw
  timeout:
    description:
      - Seconds one account's run may take (1 to 600); then the client is killed and the cause is C(timeout).
    type: int
    default: 60
  claude:
    description:
      - The client to run, an absolute path or a command name. Defaults to C(claude) in O(cli_prefix)C(/bin), the
        account's C(~/.local/bin), C(/usr/local/bin), C(/usr/bin), then C(/bin).
    type: str
  cli_prefix:
    description:
      - The npm global prefix the client is installed under (the C(cli_prefix) of M(fleetcfg.claude_code.cli)).
    type: str
  config_dir:
    description:
      - Each account's Claude Code folder, relative to its home, when it is not C(.claude) (an absolute path for one
        account). It is given to the client as C(CLAUDE_CONFIG_DIR). An entry of O(users) with its own C(config_dir)
        uses that one.
    type: str
  managed_dir:
    description:
      - Where the managed settings are read for the answer (the client itself always reads the platform's folder).
    type: path
attributes:
  check_mode:
    support: full
    description: Changes no configuration, so it runs in check mode too (the client keeps its own state files as on every run).
  diff_mode:
    support: none
    description: Nothing is configured, so there is nothing to diff.
  action:
    support: full
    description: The causes are decided on the controller from what the module returns.
notes:
  - Run with become to run the client as other accounts.
  - The accounts run one after the other, so a host takes at most O(timeout) seconds per account.
seealso:
  - module: fleetcfg.claude_code.settings_info
  - module: fleetcfg.claude_code.verify_report
'''

EXAMPLES = r'''
- name: Does Claude Code reach its provider as alice and bob?
  fleetcfg.claude_code.verify:
    users: [alice, bob]
    timeout: 30
  become: true
  register: verified

- name: One account with two Claude Code folders, each its own entry (work and lab)
  fleetcfg.claude_code.verify:
    users:
      - {name: alice, config_dir: .claude-work, label: alice-work}
      - {name: alice, config_dir: /srv/lab/alice/.claude, label: alice-lab}
  become: true

- name: Every human account, with the client the cli role installed
  fleetcfg.claude_code.verify:
    users: all
    cli_prefix: /opt/claude-code
  become: true
'''

RETURN = r'''
accounts:
  description:
    - One entry per account, with C(ok), C(cause) (null when ok), C(message), and for ok C(provider) and C(endpoint).
      Also C(exit_status), C(seconds), C(client) (the client run), C(stdout) and C(stderr) (scrubbed tails) and
      C(warnings) (what settings_info found that silently does nothing).
  returned: always
  type: dict
  sample:
    alice: {ok: true, cause: null, message: "reached litellm at https://llm.example.com", provider: litellm,
            endpoint: "https://llm.example.com", exit_status: 0, seconds: 3.1}
    bob: {ok: false, cause: helper_failed, message: "the key helper apiKeyHelper failed (exit status 3)", exit_status: 1}
failed_accounts:
  description: The accounts whose entry is not ok, by name (an entry of O(users) that is a mapping, by its key).
  returned: always
  type: list
  elements: str
skipped_accounts:
  description: For O(users=all), human accounts left out (no home folder), each with C(user) and C(reason).
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import settings_info, verify_target
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import SettingsError


def main():
    module = AnsibleModule(argument_spec=verify_target.ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    problem = verify_target.timeout_problem(params['timeout'])
    if problem:
        module.fail_json(msg=problem)
    skipped = []
    targets = verify_target.select_accounts(params['users'], skipped, params['config_dir'])
    try:
        # What settings_info reads, for the controller's answer (provider, endpoint, dropped files); read first.
        read = settings_info.collect(params, [])
    except SettingsError as e:
        module.fail_json(msg=str(e))
    read['accounts'] = dict((key, settings_info.account_entries(user, config_dir)) for key, user, config_dir in targets)
    runs = dict((key, verify_target.run_one(user, params['timeout'], params['claude'], params['cli_prefix'], config_dir))
                for key, user, config_dir in targets)
    module.exit_json(changed=False, runs=runs, settings=read, skipped_accounts=skipped)


if __name__ == '__main__':
    main()
