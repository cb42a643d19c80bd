# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switching provider and leaving (module_args): configuring one provider removes what every other provider of the
collection owns; <role>_state=absent removes exactly what the role owns; the model keys a switch keeps."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import check_task
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import INTERNAL_SPEC, USER_SPEC, USER_SPEC_RULES
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import (
    OWNED_ENV,
    OWNED_HELPERS,
    PROVIDERS,
    module_args,
    role_defaults,
)

SA_KEY = {'type': 'service_account', 'client_email': 'c@p.iam.gserviceaccount.com', 'private_key': 'k'}
HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0'
# One valid configuration per provider and auth mode (user scope, accounts alice and bob).
CONFIGS = {
    'bedrock-profile': ('bedrock', dict(bedrock_region='us-east-1', bedrock_auth='profile', bedrock_profile='dev',
                                        bedrock_models={'haiku': HAIKU})),
    'bedrock-sso': ('bedrock', dict(bedrock_region='us-east-1', bedrock_auth='sso', bedrock_profile='dev',
                                    bedrock_models={'haiku': HAIKU})),
    'bedrock-export': ('bedrock', dict(bedrock_region='us-east-1', bedrock_auth='credential_export',
                                       bedrock_credential_export_command=['broker'], bedrock_models={'haiku': HAIKU})),
    'bedrock-api_key': ('bedrock', dict(bedrock_region='us-east-1', bedrock_auth='api_key', bedrock_api_key='k',
                                        bedrock_models={'haiku': HAIKU})),
    'bedrock-gateway': ('bedrock', dict(bedrock_region='us-east-1', bedrock_auth='gateway', bedrock_base_url='https://gw',
                                        bedrock_models={'haiku': HAIKU})),
    'vertex-adc': ('vertex', dict(vertex_project_id='my-project-123')),
    'vertex-service_account': ('vertex', dict(vertex_project_id='my-project-123', vertex_auth='service_account',
                                              vertex_service_account_key=SA_KEY)),
    'vertex-gateway': ('vertex', dict(vertex_project_id='my-project-123', vertex_auth='gateway',
                                      vertex_base_url='https://vertex-proxy.example.com/v1')),
    'foundry-api_key': ('foundry', dict(foundry_resource='my-resource', foundry_auth='api_key', foundry_api_key={'alice': 'ka', 'bob': 'kb'},
                                        foundry_models={'sonnet': 'claude-sonnet-4-5', 'haiku': 'claude-haiku-4-5'})),
    'foundry-entra_id': ('foundry', dict(foundry_resource='my-resource', foundry_auth='entra_id',
                                         foundry_models={'sonnet': 'claude-sonnet-4-5', 'haiku': 'claude-haiku-4-5'})),
    'foundry-gateway': ('foundry', dict(foundry_base_url='https://gw.example.com/anthropic', foundry_auth='gateway',
                                        foundry_models={'sonnet': 'sonnet-deployment', 'haiku': 'haiku-deployment'})),
    'anthropic_aws-api_key': ('anthropic_aws', dict(anthropic_aws_workspace_id='wrkspc_01', anthropic_aws_region='us-east-1',
                                                    anthropic_aws_auth='api_key', anthropic_aws_api_key='k')),
    'anthropic_aws-sso': ('anthropic_aws', dict(anthropic_aws_workspace_id='wrkspc_01', anthropic_aws_region='us-east-1',
                                                anthropic_aws_auth='sso', anthropic_aws_profile='dev')),
    'anthropic_aws-gateway': ('anthropic_aws', dict(anthropic_aws_workspace_id='wrkspc_01', anthropic_aws_region='us-east-1',
                                                    anthropic_aws_auth='gateway', anthropic_aws_base_url='https://gw.example.com')),
    'litellm-helper': ('litellm', dict(litellm_base_url='https://gw.example.com')),
    'litellm-static': ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_auth='static',
                                       litellm_static_key='sk-team', litellm_headers={'X-Team': 'a'})),
    'litellm-bedrock': ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_route='bedrock', litellm_auth='static',
                                        litellm_static_key='sk-team', litellm_key_header='x-litellm-api-key',
                                        litellm_aws_region='us-east-1')),
}


