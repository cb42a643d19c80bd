# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the provider action tells a role's user: the settings module's messages in the role's variables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcfg.claude_code.plugins.action.provider import TEMPLATES, role_words
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS


def test_an_invalid_file_message_names_the_role_variable_that_replaces_it():
    message = ('/home/a/.claude/settings.json: not valid JSON (...). It was left as it was. Fix it by hand, or set '
               'replace_invalid: true to keep it as a backup and write a new file.')
    assert 'or set vertex_replace_invalid: true to keep it' in role_words('vertex_', message)


def test_a_role_variable_already_named_is_left_as_it_is():
    assert role_words('litellm_', 'set litellm_replace_invalid: true') == 'set litellm_replace_invalid: true'


def test_every_helper_template_of_every_provider_is_read_before_the_fork():
    wanted = set((name, h.template) for name, p in PROVIDERS.items() for h in p.HELPERS.values() if h.template)
    assert set(TEMPLATES) == wanted and all(TEMPLATES.values())
