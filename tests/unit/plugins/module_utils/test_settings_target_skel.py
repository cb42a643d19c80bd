# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A settings file below /etc/skel (the home folder template useradd -m copies into every new account) is a user file:
validated as one, readable by default, and never given a secret, whatever its mode. Nothing here writes to /etc."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import HELPER_SPEC, module_spec
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    SettingsError,
    plan,
    resolve_target,
    tier_of_path,
)

SKEL = '/etc/skel/.claude/settings.json'


def params(**kw):
    p = dict((name, copy.deepcopy(option.get('default'))) for name, option in module_spec().items())
    p['expect_checksum'] = None
    p.update(kw)
    p['helpers'] = [dict(dict((n, o.get('default')) for n, o in HELPER_SPEC.items()), **h) for h in p['helpers']]
    return p


@pytest.mark.parametrize('path, tier', [
    (SKEL, 'user'),
    ('/etc/skel/.config/claude/settings.json', 'user'),
    ('/etc/skel/../claude-code/managed-settings.json', 'managed'),
    ('/etc/skeleton/.claude/settings.json', None),
    ('/srv/etc/skel/.claude/settings.json', None),
])
def test_a_file_below_etc_skel_is_a_user_file(path, tier):
    assert tier_of_path(path) == tier


def test_the_template_is_roots_and_readable_by_default():
    target, explicit = resolve_target(params(path=SKEL))
    assert (target.tier, target.uid, target.gid, target.file_mode, explicit) == ('user', 0, 0, 0o644, False)


@pytest.mark.skipif(os.path.exists(SKEL), reason='reads /etc/skel/.claude/settings.json, which exists on this machine')
@pytest.mark.parametrize('mode', ['0644', '0600'])
def test_a_secret_is_refused_whatever_the_mode_without_showing_it(mode):
    with pytest.raises(SettingsError) as info:
        plan(params(path=SKEL, mode=mode, settings={'env': {'ANTHROPIC_API_KEY': 'sk-ant-not-for-everyone-1'}}))
    message = str(info.value)
    assert message.startswith('refusing to write secrets (env.ANTHROPIC_API_KEY) into %s: useradd -m copies it into the '
                              'home folder of every account created later' % SKEL), message
    assert 'sk-ant-not-for-everyone' not in message