def configured(config, lookup=lambda var: None, **overrides):
    name, variables = CONFIGS[config]
    prefix = PROVIDERS[name].PREFIX
    raw = dict(role_defaults(name), **variables)
    raw[prefix + 'users'] = ['alice', 'bob']
    raw.update(overrides)
    return module_args(name, raw, lookup)[0]


def written_env(args):
    names = set(args['settings'].get('env', {}))
    for own in args.get('user_settings', {}).values():
        names |= set(own.get('env', {}))
    names |= set(h['env'] for h in args['helpers'] if h.get('env') and h.get('state', 'present') == 'present')
    return names


def helper_paths(args, state):
    return set(h['path'] for h in args['helpers'] if h.get('state', 'present') == state)


def as_settings_task(args):
    """What the provider action hands the settings action: templates rendered, internal options apart."""
    args = dict(args, helpers=[dict(h) for h in args['helpers']])
    for entry in args['helpers']:
        if 'template' in entry:
            entry.pop('template')
            entry['content'] = '#!/bin/sh\n'
    internal = dict((key, args.pop(key)) for key in list(args) if key in INTERNAL_SPEC)
    checked = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
    assert checked.error_messages == []
    return checked.validated_parameters, internal


# ---------------------------------------------------------------------------------------------------------------
# Configuring provider X

@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_configuring_a_provider_removes_every_env_variable_another_provider_owns(config):
    args = configured(config)
    removed = set(path[len('env.'):] for path in args['remove'])
    for env, owners in OWNED_ENV.items():
        if env not in written_env(args):
            assert env in removed, '%s (owned by %s) is left behind' % (env, '/'.join(owners))


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_configuring_a_provider_never_lists_a_key_both_to_set_and_to_remove(config):
    args = configured(config)
    removed = set(path[len('env.'):] for path in args['remove'])
    assert removed & written_env(args) == set()
    pointers = set(h.get('setting') for h in args['helpers'] if h.get('state', 'present') == 'present')
    pointers_removed = set(h.get('setting') for h in args['helpers'] if h.get('state') == 'absent')
    assert (pointers & pointers_removed) - {None} == set()
    assert helper_paths(args, 'present') & helper_paths(args, 'absent') == set()


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_configuring_a_provider_removes_every_helper_file_of_every_other_provider(config):
    name = CONFIGS[config][0]
    args = configured(config)
    for owner, key, helper in OWNED_HELPERS:
        default = helper.path or role_defaults(owner)[helper.path_var]
        if owner != name:
            assert default in helper_paths(args, 'absent'), '%s helper %s of %s is left behind' % (key, default, owner)
        else:
            assert default in helper_paths(args, 'absent') | helper_paths(args, 'present')


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_configuring_a_provider_keeps_its_own_keys(config):
    args = configured(config)
    for name in written_env(args):
        assert 'env.' + name not in args['remove']


def test_a_helper_path_moved_by_another_roles_inventory_variable_is_the_one_removed():
    moved = {'litellm_helper_path': '/opt/tools/gw-key', 'vertex_auth_refresh_path': 'bin/my-gcp-refresh',
             'vertex_service_account_key_path': '.secrets/sa.json'}
    args = configured('bedrock-profile', lookup=moved.get)
    absent = helper_paths(args, 'absent')
    assert set(moved.values()) <= absent
    assert not {'bin/litellm-key-helper', 'bin/vertex-gcp-auth-refresh', 'gcp/vertex-service-account.json'} & absent


def test_a_moved_path_of_the_roles_own_helper_comes_from_its_own_variables_not_the_lookup():
    args = configured('vertex-gateway', lookup={'vertex_auth_refresh_path': 'elsewhere'}.get,
                      vertex_auth_refresh_path='bin/own-refresh')
    assert 'bin/own-refresh' in helper_paths(args, 'absent')
    assert 'elsewhere' not in helper_paths(args, 'absent')


