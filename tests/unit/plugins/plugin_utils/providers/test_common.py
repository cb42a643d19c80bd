# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every provider role shares (providers/common.py): reading a role's variables, the one error style, the
common checks, model pins and the model patterns a switch keeps or drops.

Messages are the user's: each test shows the variables a play sets and the exact line the user reads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import module_args, role_defaults
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import (
    ALIAS_PATTERN,
    InputError,
    Inputs,
    Var,
    drop_models_pattern,
    keep_models_pattern,
    model_env,
    pin_models,
)

HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0'
# A Bedrock configuration that is valid as it is: each test changes one thing.
BEDROCK = dict(bedrock_region='us-east-1', bedrock_auth='profile', bedrock_profile='dev', bedrock_users=['alice'],
               bedrock_models={'haiku': HAIKU})


def problems(name, **variables):
    """The problems the user reads for these variables of role ``name`` (its defaults filled in)."""
    with pytest.raises(InputError) as info:
        module_args(name, dict(role_defaults(name), **variables))
    return info.value.problems


def bedrock_problems(**overrides):
    return problems('bedrock', **dict(BEDROCK, **overrides))


def inputs(variables, raw, renamed=None):
    return Inputs('demo', 'demo_', variables, raw, renamed)


# ---------------------------------------------------------------------------------------------------------------
# Inputs: types

@pytest.mark.parametrize('kind, given, value', [
    ('str', 42, '42'),
    ('str', 1.5, '1.5'),
    ('bool', 'yes', True),
    ('bool', 'False', False),
    ('bool', 'on', True),
    ('bool', '0', False),
    ('int', '3600', 3600),
    ('int', ' -5 ', -5),
    ('int', 7, 7),
    ('dict', {'a': 1}, {'a': 1}),
    ('list', ['a'], ['a']),
    ('raw', {'any': ['thing']}, {'any': ['thing']}),
])
def test_values_are_coerced_to_the_variables_type_as_yaml_and_the_command_line_write_them(kind, given, value):
    v = inputs({'demo_x': Var(kind)}, {'demo_x': given})
    assert v.problems == []
    assert v['x'] == value


@pytest.mark.parametrize('kind, given, message', [
    ('str', ['a'], 'demo_x: expected a string, got ["a"]'),
    ('str', True, 'demo_x: expected a string, got true'),
    ('bool', 'maybe', 'demo_x: expected true or false, got "maybe"'),
    ('bool', 1, 'demo_x: expected true or false, got 1'),
    ('int', 'soon', 'demo_x: expected a whole number, got "soon"'),
    ('int', True, 'demo_x: expected a whole number, got true'),
    ('int', 1.5, 'demo_x: expected a whole number, got 1.5'),
    ('dict', 'foo', 'demo_x: expected a mapping, got "foo"'),
    ('dict', ['a'], 'demo_x: expected a mapping, got ["a"]'),
    ('list', 'alice', 'demo_x: expected a list, got "alice"'),
])
def test_a_value_of_the_wrong_type_names_the_variable_the_type_and_the_value(kind, given, message):
    v = inputs({'demo_x': Var(kind)}, {'demo_x': given})
    assert v.problems == [message]
    assert v['x'] is None


def test_a_list_of_names_with_an_empty_or_non_string_item_names_the_item():
    v = inputs({'demo_users': Var('list', elements='str')}, {'demo_users': ['alice', '', 3]})
    assert v.problems == ['demo_users[1]: expected a non-empty string, got ""']


def test_a_value_outside_the_choices_lists_them():
    v = inputs({'demo_mode': Var(choices=('a', 'b'))}, {'demo_mode': 'c'})
    assert v.problems == ['demo_mode: expected one of a, b, got "c"']


def test_a_long_value_is_cut_in_the_message():
    v = inputs({'demo_x': Var('dict')}, {'demo_x': ['x' * 200]})
    assert len(v.problems) == 1 and len(v.problems[0]) < 160
    assert v.problems[0].startswith('demo_x: expected a mapping, got a list (["xxxx')


def test_a_variable_with_the_wrong_type_gets_no_second_message():
    v = inputs({'demo_x': Var('dict')}, {'demo_x': 'foo'})
    v.expect('demo_x.key', 'anything')
    v.require('demo_x', 'anything')
    v.refuse('demo_x', 'not now')
    assert v.problems == ['demo_x: expected a mapping, got "foo"']


