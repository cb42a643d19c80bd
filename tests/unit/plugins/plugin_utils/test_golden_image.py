# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/golden_image.yml's knowledge (plugin_utils/golden_image.py): which provider role goes into the image, in
managed scope, and what goes into the home folder template; wrong input is refused with every problem named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import golden_image
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS

SETTINGS = {'permissions': {'deny': ['Read(./.env)']}}


def refusal(variables):
    with pytest.raises(golden_image.GoldenImageError) as info:
        golden_image.plan(variables)
    message = str(info.value)
    assert message.startswith('Invalid input for playbooks/golden_image.yml, nothing was changed:'), message
    return message


@pytest.mark.parametrize('provider', sorted(PROVIDERS))
def test_every_provider_role_goes_in_with_its_scope_variable_set_to_managed(provider):
    plan = golden_image.plan({'golden_image_provider': provider})
    assert plan['provider'] == provider and plan['role'] == 'fleetcfg.claude_code.' + provider
    assert plan['scope_var'] == PROVIDERS[provider].PREFIX + 'scope'
    assert (plan['cli'], plan['skel'], plan['user_settings']) == (False, False, {})


def test_the_user_settings_go_into_the_home_folder_template():
    plan = golden_image.plan({'golden_image_provider': 'bedrock', 'golden_image_user_settings': SETTINGS})
    assert plan['skel_file'] == '/etc/skel/.claude/settings.json'
    assert plan['skel'] is True and plan['user_settings'] == SETTINGS


@pytest.mark.parametrize('value, expected', [(True, True), ('true', True), ('yes', True), ('false', False), (None, False)])
def test_the_client_is_installed_on_request_also_from_a_command_line_string(value, expected):
    assert golden_image.plan({'golden_image_provider': 'vertex', 'golden_image_cli': value})['cli'] is expected


def test_a_managed_scope_given_in_the_inventory_is_accepted():
    assert golden_image.plan({'golden_image_provider': 'litellm', 'litellm_scope': 'managed'})['scope_var'] == 'litellm_scope'


@pytest.mark.parametrize('variables, expected', [
    ({}, 'golden_image_provider: required: the provider role whose managed settings go into the image, one of '
         'anthropic_aws, bedrock, foundry, litellm, vertex'),
    ({'golden_image_provider': ''}, 'golden_image_provider: required'),
    ({'golden_image_provider': 'bedrok'}, "golden_image_provider: 'bedrok' is not a provider role of the collection; "
                                          'expected one of anthropic_aws, bedrock, foundry, litellm, vertex; did you mean bedrock?'),
    ({'golden_image_provider': ['litellm']}, "golden_image_provider: ['litellm'] is not a provider role"),
    ({'golden_image_provider': 'litellm', 'litellm_scope': 'user'},
     "litellm_scope: 'user', but an image has no developer account yet"),
    ({'golden_image_provider': 'bedrock', 'golden_image_user_settings': ['a']},
     'golden_image_user_settings: expected a mapping of settings keys for /etc/skel/.claude/settings.json, got list'),
    ({'golden_image_provider': 'bedrock', 'golden_image_cli': 'maybe'}, "golden_image_cli: expected true or false, got 'maybe'"),
    ({'golden_image_provider': 'bedrock', 'golden_image_user_setting': {}},
     'golden_image_user_setting: not a variable of playbooks/golden_image.yml; did you mean golden_image_user_settings?'),
])
def test_wrong_input_is_named(variables, expected):
    assert expected in refusal(variables)


@pytest.mark.parametrize('settings, expected', [
    ({'allowManagedHooksOnly': True}, 'golden_image_user_settings.allowManagedHooksOnly: applies only in managed settings; '
                                      'in user settings it would do nothing'),
    ({'cleanupPeriodDays': 'thirty'}, 'golden_image_user_settings.cleanupPeriodDays'),
])
def test_the_user_settings_are_validated_as_the_user_file_they_become(settings, expected):
    assert expected in refusal({'golden_image_provider': 'litellm', 'golden_image_user_settings': settings})


def test_a_secret_for_the_home_folder_template_is_refused_without_showing_it():
    message = refusal({'golden_image_provider': 'litellm',
                       'golden_image_user_settings': {'env': {'ANTHROPIC_AUTH_TOKEN': 'sk-shared-by-all-0000', 'X': 'y'}}})
    assert 'golden_image_user_settings: env.ANTHROPIC_AUTH_TOKEN: a secret, refused' in message
    assert 'every account created later' in message and 'sk-shared-by-all' not in message


def test_every_problem_is_reported_at_once():
    message = refusal({'golden_image_cli': 'maybe', 'golden_image_user_settings': 'x'})
    assert message.count('\n  - ') == 3, message