def test_the_key_files_pointer_is_removed_with_the_file_when_switching_away_from_vertex_service_account():
    args = configured('litellm-helper')
    key = [h for h in args['helpers'] if h['path'] == 'gcp/vertex-service-account.json']
    assert key == [dict(path='gcp/vertex-service-account.json', env='GOOGLE_APPLICATION_CREDENTIALS', mode='0600',
                        state='absent')]


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_a_configuration_is_a_valid_settings_task(config):
    task, internal = as_settings_task(configured(config))
    check_task(task)  # raises on a defect
    assert set(internal) == {'_keep_models', '_login_profile'}


# ---------------------------------------------------------------------------------------------------------------
# Leaving: <role>_state=absent

@pytest.mark.parametrize('name', sorted(PROVIDERS))
def test_leaving_removes_exactly_the_providers_env_and_its_own_helpers(name):
    provider = PROVIDERS[name]
    raw = dict(role_defaults(name), **{provider.PREFIX + 'state': 'absent', provider.PREFIX + 'users': ['alice']})
    args, _warnings = module_args(name, raw)
    assert args['settings'] == {}
    assert sorted(args['remove']) == sorted('env.' + env for env in provider.ENV)
    own = set(helper.path or role_defaults(name)[helper.path_var] for helper in provider.HELPERS.values())
    assert helper_paths(args, 'absent') == own and helper_paths(args, 'present') == set()
    assert 'state' not in args  # a user file is not deleted, only cleaned
    assert args['users'] == ['alice']


@pytest.mark.parametrize('name', sorted(PROVIDERS))
def test_leaving_the_managed_scope_deletes_the_drop_in(name):
    provider = PROVIDERS[name]
    raw = dict(role_defaults(name), **{provider.PREFIX + 'state': 'absent', provider.PREFIX + 'scope': 'managed'})
    args, _warnings = module_args(name, raw)
    assert (args['scope'], args['state'], args['dropin']) == ('managed_dropin', 'absent', '50-%s.json' % name.replace('_', '-'))


@pytest.mark.parametrize('name', sorted(PROVIDERS))
def test_leaving_the_managed_scope_is_a_valid_settings_task(name):
    provider = PROVIDERS[name]
    raw = dict(role_defaults(name), **{provider.PREFIX + 'state': 'absent', provider.PREFIX + 'scope': 'managed'})
    task, _internal = as_settings_task(module_args(name, raw)[0])
    check_task(task)  # the settings action must accept what the provider asks for


@pytest.mark.parametrize('name', sorted(PROVIDERS))
def test_leaving_user_scope_is_a_valid_settings_task(name):
    provider = PROVIDERS[name]
    raw = dict(role_defaults(name), **{provider.PREFIX + 'state': 'absent', provider.PREFIX + 'users': ['alice']})
    task, _internal = as_settings_task(module_args(name, raw)[0])
    check_task(task)


def test_leaving_moved_own_helpers_removes_them_where_they_are():
    raw = dict(role_defaults('litellm'), litellm_state='absent', litellm_users=['alice'], litellm_helper_path='bin/gw-key')
    args, _warnings = module_args('litellm', raw)
    assert helper_paths(args, 'absent') == {'bin/gw-key'}


def test_accounts_taken_off_are_passed_with_the_accounts_configured():
    args = configured('litellm-static', litellm_users=['alice'], litellm_remove_users=['bob', 'carol'])
    assert (args['users'], args['remove_users']) == (['alice'], ['bob', 'carol'])
    assert list(args['user_settings']) == ['alice']  # a leaving account gets no key


def test_leaving_with_remove_users_passes_them():
    raw = dict(role_defaults('bedrock'), bedrock_state='absent', bedrock_users=['alice'], bedrock_remove_users=['bob'])
    assert module_args('bedrock', raw)[0]['remove_users'] == ['bob']


# ---------------------------------------------------------------------------------------------------------------
# _keep_models: what model keys survive a switch

BEDROCK_ID = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'
BEDROCK_ARN = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x'
VERTEX_ID = 'claude-sonnet-4-5@20250929'
GATEWAY = 'gw-sonnet'
ALIASES = ['opus', 'sonnet', 'haiku', 'opusplan', 'sonnet[1m]', 'default']


def keeps(config, value, **overrides):
    return re.fullmatch(configured(config, **overrides)['_keep_models'], value) is not None


