# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""<role>_users: all in every provider role: what goes to the settings module, the options of the human accounts,
and the per-account mappings, which need the accounts by name (refused with all, naming the variable)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS, InputError, module_args, role_defaults

HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0'
KEY = 'sk-shared-secret-0123456789'
VALID = dict(
    bedrock=dict(bedrock_region='us-east-1', bedrock_auth='profile', bedrock_profile='dev', bedrock_models={'haiku': HAIKU}),
    vertex=dict(vertex_project_id='my-project-123'),
    litellm=dict(litellm_base_url='https://llm-gateway.example.com'),
    foundry=dict(foundry_resource='contoso-ai', foundry_auth='entra_id',
                 foundry_models={'sonnet': 'claude-sonnet-4-5', 'haiku': 'claude-haiku-4-5'}),
    anthropic_aws=dict(anthropic_aws_workspace_id='wrkspc_01JexampleWorkspace', anthropic_aws_region='us-east-1',
                       anthropic_aws_auth='profile', anthropic_aws_profile='dev'),
)
ROLES = sorted(PROVIDERS)


def args(role, **variables):
    result, warnings = module_args(role, dict(role_defaults(role), **dict(VALID[role], **variables)))
    assert warnings == []
    return result


def problems(role, **variables):
    with pytest.raises(InputError) as info:
        module_args(role, dict(role_defaults(role), **dict(VALID[role], **variables)))
    return info.value.problems


@pytest.mark.parametrize('role', ROLES)
@pytest.mark.parametrize('users', ['all', ['all']])
def test_all_goes_to_the_settings_module_as_it_is(role, users):
    result = args(role, **{role + '_users': users})
    assert (result['scope'], result['users'], result['remove_users']) == ('user', ['all'], [])
    assert result['user_settings'] == {}
    assert not [option for option in result if option.startswith('human_')]  # unset: the host decides


@pytest.mark.parametrize('role', ROLES)
def test_the_human_account_options_of_a_role_go_to_the_settings_module(role):
    result = args(role, **{role + '_users': 'all', role + '_human_uid_min': '2000', role + '_human_uid_max': 2999,
                           role + '_human_shells': ['/bin/bash']})
    assert (result['human_uid_min'], result['human_uid_max'], result['human_shells']) == (2000, 2999, ['/bin/bash'])


@pytest.mark.parametrize('role', ROLES)
def test_all_mixed_with_names_is_refused_naming_the_variable(role):
    assert problems(role, **{role + '_users': ['alice', 'all']}) == [
        '%s_users: all means every human account of the host and cannot be combined with account names; give all alone, or a '
        'list of names, got alice, all' % role]


@pytest.mark.parametrize('role', ROLES)
def test_another_string_than_all_is_refused_saying_all_is_the_one_word(role):
    assert problems(role, **{role + '_users': 'alice'}) == [
        '%s_users: expected a list of account names, or all (every human account of the host), got "alice"' % role]


@pytest.mark.parametrize('role', ROLES)
def test_remove_users_are_left_out_of_all_and_taken_off(role):
    result = args(role, **{role + '_users': 'all', role + '_remove_users': ['carol']})
    assert (result['users'], result['remove_users']) == (['all'], ['carol'])


@pytest.mark.parametrize('role', ROLES)
def test_all_in_remove_users_is_refused(role):
    (problem,) = problems(role, **{role + '_users': ['alice'], role + '_remove_users': ['all']})
    assert problem.startswith('%s_remove_users: all is not accepted here (it would take every account off); to take this '
                              'configuration off every human account use %s_state=absent with %s_users=all' % (role, role, role))


@pytest.mark.parametrize('role', ROLES)
def test_leaving_every_human_account_is_state_absent_with_all(role):
    result = args(role, **{role + '_users': 'all', role + '_state': 'absent'})
    assert result['users'] == ['all'] and result['settings'] == {} and result['remove']


@pytest.mark.parametrize('role', ROLES)
def test_all_with_the_managed_scope_is_refused(role):
    assert ('%s_users: only with %s_scope=user (a managed drop-in applies to every account), got ["all"]' % (role, role)
            in problems(role, **{role + '_users': 'all', role + '_scope': 'managed'}))


