# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.litellm as its user meets it: every check with its message, what each route and
auth mode writes (shared env, helper script, each account's own key and headers, mode 0600), the env variables the
provider owns, and the model pins, from the role's real defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import litellm, module_args, role_defaults, vertex
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

ROOT = 'https://llm-gateway.example.com'
VALID = dict(litellm_base_url=ROOT, litellm_users=['alice', 'bob'])
STATIC = dict(litellm_auth='static', litellm_static_keys={'alice': 'sk-alice', 'bob': 'sk-bob'})
HELPER = dict(path='bin/litellm-key-helper', setting='apiKeyHelper')


def cases(items):
    """Parametrize cases named by the variable each message is about."""
    return [pytest.param(overrides, message, id=message.split(':')[0]) for overrides, message in items]


def args(*base, **overrides):
    """The settings module arguments for the role's defaults, VALID, then ``base`` mappings and ``overrides``."""
    variables = dict(VALID)
    for mapping in base:
        variables.update(mapping)
    variables.update(overrides)
    result, warnings = module_args('litellm', dict(role_defaults('litellm'), **variables))
    assert warnings == []
    return result


def problems(**overrides):
    with pytest.raises(InputError) as info:
        module_args('litellm', dict(role_defaults('litellm'), **dict(VALID, **overrides)))
    return info.value.problems


def present(result):
    return [h for h in result['helpers'] if h.get('state', 'present') == 'present']


def absent(result):
    return [dict((k, v) for k, v in h.items() if k != 'state') for h in result['helpers'] if h.get('state') == 'absent']


ROOT_EXPECTED = 'the proxy root as http(s)://host[:port][/prefix], without query, user info or spaces'


# ---------------------------------------------------------------------------------------------------------------
# Checks

@pytest.mark.parametrize('overrides, message', cases([
    (dict(litellm_base_url=None), "litellm_base_url: required, expected the proxy's root URL, such as https://llm-gateway.example.com"),
    (dict(litellm_base_url='llm-gateway.example.com'), 'litellm_base_url: expected %s, got "llm-gateway.example.com"' % ROOT_EXPECTED),
    (dict(litellm_base_url=ROOT + '?team=a'), 'litellm_base_url: expected %s, got "%s?team=a"' % (ROOT_EXPECTED, ROOT)),
    (dict(litellm_base_url='https://user:pw@gw.example.com'),
     'litellm_base_url: expected %s, got a string (a secret, not shown)' % ROOT_EXPECTED),
    (dict(litellm_base_url=ROOT + '/v1'),
     'litellm_base_url: expected the proxy root, without a route path; the role appends nothing for litellm_route=unified, '
     'got "%s/v1"' % ROOT),
    (dict(litellm_base_url=ROOT + '/anthropic', litellm_route='anthropic'),
     'litellm_base_url: expected the proxy root, without a route path; the role appends /anthropic for '
     'litellm_route=anthropic, got "%s/anthropic"' % ROOT),
    (dict(litellm_route='openai'), 'litellm_route: expected one of unified, anthropic, bedrock, vertex, got "openai"'),
    (dict(STATIC, litellm_route='bedrock', litellm_key_header='x-litellm-api-key'),
     'litellm_aws_region: expected an AWS region such as us-east-1 for litellm_route=bedrock, got ""'),
    (dict(STATIC, litellm_route='vertex', litellm_key_header='x-litellm-api-key', litellm_vertex_region='global'),
     'litellm_vertex_project_id: expected %s, for litellm_route=vertex, got ""' % vertex.EXPECTED_PROJECT),
    (dict(STATIC, litellm_route='vertex', litellm_key_header='x-litellm-api-key', litellm_vertex_project_id='my-project-123'),
     'litellm_vertex_region: expected %s, for litellm_route=vertex, got ""' % vertex.EXPECTED_REGION),
    (dict(STATIC, litellm_scope='managed', litellm_users=[], litellm_static_keys={}, litellm_static_key='sk-all'),
     'litellm_auth: static keys cannot go into the managed scope (a file every user can read); use litellm_scope=user, '
     'or litellm_auth=helper, got "static"'),
    (dict(STATIC, litellm_static_keys={'alice': 'sk-alice'}),
     'litellm_static_keys: no key for account bob (expected an entry for every account in litellm_users, or litellm_static_key)'),
    (dict(STATIC, litellm_static_keys={'alice': 'sk-alice', 'bob': 'sk bob'}),
     'litellm_static_keys.bob: expected a non-empty string without spaces or control characters, got a string (a secret, not shown)'),
    (dict(STATIC, litellm_static_keys={}, litellm_static_key='sk-all\n'),
     'litellm_static_key: expected a non-empty string without spaces or control characters, got a string (a secret, not shown)'),
    (dict(STATIC, litellm_route='bedrock', litellm_aws_region='us-east-1'),
     "litellm_key_header: required with litellm_route=bedrock and litellm_auth=static, expected x-litellm-api-key, or the "
     "proxy's litellm_key_header_name: in Bedrock/Vertex mode Claude Code sends no key of its own"),
    (dict(litellm_static_key='sk-all'),
     'litellm_static_key: set with litellm_auth=helper; a static token silently shadows the helper: remove it, or use '
     'litellm_auth=static, got a string (a secret, not shown)'),
    (dict(litellm_static_keys={'alice': 'sk-alice'}),
     'litellm_static_keys: set with litellm_auth=helper; a static token silently shadows the helper: remove it, or use '
     'litellm_auth=static, got a mapping (a secret, not shown)'),
    (dict(litellm_route='bedrock', litellm_aws_region='us-east-1'),
     'litellm_auth: helper does not work with litellm_route=bedrock: in Bedrock/Vertex mode Claude Code ignores apiKeyHelper; '
     'use litellm_auth=static with litellm_key_header, got "helper"'),
    (dict(litellm_key_header='x-litellm-api-key'),
     "litellm_key_header: works with litellm_auth=static only (Claude Code sends a helper's key in x-api-key and "
     'Authorization, never in a custom header), got "x-litellm-api-key"'),
    (dict(litellm_helper_source='command'),
     'litellm_helper_command: expected the shell command that prints the key, for litellm_helper_source=command, got ""'),
    (dict(litellm_helper_key_file='my key'),
     'litellm_helper_key_file: expected a path (absolute, or relative to the home folder) of letters, digits and '
     '. _ / ~ + @ -, got "my key"'),
    (dict(litellm_helper_source='http', litellm_helper_url='ftp://tokens'),
     'litellm_helper_url: expected the http(s) URL of the token endpoint, for litellm_helper_source=http, got "ftp://tokens"'),
    (dict(litellm_helper_url_credential_file='a b'),
     'litellm_helper_url_credential_file: expected a path of letters, digits and . _ / ~ + @ -, got "a b"'),
    (dict(litellm_helper_url_key_field='key field'),
     'litellm_helper_url_key_field: expected a JSON field name of letters, digits and _ . -, got "key field"'),
    (dict(litellm_helper_refresh_before=3600),
     'litellm_helper_refresh_before: expected fewer seconds than litellm_helper_key_lifetime (3600), got 3600'),
    (dict(litellm_helper_key_lifetime=0),
     'litellm_helper_refresh_before: expected fewer seconds than litellm_helper_key_lifetime (0), got 300'),
    (dict(litellm_helper_ttl_ms=999), 'litellm_helper_ttl_ms: expected at least 1000 (milliseconds), got 999'),
    (dict(litellm_helper_ttl_ms='fast'), 'litellm_helper_ttl_ms: expected a whole number, got "fast"'),
    (dict(litellm_helper_source='vault'), 'litellm_helper_source: expected one of file, command, http, got "vault"'),
    (dict(STATIC, litellm_key_header='x api'),
     'litellm_key_header: expected an HTTP header name (letters, digits, -), got "x api"'),
    (dict(litellm_scope='managed', litellm_users=[], litellm_headers={'X-Team': 'platform'}),
     'litellm_headers/litellm_user_headers: ANTHROPIC_CUSTOM_HEADERS is a secret and cannot go into the managed scope '
     '(a file every user can read); use litellm_scope=user'),
    (dict(litellm_user_headers={'alice': ['X-Team: a']}),
     'litellm_user_headers.alice: expected a mapping from header name to value, got a list (a secret, not shown)'),
    (dict(litellm_headers={'X Team': 'platform'}),
     'litellm_headers: expected header names of letters, digits and -, got "X Team"'),
    (dict(litellm_user_headers={'bob': {'X-Team': 3}}),
     'litellm_user_headers.bob.X-Team: expected a string value without line breaks, got a number (a secret, not shown)'),
    (dict(STATIC, litellm_key_header='x-litellm-api-key', litellm_headers={'X-LiteLLM-Api-Key': 'other'}),
     'litellm_headers.X-LiteLLM-Api-Key: is litellm_key_header, which carries the key; remove it'),
    (dict(litellm_served_models=['gw-sonnet', 'gw-haiku'], litellm_models={'sonnet': 'gpt-4o'}),
     'litellm_models.sonnet: expected a model the gateway serves (litellm_served_models: gw-sonnet, gw-haiku), got "gpt-4o"'),
    (dict(litellm_served_models=['gw-sonnet'], litellm_models={'default': 'gw-opus'}),
     'litellm_models.default: expected a model the gateway serves (litellm_served_models: gw-sonnet), or a class alias '
     '(opus, sonnet, haiku, opusplan), got "gw-opus"'),
    (dict(litellm_models={'overrides': {'claude-opus-4-1': 'gw-opus'}}),
     'litellm_models.overrides: not a model class; expected one of default, haiku, opus, sonnet'),
    (dict(litellm_models={'sonnet': ['gw-sonnet']}),
     'litellm_models.sonnet: expected a model name the gateway serves (a string), got ["gw-sonnet"]'),
    (dict(litellm_served_models=['gw-sonnet', '']), 'litellm_served_models[1]: expected a non-empty string, got ""'),
]))
def test_a_bad_input_is_refused_with_one_line_naming_the_variable(overrides, message):
    assert problems(**overrides) == [message]


@pytest.mark.parametrize('name', sorted(litellm.ROLE_ENV))
def test_an_env_variable_the_role_sets_itself_is_refused_in_litellm_env(name):
    assert problems(litellm_env={name: '1'}) == [
        "litellm_env.%s: set by this role's own variables; set it through them, not in litellm_env" % name]


def test_a_header_value_is_a_secret_and_never_shown():
    # The headers become ANTHROPIC_CUSTOM_HEADERS, which the collection treats as a secret everywhere else.
    found = problems(litellm_headers={'X-Team': 'tenant-7f3a\nInjected: 1'})
    assert found == ['litellm_headers.X-Team: expected a string value without line breaks, got a string (a secret, not shown)']


# ---------------------------------------------------------------------------------------------------------------
# Routes

@pytest.mark.parametrize('route, env', [
    ('unified', {'ANTHROPIC_BASE_URL': ROOT}),
    ('anthropic', {'ANTHROPIC_BASE_URL': ROOT + '/anthropic'}),
    ('bedrock', {'CLAUDE_CODE_USE_BEDROCK': '1', 'ANTHROPIC_BEDROCK_BASE_URL': ROOT + '/bedrock',
                 'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '1', 'AWS_REGION': 'eu-west-1'}),
    ('vertex', {'CLAUDE_CODE_USE_VERTEX': '1', 'ANTHROPIC_VERTEX_BASE_URL': ROOT + '/vertex_ai/v1',
                'ANTHROPIC_VERTEX_PROJECT_ID': 'my-project-123', 'CLOUD_ML_REGION': 'us-east5',
                'CLAUDE_CODE_SKIP_VERTEX_AUTH': '1'}),
])
def test_each_route_writes_the_clients_variables_for_that_route(route, env):
    result = args(STATIC, litellm_route=route, litellm_base_url=ROOT + '/', litellm_key_header='x-litellm-api-key',
                  litellm_aws_region='eu-west-1', litellm_vertex_project_id='my-project-123', litellm_vertex_region='us-east5')
    assert result['settings'] == {'env': env}
    for name in env:
        assert 'env.' + name not in result['remove']


def test_a_route_removes_the_variables_of_the_other_routes():
    result = args()
    assert {'env.CLAUDE_CODE_USE_BEDROCK', 'env.ANTHROPIC_BEDROCK_BASE_URL', 'env.CLAUDE_CODE_USE_VERTEX',
            'env.ANTHROPIC_VERTEX_BASE_URL', 'env.AWS_REGION', 'env.CLOUD_ML_REGION'} <= set(result['remove'])


def test_a_proxy_under_a_path_prefix_keeps_its_prefix():
    assert args(litellm_base_url='http://10.0.0.5:4000/litellm')['settings']['env']['ANTHROPIC_BASE_URL'] == \
        'http://10.0.0.5:4000/litellm'


# ---------------------------------------------------------------------------------------------------------------
# Auth modes

def test_helper_mode_places_the_key_helper_and_points_api_key_helper_at_it():
    result = args()
    assert present(result) == [dict(HELPER, template='litellm-key-helper.sh.j2')]
    assert result['settings']['env'] == {'ANTHROPIC_BASE_URL': ROOT, 'CLAUDE_CODE_API_KEY_HELPER_TTL_MS': '300000'}
    assert result['user_settings'] == {}
    assert 'mode' not in result
    # a static token would shadow the helper: removed
    assert {'env.ANTHROPIC_AUTH_TOKEN', 'env.ANTHROPIC_API_KEY'} <= set(result['remove'])


def test_the_key_helper_can_be_moved():
    assert present(args(litellm_helper_path='/usr/local/bin/gw-key'))[0]['path'] == '/usr/local/bin/gw-key'


def test_static_mode_writes_each_accounts_own_key_into_its_own_file_with_mode_0600():
    result = args(STATIC)
    assert result['user_settings'] == {'alice': {'env': {'ANTHROPIC_AUTH_TOKEN': 'sk-alice'}},
                                       'bob': {'env': {'ANTHROPIC_AUTH_TOKEN': 'sk-bob'}}}
    assert 'ANTHROPIC_AUTH_TOKEN' not in result['settings']['env']
    assert 'env.ANTHROPIC_AUTH_TOKEN' not in result['remove']
    assert result['mode'] == '0600'
    assert present(result) == [] and HELPER in absent(result)  # the helper of helper mode goes, with apiKeyHelper
    assert 'env.CLAUDE_CODE_API_KEY_HELPER_TTL_MS' in result['remove']


def test_static_mode_with_one_shared_key_gives_it_to_every_account():
    result = args(litellm_auth='static', litellm_static_key='sk-team')
    assert result['user_settings'] == {'alice': {'env': {'ANTHROPIC_AUTH_TOKEN': 'sk-team'}},
                                       'bob': {'env': {'ANTHROPIC_AUTH_TOKEN': 'sk-team'}}}


def test_static_mode_on_the_bedrock_route_sends_the_key_in_the_key_header():
    result = args(STATIC, litellm_route='bedrock', litellm_aws_region='us-east-1', litellm_key_header='x-litellm-api-key')
    assert result['user_settings'] == {
        'alice': {'env': {'ANTHROPIC_CUSTOM_HEADERS': 'x-litellm-api-key: Bearer sk-alice'}},
        'bob': {'env': {'ANTHROPIC_CUSTOM_HEADERS': 'x-litellm-api-key: Bearer sk-bob'}}}
    assert 'env.ANTHROPIC_AUTH_TOKEN' in result['remove']


def test_headers_are_each_accounts_common_headers_then_its_own_then_the_key_header():
    result = args(STATIC, litellm_key_header='x-litellm-api-key', litellm_headers={'X-Team': 'platform'},
                  litellm_user_headers={'bob': {'X-User': 'bob', 'X-Team': 'data'}})
    assert result['user_settings']['alice']['env'] == {
        'ANTHROPIC_AUTH_TOKEN': 'sk-alice', 'ANTHROPIC_CUSTOM_HEADERS': 'X-Team: platform\nx-litellm-api-key: Bearer sk-alice'}
    assert result['user_settings']['bob']['env']['ANTHROPIC_CUSTOM_HEADERS'].split('\n') == [
        'X-Team: data', 'X-User: bob', 'x-litellm-api-key: Bearer sk-bob']


def test_headers_with_the_helper_are_written_per_account_and_the_file_mode_is_left_alone():
    result = args(litellm_headers={'X-Team': 'platform'})
    assert result['user_settings'] == {'alice': {'env': {'ANTHROPIC_CUSTOM_HEADERS': 'X-Team: platform'}},
                                       'bob': {'env': {'ANTHROPIC_CUSTOM_HEADERS': 'X-Team: platform'}}}
    assert 'env.ANTHROPIC_CUSTOM_HEADERS' not in result['remove']


def test_managed_scope_with_the_helper_writes_one_drop_in():
    result = args(litellm_scope='managed', litellm_users=[])
    assert (result['scope'], result['dropin']) == ('managed_dropin', '50-litellm.json')
    assert result['user_settings'] == {}
    assert present(result) == [dict(HELPER, template='litellm-key-helper.sh.j2')]


def test_disable_experimental_betas_writes_the_switch():
    assert args(litellm_disable_experimental_betas=True)['settings']['env']['CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS'] == '1'


def test_helper_numbers_given_as_strings_are_read_as_numbers():
    assert args(litellm_helper_ttl_ms='60000')['settings']['env']['CLAUDE_CODE_API_KEY_HELPER_TTL_MS'] == '60000'


# ---------------------------------------------------------------------------------------------------------------
# Owned keys and model pins

def test_the_env_variables_litellm_owns_are_its_role_variables_but_the_api_key_it_only_clears_for_the_helper():
    assert set(litellm.ENV) == set(litellm.ROLE_ENV) - {'ANTHROPIC_API_KEY'}
    assert {'ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_CUSTOM_HEADERS',
            'CLAUDE_CODE_API_KEY_HELPER_TTL_MS'} <= set(litellm.ENV)


def test_a_users_own_anthropic_api_key_is_removed_only_where_it_would_shadow_the_key_helper():
    assert 'env.ANTHROPIC_API_KEY' in args()['remove']
    assert 'env.ANTHROPIC_API_KEY' not in args(STATIC)['remove']


def test_model_pins_name_the_gateways_models():
    result = args(litellm_served_models=['gw-opus', 'gw-sonnet', 'gw-haiku'],
                  litellm_models={'opus': 'gw-opus', 'sonnet': 'gw-sonnet', 'haiku': 'gw-haiku', 'default': 'sonnet'})
    env = result['settings']['env']
    assert (env['ANTHROPIC_DEFAULT_OPUS_MODEL'], env['ANTHROPIC_DEFAULT_SONNET_MODEL'],
            env['ANTHROPIC_DEFAULT_HAIKU_MODEL']) == ('gw-opus', 'gw-sonnet', 'gw-haiku')
    assert result['settings']['model'] == 'sonnet'


def test_without_served_models_any_name_is_a_pin():
    result = args(litellm_models={'sonnet': 'claude-sonnet-4-5'})
    assert result['settings']['env']['ANTHROPIC_DEFAULT_SONNET_MODEL'] == 'claude-sonnet-4-5'


def test_served_models_are_exactly_the_models_kept():
    keep = args(litellm_served_models=['gw.sonnet'])['_keep_models']
    assert re.fullmatch(keep, 'gw.sonnet') and re.fullmatch(keep, 'opus')
    assert not re.fullmatch(keep, 'gwXsonnet') and not re.fullmatch(keep, 'gw-haiku')


def test_user_headers_of_an_account_that_is_not_configured_are_refused():
    """A header for an account outside litellm_users (a typo, or an untemplated key) would be lost without a word."""
    assert problems(litellm_user_headers={'{{ bench_user }}': {'x-litellm-customer-id': 'c-1'}}) == [
        'litellm_user_headers: expected accounts of litellm_users (alice, bob), got "{{ bench_user }}"']


def test_an_unknown_route_and_a_route_path_in_the_url_are_both_named():
    assert problems(litellm_route='openai', litellm_base_url=ROOT + '/v1') == [
        'litellm_route: expected one of unified, anthropic, bedrock, vertex, got "openai"',
        'litellm_base_url: expected the proxy root, without a route path; the role appends the route path, got '
        '"https://llm-gateway.example.com/v1"']