def test_an_unset_variable_reads_as_none_and_get_gives_the_default():
    v = inputs({'demo_x': Var(), 'demo_y': Var('list')}, {})
    assert v['x'] is None
    assert v.get('y', []) == []
    assert v.problems == []


# ---------------------------------------------------------------------------------------------------------------
# Inputs through a real role: the messages a user reads

def test_a_mistyped_variable_of_the_role_suggests_the_closest_name():
    assert bedrock_problems(bedrock_regoin='eu-west-1') == [
        'bedrock_regoin: not a variable of role bedrock; did you mean bedrock_region?']


def test_an_unknown_variable_without_a_close_name_points_at_the_argument_specs():
    assert bedrock_problems(bedrock_qqqqqqqqqqqqqqqqqq=1) == [
        "bedrock_qqqqqqqqqqqqqqqqqq: not a variable of role bedrock (see the role's meta/argument_specs.yml)"]


def test_a_missing_required_variable_is_one_short_line_naming_it():
    found = problems('bedrock', **dict((k, v) for k, v in BEDROCK.items() if k != 'bedrock_region'))
    assert found == ['bedrock_region: required, expected an AWS region such as us-east-1']
    assert '\n' not in found[0]


def test_a_mapping_given_as_a_string_says_what_was_expected_and_what_was_given():
    assert bedrock_problems(bedrock_models='foo') == ['bedrock_models: expected a mapping, got "foo"']


def test_the_error_names_the_role_says_nothing_changed_and_lists_every_problem_at_once():
    with pytest.raises(InputError) as info:
        bad = dict(BEDROCK, bedrock_regoin='x', bedrock_models='foo', bedrock_credential_export_format='json', bedrock_dropin='x.yaml')
        module_args('bedrock', dict(role_defaults('bedrock'), **bad))
    assert str(info.value) == (
        'fleetcfg.claude_code.bedrock: invalid input, no host was changed:\n'
        '  - bedrock_regoin: not a variable of role bedrock; did you mean bedrock_region?\n'
        '  - bedrock_credential_export_format: expected one of process, credentials, got "json"\n'
        '  - bedrock_models: expected a mapping, got "foo"\n'
        '  - bedrock_dropin: expected a file name ending in .json (letters, digits, \'.\', \'_\', \'-\'), got "x.yaml"')


def test_required_variables_are_not_required_to_leave():
    args, warnings = module_args('bedrock', dict(role_defaults('bedrock'), bedrock_state='absent', bedrock_users=['alice']))
    assert warnings == []
    assert args['settings'] == {}


def test_leaving_in_user_scope_needs_the_accounts_to_take_it_off():
    assert problems('bedrock', bedrock_state='absent') == [
        'bedrock_users: required with bedrock_scope=user, expected the accounts to take this configuration off (a list of names)']
    args, _warnings = module_args('bedrock', dict(role_defaults('bedrock'), bedrock_state='absent', bedrock_remove_users=['bob']))
    assert (args['users'], args['remove_users']) == ([], ['bob'])


def test_required_variables_are_required_to_configure():
    assert problems('bedrock', bedrock_users=['alice']) == [
        'bedrock_auth: required, expected one of profile, sso, credential_export, api_key, gateway',
        'bedrock_models: required, expected a mapping with at least haiku: <Bedrock id or ARN>',
        'bedrock_region: required, expected an AWS region such as us-east-1',
    ]


def test_a_deprecated_variable_name_warns_and_is_used():
    args, warnings = module_args('bedrock', dict(role_defaults('bedrock'), **dict(
        BEDROCK, bedrock_scope='managed', bedrock_users=[], bedrock_managed_dropin='60-aws.json')))
    assert args['dropin'] == '60-aws.json'
    assert warnings == ['bedrock_managed_dropin is deprecated and will be removed in 2.0.0; use bedrock_dropin (it was used here)']


def test_the_deprecated_name_is_not_an_unknown_variable():
    v = inputs({'demo_new': Var()}, {'demo_old': 'x'}, renamed={'demo_old': 'demo_new'})
    assert v.problems == []
    assert v['new'] == 'x'


# ---------------------------------------------------------------------------------------------------------------
# Secrets are never shown

SECRET = 'sk-very-secret-0123456789'


