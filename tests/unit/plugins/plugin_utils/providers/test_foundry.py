# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.foundry as its user meets it: every check with its message, what each auth mode
writes, the env variables the provider owns, and the deployment pins."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import foundry
from ansible_collections.fleetcfg.claude_code.tests.unit.plugins.plugin_utils.providers.role_inputs import Role, cases, present

MODELS = {'sonnet': 'claude-sonnet-4-5', 'haiku': 'claude-haiku-4-5'}
VALID = dict(foundry_resource='contoso-ai', foundry_auth='entra_id', foundry_users=['alice', 'bob'], foundry_models=MODELS)
KEY = 'f0undry-api-key-secret-value'
role = Role('foundry', VALID)


@pytest.mark.parametrize('overrides, message', cases([
    (dict(foundry_base_url='https://contoso-ai.services.ai.azure.com/anthropic'),
     'foundry_base_url: set with foundry_resource; give one of them (the resource is the URL '
     'https://<resource>.services.ai.azure.com/anthropic), got "https://contoso-ai.services.ai.azure.com/anthropic"'),
    (dict(foundry_resource=''), 'foundry_resource: required, expected the Azure resource name, or foundry_base_url'),
    (dict(foundry_resource='contoso.ai'),
     'foundry_resource: expected an Azure resource name (letters, digits and -, as in https://<resource>.services.ai.azure.com), '
     'got "contoso.ai"'),
    (dict(foundry_resource='', foundry_base_url='https://contoso-ai.services.ai.azure.com'),
     'foundry_base_url: expected an http(s) URL ending in /anthropic, such as https://my-resource.services.ai.azure.com/anthropic '
     '(the client posts to <base>/v1/messages), got "https://contoso-ai.services.ai.azure.com"'),
    (dict(foundry_resource='', foundry_base_url='https://gw.example.com/anthropic/v1/messages'),
     'foundry_base_url: expected an http(s) URL ending in /anthropic, such as https://my-resource.services.ai.azure.com/anthropic '
     '(the client posts to <base>/v1/messages), got "https://gw.example.com/anthropic/v1/messages"'),
    (dict(foundry_auth='password'), 'foundry_auth: expected one of api_key, entra_id, gateway, got "password"'),
    (dict(foundry_auth='api_key'),
     'foundry_api_key: expected a key (shared by every account), or a mapping from account name to key, with '
     'foundry_auth=api_key, got a string (a secret, not shown)'),
    (dict(foundry_auth='api_key', foundry_api_key={'alice': KEY}),
     'foundry_api_key: no key for bob (a mapping must have a key for every account of foundry_users)'),
    (dict(foundry_auth='api_key', foundry_api_key=KEY, foundry_scope='managed', foundry_users=[]),
     'foundry_scope: managed is refused with foundry_auth=api_key: the key would be in a file every user of the machine can '
     'read; use foundry_scope=user (0600 files of each account), got "managed"'),
    (dict(foundry_api_key=KEY),
     'foundry_api_key: only used with foundry_auth=api_key, not with entra_id; remove it, got a string (a secret, not shown)'),
    (dict(foundry_auth='gateway'),
     'foundry_base_url: required with foundry_auth=gateway, expected the URL of the gateway that holds the Foundry credential, '
     'ending in /anthropic'),
    (dict(foundry_models={'sonnet': 'claude-sonnet-4-5'}),
     'foundry_models.haiku: required, expected a Foundry deployment name (letters, digits, . _ -, such as claude-sonnet-4-5) '
     'for the haiku class: unpinned, the client asks for a model name its release chooses, which is rarely a deployment of '
     'the resource'),
    (dict(foundry_models=dict(MODELS, opus='us.anthropic.claude-opus-4-1-20250805-v1:0')),
     'foundry_models.opus: expected a Foundry deployment name (letters, digits, . _ -, such as claude-sonnet-4-5), '
     'got "us.anthropic.claude-opus-4-1-20250805-v1:0"'),
    (dict(foundry_models=dict(MODELS, overrides={'claude-opus-4-1': 'opus-deployment'})),
     'foundry_models.overrides: not a model class; expected one of default, haiku, opus, sonnet'),
]))
def test_a_bad_input_is_refused_with_one_line_naming_the_variable(overrides, message):
    assert role.problems(**overrides) == [message]


@pytest.mark.parametrize('name', sorted(foundry.ROLE_ENV))
def test_an_env_variable_the_role_sets_itself_is_refused_in_foundry_env(name):
    assert role.problems(foundry_env={name: '1'}) == [
        "foundry_env.%s: set by this role's own variables; set it through them, not in foundry_env" % name]


