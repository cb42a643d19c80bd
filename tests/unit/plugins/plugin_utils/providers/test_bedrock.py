# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.bedrock as its user meets it: every check with its message, what each auth mode
writes, the env variables the provider owns, and the model pins. Inputs are the role's real defaults plus a play's
variables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import bedrock, module_args, role_defaults
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0'
SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'
ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4'
VALID = dict(bedrock_region='us-east-1', bedrock_auth='profile', bedrock_profile='dev', bedrock_users=['alice', 'bob'],
             bedrock_models={'haiku': HAIKU})
KEY = 'ABSKQmVkcm9ja0FQSUtleS1zZWNyZXQ='
REFRESH = dict(path='bin/bedrock-aws-auth-refresh', setting='awsAuthRefresh')
EXPORT = dict(path='bin/bedrock-aws-credential-export', setting='awsCredentialExport')


def cases(items):
    """Parametrize cases named by the variable each message is about."""
    return [pytest.param(overrides, message, id=message.split(':')[0]) for overrides, message in items]


def args(**overrides):
    result, warnings = module_args('bedrock', dict(role_defaults('bedrock'), **dict(VALID, **overrides)))
    assert warnings == []
    return result


def problems(**overrides):
    with pytest.raises(InputError) as info:
        module_args('bedrock', dict(role_defaults('bedrock'), **dict(VALID, **overrides)))
    return info.value.problems


def present(result):
    return [h for h in result['helpers'] if h.get('state', 'present') == 'present']


def absent(result):
    return [dict((k, v) for k, v in h.items() if k != 'state') for h in result['helpers'] if h.get('state') == 'absent']


# ---------------------------------------------------------------------------------------------------------------
# Checks

@pytest.mark.parametrize('overrides, message', cases([
    (dict(bedrock_region='useast1'), 'bedrock_region: expected an AWS region such as us-east-1 or eu-central-1, got "useast1"'),
    (dict(bedrock_region='US-EAST-1'), 'bedrock_region: expected an AWS region such as us-east-1 or eu-central-1, got "US-EAST-1"'),
    (dict(bedrock_models={'sonnet': SONNET}),
     "bedrock_models.haiku: required, expected a Bedrock id or ARN for the haiku class (background and small tasks); unpinned "
     "it resolves to a model id the account may not be allowed to use (403, 'model identifier is invalid')"),
    (dict(bedrock_models={'haiku': 'claude-haiku-4-5@20251001'}),
     'bedrock_models.haiku: expected %s, got "claude-haiku-4-5@20251001"' % bedrock.EXPECTED_ID),
    (dict(bedrock_models={'haiku': HAIKU, 'sonnet': 'claude-sonnet-4-5-20250929'}),
     'bedrock_models.sonnet: expected %s, got "claude-sonnet-4-5-20250929"' % bedrock.EXPECTED_ID),
    (dict(bedrock_models={'haiku': HAIKU, 'default': 'gw-sonnet'}),
     'bedrock_models.default: expected %s, or a class alias (opus, sonnet, haiku, opusplan), got "gw-sonnet"' % bedrock.EXPECTED_ID),
    (dict(bedrock_models={'haiku': HAIKU, 'overrides': {'claude-opus-4-1-20250805': 'opus'}}),
     'bedrock_models.overrides[claude-opus-4-1-20250805]: expected %s, got "opus"' % bedrock.EXPECTED_ID),
    (dict(bedrock_profile=''), 'bedrock_profile: required with bedrock_auth=profile, expected an AWS profile name'),
    (dict(bedrock_auth='sso', bedrock_profile=''), 'bedrock_profile: required with bedrock_auth=sso, expected an AWS profile name'),
    (dict(bedrock_profile='my profile'), 'bedrock_profile: expected letters, digits and _.@+=- (an AWS profile name), got "my profile"'),
    (dict(bedrock_auth='gateway', bedrock_base_url='https://bedrock-gw.example.com'),
     'bedrock_profile: only used with bedrock_auth profile or sso, not with gateway; remove it, got "dev"'),
    (dict(bedrock_auth='sso', bedrock_aws_cli='aws; rm -rf /'),
     'bedrock_aws_cli: expected a command name or absolute path without spaces or shell characters, got "aws; rm -rf /"'),
    (dict(bedrock_auth='credential_export', bedrock_profile=''),
     'bedrock_credential_export_command: required with bedrock_auth=credential_export, expected a list: the broker and its arguments'),
    (dict(bedrock_credential_export_command=['broker', 'export']),
     'bedrock_credential_export_command: only used with bedrock_auth=credential_export, not with profile; remove it, '
     'got ["broker", "export"]'),
    (dict(bedrock_credential_export_command='broker export'),
     'bedrock_credential_export_command: expected a list, got "broker export"'),
    (dict(bedrock_auth='credential_export', bedrock_profile='', bedrock_credential_export_command=['broker'],
          bedrock_credential_export_format='json'),
     'bedrock_credential_export_format: expected one of process, credentials, got "json"'),
    (dict(bedrock_api_key=KEY),
     'bedrock_api_key: only used with bedrock_auth=api_key, not with profile; remove it, got a string (a secret, not shown)'),
    (dict(bedrock_auth='api_key', bedrock_profile='', bedrock_scope='managed', bedrock_users=[], bedrock_api_key=KEY),
     "bedrock_scope: managed is refused with bedrock_auth=api_key: the key would be in a file every user of the machine can "
     "read; use bedrock_scope=user (0600 files of each account), got \"managed\""),
    (dict(bedrock_auth='api_key', bedrock_profile='', bedrock_api_key={'alice': KEY}),
     'bedrock_api_key: no key for bob (a mapping must have a key for every account of bedrock_users)'),
    (dict(bedrock_auth='api_key', bedrock_profile='', bedrock_api_key={'alice': KEY, 'bob': ''}),
     'bedrock_api_key.bob: expected a non-empty string (the key of bob), got a string (a secret, not shown)'),
    (dict(bedrock_auth='api_key', bedrock_profile=''),
     'bedrock_api_key: expected a key (shared by every account), or a mapping from account name to key, with bedrock_auth=api_key, '
     'got a string (a secret, not shown)'),
    (dict(bedrock_auth='gateway', bedrock_profile=''),
     "bedrock_base_url: required with bedrock_auth=gateway, expected the gateway's URL in front of Bedrock"),
    (dict(bedrock_auth='gateway', bedrock_profile='', bedrock_base_url='ftp://gw.example.com'),
     'bedrock_base_url: expected an http:// or https:// URL, got "ftp://gw.example.com"'),
    (dict(bedrock_disable_prompt_caching='sometimes'), 'bedrock_disable_prompt_caching: expected true or false, got "sometimes"'),
]))
def test_a_bad_input_is_refused_with_one_line_naming_the_variable(overrides, message):
    assert problems(**overrides) == [message]


