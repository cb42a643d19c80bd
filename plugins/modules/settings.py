#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: settings
short_description: Merge keys into a Claude Code settings file, validated, atomically, with its helper scripts
version_added: 0.1.0
description:
  - Merges keys into one Claude Code settings file (a user's C(~/.claude/settings.json), a project's C(.claude/settings.json)
    or C(.claude/settings.local.json), the managed C(/etc/claude-code/managed-settings.json), a managed drop-in, or any path)
    without owning it. Keys the task does not name stay as they are, in their order.
  - Before anything is written, the result is validated against the collection's JSON schema for Claude Code settings on the
    controller. Claude Code silently ignores a whole settings file with one wrong type or invalid JSON; this module refuses to
    write such a file. See the collection's docs/validation.md for the rules and their reasons.
  - Places the helper scripts that settings such as C(apiKeyHelper) point at in the same call, before the settings file, with
    the same guarantees, so a setting never points at a missing or stale script.
  - Writes are atomic (a temporary file in the same folder, fsync, rename) and keep the file's owner, group and mode. A file
    changed by someone else between the module's read and its write is not overwritten. A symlink is followed only when it is
    owned by root or by the user the module runs as, so a link planted in a user's home cannot redirect a write made as root.
  - A host with no drift costs one module call. A host with drift costs two (read and plan, then write), or one when
    the settings file does not exist yet or is empty (then all it will hold is the task's own, already validated).
  - Secrets never appear in diffs, return values or logs, and are never written into a file other users can read. A
    secret is an env value whose name contains C(TOKEN), C(KEY), C(SECRET), C(PASSWORD), C(AUTH) or C(CUSTOM_HEADERS)
    (except documented switches and limits such as C(CLAUDE_CODE_SKIP_BEDROCK_AUTH) or C(MAX_THINKING_TOKENS)); an env
    value that holds a URL with a password (C(https://user:password@proxy:3128), any scheme); a header list
    (C(OTEL_EXPORTER_OTLP_HEADERS) and its per-signal forms, C(ANTHROPIC_CUSTOM_HEADERS)) with an auth header such as
    C(Authorization), C(x-api-key) or a name containing C(token), C(key), C(secret) or C(cookie); every key listed in
    O(secret_keys); and helper contents.
  - A secret that changes shows in the diff as C(******** (old)) before and C(******** (new)) after; no part of either
    value is shown.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  scope:
    description:
      - Which settings file to manage. Mutually exclusive with O(path); C(user) when neither is given.
      - V(user) is C(<home of user>/.claude/settings.json), or C(settings.json) in O(config_dir).
      - V(project) is C(<project_dir>/.claude/settings.json), shared with a team (created with mode C(0644)).
      - V(local) is C(<project_dir>/.claude/settings.local.json).
      - V(managed) is C(<managed_dir>/managed-settings.json), the policy tier no user can override.
      - V(managed_dropin) is C(<managed_dir>/managed-settings.d/<dropin>); drop-ins are read in name order.
    type: str
    choices: [user, project, local, managed, managed_dropin]
  path:
    description:
      - An explicit settings file path, instead of O(scope). Its tier is taken from its name where it tells
        (C(managed-settings.json), a file in C(managed-settings.d), C(settings.local.json)).
    type: path
  user:
    description:
      - The account whose settings are managed, for O(scope=user). Its home is looked up on the target.
      - Defaults to the user the module runs as.
    type: str
  remove_users:
    description:
      - For O(scope=user), accounts taken off this configuration (a developer leaves the team), in the same module call;
        each one's file loses every key that O(settings), O(user_settings) (of any account) and O(remove) name, and the
        O(helpers) (key files included) are removed. The rest of each file stays. An account that no longer exists or has no home folder is skipped.
      - With O(users=all), these accounts are left out of V(all) (everyone but them is configured). V(all) itself is not
        accepted here.
    type: list
    elements: str
  account_errors:
    description:
      - With O(users), what an account that cannot be configured does to the others of the host.
      - V(fail) fails the host (nothing more is written).
      - V(skip) skips that account, reports it in RV(skipped_accounts) and as a warning, and configures the others.
        An account counts as unusable when it does not exist, has no home folder yet (a new hire who never logged
        in), or has a file Claude Code would drop (invalid JSON without O(replace_invalid), or a wrong type).
    type: str
    choices: [fail, skip]
    default: fail
  state:
    description:
      - V(absent) deletes the managed drop-in O(dropin) (O(scope=managed_dropin) only) and the O(helpers) listed. To take
        keys out of other files, list them in O(remove).
    type: str
    choices: [present, absent]
    default: present
  users:
    description:
      - For O(scope=user), several accounts at once, in one module call per host. Each account's file gets
        O(settings) (merged with its entry in O(user_settings)), O(remove) and O(helpers). Mutually exclusive with
        O(user).
      - V(all) is every human account of the host, found on the host at each run (no facts needed), so an account
        created since the last run is configured by the next one. A human account has a uid from O(human_uid_min) to
        O(human_uid_max) and a login shell (O(human_shells)); system accounts, C(root) and accounts whose shell is
        C(nologin) or C(false) never are. One whose home folder does not exist yet is left out and listed in
        RV(skipped_accounts). The accounts of O(remove_users) are left out of V(all) and taken off instead.
        V(all) cannot be combined with account names.
      - The result then lists each file under RV(files) and the accounts configured under RV(accounts).
    type: list
    elements: str
  human_uid_min:
    description:
      - With O(users=all), the lowest uid of a human account.
      - Unset, the host decides, C(UID_MIN) of C(/etc/login.defs) on Linux (C(1000) without it), C(501) on macOS.
    type: int
  human_uid_max:
    description:
      - With O(users=all), the highest uid of a human account.
      - Unset, the host decides, C(UID_MAX) of C(/etc/login.defs) on Linux (C(60000) without it), C(2147483647) on macOS.
    type: int
  human_shells:
    description:
      - With O(users=all), the login shells of human accounts (absolute paths, such as C(/bin/bash)).
      - Unset, the shells listed in the host's C(/etc/shells), or any shell when it has no such file. An empty shell in
        the account database counts as C(/bin/sh). C(nologin), C(false), C(true), C(sync), C(shutdown) and C(halt) never
        count, even when listed.
    type: list
    elements: str
  user_settings:
    description:
      - With O(users), per-account keys merged over O(settings) for that account only, such as a personal token.
        A mapping from account name to a settings mapping.
      - With a list of O(users), every name must be in it. With O(users=all), it may name accounts of any host of the
        fleet; an entry for an account that is not a human account of this host (or is in O(remove_users)) is not used
        and is listed in RV(skipped_accounts) with the reason.
    type: dict
    default: {}
  config_dir:
    description:
      - For O(scope=user), the Claude Code configuration folder, as C(CLAUDE_CONFIG_DIR) would give it.
      - An absolute path, or a path relative to the user's home. Defaults to C(.claude).
    type: str
  project_dir:
    description:
      - The project folder, for O(scope=project) and O(scope=local). It must exist.
    type: path
  managed_dir:
    description:
      - The folder of managed settings. Unset, the target decides by its platform, where Claude Code reads them,
        C(/etc/claude-code) on Linux and other POSIX systems, C(/Library/Application Support/ClaudeCode) on macOS.
      - Relative helper paths of the managed scopes resolve against this folder (not against C(managed-settings.d)).
      - In the other scopes, the managed settings of this folder are read when the file would hold a gateway credential
        (C(apiKeyHelper), C(ANTHROPIC_AUTH_TOKEN), C(ANTHROPIC_API_KEY)). Under a managed C(forceLoginMethod) of
        V(claudeai) or V(console), or a managed C(forceLoginOrgUUID), the task fails, since Claude Code would refuse
        to start.
    type: path
  dropin:
    description:
      - The drop-in file name for O(scope=managed_dropin), such as C(50-bedrock.json).
    type: str
  settings:
    description:
      - Keys to deep-merge into the file. Objects merge key by key; lists follow O(list_strategy); other values replace.
      - Env values given as numbers are written as strings. A boolean env value is an error, because some switches count
        any non-empty value, even C("0"), as on.
    type: dict
    default: {}
  remove:
    description:
      - Key paths to delete, such as C(env.ANTHROPIC_API_KEY). A key path is a string of keys joined by dots (a dot in a
        key written C(\.)), or a list of keys. Missing keys are ignored.
    type: list
    elements: raw
    default: []
  secret_keys:
    description:
      - Key paths whose values are secrets too, in the syntax of O(remove) (strings only), such as C(env.CORP_SSO_COOKIE) or
        C(otelHeadersHelper). Everything under a listed key counts.
      - Listed keys are treated exactly as the secrets the module finds by itself (see the description above). Their
        values are replaced by C(********) in diffs, return values and messages, and the task fails rather than write
        them into a file other users can read.
      - The key paths are names, not secrets, and are shown.
    type: list
    elements: str
    default: []
  list_strategy:
    description:
      - How a list in O(settings) meets a list already in the file.
      - V(union) keeps the file's items in their order and appends the task's items that are not there yet, so rules
        a user added survive.
      - V(replace) makes the list exactly the task's.
    type: str
    choices: [union, replace]
    default: union
  helpers:
    description:
      - Helper scripts to place with the settings, written before the settings file.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description:
          - Where the script goes. A relative path is relative to the settings file's folder, or to O(managed_dir) in
            the managed scopes (a drop-in's helpers go to C(<managed_dir>/bin/...), not into C(managed-settings.d)).
        type: str
        required: true
      content:
        description:
          - The script. Treated as a secret; required when O(helpers[].state=present).
        type: str
      mode:
        description:
          - The script's mode. Defaults to C(0700), or C(0755) in managed and project scopes (every user runs it).
        type: raw
      setting:
        description:
          - A settings key to point at this script, such as C(apiKeyHelper). Its value is set to the script's path
            (quoted for the shell where needed), or removed when O(helpers[].state=absent).
        type: str
        choices: [apiKeyHelper, awsCredentialExport, awsAuthRefresh, gcpAuthRefresh, otelHeadersHelper]
      env:
        description:
          - An env variable to point at this file, such as C(GOOGLE_APPLICATION_CREDENTIALS) for a credentials file. Its
            value in C(env) is set to the file's absolute path (not quoted, as it is a path and not a command), or removed when
            O(helpers[].state=absent).
        type: str
      state:
        description:
          - V(absent) removes the script (and the key named by O(helpers[].setting), the variable named by O(helpers[].env)).
        type: str
        choices: [present, absent]
        default: present
      versioned:
        description:
          - Files that must change together, such as a client certificate and its key. The versioned helpers whose paths
            share one folder (C(certs/client/cert.pem) and C(certs/client/key.pem)) are one set, replaced as a whole.
          - The files go into a hidden version folder beside it, C(certs/.client-<12 hex digits>) (the start of the
            sha256 of the set's names, modes and contents), owned by the account, with the folder mode of the scope
            (C(0700), or C(0755) in managed and project scopes); C(certs/client) is a symlink to it, owned by the account.
            A new version is written completely, the link is switched with one rename, and then the old version folder
            is removed, so the paths the settings point at stay the same and a reader never gets a new certificate with
            an old key. A run killed at any moment leaves the old set or the new one in place, and the next run completes.
          - The folder must be one of its own, below another folder, holding versioned helpers only, and not holding the
            settings file. The module replaces only a link it made (to a sibling C(.<name>-<12 hex digits>)), an empty
            folder, or nothing; a folder with files in it, a file, or a link to anywhere else there is refused and left as
            it is, never followed.
          - With O(helpers[].state=absent) for every file of the set, the link and every version folder are removed (and,
            from a real folder there, the set's files). A file listed absent in a set that has others present is left out
            of the next version.
          - Check mode and C(--diff) show which version folder each file moves from and to, never the contents.
        type: bool
        default: false
  validate:
    description:
      - V(strict) checks what the task writes against the collection's schema and its rules (unknown keys with the
        nearest known key suggested, keys that do nothing in this tier, upper-case env names, string env values), and
        fails on existing content that would make Claude Code ignore the file.
      - V(loose) checks types and allowed values only, as the published schema does; unknown top-level keys pass.
      - V(none) checks nothing but that the result is a JSON object.
      - At every level, the task fails on what Claude Code cannot load at all, before anything is written; a settings
        file of more than 2 MiB (2097152 bytes), or a value nested more than 64 levels deep (objects and arrays, the
        top level of the file counted).
    type: str
    choices: [strict, loose, none]
    default: strict
  replace_invalid:
    description:
      - When the existing file is not valid JSON or not an object, or is one Claude Code cannot load (more than 2 MiB, or
        a value nested more than 64 levels deep), keep it as a backup and write a new file from the task's keys.
        Without it the task fails naming the reason, and the file is left as it was.
    type: bool
    default: false
  backup:
    description:
      - Keep the previous file as C(<name>.<pid>.<timestamp>~) beside it when the content changes.
    type: bool
    default: false
  owner:
    description:
      - Owner of the settings file, its helpers and the folders the module creates. Defaults to the account for
        O(scope=user), the project folder's owner for project scopes, root for managed scopes, and for an existing file
        otherwise its current owner.
    type: str
  group:
    description:
      - Group, with the same defaults as O(owner) (the account's primary group for O(scope=user)).
    type: str
  mode:
    description:
      - Mode of the settings file, as an octal string such as C("0600"). An existing file keeps its mode unless this is
        given. A new file gets C(0600), or C(0644) in the managed and project scopes, which every user reads.
      - Secrets are never written into a file that other users can read.
    type: raw
'''

EXAMPLES = r'''
- name: Point every listed user's Claude Code at the company gateway, with a key helper
  fleetcfg.claude_code.settings:
    scope: user
    user: "{{ item }}"
    settings:
      env:
        ANTHROPIC_BASE_URL: https://llm-gateway.example.com
        CLAUDE_CODE_API_KEY_HELPER_TTL_MS: 3600000
    helpers:
      - path: bin/api-key-helper
        setting: apiKeyHelper
        content: |
          #!/bin/sh
          exec cat "$HOME/.config/llm-gateway/key"
  loop: "{{ developers }}"

- name: Point every human account of each host at the gateway, accounts created later included (next run)
  fleetcfg.claude_code.settings:
    users: all
    remove_users: [build]          # everyone but the build account, whose file loses these keys
    settings:
      env:
        ANTHROPIC_BASE_URL: https://llm-gateway.example.com

- name: Deny reading secrets, for every user of the machine (managed policy)
  fleetcfg.claude_code.settings:
    scope: managed_dropin
    dropin: 10-permissions.json
    settings:
      permissions:
        deny:
          - Read(./.env)
          - Read(./secrets/**)

- name: Remove a static key that would shadow the helper
  fleetcfg.claude_code.settings:
    user: alice
    remove:
      - env.ANTHROPIC_API_KEY
      - env.ANTHROPIC_AUTH_TOKEN

- name: Make the project's allow list exactly this one
  fleetcfg.claude_code.settings:
    scope: project
    project_dir: /srv/repos/webapp
    list_strategy: replace
    settings:
      permissions:
        allow:
          - Bash(npm run test:*)

- name: Repair a user file that is not valid JSON (the old one is kept as a backup)
  fleetcfg.claude_code.settings:
    user: bob
    replace_invalid: true
    settings:
      model: sonnet
'''

RETURN = r'''
path:
  description: The settings file (as configured; symlinks the module trusted are not resolved here).
  returned: when O(users) is not given
  type: str
  sample: /home/alice/.claude/settings.json
changed_keys:
  description: The key paths whose values the task changes, sorted.
  returned: when O(users) is not given
  type: list
  elements: str
  sample: [env.ANTHROPIC_BASE_URL, apiKeyHelper]
settings:
  description: The resulting settings, with secret values replaced by C(********).
  returned: when O(users) is not given
  type: dict
  sample: {"env": {"ANTHROPIC_BASE_URL": "https://llm-gateway.example.com", "ANTHROPIC_AUTH_TOKEN": "********"}}
backup_file:
  description: The backup of the previous file, when one was made.
  returned: changed and a backup was made
  type: str
  sample: /home/alice/.claude/settings.json.4242.2026-11-29@10:00:00~
helpers:
  description: Each helper script, whether it changed, and its state.
  returned: when O(users) is not given
  type: list
  elements: dict
  sample: [{"path": "/home/alice/.claude/bin/api-key-helper", "state": "present", "changed": true}]
files:
  description:
    - With O(users), one entry per account's file, with the keys above (RV(path), RV(changed_keys), RV(settings),
      RV(backup_file), RV(helpers), RV(found)), C(user) (the account) and C(changed); the accounts of O(remove_users)
      come last.
  returned: when O(users) is given
  type: list
  elements: dict
accounts:
  description:
    - The accounts this task configured on the host, in the order of RV(files) (by name with O(users=all)), without the
      skipped ones and the accounts of O(remove_users). With O(users=all), who got the settings.
  returned: when O(users) or O(remove_users) is given
  type: list
  elements: str
  sample: [alice, bob]
skipped_accounts:
  description:
    - With O(users) or O(remove_users), the accounts left out of this run, each with C(user) and C(reason); with
      O(account_errors=skip) the ones that could not be configured, and leaving accounts that no longer exist.
    - With O(users=all) also, without a warning, the human accounts whose home folder does not exist yet, and each
      entry of O(user_settings) that was not used on this host (not a human account here, or in O(remove_users)).
  returned: when O(users) or O(remove_users) is given
  type: list
  elements: dict
  sample: [{"user": "newhire", "reason": "user: the home folder /home/newhire of account 'newhire' does not exist (not logged in yet?); nothing was created"}]
found:
  description: What the module found before the run, C(absent), C(empty), C(present) or C(invalid).
  returned: when O(users) is not given
  type: str
  sample: present
'''


from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import login_profile, safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import INTERNAL_SPEC, USER_SPEC_RULES, module_spec
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    AccountMissing,
    SettingsError,
    apply,
    every_human_account,
    file_params,
    plan,
    public,
)

# The result does not echo the arguments (ansible-core's invocation): settings may hold secrets that are found by their
# value or listed in secret_keys, which no_log cannot name.
NOT_SHOWN = dict(module_args='(not shown: the arguments may hold secrets)')


def main():
    # The protocol options of the action plugins (settings_args.INTERNAL_SPEC) join the spec only when they were sent.
    internal = bool(set(basic._load_params() or {}) & set(INTERNAL_SPEC))
    module = AnsibleModule(argument_spec=module_spec(internal), supports_check_mode=True, **USER_SPEC_RULES)
    params = module.params
    apply_phase = params.get('_phase') == 'apply' and not module.check_mode
    if params.get('_phase') not in (None, 'plan', 'apply'):
        module.fail_json(msg='_phase: expected plan or apply (an internal option of the action plugin)', invocation=NOT_SHOWN)
    # users: all is decided here, on the host: its human accounts now (an account created since the last run is in).
    params, found, left_out = every_human_account(params)
    files = [] if found == [] and not params.get('remove_users') else file_params(params)  # a host without one: nothing
    # In the apply phase, the controller names per file the checksum its validated plan saw; a file without one
    # is only planned again. In the plan phase, a new (absent or empty) file may be written at once: all it will
    # hold is the task's own, which the controller validated before this call.
    expect = params.get('_expect_checksums') if apply_phase else None
    apply_new = bool(params.get('_apply_new')) and not module.check_mode and not apply_phase
    skip = params['account_errors'] == 'skip'
    out = []
    for one, checksum in zip(files, expect or [None] * len(files)):
        try:
            result = apply(dict(one, expect_checksum=checksum)) if checksum else plan(one)
            written = bool(checksum)
            if apply_new and result['changed'] and result['found'] in ('absent', 'empty') and not result.get('delete'):
                result = apply(dict(one, expect_checksum=result['checksum']))
                written = True
        except (SettingsError, safe_fs.UnsafePathError, safe_fs.ConcurrentChangeError, OSError, IOError) as e:
            msg = str(e)
            if isinstance(e, (OSError, IOError)):
                msg = '%s: %s' % (getattr(e, 'filename', None) or 'settings', e.strerror or e)
            leaving = bool(one.get('_leaving'))
            if (params['users'] or params['remove_users']) and (skip or (leaving and isinstance(e, AccountMissing))):
                # This account only; the host's other accounts go on.
                out.append(dict(user=one['user'], skipped=True, leaving=leaving, reason=msg, changed=False, would_change=False))
                continue
            module.fail_json(msg=msg, files=out, invocation=NOT_SHOWN)
        item = public(result)
        item['would_change'] = result['changed']
        item['changed'] = written and result['changed']
        out.append(item)
    extra = dict(accounts=found, left_out=left_out) if found is not None else {}
    if params.get('_login_profile') is not None:
        # A provider role's login-shell profile: planned with the files, written in the apply phase only (after the
        # controller judged the settings it is made from).
        try:
            profile = login_profile.plan(params['_login_profile'])
            if apply_phase and profile['changed']:
                login_profile.apply(profile)
        except (login_profile.ProfileError, safe_fs.UnsafePathError, OSError, IOError) as e:
            module.fail_json(msg=str(e), files=out, invocation=NOT_SHOWN)
        extra['login_profile'] = dict(login_profile.public(profile), would_change=profile['changed'],
                                      changed=apply_phase and profile['changed'], before=profile['before'], after=profile['after'],
                                      hook_texts=profile['hooks'])
    changed = any(item['changed'] for item in out) or extra.get('login_profile', {}).get('changed', False)
    module.exit_json(changed=changed, files=out, invocation=NOT_SHOWN, **extra)


if __name__ == '__main__':
    main()
