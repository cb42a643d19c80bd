# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What playbooks/golden_image.yml puts into an image, from its ``golden_image_*`` variables.

An image is built before any developer account exists, so the provider goes in as managed settings (every account
reads them), and keys that belong in a user's own file go into the home folder template ``/etc/skel``, which
``useradd -m`` copies into each account created later. ``plan(variables)`` checks the variables (the user settings
as the user file they become) and says what the playbook does; every problem is reported at once, naming the variable.
Pure Python: unit-tested without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import posixpath

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import secret_paths
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import SKEL_DIR, tier_of_path
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import validation
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS

PREFIX = 'golden_image_'
VARIABLES = ('golden_image_provider', 'golden_image_user_settings', 'golden_image_cli', 'golden_image_hosts')
SKEL_SETTINGS = posixpath.join(SKEL_DIR, '.claude', 'settings.json')
MANAGED = 'managed'
_MISSING = object()


class GoldenImageError(Exception):
    """Input the playbook cannot build an image from; the message lists every problem."""


def _choices():
    return ', '.join(sorted(PROVIDERS))


def plan(variables):
    """What the playbook does, from the host's variables (``{name: templated value}``; the ``golden_image_*`` ones and
    the chosen provider's ``<role>_scope``, when set). Raises GoldenImageError naming every bad variable.

    Returns a dict: ``provider`` (the role's name), ``role`` (its full name), ``scope_var`` (the role's scope variable,
    which the playbook sets to managed), ``cli`` (whether the client role runs first), ``skel_file`` and
    ``user_settings`` (the keys of the home folder template; ``skel`` says whether there are any).
    """
    problems = []
    for name in sorted(variables):
        if name.startswith(PREFIX) and name not in VARIABLES:
            close = difflib.get_close_matches(name, VARIABLES, n=1, cutoff=0.6)
            problems.append('%s: not a variable of playbooks/golden_image.yml%s' % (
                name, '; did you mean %s?' % close[0] if close else ' (it has %s)' % ', '.join(VARIABLES)))

    provider = variables.get('golden_image_provider', _MISSING)
    scope_var = None
    if provider in (_MISSING, None, ''):
        problems.append('golden_image_provider: required: the provider role whose managed settings go into the image, '
                        'one of %s (with that role\'s variables in the inventory)' % _choices())
        provider = None
    elif not isinstance(provider, str) or provider not in PROVIDERS:
        close = difflib.get_close_matches(provider, list(PROVIDERS), n=1, cutoff=0.6) if isinstance(provider, str) else []
        problems.append('golden_image_provider: %r is not a provider role of the collection; expected one of %s%s' % (
            provider, _choices(), '; did you mean %s?' % close[0] if close else ''))
        provider = None
    else:
        scope_var = PROVIDERS[provider].PREFIX + 'scope'
        scope = variables.get(scope_var, _MISSING)
        if scope is not _MISSING and scope != MANAGED:
            problems.append('%s: %r, but an image has no developer account yet: its provider settings are managed '
                            'settings, which every account created later reads. Leave %s unset (the playbook sets it to '
                            'managed), or set it to managed; keys for user files go into golden_image_user_settings'
                            % (scope_var, scope, scope_var))

    user_settings = variables.get('golden_image_user_settings', _MISSING)
    if user_settings in (_MISSING, None):
        user_settings = {}
    if not isinstance(user_settings, dict):
        problems.append('golden_image_user_settings: expected a mapping of settings keys for %s, got %s' % (
            SKEL_SETTINGS, type(user_settings).__name__))
        user_settings = {}
    secrets = secret_paths(user_settings)
    if secrets:
        problems.append('golden_image_user_settings: %s: a secret, refused: %s is copied into the home folder of every '
                        'account created later, so each would get the same one. Give each account its own (the '
                        'provider role\'s key helper, in the managed settings, reads it per user)' % (
                            ', '.join(path for path, _reason in secrets), SKEL_SETTINGS))
    elif user_settings:
        # Validated as the user file it becomes (the settings module checks it again, on the same rules).
        _normalized, errors = validation.check_input(user_settings, tier_of_path(SKEL_SETTINGS))
        problems.extend('golden_image_user_settings' + error[len('settings'):] for error in errors)

    cli = variables.get('golden_image_cli', False)
    try:
        cli = boolean(False if cli is None else cli, strict=True)  # -e golden_image_cli=true gives a string
    except TypeError:
        problems.append('golden_image_cli: expected true or false, got %r' % (cli,))
        cli = False

    if problems:
        raise GoldenImageError('Invalid input for playbooks/golden_image.yml, nothing was changed:\n  - ' + '\n  - '.join(problems))
    return dict(provider=provider, role='fleetcfg.claude_code.' + provider, scope_var=scope_var, cli=cli,
                skel_file=SKEL_SETTINGS, skel=bool(user_settings), user_settings=user_settings)