def test_a_key_never_appears_in_any_message():
    found = role.problems(foundry_auth='api_key', foundry_api_key={'alice': KEY, 'bob': [KEY]}, foundry_resource='a.b')
    assert KEY not in '\n'.join(found)


def test_entra_id_with_a_resource_writes_the_switch_the_resource_and_the_pins_and_no_key():
    result = role.args()
    assert result['settings'] == {'env': {'CLAUDE_CODE_USE_FOUNDRY': '1', 'ANTHROPIC_FOUNDRY_RESOURCE': 'contoso-ai',
                                          'ANTHROPIC_DEFAULT_SONNET_MODEL': 'claude-sonnet-4-5',
                                          'ANTHROPIC_DEFAULT_HAIKU_MODEL': 'claude-haiku-4-5'}}
    assert result['user_settings'] == {}
    assert present(result) == []
    assert 'mode' not in result
    for name in ('env.ANTHROPIC_FOUNDRY_API_KEY', 'env.ANTHROPIC_FOUNDRY_BASE_URL', 'env.CLAUDE_CODE_SKIP_FOUNDRY_AUTH',
                 'env.ANTHROPIC_DEFAULT_OPUS_MODEL', 'env.CLAUDE_CODE_USE_BEDROCK', 'env.ANTHROPIC_BASE_URL'):
        assert name in result['remove']


def test_api_key_mode_writes_each_accounts_key_into_its_own_file_with_mode_0600():
    result = role.args(foundry_auth='api_key', foundry_api_key={'alice': 'key-a', 'bob': 'key-b'})
    assert result['user_settings'] == {'alice': {'env': {'ANTHROPIC_FOUNDRY_API_KEY': 'key-a'}},
                                       'bob': {'env': {'ANTHROPIC_FOUNDRY_API_KEY': 'key-b'}}}
    assert 'ANTHROPIC_FOUNDRY_API_KEY' not in result['settings']['env']
    assert result['mode'] == '0600'


def test_api_key_mode_with_one_key_shares_it_between_the_accounts_each_in_its_own_file():
    result = role.args(foundry_auth='api_key', foundry_api_key=KEY)
    assert result['user_settings'] == {'alice': {'env': {'ANTHROPIC_FOUNDRY_API_KEY': KEY}},
                                       'bob': {'env': {'ANTHROPIC_FOUNDRY_API_KEY': KEY}}}


def test_gateway_mode_writes_the_base_url_and_skips_the_clients_foundry_auth():
    result = role.args(foundry_resource='', foundry_auth='gateway', foundry_base_url='https://llm-gw.example.com/foundry/anthropic/')
    assert result['settings']['env'] == {'CLAUDE_CODE_USE_FOUNDRY': '1',
                                         'ANTHROPIC_FOUNDRY_BASE_URL': 'https://llm-gw.example.com/foundry/anthropic',
                                         'CLAUDE_CODE_SKIP_FOUNDRY_AUTH': '1',
                                         'ANTHROPIC_DEFAULT_SONNET_MODEL': 'claude-sonnet-4-5',
                                         'ANTHROPIC_DEFAULT_HAIKU_MODEL': 'claude-haiku-4-5'}
    assert 'env.ANTHROPIC_FOUNDRY_RESOURCE' in result['remove']


def test_a_default_model_is_a_deployment_name_or_a_class_alias():
    assert role.args(foundry_models=dict(MODELS, default='opus'))['settings']['model'] == 'opus'
    assert role.args(foundry_models=dict(MODELS, default='sonnet-team'))['settings']['model'] == 'sonnet-team'


def test_managed_scope_with_entra_id_writes_a_drop_in_for_the_whole_machine():
    result = role.args(foundry_scope='managed', foundry_users=[])
    assert (result['scope'], result['dropin']) == ('managed_dropin', '50-foundry.json')
    assert result['settings']['env']['ANTHROPIC_FOUNDRY_RESOURCE'] == 'contoso-ai'


def test_switching_to_foundry_keeps_only_its_deployments_and_class_aliases():
    import re
    keep = re.compile(r'(?:%s)\Z' % role.args(foundry_models=dict(MODELS, default='team-opus'))['_keep_models'])
    for value in ('sonnet', 'opus[1m]', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'team-opus'):
        assert keep.match(value), value
    # Another provider's names: a Bedrock or Vertex id, a gateway's model, an Anthropic API id of Claude Platform on AWS.
    for value in ('us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5@20250929', 'gw-sonnet',
                  'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5.1'):
        assert not keep.match(value), value
