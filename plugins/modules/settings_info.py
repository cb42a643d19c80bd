#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: settings_info
short_description: What Claude Code really uses for each account of a host, and from which file
version_added: 0.4.0
description:
  - Reads every settings file Claude Code reads for the given accounts, in the client's order, and answers what the client
    makes of them. The tiers are the managed C(managed-settings.json) and its drop-ins C(managed-settings.d/*.json) (by name),
    the user file, and for a given O(project_dir) the project and local files. Precedence, highest first, is managed, local,
    project, then user. A higher file wins key by key, and lists combine.
  - For every key it returns the effective value and the file it comes from. It also returns the files the client would drop,
    with the reason. A user, project or local file with invalid JSON or one wrong type is dropped whole and silently; a managed
    file loses only its bad entries.
  - It also returns the values a higher file shadows and the provider role of this collection the account ends up using, with
    its credential and endpoint.
  - Plain warnings name what silently does nothing or stops the client. That is a credential hidden by another (a static
    C(ANTHROPIC_AUTH_TOKEN) hiding an C(apiKeyHelper)), a gateway URL under a provider switch, managed-only keys in a user
    file, or a cached server-managed policy (C(remote-settings.json)) that overrides the managed files. It is also a managed
    login policy that refuses the account's credential.
  - Read-only and safe in check mode. One module call per host, whatever the number of accounts. Secrets (see
    M(fleetcfg.claude_code.settings)) are shown as C(********).
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  users:
    description:
      - The accounts to look at, by name. Defaults to the account the module runs as.
      - V(all) looks at every human account of the host, decided on the host at each run, exactly as
        M(fleetcfg.claude_code.settings) with O(fleetcfg.claude_code.settings#module:users=all) does (see O(human_uid_min),
        O(human_uid_max), O(human_shells)); human accounts without a home folder are listed in RV(skipped_accounts).
    type: list
    elements: str
  human_uid_min:
    description:
      - With O(users=all), the lowest uid of a human account. Defaults to C(UID_MIN) of C(/etc/login.defs) (else 1000) on
        Linux, 501 on macOS.
    type: int
  human_uid_max:
    description:
      - With O(users=all), the highest uid of a human account. Defaults to C(UID_MAX) of C(/etc/login.defs) (else 60000) on
        Linux, 2147483647 on macOS.
    type: int
  human_shells:
    description:
      - With O(users=all), the login shells of human accounts. Defaults to those listed in C(/etc/shells); C(nologin) and
        C(false) never count.
    type: list
    elements: str
  config_dir:
    description:
      - Each account's Claude Code folder, relative to its home, when it is not C(.claude) (an absolute path for one account).
    type: str
  project_dir:
    description:
      - A project folder whose C(.claude/settings.json) and C(.claude/settings.local.json) join the answer.
    type: path
  managed_dir:
    description:
      - The folder of managed settings. Defaults to the target's, C(/etc/claude-code) on Linux and
        C(/Library/Application Support/ClaudeCode) on macOS.
    type: path
  status_file:
    description:
      - The status file of the schedule (M(fleetcfg.claude_code.schedule)) of the host, returned as RV(schedule).
        Defaults to the schedule's default, C(/var/lib/fleetcfg-claude-code/status.json) on Linux and
        C(/Library/Application Support/fleetcfg-claude-code/status.json) on macOS.
    type: path
attributes:
  check_mode:
    support: full
    description: Reads only; runs in check mode too.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  action:
    support: full
    description: The answer is computed on the controller from what the module read.
notes:
  - Environment variables exported in an account's shell are not seen; the settings files' C(env) blocks override them.
  - Run with become to read other accounts' files.
seealso:
  - module: fleetcfg.claude_code.settings
'''

EXAMPLES = r'''
- name: What does Claude Code use for alice and bob?
  fleetcfg.claude_code.settings_info:
    users: [alice, bob]
  become: true
  register: claude

- name: Show alice's gateway URL and where it comes from
  ansible.builtin.debug:
    msg: "{{ claude.accounts.alice.effective['env.ANTHROPIC_BASE_URL'] | default('not set') }}"

- name: Fail when a settings file would be dropped by the client
  ansible.builtin.assert:
    that: claude.accounts.values() | map(attribute='dropped') | flatten | length == 0
    fail_msg: "{{ claude.accounts | dict2items | selectattr('value.dropped') | map(attribute='key') | list }} have a dropped file"
'''

RETURN = r'''
accounts:
  description: One entry per account found on the host.
  returned: always
  type: dict
  contains:
    effective:
      description:
        - Every key the client ends up with, by key path (C(env.ANTHROPIC_BASE_URL), C(apiKeyHelper), C(permissions.allow)),
          each with C(value) and C(source), the file it comes from. A list combined from several files also has C(sources).
      type: dict
    dropped:
      description: Files (or, in a managed file, entries with C(key)) the client drops, each with C(path) and C(reason).
      type: list
      elements: dict
    shadowed:
      description: Values a higher file replaces, each with C(key), C(value), C(source) and C(by) (the file that wins).
      type: list
      elements: dict
    warnings:
      description: Plain sentences about what silently does nothing or stops the client.
      type: list
      elements: str
    provider:
      description:
        - The provider role of this collection the account ends up using (V(bedrock), V(vertex), V(litellm), V(foundry),
          V(anthropic_aws)), V(anthropic) for the Anthropic API itself with a credential, or null when nothing selects one.
      type: str
    credential:
      description: The setting that authenticates (C(key)) and the file it comes from (C(source)); null for none set.
      type: dict
    endpoint:
      description: The base URL variable the provider uses (C(key), C(value), C(source)); null when the default one is used.
      type: dict
    files:
      description:
        - Every file read for the account, lowest precedence first, with C(path), C(tier) and C(state).
        - C(state) is V(absent), V(empty), V(present), V(dropped) (the client drops it whole), or V(unreadable) (the module could
          not read it, for example an account's own symlink when run as root; a warning says why, and the answer leaves it out).
      type: list
      elements: dict
  sample:
    alice:
      effective:
        env.ANTHROPIC_BASE_URL: {value: "https://llm.example.com", source: /etc/claude-code/managed-settings.d/50-fleetcfg.json}
        apiKeyHelper: {value: /home/alice/.claude/bin/key-helper, source: /home/alice/.claude/settings.json}
      dropped: []
      shadowed: [{key: env.ANTHROPIC_BASE_URL, value: "http://old.example.com", source: /home/alice/.claude/settings.json,
                  by: /etc/claude-code/managed-settings.d/50-fleetcfg.json}]
      warnings: []
      provider: litellm
      credential: {key: apiKeyHelper, source: /home/alice/.claude/settings.json}
managed:
  description: The managed settings folder (C(dir)), its files (C(files)) and what the client drops of them (C(dropped)).
  returned: always
  type: dict
schedule:
  description:
    - The last scheduled run of the host (the status file O(status_file)), with C(result) (V(ok), V(repaired), V(drift)
      or V(failed)), C(started), C(finished), C(changed), C(exit_status), C(reason), C(schedule), C(playbook),
      C(repository), C(check_only) and C(interval) (seconds).
    - Null when the host has no status file; a warning says when it cannot be read or is not one.
  returned: always
  type: dict
  sample: {result: repaired, started: "2026-03-02T10:07:12Z", finished: "2026-03-02T10:07:31Z", changed: 1, exit_status: 0,
           reason: null, schedule: fleetcfg-claude-code, playbook: fleetcfg.claude_code.bedrock, repository: null,
           check_only: false, interval: 3600, format: 1}
skipped_accounts:
  description: Accounts that are not there (or have no home folder), each with C(user) and C(reason).
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import settings_info
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import SettingsError


def main():
    module = AnsibleModule(argument_spec=settings_info.ARGUMENT_SPEC, supports_check_mode=True)
    try:
        found = settings_info.collect(module.params, *settings_info.select_users(module.params))
    except SettingsError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, **found)


if __name__ == '__main__':
    main()
