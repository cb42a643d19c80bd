# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every provider of the collection shares: reading a role's variables, one error style, model pins, helpers.

A provider file (bedrock.py, vertex.py, ...) declares its variables (``VARIABLES``), the env variables it owns
(``ENV``), its helper files (``HELPERS``), the model ids it accepts (``MODEL_PATTERN``), its input checks
(``check``) and what one configuration writes (``configure``). Everything else, the variable types, the shape of the
errors, switching from another provider and leaving, lives here once. Pure Python: unit-tested without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import is_secret, url_has_password

MODEL_CLASSES = ('opus', 'sonnet', 'haiku')
# Names of the model picker that every provider resolves itself (a class alias, optionally with the 1M context).
ALIAS_PATTERN = r'(?:default|opus|sonnet|haiku|opusplan)(?:\[1m\])?'
ALIASES = 'opus, sonnet, haiku, opusplan'
AWS_REGION = re.compile(r'^[a-z]{2}(-[a-z]+)+-[0-9]+\Z')
ENV_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
HTTP_URL = re.compile(r'^https?://[A-Za-z0-9._~:/%@+=-]+\Z')
# Safe for a shell script without quoting, and what a command name or path needs (no spaces, no $, ;, |, ...).
COMMAND_WORD = re.compile(r'^[A-Za-z0-9_./+-]+\Z')
PATH_WORD = re.compile(r'^[A-Za-z0-9._/~+@-]+\Z')
SCOPES = ('user', 'managed')
STATES = ('present', 'absent')
ACCOUNT_ERRORS = ('fail', 'skip')

_MISSING = object()


def model_env(model_class):
    return 'ANTHROPIC_DEFAULT_%s_MODEL' % model_class.upper()


MODEL_ENV = tuple(model_env(c) for c in MODEL_CLASSES)


class Var(object):
    """A role variable: its type (str, bool, int, dict, list, raw), allowed values, and whether it is secret."""

    def __init__(self, kind='str', choices=None, required=False, secret=False, elements=None, expected=None, every=False):
        self.kind = kind
        self.every = every  # a list of account names, or the word all (every human account of the host): ['all']
        self.expected = expected  # what a missing required variable should be, in words
        self.choices = tuple(choices) if choices else None
        self.required = required
        self.secret = secret
        self.elements = elements


def common_variables(prefix):
    """The variables every provider role has, by the same suffixes (design: conventions)."""
    return {
        prefix + 'state': Var(choices=STATES),
        prefix + 'scope': Var(choices=SCOPES),
        prefix + 'users': Var('list', elements='str', every=True),
        prefix + 'remove_users': Var('list', elements='str'),
        # With <role>_users: all, what a human account of the host is (module_utils/accounts.py); unset, the platform's.
        prefix + 'human_uid_min': Var('int'),
        prefix + 'human_uid_max': Var('int'),
        prefix + 'human_shells': Var('list', elements='str'),
        prefix + 'config_dir': Var(),
        prefix + 'managed_dir': Var(),
        prefix + 'dropin': Var(),
        prefix + 'account_errors': Var(choices=ACCOUNT_ERRORS),
        prefix + 'replace_invalid': Var('bool'),
        # /etc/profile.d/claude-code.sh exporting the non-secret provider variables (plugin_utils/login_profile.py).
        prefix + 'login_profile': Var('bool'),
        prefix + 'env': Var('dict'),
        prefix + 'secret_env': Var('list', elements='str'),
        prefix + 'network': Var('dict', secret=True),  # a proxy password, a client key and its passphrase
        prefix + 'hosts': Var(),  # read by the collection's playbook (playbooks/<role>.yml), not by the role
    }


class InputError(Exception):
    """Every problem of a role's input, each one line that names the variable."""

    def __init__(self, role, problems):
        self.problems = problems
        Exception.__init__(self, 'fleetcfg.claude_code.%s: invalid input, no host was changed:\n  - %s'
                           % (role, '\n  - '.join(problems)))


