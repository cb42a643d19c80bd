# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.anthropic_aws (Claude Platform on AWS) as its user meets it: every check with its
message, what each auth mode writes, the env variables the provider owns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import anthropic_aws
from ansible_collections.fleetcfg.claude_code.tests.unit.plugins.plugin_utils.providers.role_inputs import Role, absent, cases, present

VALID = dict(anthropic_aws_workspace_id='wrkspc_01JexampleWorkspace', anthropic_aws_region='us-east-1',
             anthropic_aws_auth='profile', anthropic_aws_profile='dev', anthropic_aws_users=['alice', 'bob'])
KEY = 'sk-ant-aws-secret-value'
REFRESH = dict(path='bin/anthropic-aws-auth-refresh', setting='awsAuthRefresh')
role = Role('anthropic_aws', VALID)


@pytest.mark.parametrize('overrides, message', cases([
    (dict(anthropic_aws_workspace_id=None),
     'anthropic_aws_workspace_id: required, expected the workspace id of Claude Platform on AWS'),
    (dict(anthropic_aws_workspace_id='my workspace'),
     'anthropic_aws_workspace_id: expected a workspace id (letters, digits, _ and -), got "my workspace"'),
    (dict(anthropic_aws_region='us_east_1'),
     'anthropic_aws_region: expected an AWS region such as us-east-1 or eu-central-1, got "us_east_1"'),
    (dict(anthropic_aws_auth='sigv4'), 'anthropic_aws_auth: expected one of api_key, profile, sso, gateway, got "sigv4"'),
    (dict(anthropic_aws_profile=''), 'anthropic_aws_profile: required with anthropic_aws_auth=profile, expected an AWS profile name'),
    (dict(anthropic_aws_auth='gateway', anthropic_aws_profile='', anthropic_aws_base_url=''),
     "anthropic_aws_base_url: required with anthropic_aws_auth=gateway, expected the gateway's URL in front of Claude "
     "Platform on AWS"),
    (dict(anthropic_aws_auth='gateway', anthropic_aws_base_url='https://aws-gw.example.com'),
     'anthropic_aws_profile: only used with anthropic_aws_auth profile or sso, not with gateway; remove it, got "dev"'),
    (dict(anthropic_aws_auth='api_key', anthropic_aws_profile='', anthropic_aws_api_key=KEY, anthropic_aws_scope='managed',
          anthropic_aws_users=[]),
     'anthropic_aws_scope: managed is refused with anthropic_aws_auth=api_key: the key would be in a file every user of the '
     'machine can read; use anthropic_aws_scope=user (0600 files of each account), got "managed"'),
    (dict(anthropic_aws_api_key=KEY),
     'anthropic_aws_api_key: only used with anthropic_aws_auth=api_key, not with profile; remove it, got a string (a secret, '
     'not shown)'),
    (dict(anthropic_aws_base_url='gw.example.com'), 'anthropic_aws_base_url: expected an http:// or https:// URL, got "gw.example.com"'),
    (dict(anthropic_aws_models={'haiku': 'us.anthropic.claude-haiku-4-5-20251001-v1:0'}),
     'anthropic_aws_models.haiku: expected an Anthropic model name such as claude-sonnet-4-5 or claude-sonnet-4-5-20250929 '
     '(not a Bedrock or Vertex id), got "us.anthropic.claude-haiku-4-5-20251001-v1:0"'),
]))
def test_a_bad_input_is_refused_with_one_line_naming_the_variable(overrides, message):
    assert role.problems(**overrides) == [message]


def test_profile_mode_writes_the_switch_the_workspace_the_region_and_the_profile():
    result = role.args(anthropic_aws_models={'haiku': 'claude-haiku-4-5'})
    assert result['settings'] == {'env': {'CLAUDE_CODE_USE_ANTHROPIC_AWS': '1', 'ANTHROPIC_AWS_WORKSPACE_ID': 'wrkspc_01JexampleWorkspace',
                                          'AWS_REGION': 'us-east-1', 'AWS_PROFILE': 'dev',
                                          'ANTHROPIC_DEFAULT_HAIKU_MODEL': 'claude-haiku-4-5'}}
    assert present(result) == [] and REFRESH in absent(result)
    assert 'mode' not in result
    for name in ('env.ANTHROPIC_AWS_API_KEY', 'env.CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH', 'env.CLAUDE_CODE_USE_BEDROCK',
                 'env.CLAUDE_CODE_USE_FOUNDRY'):
        assert name in result['remove']


def test_sso_mode_places_the_auth_refresh_script():
    result = role.args(anthropic_aws_auth='sso')
    assert present(result) == [dict(REFRESH, template='aws-auth-refresh.sh.j2')]
    # Bedrock's refresh script goes: awsAuthRefresh now points at this role's.
    assert dict(path='bin/bedrock-aws-auth-refresh') in absent(result)


def test_api_key_mode_writes_each_accounts_key_into_its_own_file_with_mode_0600():
    result = role.args(anthropic_aws_auth='api_key', anthropic_aws_profile='', anthropic_aws_api_key={'alice': 'ka', 'bob': 'kb'},
                       anthropic_aws_base_url='https://aws-gw.example.com')
    assert result['user_settings'] == {'alice': {'env': {'ANTHROPIC_AWS_API_KEY': 'ka'}}, 'bob': {'env': {'ANTHROPIC_AWS_API_KEY': 'kb'}}}
    assert result['settings']['env']['ANTHROPIC_AWS_BASE_URL'] == 'https://aws-gw.example.com'
    assert 'AWS_PROFILE' not in result['settings']['env'] and 'env.AWS_PROFILE' in result['remove']
    assert result['mode'] == '0600'


def test_gateway_mode_writes_the_base_url_and_skips_the_clients_auth():
    result = role.args(anthropic_aws_auth='gateway', anthropic_aws_profile='', anthropic_aws_base_url='https://aws-gw.example.com')
    env = result['settings']['env']
    assert (env['ANTHROPIC_AWS_BASE_URL'], env['CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH']) == ('https://aws-gw.example.com', '1')


@pytest.mark.parametrize('name', sorted(anthropic_aws.ROLE_ENV))
def test_an_env_variable_the_role_sets_itself_is_refused_in_anthropic_aws_env(name):
    assert role.problems(anthropic_aws_env={name: '1'}) == [
        "anthropic_aws_env.%s: set by this role's own variables; set it through them, not in anthropic_aws_env" % name]


def test_aws_region_and_profile_are_shared_with_bedrock_and_kept_when_switching_between_them():
    from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import OWNED_ENV
    assert {'anthropic_aws', 'bedrock'} <= set(OWNED_ENV['AWS_REGION']) and sorted(OWNED_ENV['AWS_PROFILE']) == ['anthropic_aws', 'bedrock']
    assert 'env.AWS_REGION' not in role.args()['remove']