@pytest.mark.parametrize('name, variables, message', [
    ('bedrock', dict(BEDROCK, bedrock_api_key=SECRET),
     'bedrock_api_key: only used with bedrock_auth=api_key, not with profile; remove it, got a string (a secret, not shown)'),
    ('bedrock', dict(BEDROCK, bedrock_auth='api_key', bedrock_profile='', bedrock_api_key={'alice': [SECRET]}),
     'bedrock_api_key.alice: expected a non-empty string (the key of alice), got a list (a secret, not shown)'),
    ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_users=['alice'], litellm_auth='static',
                     litellm_static_keys=SECRET),
     'litellm_static_keys: expected a mapping, got a string (a secret, not shown)'),
    ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_users=['alice'], litellm_auth='static',
                     litellm_static_key=SECRET + ' x'),
     'litellm_static_key: expected a non-empty string without spaces or control characters, got a string (a secret, not shown)'),
    ('vertex', dict(vertex_project_id='my-project-123', vertex_users=['alice'], vertex_service_account_key=SECRET),
     'vertex_service_account_key: only with vertex_auth=service_account (vertex_auth is adc); remove it, '
     'got a string (a secret, not shown)'),
])
def test_a_secret_variable_is_never_shown_only_its_type(name, variables, message):
    found = problems(name, **variables)
    assert message in found
    assert SECRET not in ' '.join(found)


@pytest.mark.parametrize('env_name', ['MY_SERVICE_TOKEN', 'DB_PASSWORD', 'OTHER_API_KEY', 'X_SECRET'])
def test_a_value_under_a_name_that_looks_secret_is_never_shown(env_name):
    found = bedrock_problems(bedrock_env={env_name: [SECRET]})
    assert found == ['bedrock_env.%s: expected a string or a number (write "1" to turn a switch on), got a list '
                     '(a secret, not shown)' % env_name]


@pytest.mark.parametrize('name, variables, message', [pytest.param(n, v, m, id=m.split(':')[0]) for n, v, m in [
    ('bedrock', dict(BEDROCK, bedrock_auth='magic'),
     'bedrock_auth: expected one of profile, sso, credential_export, api_key, gateway, got "magic"'),
    ('vertex', dict(vertex_project_id='my-project-123', vertex_users=['alice'], vertex_auth='oauth'),
     'vertex_auth: expected one of adc, service_account, gateway, got "oauth"'),
    ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_users=['alice'], litellm_auth='token'),
     'litellm_auth: expected one of static, helper, got "token"'),
    ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_users=['alice'], litellm_auth='static',
                     litellm_static_key='k', litellm_key_header='x api'),
     'litellm_key_header: expected an HTTP header name (letters, digits, -), got "x api"'),
    ('litellm', dict(litellm_base_url='https://gw.example.com', litellm_users=['alice'], litellm_helper_key_file='my key'),
     'litellm_helper_key_file: expected a path (absolute, or relative to the home folder) of letters, digits and '
     '. _ / ~ + @ -, got "my key"'),
]])
def test_a_role_variable_that_is_not_a_secret_is_shown_even_when_its_name_contains_auth_or_key(name, variables, message):
    # The role declares its secrets (Var.secret, no_log in the spec); words such as AUTH or KEY mark secrets among
    # the names inside a mapping (env variables, headers), not the role's own option names: an auth mode is no secret.
    assert message in problems(name, **variables)


def test_a_plain_value_is_shown_as_json():
    assert bedrock_problems(bedrock_env={'OTEL_SERVICE_NAME': ['claude']}) == [
        'bedrock_env.OTEL_SERVICE_NAME: expected a string or a number (write "1" to turn a switch on), got ["claude"]']


# ---------------------------------------------------------------------------------------------------------------
# check_common: scope, accounts, drop-in, the team's own env

