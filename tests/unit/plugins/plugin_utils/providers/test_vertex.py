# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.vertex as its user meets it: every check with its message, what each auth mode
writes, the env variables the provider owns, and the model pins, from the role's real defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import re

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import module_args, role_defaults, vertex
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

VALID = dict(vertex_project_id='my-project-123', vertex_users=['alice'])
KEY = {'type': 'service_account', 'project_id': 'my-project-123', 'client_email': 'claude@my-project-123.iam.gserviceaccount.com',
       'private_key': '-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n'}
REFRESH = dict(path='bin/vertex-gcp-auth-refresh', setting='gcpAuthRefresh')
KEY_FILE = dict(path='gcp/vertex-service-account.json', env='GOOGLE_APPLICATION_CREDENTIALS', mode='0600')


def cases(items):
    """Parametrize cases named by the variable each message is about."""
    return [pytest.param(overrides, message, id=message.split(':')[0]) for overrides, message in items]


def args(**overrides):
    result, warnings = module_args('vertex', dict(role_defaults('vertex'), **dict(VALID, **overrides)))
    assert warnings == []
    return result


def problems(**overrides):
    with pytest.raises(InputError) as info:
        module_args('vertex', dict(role_defaults('vertex'), **dict(VALID, **overrides)))
    return info.value.problems


def present(result):
    return [h for h in result['helpers'] if h.get('state', 'present') == 'present']


def absent(result):
    return [dict((k, v) for k, v in h.items() if k != 'state') for h in result['helpers'] if h.get('state') == 'absent']


# ---------------------------------------------------------------------------------------------------------------
# Checks