@pytest.mark.parametrize('value', ALIASES + [BEDROCK_ID, BEDROCK_ARN])
def test_switching_to_bedrock_keeps_aliases_and_bedrock_ids(value):
    assert keeps('bedrock-profile', value)


@pytest.mark.parametrize('value', [VERTEX_ID, GATEWAY, 'claude-sonnet-4-5-20250929'])
def test_switching_to_bedrock_drops_vertex_ids_and_gateway_names(value):
    assert not keeps('bedrock-profile', value)


@pytest.mark.parametrize('value', ALIASES + [VERTEX_ID, 'claude-haiku-4-5'])
def test_switching_to_vertex_keeps_aliases_and_vertex_ids(value):
    assert keeps('vertex-adc', value)


@pytest.mark.parametrize('value', [BEDROCK_ID, BEDROCK_ARN, GATEWAY, 'claude-sonnet-4-5-20250929'])
def test_switching_to_vertex_drops_bedrock_ids_gateway_names_and_api_ids(value):
    assert not keeps('vertex-adc', value)


@pytest.mark.parametrize('value', ALIASES + [GATEWAY, 'claude-sonnet-4-5'])
def test_switching_to_a_gateway_keeps_aliases_and_gateway_names(value):
    assert keeps('litellm-helper', value)


@pytest.mark.parametrize('value', [BEDROCK_ID, BEDROCK_ARN, VERTEX_ID])
def test_switching_to_a_gateway_drops_other_providers_ids(value):
    assert not keeps('litellm-helper', value)


def test_a_gateway_with_served_models_keeps_only_those_and_the_aliases():
    assert keeps('litellm-helper', GATEWAY, litellm_served_models=[GATEWAY])
    assert keeps('litellm-helper', 'opus', litellm_served_models=[GATEWAY])
    assert not keeps('litellm-helper', 'gw-haiku', litellm_served_models=[GATEWAY])


def leave_keeps(name, value, **variables):
    raw = dict(role_defaults(name), **dict({PROVIDERS[name].PREFIX + 'state': 'absent',
                                            PROVIDERS[name].PREFIX + 'users': ['alice']}, **variables))
    pattern = module_args(name, raw)[0]['_keep_models']
    return pattern is None or re.fullmatch(pattern, value) is not None


@pytest.mark.parametrize('name, own, other', [
    ('bedrock', BEDROCK_ID, VERTEX_ID), ('bedrock', BEDROCK_ARN, GATEWAY),
    ('vertex', VERTEX_ID, BEDROCK_ID), ('vertex', 'claude-haiku-4-5', GATEWAY),
])
def test_leaving_drops_the_providers_own_ids_and_keeps_the_rest(name, own, other):
    assert not leave_keeps(name, own)
    assert leave_keeps(name, other)
    assert leave_keeps(name, 'opus')


def test_leaving_drops_the_default_model_it_configured():
    assert not leave_keeps('litellm', GATEWAY, litellm_models={'default': GATEWAY})
    assert leave_keeps('litellm', 'gw-haiku', litellm_models={'default': GATEWAY})
    assert leave_keeps('litellm', 'opus', litellm_models={'default': GATEWAY})


def test_leaving_a_gateway_without_named_models_keeps_every_model():
    raw = dict(role_defaults('litellm'), litellm_state='absent', litellm_users=['alice'])
    assert module_args('litellm', raw)[0]['_keep_models'] is None


def test_a_gateway_credential_under_a_first_party_login_policy_of_the_inventory_is_refused_before_any_host():
    from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError
    policy = {'claude_code_managed': {'forceLoginMethod': 'console', 'permissions': {'deny': ['Read(./.env)']}}}
    for config in ('litellm-static', 'litellm-helper'):
        with pytest.raises(InputError) as info:
            configured(config, lookup=policy.get)
        assert info.value.problems[0].startswith('claude_code_managed: the managed settings ask for a first-party login '
                                                 "(forceLoginMethod 'console'), and a gateway credential is set (")
        assert 'sk-team' not in str(info.value)
    # Cloud providers' own credentials are not what the policy blocks, and the gateway sign-in allows a gateway.
    configured('bedrock-api_key', lookup=policy.get)
    configured('litellm-helper', lookup={'claude_code_managed': {'forceLoginMethod': 'gateway'}}.get)