@pytest.mark.parametrize('role', ROLES)
def test_the_human_account_options_need_all_and_are_checked(role):
    assert problems(role, **{role + '_users': ['alice'], role + '_human_uid_min': 1000}) == [
        '%s_human_uid_min: only with %s_users=all (it says which accounts are human accounts), got 1000' % (role, role)]
    assert problems(role, **{role + '_users': 'all', role + '_human_uid_min': 5000, role + '_human_uid_max': 10,
                             role + '_human_shells': ['zsh']}) == [
        '%s_human_uid_max: expected a uid of %s_human_uid_min (5000) or more, got 10' % (role, role),
        "%s_human_shells[0]: expected the absolute path of a login shell, such as /bin/bash, got 'zsh'" % role]
    assert problems(role, **{role + '_users': 'all', role + '_human_uid_min': 'many'}) == [
        '%s_human_uid_min: expected a whole number, got "many"' % role]


# ---------------------------------------------------------------------------------------------------------------
# keys per account

@pytest.mark.parametrize('role, auth, env', [
    ('bedrock', dict(bedrock_auth='api_key', bedrock_profile=''), 'AWS_BEARER_TOKEN_BEDROCK'),
    ('foundry', dict(foundry_auth='api_key'), 'ANTHROPIC_FOUNDRY_API_KEY'),
    ('anthropic_aws', dict(anthropic_aws_auth='api_key', anthropic_aws_profile=''), 'ANTHROPIC_AWS_API_KEY'),
])
def test_a_key_mapping_per_account_is_refused_with_all_and_one_shared_key_goes_to_every_account(role, auth, env):
    name = role + '_api_key'
    (problem,) = problems(role, **dict(auth, **{role + '_users': 'all', name: {'alice': KEY}}))
    assert problem == (
        '%s: a mapping per account needs %s_users as a list of account names; with %s_users=all (accounts found on each host) '
        'give one key shared by every account, or choose an authentication without a static key, got a mapping (a secret, '
        'not shown)' % (name, role, role))
    assert KEY not in problem
    result = args(role, **dict(auth, **{role + '_users': 'all', name: KEY}))
    assert result['settings']['env'][env] == KEY  # every account's file gets it (mode 0600)
    assert result['user_settings'] == {}
    assert result['mode'] == '0600'


def test_litellm_static_keys_per_account_and_headers_per_account_are_refused_with_all():
    assert problems('litellm', litellm_users='all', litellm_auth='static', litellm_static_keys={'alice': KEY},
                    litellm_user_headers={'alice': {'X-Team': 'a'}}) == [
        'litellm_static_keys: a mapping per account needs litellm_users as a list of account names; with litellm_users=all '
        '(accounts found on each host) give one key shared by every account (litellm_static_key), or use litellm_auth=helper, '
        'got a mapping (a secret, not shown)',
        'litellm_user_headers: headers per account need litellm_users as a list of account names; with litellm_users=all '
        '(accounts found on each host) give the headers every account sends in litellm_headers, got a mapping (a secret, '
        'not shown)']


def test_litellm_static_with_all_needs_the_shared_key():
    assert problems('litellm', litellm_users='all', litellm_auth='static') == [
        'litellm_static_key: required with litellm_users=all and litellm_auth=static, expected one key shared by every account, '
        'or litellm_auth=helper']


def test_litellm_static_with_all_gives_every_account_the_shared_key_and_headers():
    result = args('litellm', litellm_users='all', litellm_auth='static', litellm_static_key=KEY, litellm_headers={'X-Team': 'platform'})
    env = result['settings']['env']
    assert env['ANTHROPIC_AUTH_TOKEN'] == KEY
    assert env['ANTHROPIC_CUSTOM_HEADERS'] == 'X-Team: platform'
    assert result['user_settings'] == {} and result['mode'] == '0600'
    assert 'env.ANTHROPIC_AUTH_TOKEN' not in result['remove']