def kind_of(value):
    """A value's type in words, as a user reads it in YAML."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    return 'a %s' % type(value).__name__


_KIND_WORDS = dict(str='a string', bool='true or false', int='a whole number', dict='a mapping', list='a list')
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')


class Inputs(object):
    """A role's variables, read and checked: ``inputs[name]`` is the value (None when unset); ``problems`` the errors."""

    def __init__(self, role, prefix, variables, raw, renamed=None):
        self.role = role
        self.prefix = prefix
        self.variables = variables
        self.problems = []
        self.warnings = []
        self.values = {}
        self.bad = set()  # variables whose type is wrong: no further message about them
        raw = dict(raw)
        present = raw.get(prefix + 'state') != 'absent'  # required variables are required to configure, not to leave
        for old, new in (renamed or {}).items():
            if old in raw:
                self.warnings.append('%s is deprecated and will be removed in 2.0.0; use %s (it was used here)' % (old, new))
                raw[new] = raw.pop(old)
        for name in sorted(raw):
            if name not in variables:
                close = difflib.get_close_matches(name, list(variables), n=1, cutoff=0.6)
                hint = '; did you mean %s?' % close[0] if close else ' (see the role\'s meta/argument_specs.yml)'
                self.problems.append('%s: not a variable of role %s%s' % (name, role, hint))
        for name, var in sorted(variables.items()):
            self.values[name] = self._coerce(name, var, raw.get(name), present)

    def __getitem__(self, name):
        return self.values[self.prefix + name]

    def get(self, name, default=None):
        value = self.values.get(self.prefix + name)
        return default if value is None else value

    def show(self, name, value=_MISSING):
        """A value for an error message: JSON for plain values, the type alone for secrets and big values."""
        if value is _MISSING:
            value = self.values.get(name)
        parts = re.split(r'[.\[]', name)
        var = self.variables.get(parts[0])
        listed = parts[0] == self.prefix + 'env' and parts[-1] in (self.values.get(self.prefix + 'secret_env') or ())
        # A variable is secret by its spec; a key inside a mapping (an env or header name) also by its name or value;
        # any value holding a URL with a password.
        text = json.dumps(value, sort_keys=True, default=str)
        if ((var is not None and var.secret) or listed or (len(parts) > 1 and is_secret(parts[-1].rstrip(']'), value))
                or url_has_password(text)):
            return '%s (a secret, not shown)' % kind_of(value)
        return text if len(text) <= 80 else '%s (%s...)' % (kind_of(value), text[:60])

    def _quiet(self, name):
        return re.split(r'[.\[]', name)[0] in self.bad

    def expect(self, name, expected, value=_MISSING):
        """Record ``name: expected <expected>, got <value>``."""
        if self._quiet(name):
            return
        self.problems.append('%s: expected %s, got %s' % (name, expected, self.show(name, value)))

    def require(self, name, expected, when=''):
        if self._quiet(name):
            return
        self.problems.append('%s: required%s, expected %s' % (name, when, expected))

    def refuse(self, name, why):
        """A value that is set but may not be (given another variable): ``name: not with ..., got <value>``."""
        if self._quiet(name):
            return
        self.problems.append('%s: %s, got %s' % (name, why, self.show(name)))

    def _coerce(self, name, var, value, present):
        if value is None and var.choices and not var.required:  # the role's default overridden with nothing
            self.expect(name, 'one of %s' % ', '.join(var.choices), value)
            self.bad.add(name)
            return None
        if value is None:
            if var.required and present:
                self.problems.append('%s: required, expected %s' % (name, var.expected or _KIND_WORDS.get(var.kind, 'a value')))
                self.bad.add(name)
            return None
        kind = var.kind
        if var.every and value == accounts.ALL:
            value = [accounts.ALL]
        if kind == 'str' and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        elif kind == 'bool' and isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            value = value.lower() in _TRUE
        elif kind == 'int' and isinstance(value, str) and re.match(r'^-?[0-9]+\Z', value.strip()):
            value = int(value)
        types = dict(str=str, bool=bool, dict=dict, list=list).get(kind)
        if kind == 'int':
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = types is None or isinstance(value, types)
        if not ok:
            self.expect(name, 'a list of account names, or all (every human account of the host)' if var.every else _KIND_WORDS[kind],
                        value)
            self.bad.add(name)
            return None
        if kind == 'list' and var.elements == 'str':
            bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item]
            if bad:
                self.expect('%s[%d]' % (name, bad[0]), 'a non-empty string', value[bad[0]])
                self.bad.add(name)
                return None
        if var.choices and value not in var.choices:
            self.expect(name, 'one of %s' % ', '.join(var.choices), value)
            self.bad.add(name)
            return None
        return value


def every_account(v):
    """Whether ``<role>_users`` is all: every human account of each host, found on the host."""
    return accounts.every_account(v.get('users'))