@pytest.mark.parametrize('overrides, message', cases([
    (dict(vertex_project_id=None), 'vertex_project_id: required, expected %s' % vertex.EXPECTED_PROJECT),
    (dict(vertex_project_id='My_Project'), 'vertex_project_id: expected %s, got "My_Project"' % vertex.EXPECTED_PROJECT),
    (dict(vertex_project_id='proj-'), 'vertex_project_id: expected %s, got "proj-"' % vertex.EXPECTED_PROJECT),
    (dict(vertex_region='mars-north'), 'vertex_region: expected %s, got "mars-north"' % vertex.EXPECTED_REGION),
    (dict(vertex_region_overrides={'claude-foo-9': 'us-east5'}),
     'vertex_region_overrides: expected a model the client has a region variable for (%s, with or without its @date), '
     'got "claude-foo-9"' % ', '.join(sorted(vertex.REGION_VARS))),
    (dict(vertex_region_overrides={'claude-sonnet-4-5': 'mars'}),
     'vertex_region_overrides.claude-sonnet-4-5: expected %s, got "mars"' % vertex.EXPECTED_REGION),
    (dict(vertex_models={'sonnet': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'}),
     'vertex_models.sonnet: expected %s, got "us.anthropic.claude-sonnet-4-5-20250929-v1:0"' % vertex.EXPECTED_ID),
    (dict(vertex_models={'sonnet': 'claude-sonnet-4-5-20250929'}),
     'vertex_models.sonnet: expected %s, got "claude-sonnet-4-5-20250929"' % vertex.EXPECTED_ID),
    (dict(vertex_models={'default': 'gw-sonnet'}),
     'vertex_models.default: expected %s, or a class alias (opus, sonnet, haiku, opusplan), got "gw-sonnet"' % vertex.EXPECTED_ID),
    (dict(vertex_base_url='https://vertex-proxy.example.com'),
     'vertex_base_url: expected an http(s) URL ending in /v1 (the client adds /projects/... under it), such as '
     'https://vertex-proxy.example.com/v1, got "https://vertex-proxy.example.com"'),
    (dict(vertex_auth='gateway'),
     'vertex_base_url: required with vertex_auth=gateway, expected the URL of the proxy that holds the Google credentials, '
     'ending in /v1'),
    (dict(vertex_service_account_key=KEY),
     'vertex_service_account_key: only with vertex_auth=service_account (vertex_auth is adc); remove it, '
     'got a mapping (a secret, not shown)'),
    (dict(vertex_auth='service_account'),
     'vertex_service_account_key: required with vertex_auth=service_account, expected the JSON key of the service account, '
     'from a vault'),
    (dict(vertex_auth='service_account', vertex_service_account_key='{"type": "authorized_user"}'),
     'vertex_service_account_key: expected the JSON key Google issues (type service_account, with client_email and '
     'private_key), got a string (a secret, not shown)'),
    (dict(vertex_auth='service_account', vertex_service_account_key='not json'),
     'vertex_service_account_key: expected the JSON key Google issues (type service_account, with client_email and '
     'private_key), got a string (a secret, not shown)'),
    (dict(vertex_auth='service_account', vertex_service_account_key=dict(KEY, private_key='')),
     'vertex_service_account_key: expected the JSON key Google issues (type service_account, with client_email and '
     'private_key), got a mapping (a secret, not shown)'),
    (dict(vertex_auth='service_account', vertex_service_account_key=KEY, vertex_scope='managed', vertex_users=[]),
     'vertex_auth: service_account needs vertex_scope=user: the client runs as each user and must read the key, so a key '
     'placed with managed settings would be readable by every account of the machine; for a machine-wide configuration '
     'use vertex_auth=adc (the credentials of the machine) or gateway, got "service_account"'),
    (dict(vertex_gcloud_command=''), "vertex_gcloud_command: expected the gcloud command (a name on the user's PATH or a path), "
                                     'got ""'),
    (dict(vertex_auth='oauth'), 'vertex_auth: expected one of adc, service_account, gateway, got "oauth"'),
]))
def test_a_bad_input_is_refused_with_one_line_naming_the_variable(overrides, message):
    assert problems(**overrides) == [message]


@pytest.mark.parametrize('name', sorted(vertex.ROLE_ENV))
def test_an_env_variable_the_role_sets_itself_is_refused_in_vertex_env(name):
    assert problems(vertex_env={name: '1'}) == [
        "vertex_env.%s: set by this role's own variables; set it through them, not in vertex_env" % name]


def test_the_key_never_appears_in_a_message():
    found = problems(vertex_auth='service_account', vertex_service_account_key=json.dumps(dict(KEY, type='user')),
                     vertex_region='nowhere')
    assert 'MIIsecret' not in '\n'.join(found) and 'iam.gserviceaccount.com' not in '\n'.join(found)


# ---------------------------------------------------------------------------------------------------------------
# What each auth mode writes

def test_adc_mode_writes_project_and_region_and_places_the_gcp_auth_refresh_script():
    result = args()
    assert result['settings'] == {'env': {'CLAUDE_CODE_USE_VERTEX': '1', 'ANTHROPIC_VERTEX_PROJECT_ID': 'my-project-123',
                                          'CLOUD_ML_REGION': 'global'}}
    assert present(result) == [dict(REFRESH, template='vertex-gcp-auth-refresh.sh.j2')]
    assert KEY_FILE in absent(result)  # the key file of service_account mode goes, with its variable
    assert 'mode' not in result


def test_the_auth_refresh_script_can_be_moved():
    result = args(vertex_auth_refresh_path='/opt/claude/bin/gcp-refresh')
    assert present(result) == [dict(REFRESH, path='/opt/claude/bin/gcp-refresh', template='vertex-gcp-auth-refresh.sh.j2')]
    assert 'bin/vertex-gcp-auth-refresh' not in [h['path'] for h in result['helpers']]


@pytest.mark.parametrize('given', [KEY, json.dumps(KEY)])
def test_service_account_mode_places_the_key_file_0600_and_points_google_application_credentials_at_it(given):
    result = args(vertex_auth='service_account', vertex_service_account_key=given)
    content = given if isinstance(given, str) else json.dumps(KEY, indent=2, sort_keys=True) + '\n'
    assert present(result) == [dict(KEY_FILE, content=content)]
    assert json.loads(content) == KEY
    assert REFRESH in absent(result)
    assert 'env.GOOGLE_APPLICATION_CREDENTIALS' not in result['remove']
    assert 'GOOGLE_APPLICATION_CREDENTIALS' not in result['settings']['env']  # the helper entry points the variable


def test_the_key_file_can_be_moved():
    result = args(vertex_auth='service_account', vertex_service_account_key=KEY,
                  vertex_service_account_key_path='.config/gcloud/claude.json')
    assert present(result)[0]['path'] == '.config/gcloud/claude.json'


def test_gateway_mode_writes_the_proxy_url_skips_the_clients_google_auth_and_places_no_script():
    result = args(vertex_auth='gateway', vertex_base_url='https://vertex-proxy.example.com/v1')
    assert result['settings']['env'] == {'CLAUDE_CODE_USE_VERTEX': '1', 'ANTHROPIC_VERTEX_PROJECT_ID': 'my-project-123',
                                         'CLOUD_ML_REGION': 'global', 'CLAUDE_CODE_SKIP_VERTEX_AUTH': '1',
                                         'ANTHROPIC_VERTEX_BASE_URL': 'https://vertex-proxy.example.com/v1'}
    assert present(result) == []
    assert REFRESH in absent(result) and KEY_FILE in absent(result)


@pytest.mark.parametrize('model, variable', [('claude-sonnet-4-5', 'VERTEX_REGION_CLAUDE_4_5_SONNET'),
                                             ('claude-sonnet-4-5@20250929', 'VERTEX_REGION_CLAUDE_4_5_SONNET'),
                                             ('claude-haiku-4-5', 'VERTEX_REGION_CLAUDE_HAIKU_4_5'),
                                             ('claude-3-5-haiku', 'VERTEX_REGION_CLAUDE_3_5_HAIKU')])
def test_a_region_override_writes_the_clients_region_variable_of_that_model(model, variable):
    result = args(vertex_region_overrides={model: 'us-east5'})
    assert result['settings']['env'][variable] == 'us-east5'
    assert 'env.' + variable not in result['remove']


def test_other_region_variables_are_removed():
    result = args(vertex_region_overrides={'claude-sonnet-4-5': 'us-east5'})
    assert 'env.VERTEX_REGION_CLAUDE_4_5_OPUS' in result['remove']


@pytest.mark.parametrize('region', ['global', 'us', 'eu', 'us-east5', 'europe-west1', 'asia-southeast1'])
def test_vertex_regions_are_accepted(region):
    assert args(vertex_region=region)['settings']['env']['CLOUD_ML_REGION'] == region


def test_managed_scope_writes_a_drop_in_with_the_refresh_script():
    result = args(vertex_scope='managed', vertex_users=[])
    assert (result['scope'], result['dropin']) == ('managed_dropin', '50-vertex.json')
    assert present(result) == [dict(REFRESH, template='vertex-gcp-auth-refresh.sh.j2')]


def test_disable_prompt_caching_writes_the_switch():
    assert args(vertex_disable_prompt_caching=True)['settings']['env']['DISABLE_PROMPT_CACHING'] == '1'


# ---------------------------------------------------------------------------------------------------------------
# Owned keys and model pins

def test_the_env_variables_vertex_owns_are_its_role_variables_but_the_key_files_pointer():
    assert set(vertex.ENV) == set(vertex.ROLE_ENV) - {'GOOGLE_APPLICATION_CREDENTIALS'}
    assert set(vertex.REGION_VARS.values()) <= set(vertex.ENV)
    assert {'CLAUDE_CODE_USE_VERTEX', 'ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION', 'ANTHROPIC_VERTEX_BASE_URL',
            'CLAUDE_CODE_SKIP_VERTEX_AUTH', 'DISABLE_PROMPT_CACHING', 'ANTHROPIC_DEFAULT_OPUS_MODEL',
            'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL'} <= set(vertex.ENV)


def test_model_pins_write_the_class_variables_the_model_key_and_the_overrides():
    result = args(vertex_models={'opus': 'claude-opus-4-1@20250805', 'sonnet': 'claude-sonnet-4-5@20250929',
                                 'haiku': 'claude-haiku-4-5', 'default': 'sonnet[1m]',
                                 'overrides': {'claude-opus-4-1-20250805': 'claude-opus-4-1@20250805'}})
    env = result['settings']['env']
    assert (env['ANTHROPIC_DEFAULT_OPUS_MODEL'], env['ANTHROPIC_DEFAULT_SONNET_MODEL'],
            env['ANTHROPIC_DEFAULT_HAIKU_MODEL']) == ('claude-opus-4-1@20250805', 'claude-sonnet-4-5@20250929', 'claude-haiku-4-5')
    assert result['settings']['model'] == 'sonnet[1m]'
    assert result['settings']['modelOverrides'] == {'claude-opus-4-1-20250805': 'claude-opus-4-1@20250805'}


def test_no_pins_removes_the_class_variables():
    result = args()
    assert {'env.ANTHROPIC_DEFAULT_OPUS_MODEL', 'env.ANTHROPIC_DEFAULT_SONNET_MODEL',
            'env.ANTHROPIC_DEFAULT_HAIKU_MODEL'} <= set(result['remove'])


@pytest.mark.parametrize('model, kept', [
    ('claude-sonnet-4-5@20250929', True), ('claude-sonnet-4-5', True), ('claude-3-5-haiku', True), ('claude-fable-5', True),
    ('opus', True), ('claude-e2e-sonnet', False), ('claude-team-default', False), ('claude-sonnet-4-5-20250929', False),
    ('us.anthropic.claude-sonnet-4-5-20250929-v1:0', False),
])
def test_a_model_key_vertex_cannot_use_is_dropped_when_vertex_is_configured(model, kept):
    """A gateway's claude-* model name left by another provider is not a Vertex model: the switch drops it."""
    keep = args()['_keep_models']
    assert bool(re.match(r'(?:%s)\Z' % keep, model)) is kept