@pytest.mark.parametrize('overrides, message', [
    (dict(bedrock_users=[]),
     'bedrock_users: required with bedrock_scope=user, expected the accounts to configure (a list of names)'),
    (dict(bedrock_scope='managed'),
     'bedrock_users: only with bedrock_scope=user (a managed drop-in applies to every account), got ["alice"]'),
    (dict(bedrock_remove_users=['alice']),
     'bedrock_remove_users: an account is either configured (bedrock_users) or taken off, not both: alice, got ["alice"]'),
    (dict(bedrock_scope='managed', bedrock_users=[], bedrock_remove_users=['bob']),
     'bedrock_remove_users: only with bedrock_scope=user, got ["bob"]'),
    (dict(bedrock_dropin='50-bedrock.yaml'),
     'bedrock_dropin: expected a file name ending in .json (letters, digits, \'.\', \'_\', \'-\'), got "50-bedrock.yaml"'),
    (dict(bedrock_dropin='../x.json'),
     'bedrock_dropin: expected a file name ending in .json (letters, digits, \'.\', \'_\', \'-\'), got "../x.json"'),
    (dict(bedrock_scope='global'), 'bedrock_scope: expected one of user, managed, got "global"'),
    (dict(bedrock_state='gone'), 'bedrock_state: expected one of present, absent, got "gone"'),
    (dict(bedrock_account_errors='ignore'), 'bedrock_account_errors: expected one of fail, skip, got "ignore"'),
    (dict(bedrock_env={'bad-name': '1'}), 'bedrock_env: expected variable names (letters, digits, _), got "bad-name"'),
    (dict(bedrock_env={'AWS_REGION': 'eu-west-1'}),
     "bedrock_env.AWS_REGION: set by this role's own variables; set it through them, not in bedrock_env"),
    (dict(bedrock_env={'ANTHROPIC_BASE_URL': 'https://gw'}),
     'bedrock_env.ANTHROPIC_BASE_URL: belongs to provider litellm, which this role replaces; remove it'),
    (dict(bedrock_env={'CLOUD_ML_REGION': 'global'}),
     'bedrock_env.CLOUD_ML_REGION: belongs to provider vertex/litellm, which this role replaces; remove it'),
    (dict(bedrock_env={'MY_SWITCH': True}),
     'bedrock_env.MY_SWITCH: expected a string or a number (write "1" to turn a switch on), got true'),
    (dict(bedrock_env={'MY_LIST': ['a']}),
     'bedrock_env.MY_LIST: expected a string or a number (write "1" to turn a switch on), got ["a"]'),
])
def test_common_checks(overrides, message):
    assert bedrock_problems(**overrides) == [message]


def test_the_teams_own_env_is_written_with_numbers_as_strings():
    args, _warnings = module_args('bedrock', dict(role_defaults('bedrock'), **dict(
        BEDROCK, bedrock_env={'OTEL_SERVICE_NAME': 'claude', 'MAX_THINKING_TOKENS': 1024})))
    assert args['settings']['env']['OTEL_SERVICE_NAME'] == 'claude'
    assert args['settings']['env']['MAX_THINKING_TOKENS'] == '1024'


def test_a_user_scope_configuration_names_its_accounts_and_the_ones_taken_off():
    args, _warnings = module_args('bedrock', dict(role_defaults('bedrock'), **dict(BEDROCK, bedrock_remove_users=['bob'])))
    assert (args['scope'], args['users'], args['remove_users']) == ('user', ['alice'], ['bob'])
    assert args['account_errors'] == 'fail' and args['replace_invalid'] is False


def test_the_managed_folder_and_config_dir_are_passed_only_when_set():
    args, _w = module_args('bedrock', dict(role_defaults('bedrock'), **BEDROCK))
    assert 'managed_dir' not in args and 'config_dir' not in args  # unset: the target decides
    args, _w = module_args('bedrock', dict(role_defaults('bedrock'), **dict(
        BEDROCK, bedrock_config_dir='.config/claude', bedrock_account_errors='skip', bedrock_replace_invalid='yes')))
    assert (args['config_dir'], args['account_errors'], args['replace_invalid']) == ('.config/claude', 'skip', True)
    args, _w = module_args('bedrock', dict(role_defaults('bedrock'), **dict(
        BEDROCK, bedrock_scope='managed', bedrock_users=[], bedrock_managed_dir='/opt/claude')))
    assert (args['scope'], args['dropin'], args['managed_dir']) == ('managed_dropin', '50-bedrock.json', '/opt/claude')
    assert 'users' not in args and 'remove_users' not in args and not args.get('user_settings')


# ---------------------------------------------------------------------------------------------------------------
# pin_models

ID = r'x-[0-9]+'


def pins(models, overrides=True):
    v = inputs({'demo_models': Var('dict')}, {'demo_models': models})
    env, settings = pin_models(v, models, ID, 'an x id', overrides=overrides)
    return env, settings, v.problems


def test_class_pins_become_the_clients_default_model_variables():
    env, settings, found = pins({'opus': 'x-1', 'sonnet': 'x-2', 'haiku': 'x-3'})
    assert found == []
    assert env == {'ANTHROPIC_DEFAULT_OPUS_MODEL': 'x-1', 'ANTHROPIC_DEFAULT_SONNET_MODEL': 'x-2',
                   'ANTHROPIC_DEFAULT_HAIKU_MODEL': 'x-3'}
    assert settings == {}
    assert model_env('sonnet') == 'ANTHROPIC_DEFAULT_SONNET_MODEL'