def _check_every_account(v):
    p = v.prefix
    mixed = accounts.users_problem(v.get('users'), p + 'users')
    if mixed:
        v.problems.append(mixed)
    if accounts.ALL in v.get('remove_users', []):
        v.refuse(p + 'remove_users', 'all is not accepted here (it would take every account off); to take this configuration '
                 'off every human account use %sstate=absent with %susers=all' % (p, p))
    names = [p + 'human_uid_min', p + 'human_uid_max', p + 'human_shells']
    given = [name for name in names if v.values.get(name) is not None]
    if given and not every_account(v):
        for name in given:
            v.refuse(name, 'only with %susers=all (it says which accounts are human accounts)' % p)
    else:
        v.problems.extend(accounts.criteria_problems(*[v.values.get(name) for name in names], names=names))


def check_common(v, set_env_names, other_env, routed=None):
    """Checks every provider role shares: scope and accounts, the team's own env variables.

    ``set_env_names``: set by the role's own variables; ``other_env``: env name -> the other provider that owns it;
    ``routed``: env name -> the variable of the role that sets it (``<role>_network``)."""
    p = v.prefix
    if v['scope'] == 'user' and not v.get('users') and not (v['state'] == 'absent' and v.get('remove_users')):
        what = 'the accounts to configure' if v['state'] == 'present' else 'the accounts to take this configuration off'
        v.require(p + 'users', '%s (a list of names)' % what, ' with %sscope=user' % p)
    if v['scope'] == 'managed' and v.get('users'):
        v.refuse(p + 'users', 'only with %sscope=user (a managed drop-in applies to every account)' % p)
    _check_every_account(v)
    # With all, the accounts of <role>_remove_users are the ones all leaves out: they are taken off.
    both = [] if every_account(v) else sorted(set(v.get('users', [])) & set(v.get('remove_users', [])))
    if both:
        v.refuse(p + 'remove_users', 'an account is either configured (%susers) or taken off, not both: %s'
                 % (p, ', '.join(both)))
    if v.get('remove_users') and v['scope'] != 'user':
        v.refuse(p + 'remove_users', 'only with %sscope=user' % p)
    dropin = v.get('dropin', '')
    if not re.match(r'^[A-Za-z0-9][A-Za-z0-9._-]*\.json\Z', dropin):
        v.expect(p + 'dropin', "a file name ending in .json (letters, digits, '.', '_', '-')")
    listed = v.get('secret_env', [])
    for name in listed:
        if name not in v.get('env', {}):
            v.problems.append('%ssecret_env: expected names of variables in %senv, got %s' % (p, p, json.dumps(name)))
    if listed and v['scope'] == 'managed':
        v.refuse(p + 'secret_env', 'secrets cannot go into the managed scope (a file every account can read); use %sscope=user'
                 % p)
    for name, value in sorted(v.get('env', {}).items()):
        where = '%senv.%s' % (p, name)
        if not ENV_NAME.match(name):
            v.problems.append('%senv: expected variable names (letters, digits, _), got %s' % (p, json.dumps(name)))
        elif name in (routed or {}):
            v.problems.append('%s: set through %s, not in %senv' % (where, routed[name], p))
        elif name in set_env_names:
            v.problems.append('%s: set by this role\'s own variables; set it through them, not in %senv' % (where, p))
        elif name in other_env:
            v.problems.append('%s: belongs to provider %s, which this role replaces; remove it' % (where, other_env[name]))
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            v.expect(where, 'a string or a number (write "1" to turn a switch on)', value)


def pin_models(v, models, pattern, expected, classes=MODEL_CLASSES, overrides=True):
    """Check the model pins of ``<prefix>models`` and return (env, settings) they write.

    ``pattern`` is the provider's id regex (fullmatch); class aliases are accepted for ``default``.
    """
    p = v.prefix + 'models'
    env, settings = {}, {}
    allowed = set(classes) | set(['default']) | (set(['overrides']) if overrides else set())
    for key in sorted(models):
        value = models[key]
        where = '%s.%s' % (p, key)
        if key not in allowed:
            v.problems.append('%s: not a model class; expected one of %s' % (where, ', '.join(sorted(allowed))))
        elif value is None or value == '':
            continue
        elif key == 'overrides':
            if not isinstance(value, dict):
                v.expect(where, 'a mapping from an Anthropic model name to %s' % expected, value)
                continue
            for name, target in sorted(value.items()):
                if not isinstance(target, str) or not re.match(r'(?:%s)\Z' % pattern, target):
                    v.expect('%s.overrides[%s]' % (p, name), expected, target)
            settings['modelOverrides'] = value
        elif not isinstance(value, str):
            v.expect(where, expected, value)
        elif key == 'default':
            if not re.match(r'(?:%s|%s)\Z' % (ALIAS_PATTERN, pattern), value):
                v.expect(where, '%s, or a class alias (%s)' % (expected, ALIASES), value)
            settings['model'] = value
        elif not re.match(r'(?:%s)\Z' % pattern, value):
            v.expect(where, expected, value)
        else:
            env[model_env(key)] = value
    return env, settings


