# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of fleetcfg.claude_code.settings, shared by the module and its action plugin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

SCOPES = ('user', 'project', 'local', 'managed', 'managed_dropin')

# Settings keys whose value is a command Claude Code runs: a helper placed by the module can be pointed at by one.
HELPER_SETTINGS = ('apiKeyHelper', 'awsCredentialExport', 'awsAuthRefresh', 'gcpAuthRefresh', 'otelHeadersHelper')

HELPER_SPEC = dict(
    path=dict(type='str', required=True),
    content=dict(type='str', no_log=True),
    mode=dict(type='raw'),
    setting=dict(type='str', choices=list(HELPER_SETTINGS)),
    env=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    # The versioned helpers of one folder are one set, switched at once (plugins/module_utils/versioned_helpers.py).
    versioned=dict(type='bool', default=False),
)

# What a task may set. The action plugin validates a task's arguments against this before any host is touched.
USER_SPEC = dict(
    scope=dict(type='str', choices=list(SCOPES)),
    path=dict(type='path'),
    user=dict(type='str'),
    users=dict(type='list', elements='str'),
    remove_users=dict(type='list', elements='str'),
    # With users: all, what a human account of the host is (plugins/module_utils/accounts.py); unset, the platform's.
    human_uid_min=dict(type='int'),
    human_uid_max=dict(type='int'),
    human_shells=dict(type='list', elements='str'),
    account_errors=dict(type='str', choices=['fail', 'skip'], default='fail'),
    user_settings=dict(type='dict', default={}),
    config_dir=dict(type='str'),
    project_dir=dict(type='path'),
    managed_dir=dict(type='path'),
    dropin=dict(type='str'),
    settings=dict(type='dict', default={}),
    remove=dict(type='list', elements='raw', default=[]),
    secret_keys=dict(type='list', elements='str', default=[], no_log=False),
    list_strategy=dict(type='str', choices=['union', 'replace'], default='union'),
    helpers=dict(type='list', elements='dict', default=[], options=HELPER_SPEC),
    validate=dict(type='str', choices=['strict', 'loose', 'none'], default='strict'),
    replace_invalid=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    owner=dict(type='str'),
    group=dict(type='str'),
    mode=dict(type='raw'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)

USER_SPEC_RULES = dict(
    mutually_exclusive=[('scope', 'path'), ('user', 'users'), ('path', 'users'), ('user', 'remove_users')],
    required_if=[
        ('scope', 'project', ('project_dir',)),
        ('scope', 'local', ('project_dir',)),
        ('scope', 'managed_dropin', ('dropin',)),
    ],
)


def module_spec(internal=True):
    """The module's own spec: the task's options, plus the internal ones when the action plugin sent them."""
    spec = copy.deepcopy(USER_SPEC)
    if internal:
        spec.update(INTERNAL_SPEC)
    return spec


# Protocol options between the action plugins and the module, prefixed with _ as ansible-core's _original_basename, and
# not user options: a task cannot set them (the action plugins check a task against USER_SPEC) and the module's
# documentation does not name them; the module adds them to its spec only when the action sent them. Plain types, no
# defaults: _phase is 'plan' (None) or 'apply'; _apply_new a boolean; _expect_checksums a list of checksums.
INTERNAL_SPEC = dict(
    _phase=dict(type='str'),
    _apply_new=dict(type='bool'),
    _expect_checksums=dict(type='raw'),
    # Model keys (model, modelOverrides, env.ANTHROPIC_MODEL, env.ANTHROPIC_SMALL_FAST_MODEL) whose values do not
    # fully match this regular expression are removed, unless the task sets them (a provider switch).
    _keep_models=dict(type='str'),
    # The login-shell profile of a provider role: state, content, owner (plugins/module_utils/login_profile.py).
    _login_profile=dict(type='dict'),
)