@pytest.mark.parametrize('default', ['x-9', 'opus', 'sonnet[1m]', 'opusplan', 'haiku', 'default'])
def test_the_default_pin_is_the_model_key_an_id_or_a_class_alias(default):
    env, settings, found = pins({'default': default})
    assert (env, settings, found) == ({}, {'model': default}, [])


def test_overrides_are_the_model_overrides_key():
    env, settings, found = pins({'overrides': {'claude-opus-4-1-20250805': 'x-7'}})
    assert (env, settings, found) == ({}, {'modelOverrides': {'claude-opus-4-1-20250805': 'x-7'}}, [])


def test_empty_pins_are_left_out():
    assert pins({'opus': '', 'sonnet': None, 'haiku': 'x-1'})[:2] == ({'ANTHROPIC_DEFAULT_HAIKU_MODEL': 'x-1'}, {})


@pytest.mark.parametrize('models, message', [
    ({'gpt': 'x-1'}, 'demo_models.gpt: not a model class; expected one of default, haiku, opus, overrides, sonnet'),
    ({'sonnet': 'y-1'}, 'demo_models.sonnet: expected an x id, got "y-1"'),
    ({'sonnet': 'x-1 '}, 'demo_models.sonnet: expected an x id, got "x-1 "'),
    ({'haiku': 3}, 'demo_models.haiku: expected an x id, got 3'),
    ({'default': 'gpt-4'}, 'demo_models.default: expected an x id, or a class alias (opus, sonnet, haiku, opusplan), got "gpt-4"'),
    ({'overrides': 'x-1'}, 'demo_models.overrides: expected a mapping from an Anthropic model name to an x id, got "x-1"'),
    ({'overrides': {'claude-opus-4-1': 'y'}}, 'demo_models.overrides[claude-opus-4-1]: expected an x id, got "y"'),
])
def test_a_wrong_pin_names_the_class_and_what_the_provider_accepts(models, message):
    assert pins(models)[2] == [message]


def test_a_provider_without_overrides_does_not_accept_them():
    assert pins({'overrides': {'a': 'x-1'}}, overrides=False)[2] == [
        'demo_models.overrides: not a model class; expected one of default, haiku, opus, sonnet']


# ---------------------------------------------------------------------------------------------------------------
# The model patterns of a switch (keep) and of leaving (drop)

def kept(pattern, value):
    return re.fullmatch(pattern, value) is not None


@pytest.mark.parametrize('value', ['opus', 'sonnet', 'haiku', 'opusplan', 'default', 'sonnet[1m]', 'opus[1m]', 'x-12'])
def test_the_keep_pattern_keeps_class_aliases_and_the_providers_ids(value):
    assert kept(keep_models_pattern(ID), value)


@pytest.mark.parametrize('value', ['y-1', 'x-', 'x-1 ', 'sonnet-4', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'])
def test_the_keep_pattern_drops_every_other_model(value):
    assert not kept(keep_models_pattern(ID), value)


def test_the_drop_pattern_drops_the_providers_ids_and_the_values_it_configured_and_keeps_the_rest():
    pattern = drop_models_pattern(ID, ['my.alias'])
    assert not kept(pattern, 'x-3')
    assert not kept(pattern, 'my.alias')
    assert kept(pattern, 'myXalias')  # a configured value is a literal, not a pattern
    assert kept(pattern, 'opus')
    assert kept(pattern, 'claude-sonnet-4-5@20250929')


def test_the_drop_pattern_without_own_ids_drops_only_the_configured_values():
    pattern = drop_models_pattern(None, ['gw-sonnet', None, ''])
    assert not kept(pattern, 'gw-sonnet')
    assert kept(pattern, 'gw-haiku') and kept(pattern, 'opus')


def test_nothing_to_drop_keeps_every_model():
    assert drop_models_pattern(None, ()) is None
    assert drop_models_pattern(None, [None, '']) is None


def test_the_alias_pattern_is_anchored_by_fullmatch_only():
    assert kept(ALIAS_PATTERN, 'opusplan') and not kept(ALIAS_PATTERN, 'opusplanx')


@pytest.mark.parametrize('name, provider', [('bedrock_scope', 'bedrock'), ('vertex_auth', 'vertex'), ('litellm_route', 'litellm')])
def test_a_variable_with_choices_set_to_nothing_is_named_not_a_crash(name, provider):
    from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS
    inputs = Inputs(provider, provider + '_', PROVIDERS[provider].VARIABLES, {name: None})
    assert any(p.startswith('%s: expected one of ' % name) and p.endswith(', got null') for p in inputs.problems), inputs.problems