def keep_models_pattern(pattern):
    """The values of model keys (``model``, ``modelOverrides``, ``env.ANTHROPIC_MODEL``) a provider keeps."""
    return r'%s|%s' % (ALIAS_PATTERN, pattern)


def drop_models_pattern(pattern, configured=()):
    """A keep-pattern that drops the provider's own ids and the values it configured (for leaving); None: keep all."""
    own = [pattern] if pattern else []
    own.extend(re.escape(value) for value in configured if isinstance(value, str) and value)
    return r'(?!(?:%s)\Z).*' % '|'.join(own) if own else None


class Helper(object):
    """A file a provider places: a script a settings key points at, or a file an env variable names.

    ``path`` is the default place (relative to the account's Claude Code folder, or to the managed folder);
    ``path_var`` the role variable that moves it.
    """

    def __init__(self, path, setting=None, env=None, template=None, mode=None, path_var=None, versioned=False):
        self.path = path
        self.setting = setting
        self.env = env
        self.template = template
        self.mode = mode
        self.path_var = path_var
        self.versioned = versioned  # one of a set of files in one folder, replaced together (the settings module's helpers)

    def entry(self, path=None, **extra):
        entry = dict(path=path or self.path)
        for key in ('setting', 'env', 'mode', 'versioned'):
            if getattr(self, key):
                entry[key] = getattr(self, key)
        entry.update(extra)
        return entry


def check_account_key(v, name, auth_var, auth):
    """Check a provider key given per account (a mapping from account to key) or shared (one string).

    ``name`` is the variable (``bedrock_api_key``); the key goes only into each account's own 0600 user file, never
    into the managed scope. ``auth_var``/``auth``: the variable that chose key authentication and its value.
    """
    if v['scope'] == 'managed':
        v.refuse(v.prefix + 'scope', "managed is refused with %s=%s: the key would be in a file every user of the machine can "
                 "read; use %sscope=user (0600 files of each account)" % (auth_var, auth, v.prefix))
    key = v.get(name[len(v.prefix):])
    if isinstance(key, dict) and every_account(v):
        v.refuse(name, 'a mapping per account needs %susers as a list of account names; with %susers=all (accounts found on '
                 'each host) give one key shared by every account, or choose an authentication without a static key'
                 % (v.prefix, v.prefix))
    elif isinstance(key, dict):
        missing = [user for user in v.get('users', []) if user not in key]
        if missing:
            v.problems.append('%s: no key for %s (a mapping must have a key for every account of %susers)'
                              % (name, ', '.join(missing), v.prefix))
        for user in sorted(key):
            if not isinstance(key[user], str) or not key[user]:
                v.expect('%s.%s' % (name, user), 'a non-empty string (the key of %s)' % user, key[user])
    elif not isinstance(key, str) or not key:
        v.expect(name, 'a key (shared by every account), or a mapping from account name to key, with %s=%s' % (auth_var, auth), key)


def account_keys(v, name, env_name):
    """Each account's own env with its key (``user_env`` of a configuration); with ``<role>_users: all``, under ``all``
    the one key every account gets (module_args makes it a shared setting)."""
    key = v.get(name[len(v.prefix):])
    return dict((user, {env_name: key[user] if isinstance(key, dict) else key}) for user in v.get('users', []))


def refuse_unused(v, name, auth_var, auth, used_with):
    """A variable of another authentication mode that is set: refused, naming the mode it belongs to."""
    if v.get(name[len(v.prefix):]) not in ('', None, {}, []):
        v.refuse(name, 'only used with %s=%s, not with %s; remove it' % (auth_var, used_with, auth))