@pytest.mark.parametrize('name', sorted(bedrock.ROLE_ENV))
def test_an_env_variable_the_role_sets_itself_is_refused_in_bedrock_env(name):
    assert problems(bedrock_env={name: '1'}) == [
        "bedrock_env.%s: set by this role's own variables; set it through them, not in bedrock_env" % name]


@pytest.mark.parametrize('auth', bedrock.AUTH_MODES)
def test_a_secret_never_appears_in_any_message(auth):
    found = problems(bedrock_auth=auth, bedrock_api_key={'alice': KEY, 'bob': [KEY]}, bedrock_region='nowhere')
    assert KEY not in '\n'.join(found)


# ---------------------------------------------------------------------------------------------------------------
# What each auth mode writes

def test_profile_mode_writes_the_region_the_profile_and_the_pins_and_removes_the_scripts_of_the_other_modes():
    result = args()
    assert result['settings'] == {'env': {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'us-east-1', 'AWS_PROFILE': 'dev',
                                          'ANTHROPIC_DEFAULT_HAIKU_MODEL': HAIKU}}
    assert result['user_settings'] == {}
    assert present(result) == []
    assert REFRESH in absent(result) and EXPORT in absent(result)
    assert 'mode' not in result
    assert (result['scope'], result['users'], result['dropin']) == ('user', ['alice', 'bob'], '50-bedrock.json')


def test_sso_mode_places_the_auth_refresh_script_and_points_aws_auth_refresh_at_it():
    result = args(bedrock_auth='sso')
    assert present(result) == [dict(REFRESH, template='aws-auth-refresh.sh.j2')]
    assert result['settings']['env']['AWS_PROFILE'] == 'dev'
    assert EXPORT in absent(result)
    assert REFRESH['path'] not in [h['path'] for h in absent(result)]


def test_credential_export_mode_places_the_export_script_and_writes_no_profile():
    result = args(bedrock_auth='credential_export', bedrock_profile='',
                  bedrock_credential_export_command=['aws', 'configure', 'export-credentials', '--format', 'process'])
    assert present(result) == [dict(EXPORT, template='aws-credential-export.sh.j2')]
    assert result['settings']['env'] == {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'us-east-1',
                                         'ANTHROPIC_DEFAULT_HAIKU_MODEL': HAIKU}
    assert 'env.AWS_PROFILE' in result['remove']
    assert REFRESH in absent(result)


def test_api_key_mode_writes_one_key_for_every_account_into_its_own_file_with_mode_0600():
    result = args(bedrock_auth='api_key', bedrock_profile='', bedrock_api_key=KEY)
    assert result['user_settings'] == {'alice': {'env': {'AWS_BEARER_TOKEN_BEDROCK': KEY}},
                                       'bob': {'env': {'AWS_BEARER_TOKEN_BEDROCK': KEY}}}
    assert 'AWS_BEARER_TOKEN_BEDROCK' not in result['settings']['env']  # never in the shared keys
    assert 'env.AWS_BEARER_TOKEN_BEDROCK' not in result['remove']
    assert result['mode'] == '0600'
    assert present(result) == []


