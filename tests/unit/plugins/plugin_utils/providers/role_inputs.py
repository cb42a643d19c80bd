# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A provider role as its tests drive it: the role's real defaults plus a play's variables, through module_args."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import module_args, role_defaults
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError


def cases(items):
    """Parametrize (overrides, message) cases, each named by the variable its message is about."""
    return [pytest.param(overrides, message, id=message.split(':')[0]) for overrides, message in items]


class Role(object):
    """``Role('foundry', valid)``: ``args(**overrides)`` the settings module's arguments, ``problems(**overrides)`` the
    messages of an invalid input."""

    def __init__(self, name, valid):
        self.name = name
        self.valid = valid

    def raw(self, overrides):
        return dict(role_defaults(self.name), **dict(self.valid, **overrides))

    def args(self, **overrides):
        result, warnings = module_args(self.name, self.raw(overrides))
        assert warnings == []
        return result

    def problems(self, **overrides):
        with pytest.raises(InputError) as info:
            module_args(self.name, self.raw(overrides))
        return info.value.problems


def present(result):
    return [h for h in result['helpers'] if h.get('state', 'present') == 'present']


def absent(result):
    return [dict((k, v) for k, v in h.items() if k != 'state') for h in result['helpers'] if h.get('state') == 'absent']
