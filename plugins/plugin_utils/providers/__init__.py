# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The providers of the collection, the keys they own between them, and a role's inputs -> settings module arguments.

``module_args(name, raw, lookup)`` is the one function every provider role runs (through the action plugin
fleetcfg.claude_code.provider): it reads and checks the role's variables, asks the provider what one configuration
writes, and adds what switching and leaving need: every key and helper file that another provider of the collection
owns is removed, and ``<role>_state: absent`` removes exactly what the role owns.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.accounts import ALL
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.login_policy import login_policy_conflict
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import login_profile
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import anthropic_aws, bedrock, foundry, litellm, network, vertex
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import (
    InputError,
    Inputs,
    check_common,
    drop_models_pattern,
    every_account,
    keep_models_pattern,
)

PROVIDERS = dict((p.NAME, p) for p in (bedrock, vertex, litellm, foundry, anthropic_aws))

# The shared table: every env variable some provider of the collection writes, and which providers write it.
OWNED_ENV = {}
for _provider in PROVIDERS.values():
    for _name in _provider.ENV:
        OWNED_ENV.setdefault(_name, []).append(_provider.NAME)
# Every helper file some provider places, with the settings key or env variable that points at it.
OWNED_HELPERS = [(p.NAME, key, helper) for p in PROVIDERS.values() for key, helper in sorted(p.HELPERS.items())]
# The network options (<role>_network) are the same for every provider role. A role given them owns the network
# settings and files, setting exactly what it names; a role not given them leaves them alone (a user's own proxy stays).
NETWORK = 'network'
NETWORK_HELPERS = [(NETWORK, key, helper) for key, helper in sorted(network.HELPERS.items())]

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_DEFAULTS = {}


def role_defaults(name):
    """A provider role's defaults/main.yml (read once)."""
    if name not in _DEFAULTS:
        import yaml  # controller dependency (requirements/runtime.txt)

        with open(os.path.join(COLLECTION_ROOT, 'roles', name, 'defaults', 'main.yml')) as f:
            _DEFAULTS[name] = yaml.safe_load(f) or {}
    return _DEFAULTS[name]


def role_variables(name, prefix, task_vars, template):
    """A role's inputs as its action reads them: the role's defaults under every host variable with the role's prefix
    (``template(value)`` renders one); what the role gives when it is included, and what a playbook that does not
    include it (drift.yml) gets too."""
    raw = copy.deepcopy(role_defaults(name))
    raw.update((var, template(task_vars[var])) for var in list(task_vars) if var.startswith(prefix))
    return raw


def helper_path(helper, name, lookup):
    """Where a provider's helper lives: its path variable (``lookup``: inventory value or None), else its default."""
    if not helper.path_var:
        return helper.path
    value = lookup(helper.path_var)
    return value if isinstance(value, str) and value else role_defaults(name)[helper.path_var]


