# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login-shell profile of a provider role (``<role>_login_profile: true``): what it exports, rendered once.

Some entry points (IDE extensions, processes started outside a login shell) do not read the ``env`` block of the
settings file reliably, so a team may also export the provider's variables in login shells. The profile is made from
the settings module arguments the role computed (``module_args``), so the two cannot disagree: the shared ``env`` of
the settings, less every secret (a variable listed in ``<role>_secret_env``, one whose name or value is a secret, a URL
with a password). What one account gets alone (a key per account) is never shared. Where the file goes is decided on
the host (plugins/module_utils/login_profile.py); values are quoted for the shell here, the one place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.login_profile import MARKER
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import is_secret


def exported(args):
    """The variables a profile exports: name -> value, from the settings module arguments of a provider role."""
    env = args.get('settings', {}).get('env', {})
    return dict((name, str(value)) for name, value in env.items() if not is_secret(name, str(value), args.get('secret_keys', ())))


def render(provider, env, users=None):
    """The profile's text: ``export NAME='value'`` for each variable, for ``users`` only when given (account names)."""
    lines = [MARKER + provider,
             '# Managed by Ansible (fleetcfg.claude_code.%s, <role>_login_profile): the non-secret provider variables of the' % provider,
             '# Claude Code settings, for login shells. Changes here are replaced on the next run.']
    exports = ['export %s=%s' % (name, shlex.quote(value)) for name, value in sorted(env.items())]
    if users:
        lines.append('case "$(id -un 2>/dev/null)" in')
        lines.append('  %s)' % '|'.join(shlex.quote(user) for user in sorted(users)))
        lines.extend('    ' + line for line in exports)
        lines.append('    ;;')
        lines.append('esac')
    else:
        lines.extend(exports)
    return '\n'.join(lines) + '\n'


def spec(provider, wanted, state, args, users=None):
    """The ``_login_profile`` option of the settings module for one provider role run.

    ``wanted``: the role's ``<role>_login_profile``; ``state``: its ``<role>_state``; ``users``: the account names of a
    user-scope run (None for the managed scope and for every human account of the host)."""
    if state == 'absent':
        return dict(state='absent', owner=provider)  # this provider's profile only
    if not wanted:
        return dict(state='absent')  # whoever wrote it: this provider is the configured one now
    return dict(state='present', content=render(provider, exported(args), users))