def test_api_key_mode_with_a_mapping_gives_each_account_its_own_key():
    result = args(bedrock_auth='api_key', bedrock_profile='', bedrock_api_key={'alice': 'key-a', 'bob': 'key-b'})
    assert result['user_settings'] == {'alice': {'env': {'AWS_BEARER_TOKEN_BEDROCK': 'key-a'}},
                                       'bob': {'env': {'AWS_BEARER_TOKEN_BEDROCK': 'key-b'}}}
    assert result['mode'] == '0600'


def test_gateway_mode_writes_the_gateway_url_and_skips_the_clients_aws_auth():
    result = args(bedrock_auth='gateway', bedrock_profile='', bedrock_base_url='https://bedrock-gw.example.com/v1')
    assert result['settings']['env'] == {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'us-east-1',
                                         'ANTHROPIC_DEFAULT_HAIKU_MODEL': HAIKU,
                                         'ANTHROPIC_BEDROCK_BASE_URL': 'https://bedrock-gw.example.com/v1',
                                         'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '1'}
    assert present(result) == []
    assert 'env.AWS_PROFILE' in result['remove'] and 'env.AWS_BEARER_TOKEN_BEDROCK' in result['remove']


def test_disable_prompt_caching_writes_the_switch_and_leaving_it_off_removes_it():
    assert args(bedrock_disable_prompt_caching=True)['settings']['env']['DISABLE_PROMPT_CACHING'] == '1'
    assert 'env.DISABLE_PROMPT_CACHING' in args()['remove']


def test_managed_scope_writes_a_drop_in_for_the_whole_machine():
    result = args(bedrock_scope='managed', bedrock_users=[], bedrock_auth='sso')
    assert (result['scope'], result['dropin']) == ('managed_dropin', '50-bedrock.json')
    assert 'users' not in result
    assert present(result) == [dict(REFRESH, template='aws-auth-refresh.sh.j2')]


# ---------------------------------------------------------------------------------------------------------------
# Owned keys and model pins

def test_the_env_variables_bedrock_owns():
    assert bedrock.ENV == (
        'ANTHROPIC_BEDROCK_BASE_URL', 'ANTHROPIC_BEDROCK_SERVICE_TIER', 'ANTHROPIC_DEFAULT_HAIKU_MODEL',
        'ANTHROPIC_DEFAULT_OPUS_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION',
        'AWS_BEARER_TOKEN_BEDROCK', 'AWS_PROFILE', 'AWS_REGION', 'CLAUDE_CODE_SKIP_BEDROCK_AUTH', 'CLAUDE_CODE_USE_BEDROCK',
        'DISABLE_PROMPT_CACHING')


def test_owned_variables_that_the_role_does_not_set_may_be_set_through_bedrock_env():
    result = args(bedrock_env={'ANTHROPIC_BEDROCK_SERVICE_TIER': 'priority'})
    assert result['settings']['env']['ANTHROPIC_BEDROCK_SERVICE_TIER'] == 'priority'
    assert 'env.ANTHROPIC_BEDROCK_SERVICE_TIER' not in result['remove']


def test_model_pins_write_the_class_variables_the_model_key_and_the_overrides():
    result = args(bedrock_models={'opus': ARN, 'sonnet': SONNET, 'haiku': 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
                                  'default': 'opusplan', 'overrides': {'claude-opus-4-1-20250805': ARN}})
    env = result['settings']['env']
    assert (env['ANTHROPIC_DEFAULT_OPUS_MODEL'], env['ANTHROPIC_DEFAULT_SONNET_MODEL'],
            env['ANTHROPIC_DEFAULT_HAIKU_MODEL']) == (ARN, SONNET, 'global.anthropic.claude-haiku-4-5-20251001-v1:0')
    assert result['settings']['model'] == 'opusplan'
    assert result['settings']['modelOverrides'] == {'claude-opus-4-1-20250805': ARN}


@pytest.mark.parametrize('model', [SONNET, HAIKU, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
                                   'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-gov.anthropic.claude-3-7-sonnet-20250219-v1:0',
                                   'apac.anthropic.claude-sonnet-4-20250514-v1:0', SONNET + '[1m]', ARN,
                                   'arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
                                   'arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:application-inference-profile/x'])
def test_bedrock_ids_and_inference_profile_arns_are_accepted_as_pins(model):
    assert args(bedrock_models={'haiku': HAIKU, 'sonnet': model})['settings']['env']['ANTHROPIC_DEFAULT_SONNET_MODEL'] == model


def test_an_unpinned_class_is_removed():
    result = args()
    assert 'env.ANTHROPIC_DEFAULT_OPUS_MODEL' in result['remove'] and 'env.ANTHROPIC_DEFAULT_SONNET_MODEL' in result['remove']
    assert 'env.ANTHROPIC_DEFAULT_HAIKU_MODEL' not in result['remove']