def module_args(name, raw, lookup=lambda var: None):
    """The settings module's arguments for provider ``name``; raises InputError naming every bad variable.

    ``raw``: the role's variables (every variable with the role's prefix, its defaults included), already templated.
    ``lookup(var)``: the value of another role's variable where the inventory sets one (a moved helper path), or None.
    Returns (module args, warnings).
    """
    provider = PROVIDERS[name]
    v = Inputs(name, provider.PREFIX, provider.VARIABLES, raw, getattr(provider, 'RENAMED', None))
    others = dict((env, '/'.join(owners)) for env, owners in OWNED_ENV.items() if name not in owners)
    check_common(v, provider.ROLE_ENV, others, dict.fromkeys(network.OWNED_ENV, provider.PREFIX + 'network'))
    conf = provider.configure(v)
    net = network.configure(v, None if conf is None else conf.get('endpoint') or '') if v['state'] == 'present' else None
    if v.problems:
        raise InputError(name, v.problems)

    managed = v['scope'] == 'managed'
    args = dict(scope='managed_dropin' if managed else 'user', dropin=v['dropin'],
                account_errors=v['account_errors'], replace_invalid=v['replace_invalid'])
    for option in ('managed_dir', 'config_dir'):
        if v.get(option):
            args[option] = v[option]
    if not managed:
        args['users'] = v.get('users', [])
        args['remove_users'] = v.get('remove_users', [])
        for option in ('human_uid_min', 'human_uid_max', 'human_shells'):
            if v.get(option) is not None:
                args[option] = v[option]

    def own(helper):
        return helper_path(helper, name, raw.get)

    def path_of(owner, helper):
        return own(helper) if owner in (name, NETWORK) else helper_path(helper, owner, lookup)

    if v['state'] == 'absent':
        args['settings'] = {}
        # A managed drop-in goes whole (state absent); in user files only what the provider owns.
        # The network settings stay: every provider role shares them, and the provider configured now still uses them
        # (a drop-in of another provider names the same CA bundle). <role>_network: {proxy: null} takes them off.
        args['remove'] = [] if managed else ['env.' + env for env in provider.ENV]
        args['helpers'] = [helper.entry(own(helper), state='absent') for owner, _key, helper in OWNED_HELPERS if owner == name]
        args['_keep_models'] = drop_models_pattern(conf.get('own_models'), conf.get('model_values', ()))
        if managed:
            args['state'] = 'absent'
        args['_login_profile'] = login_profile.spec(name, v['login_profile'], 'absent', args)
        return args, v.warnings

    # A network mapping that names nothing ({proxy: null}) still takes the network settings over: it removes them.
    network_env, network_helpers = (network.ENV, NETWORK_HELPERS) if v.get('network') else ((), [])
    present = conf['helpers'] + net['helpers']
    taken = set(entry['path'] for entry in present)
    pointed = set(entry.get('setting') or entry.get('env') for entry in present)
    absent = []
    for owner, _key, helper in OWNED_HELPERS + network_helpers:
        path = path_of(owner, helper)
        if path not in taken:
            taken.add(path)
            entry = helper.entry(path, state='absent')
            if (helper.setting or helper.env) in pointed:  # the key now points at this configuration's helper
                entry.pop('setting', None)
                entry.pop('env', None)
            absent.append(entry)
    env = dict(conf['env'], **net['env'])
    per_user = conf.get('user_env', {})
    if every_account(v):
        # The accounts are found on each host: what each of them gets is one shared setting (a mapping per account is
        # refused by the checks).
        env.update(per_user.get(ALL) or {})
        per_user = {}
    user_names = set(n for own_env in per_user.values() for n in own_env)
    args['settings'] = dict(conf.get('settings', {}), env=env) if env else dict(conf.get('settings', {}))
    args['user_settings'] = dict((user, {'env': own_env}) for user, own_env in per_user.items() if own_env)
    keep = set(env) | user_names | pointed
    removed = set(OWNED_ENV).union(conf.get('remove_env', ()), network_env)
    args['remove'] = ['env.' + env_name for env_name in sorted(removed) if env_name not in keep]
    args['helpers'] = present + absent
    args['_keep_models'] = keep_models_pattern(conf.get('model_pattern', provider.MODEL_PATTERN))
    conflict = _login_policy_conflict(args, lookup('claude_code_managed'), managed)
    if conflict:
        raise InputError(name, ['claude_code_managed: ' + conflict])
    if v.get('secret_env'):
        args['secret_keys'] = ['env.' + env_name for env_name in v['secret_env']]
    if conf.get('mode') or v.get('secret_env') or (net['secret'] and not managed):
        args['mode'] = '0600'  # a key, a proxy password or a passphrase: only the account may read its file
    guarded = None if managed or every_account(v) else v.get('users')
    args['_login_profile'] = login_profile.spec(name, v['login_profile'], 'present', args, guarded)
    return args, v.warnings


def _login_policy_conflict(args, managed_settings, managed):
    """A first-party login policy of the inventory's managed settings (``claude_code_managed``, which
    playbooks/settings.yml writes) against the gateway credentials this configuration writes; None when they agree."""
    if not isinstance(managed_settings, dict) or not managed_settings:
        return None
    shared = dict(args['settings'])
    for entry in args['helpers']:
        if entry.get('setting') and entry.get('state', 'present') == 'present':
            shared[entry['setting']] = entry['path']
    if managed:  # the drop-in is managed settings itself
        return login_policy_conflict(dict(managed_settings, **shared), shared)
    docs = [dict(shared, env=dict(shared.get('env', {}), **own['env'])) for own in args['user_settings'].values()] or [shared]
    return next((found for found in (login_policy_conflict(managed_settings, doc) for doc in docs) if found), None)
