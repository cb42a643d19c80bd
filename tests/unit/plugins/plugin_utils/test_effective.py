# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What settings_info answers for an account (plugins/plugin_utils/effective.py): the specification of the analysis.

Each test gives the entries the target reads (plugins/module_utils/settings_info.py: path, tier, state, reason, and
the document with its secrets already shown as ``********``) and asserts what the user sees: effective values and
their files, dropped files and entries, shadowed values, the provider, the credential, the endpoint, warnings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

pytest.importorskip('jsonschema')

from ansible_collections.fleetcfg.claude_code.plugins.action.settings_info import host_view  # noqa: E402
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.effective import account_view, judge_file, layer, provider_of  # noqa: E402

HIDDEN = '********'
USER = '/home/alice/.claude/settings.json'
PROJECT = '/srv/webapp/.claude/settings.json'
LOCAL = '/srv/webapp/.claude/settings.local.json'
MANAGED = '/etc/claude-code/managed-settings.json'
DROPIN_10 = '/etc/claude-code/managed-settings.d/10-base.json'
DROPIN_50 = '/etc/claude-code/managed-settings.d/50-team.json'
REMOTE = '/home/alice/.claude/remote-settings.json'
HELPER = '/home/alice/.claude/bin/key-helper'
GATEWAY = 'https://llm.example.com'


def entry(path, tier, document=None, state='present', reason=None):
    """One file as the target returns it."""
    if document is None and state == 'present':
        document = {}
    return dict(path=path, tier=tier, state=state, reason=reason, document=document if state == 'present' else None)


def user(document=None, **kw):
    return entry(USER, 'user', document, **kw)


def managed(document=None, path=MANAGED, **kw):
    return entry(path, 'managed', document, **kw)


def view(files=(), managed_files=(), remote=None):
    return account_view(list(managed_files), list(files), remote)


def values(result):
    """{key: value} of the effective settings."""
    return dict((key, item['value']) for key, item in result['effective'].items())


def sources(result):
    """{key: the file it comes from} of the effective settings."""
    return dict((key, item['source']) for key, item in result['effective'].items())


def warnings_with(result, text):
    found = [w for w in result['warnings'] if text in w]
    assert found, 'no warning with %r in %s' % (text, result['warnings'])
    return found


# ---------------------------------------------------------------------------------------------------------------
# Precedence: user < project < local < managed-settings.json < drop-ins (in the order the target lists them: by name)

def test_a_higher_file_wins_key_by_key_from_user_up_to_the_last_drop_in():
    result = view(
        files=[user({'model': 'user-model', 'effortLevel': 'low'}),
               entry(PROJECT, 'project', {'model': 'project-model', 'outputStyle': 'Explanatory'}),
               entry(LOCAL, 'local', {'model': 'local-model', 'language': 'german'})],
        managed_files=[managed({'model': 'managed-model', 'cleanupPeriodDays': 30}),
                       managed({'model': 'dropin-10-model', 'autoUpdatesChannel': 'stable'}, path=DROPIN_10),
                       managed({'model': 'dropin-50-model'}, path=DROPIN_50)])
    assert values(result) == {'model': 'dropin-50-model', 'effortLevel': 'low', 'outputStyle': 'Explanatory',
                              'language': 'german', 'cleanupPeriodDays': 30, 'autoUpdatesChannel': 'stable'}
    assert sources(result) == {'model': DROPIN_50, 'effortLevel': USER, 'outputStyle': PROJECT, 'language': LOCAL,
                               'cleanupPeriodDays': MANAGED, 'autoUpdatesChannel': DROPIN_10}
    assert result['shadowed'] == [
        dict(key='model', value='user-model', source=USER, by=PROJECT),
        dict(key='model', value='project-model', source=PROJECT, by=LOCAL),
        dict(key='model', value='local-model', source=LOCAL, by=MANAGED),
        dict(key='model', value='managed-model', source=MANAGED, by=DROPIN_10),
        dict(key='model', value='dropin-10-model', source=DROPIN_10, by=DROPIN_50),
    ]
    assert result['dropped'] == [] and result['warnings'] == []


def test_files_are_layered_by_their_tier_whatever_order_they_arrive_in():
    result = view(files=[entry(LOCAL, 'local', {'model': 'local-model'}), entry(PROJECT, 'project', {'model': 'project-model'}),
                         user({'model': 'user-model'})])
    assert result['effective']['model'] == dict(value='local-model', source=LOCAL)
    assert [f['path'] for f in result['files']] == [USER, PROJECT, LOCAL], 'files are listed lowest precedence first'


def test_a_later_drop_in_wins_over_an_earlier_one_and_over_managed_settings_json():
    result = view(managed_files=[managed({'env': {'AWS_REGION': 'us-east-1', 'CLAUDE_CODE_USE_BEDROCK': '1'}}),
                                 managed({'env': {'AWS_REGION': 'eu-west-1'}}, path=DROPIN_10),
                                 managed({'env': {'AWS_REGION': 'eu-central-1'}}, path=DROPIN_50)])
    assert result['effective']['env.AWS_REGION'] == dict(value='eu-central-1', source=DROPIN_50)
    assert result['effective']['env.CLAUDE_CODE_USE_BEDROCK'] == dict(value='1', source=MANAGED)
    assert [f['path'] for f in result['files']] == [MANAGED, DROPIN_10, DROPIN_50]


def test_objects_merge_key_by_key_across_files():
    result = view(files=[user({'env': {'AWS_REGION': 'us-east-1', 'AWS_PROFILE': 'dev'}, 'permissions': {'defaultMode': 'plan'}})],
                  managed_files=[managed({'env': {'AWS_REGION': 'eu-west-1'}, 'permissions': {'disableBypassPermissionsMode': 'disable'}})])
    assert sources(result) == {'env.AWS_REGION': MANAGED, 'env.AWS_PROFILE': USER, 'permissions.defaultMode': USER,
                               'permissions.disableBypassPermissionsMode': MANAGED}
    assert result['shadowed'] == [dict(key='env.AWS_REGION', value='us-east-1', source=USER, by=MANAGED)]


def test_lists_combine_across_files_and_name_every_file_they_come_from():
    result = view(files=[user({'permissions': {'allow': ['Bash(ls:*)', 'Read(./src)']}}),
                         entry(PROJECT, 'project', {'permissions': {'allow': ['Read(./src)', 'Bash(npm test:*)']}})],
                  managed_files=[managed({'permissions': {'allow': ['Bash(git status)']}})])
    assert result['effective']['permissions.allow'] == dict(
        value=['Bash(ls:*)', 'Read(./src)', 'Bash(npm test:*)', 'Bash(git status)'], source=MANAGED, sources=[USER, PROJECT, MANAGED])
    assert result['shadowed'] == [], 'a list that is combined replaces nothing'


def test_a_list_from_one_file_only_has_no_sources():
    result = view(files=[user({'permissions': {'deny': ['Read(./.env)']}})])
    assert result['effective']['permissions.deny'] == dict(value=['Read(./.env)'], source=USER)


# ---------------------------------------------------------------------------------------------------------------
# layer: a value of another shape replaces what was there, and what it replaces is shadowed

def test_a_scalar_replaces_an_object_and_every_value_under_it_is_shadowed():
    effective, shadowed = layer([(USER, {'teamPolicy': {'level': 'strict', 'owner': 'platform'}}), (MANAGED, {'teamPolicy': 'none'})])
    assert effective == {('teamPolicy',): dict(value='none', source=MANAGED)}
    assert shadowed == [dict(key='teamPolicy.level', value='strict', source=USER, by=MANAGED),
                        dict(key='teamPolicy.owner', value='platform', source=USER, by=MANAGED)]


def test_an_object_replaces_a_scalar_which_is_shadowed():
    effective, shadowed = layer([(USER, {'teamPolicy': 'none'}), (MANAGED, {'teamPolicy': {'level': 'strict'}})])
    assert effective == {('teamPolicy', 'level'): dict(value='strict', source=MANAGED)}
    assert shadowed == [dict(key='teamPolicy', value='none', source=USER, by=MANAGED)]


def test_a_list_and_a_scalar_replace_each_other():
    effective, shadowed = layer([(USER, {'strictPluginOnlyCustomization': True}),
                                 (PROJECT, {'strictPluginOnlyCustomization': ['skills']}),
                                 (MANAGED, {'strictPluginOnlyCustomization': False})])
    assert effective == {('strictPluginOnlyCustomization',): dict(value=False, source=MANAGED)}
    assert shadowed == [dict(key='strictPluginOnlyCustomization', value=True, source=USER, by=PROJECT),
                        dict(key='strictPluginOnlyCustomization', value=['skills'], source=PROJECT, by=MANAGED)]


def test_an_empty_object_in_a_higher_file_changes_nothing():
    # The client deep-merges objects: "env": {} in the managed file leaves the user's variables as they are.
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': '1', 'CLAUDE_CODE_USE_VERTEX': '1'}})],
                  managed_files=[managed({'env': {}})])
    assert sources(result) == {'env.CLAUDE_CODE_USE_BEDROCK': USER, 'env.CLAUDE_CODE_USE_VERTEX': USER}
    assert result['shadowed'] == []
    assert result['provider'] == 'bedrock'
    warnings_with(result, 'several provider switches are on')


def test_an_empty_object_in_a_lower_file_is_merged_into_not_shadowed():
    effective, shadowed = layer([(USER, {'env': {}}), (MANAGED, {'env': {'AWS_REGION': 'eu-west-1'}})])
    assert effective == {('env', 'AWS_REGION'): dict(value='eu-west-1', source=MANAGED)}
    assert shadowed == []


def test_an_empty_object_alone_adds_no_key():
    effective, shadowed = layer([(USER, {'env': {}})])
    assert effective == {} and shadowed == []


# ---------------------------------------------------------------------------------------------------------------
# What the client drops

@pytest.mark.parametrize('path, tier', [(USER, 'user'), (PROJECT, 'project'), (LOCAL, 'local')])
def test_a_settings_file_with_one_wrong_type_is_dropped_whole(path, tier):
    bad = entry(path, tier, {'apiKeyHelper': 5, 'model': 'sonnet', 'env': {'ANTHROPIC_BASE_URL': GATEWAY}})
    result = view(files=[bad], managed_files=[managed({'cleanupPeriodDays': 30})])
    assert values(result) == {'cleanupPeriodDays': 30}, 'none of the dropped file keys are effective'
    assert result['dropped'] == [dict(path=path, reason="existing key 'apiKeyHelper' is a number (5), expected a string")]
    assert [f['state'] for f in result['files']] == ['dropped', 'present']
    assert result['warnings'] == ['%s: Claude Code drops this whole file, silently: %s' % (path, result['dropped'][0]['reason'])]
    assert result['provider'] is None, 'the gateway URL of the dropped file is not used'


def test_a_dropped_file_leaves_the_value_of_a_lower_file_in_place():
    result = view(files=[user({'model': 'sonnet'}), entry(PROJECT, 'project', {'model': 'opus', 'permissions': {'allow': 'Bash'}})])
    assert result['effective']['model'] == dict(value='sonnet', source=USER)
    assert result['shadowed'] == []
    assert result['dropped'][0]['path'] == PROJECT and 'permissions.allow' in result['dropped'][0]['reason']


def test_a_file_with_invalid_json_is_dropped_with_the_reason_the_target_gives():
    reason = 'not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))'
    result = view(files=[user(state='invalid', reason=reason)])
    assert result['dropped'] == [dict(path=USER, reason=reason)]
    assert result['files'] == [dict(path=USER, tier='user', state='dropped')]
    assert result['effective'] == {}
    warnings_with(result, 'drops this whole file, silently: ' + reason)


def test_a_file_the_module_could_not_read_is_left_out_with_a_warning_not_reported_as_dropped():
    # Run as root, the module refuses the account's own symlink (dotfiles); the client, as the account, follows it.
    reason = ('refusing to follow symlink /home/alice/.claude/settings.json: it is owned by uid 1001, not by root or the '
              'user the module runs as')
    result = view(files=[user(state='unreadable', reason=reason)], managed_files=[managed({'model': 'opus'})])
    assert result['dropped'] == []
    assert result['files'][0] == dict(path=USER, tier='user', state='unreadable')
    assert result['warnings'] == ['%s: not read (%s), so this answer leaves it out; Claude Code, running as the account, may '
                                  'read it' % (USER, reason)]
    assert values(result) == {'model': 'opus'}


@pytest.mark.parametrize('state', ['absent', 'empty'])
def test_an_absent_or_empty_file_loads_nothing_and_is_not_dropped(state):
    result = view(files=[user(state=state, document={} if state == 'empty' else None)])
    assert result['effective'] == {} and result['dropped'] == [] and result['warnings'] == []
    assert result['files'] == [dict(path=USER, tier='user', state=state)]
    assert judge_file(user(state=state)) == ({}, [])


def test_an_unknown_top_level_key_does_not_drop_the_file():
    result = view(files=[user({'awsAuthRefersh': '/usr/local/bin/sso-login', 'model': 'sonnet'})])
    assert result['dropped'] == []
    assert result['effective']['model'] == dict(value='sonnet', source=USER)
    assert result['files'][0]['state'] == 'present'


def test_a_managed_file_with_a_bad_entry_keeps_its_other_entries():
    result = view(files=[user({'permissions': {'allow': ['Bash(ls:*)']}})],
                  managed_files=[managed({'permissions': {'allow': 'Bash'}, 'model': 'opus', 'env': {'AWS_REGION': 'eu-west-1'}})])
    assert result['dropped'] == [dict(path=MANAGED, key='permissions',
                                      reason="existing key 'permissions.allow' is a string ('Bash'), expected an array")]
    assert sources(result) == {'model': MANAGED, 'env.AWS_REGION': MANAGED, 'permissions.allow': USER}
    assert result['effective']['permissions.allow']['value'] == ['Bash(ls:*)'], "the user's rules stay; the bad managed entry is gone"
    assert result['files'][1] == dict(path=MANAGED, tier='managed', state='present')
    assert result['warnings'] == ["%s: Claude Code drops the entry 'permissions' of this managed file: %s" % (
        MANAGED, result['dropped'][0]['reason'])]


def test_a_managed_file_with_invalid_json_is_dropped_whole():
    result = view(managed_files=[managed(state='invalid', reason='not valid JSON (Expecting value: line 1 column 1 (char 0))'),
                                 managed({'model': 'opus'}, path=DROPIN_50)])
    assert result['dropped'] == [dict(path=MANAGED, reason='not valid JSON (Expecting value: line 1 column 1 (char 0))')]
    assert values(result) == {'model': 'opus'}
    assert [f['state'] for f in result['files']] == ['dropped', 'present']


def test_an_env_number_is_tolerated_and_the_file_is_kept():
    result = view(files=[user({'env': {'BASH_DEFAULT_TIMEOUT_MS': 60000, 'AWS_REGION': 'eu-west-1'}, 'model': 'sonnet'})])
    assert result['dropped'] == []
    assert values(result) == {'env.BASH_DEFAULT_TIMEOUT_MS': 60000, 'env.AWS_REGION': 'eu-west-1', 'model': 'sonnet'}


@pytest.mark.parametrize('value, provider', [('true', 'bedrock'), ('2', 'bedrock'), ('false', None)])
def test_an_env_value_outside_the_documented_ones_drops_nothing(value, provider):
    # The schema lists '0' and '1' for the switch; the client does not check env values.
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': value, 'AWS_REGION': 'eu-west-1'}, 'model': 'sonnet'})])
    assert result['dropped'] == []
    assert result['effective']['model'] == dict(value='sonnet', source=USER)
    assert result['provider'] == provider


def test_a_provider_switch_written_as_a_number_is_on():
    # The client reads a number in env as its text: 1 is "1".
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': 1, 'AWS_REGION': 'eu-west-1'}})])
    assert result['dropped'] == []
    assert result['provider'] == 'bedrock'
    assert view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': 0}})])['provider'] is None


# ---------------------------------------------------------------------------------------------------------------
# The provider the account ends up using

@pytest.mark.parametrize('provider, env, endpoint', [
    ('bedrock', {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'eu-west-1',
                 'ANTHROPIC_BEDROCK_BASE_URL': 'https://bedrock-runtime.eu-west-1.amazonaws.com'}, 'ANTHROPIC_BEDROCK_BASE_URL'),
    ('vertex', {'CLAUDE_CODE_USE_VERTEX': '1', 'ANTHROPIC_VERTEX_PROJECT_ID': 'p-123',
                'ANTHROPIC_VERTEX_BASE_URL': 'https://vertex-proxy.example.com/v1'}, 'ANTHROPIC_VERTEX_BASE_URL'),
    ('foundry', {'CLAUDE_CODE_USE_FOUNDRY': '1',
                 'ANTHROPIC_FOUNDRY_BASE_URL': 'https://res.services.ai.azure.com/anthropic'}, 'ANTHROPIC_FOUNDRY_BASE_URL'),
    ('anthropic_aws', {'CLAUDE_CODE_USE_ANTHROPIC_AWS': '1', 'ANTHROPIC_AWS_WORKSPACE_ID': 'wrkspc_01',
                       'ANTHROPIC_AWS_BASE_URL': 'https://aws-gw.example.com'}, 'ANTHROPIC_AWS_BASE_URL'),
    ('litellm', {'ANTHROPIC_BASE_URL': GATEWAY}, 'ANTHROPIC_BASE_URL'),
])
def test_each_provider_role_is_recognized_with_its_endpoint(provider, env, endpoint):
    result = view(managed_files=[managed({'env': env})])
    assert result['provider'] == provider
    assert result['endpoint'] == dict(key='env.' + endpoint, value=env[endpoint], source=MANAGED)
    assert result['warnings'] == []


@pytest.mark.parametrize('switch', ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY',
                                    'CLAUDE_CODE_USE_ANTHROPIC_AWS'])
def test_a_switch_alone_selects_its_provider_with_the_default_endpoint(switch):
    provider, on = provider_of({switch: '1'})
    assert [p.SWITCH for p in on] == [switch]
    result = view(files=[user({'env': {switch: '1'}})])
    assert result['provider'] == provider and result['endpoint'] is None


@pytest.mark.parametrize('switch, base, url', [
    ('CLAUDE_CODE_USE_BEDROCK', 'ANTHROPIC_BEDROCK_BASE_URL', GATEWAY + '/bedrock'),
    ('CLAUDE_CODE_USE_BEDROCK', 'ANTHROPIC_BEDROCK_BASE_URL', GATEWAY + '/bedrock/'),
    ('CLAUDE_CODE_USE_VERTEX', 'ANTHROPIC_VERTEX_BASE_URL', GATEWAY + '/vertex_ai/v1'),
])
def test_the_litellm_bedrock_and_vertex_routes_are_litellm_by_their_base_url(switch, base, url):
    result = view(files=[user({'env': {switch: '1', base: url, 'ANTHROPIC_CUSTOM_HEADERS': HIDDEN}})])
    assert result['provider'] == 'litellm'
    assert result['endpoint'] == dict(key='env.' + base, value=url, source=USER)


def test_a_bedrock_base_url_that_is_not_a_litellm_route_stays_bedrock():
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': '1', 'ANTHROPIC_BEDROCK_BASE_URL': GATEWAY + '/bedrock-gw'}})])
    assert result['provider'] == 'bedrock'


@pytest.mark.parametrize('base', ['https://api.anthropic.com', 'https://API.anthropic.com:443/', None])
def test_the_anthropic_api_with_a_key_is_anthropic(base):
    env = {'ANTHROPIC_API_KEY': HIDDEN}
    if base:
        env['ANTHROPIC_BASE_URL'] = base
    result = view(files=[user({'env': env})])
    assert result['provider'] == 'anthropic'
    assert result['credential'] == dict(key='env.ANTHROPIC_API_KEY', source=USER)
    assert result['endpoint'] == (dict(key='env.ANTHROPIC_BASE_URL', value=base, source=USER) if base else None)


def test_nothing_that_selects_a_provider_gives_none():
    assert view(files=[user({'model': 'sonnet'})])['provider'] is None
    assert view()['provider'] is None
    result = view(files=[user({'env': {'ANTHROPIC_BASE_URL': 'https://api.anthropic.com'}})])
    assert (result['provider'], result['credential']) == (None, None), 'the Anthropic API without a credential is no provider'


@pytest.mark.parametrize('off', ['0', '', 'false', 'off', 'no', ' 0 '])
def test_a_switch_set_to_0_or_false_is_off(off):
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': off}})])
    assert result['provider'] is None
    assert view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': off, 'ANTHROPIC_BASE_URL': GATEWAY}})])['provider'] == 'litellm'


def test_several_switches_on_warn_naming_each_switch_and_its_file():
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_VERTEX': '1'}})],
                  managed_files=[managed({'env': {'CLAUDE_CODE_USE_BEDROCK': '1'}}, path=DROPIN_50)])
    assert result['provider'] in ('bedrock', 'vertex')
    assert warnings_with(result, 'several provider switches are on') == [
        'several provider switches are on (CLAUDE_CODE_USE_BEDROCK from %s, CLAUDE_CODE_USE_VERTEX from %s): '
        'Claude Code uses only one of them' % (DROPIN_50, USER)]


def test_one_switch_on_and_another_off_does_not_warn():
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_VERTEX': '0', 'CLAUDE_CODE_USE_BEDROCK': '1'}})])
    assert result['provider'] == 'bedrock' and result['warnings'] == []


# ---------------------------------------------------------------------------------------------------------------
# Credentials

def test_on_a_gateway_a_static_token_hides_the_key_helper_and_the_warning_names_both_files():
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY}})],
                  managed_files=[managed({'env': {'ANTHROPIC_AUTH_TOKEN': HIDDEN}}, path=DROPIN_50)])
    assert result['provider'] == 'litellm'
    assert result['credential'] == dict(key='env.ANTHROPIC_AUTH_TOKEN', source=DROPIN_50)
    assert result['warnings'] == ['env.ANTHROPIC_AUTH_TOKEN (from %s) hides apiKeyHelper (from %s): Claude Code uses the first '
                                  'and never the other' % (DROPIN_50, USER)]
    assert HIDDEN not in result['warnings'][0] and HELPER not in result['warnings'][0], 'a warning never shows a value'


def test_the_gateway_credential_order_is_token_then_api_key_then_key_helper():
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY, 'ANTHROPIC_API_KEY': HIDDEN}})])
    assert result['credential'] == dict(key='env.ANTHROPIC_API_KEY', source=USER)
    warnings_with(result, 'env.ANTHROPIC_API_KEY (from %s) hides apiKeyHelper' % USER)
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY, 'ANTHROPIC_API_KEY': HIDDEN,
                                                               'ANTHROPIC_AUTH_TOKEN': HIDDEN}})])
    assert result['credential']['key'] == 'env.ANTHROPIC_AUTH_TOKEN'
    assert len(warnings_with(result, 'env.ANTHROPIC_AUTH_TOKEN (from %s) hides' % USER)) == 2


def test_the_key_helper_alone_is_the_credential_without_a_warning():
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY}})])
    assert result['credential'] == dict(key='apiKeyHelper', source=USER)
    assert result['warnings'] == []


def test_an_empty_credential_does_not_count():
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY, 'ANTHROPIC_AUTH_TOKEN': ''}})])
    assert result['credential'] == dict(key='apiKeyHelper', source=USER)
    assert result['warnings'] == []


def test_a_gateway_without_a_credential_has_none():
    result = view(files=[user({'env': {'ANTHROPIC_BASE_URL': GATEWAY}})])
    assert (result['provider'], result['credential']) == ('litellm', None)


@pytest.mark.parametrize('env, key', [
    ({'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_PROFILE': 'dev'}, 'env.AWS_PROFILE'),
    ({'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_BEARER_TOKEN_BEDROCK': HIDDEN, 'AWS_PROFILE': 'dev'}, 'env.AWS_BEARER_TOKEN_BEDROCK'),
    ({'CLAUDE_CODE_USE_BEDROCK': '1', 'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '1', 'AWS_PROFILE': 'dev'}, 'env.CLAUDE_CODE_SKIP_BEDROCK_AUTH'),
    ({'CLAUDE_CODE_USE_VERTEX': '1', 'GOOGLE_APPLICATION_CREDENTIALS': '/home/alice/.config/gcloud/key.json'},
     'env.GOOGLE_APPLICATION_CREDENTIALS'),
    ({'CLAUDE_CODE_USE_FOUNDRY': '1', 'ANTHROPIC_FOUNDRY_API_KEY': HIDDEN}, 'env.ANTHROPIC_FOUNDRY_API_KEY'),
    ({'CLAUDE_CODE_USE_ANTHROPIC_AWS': '1', 'ANTHROPIC_AWS_API_KEY': HIDDEN}, 'env.ANTHROPIC_AWS_API_KEY'),
])
def test_a_provider_uses_the_first_credential_it_prefers(env, key):
    result = view(files=[user({'env': env})])
    assert result['credential'] == dict(key=key, source=USER)


def test_a_provider_with_no_credential_set_uses_its_default_chain():
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'eu-west-1'}})])
    assert (result['provider'], result['credential']) == ('bedrock', None)


def test_a_gateway_url_under_a_provider_switch_of_another_file_is_not_used():
    result = view(files=[user({'env': {'ANTHROPIC_BASE_URL': GATEWAY}})],
                  managed_files=[managed({'env': {'CLAUDE_CODE_USE_BEDROCK': '1'}}, path=DROPIN_50)])
    assert result['provider'] == 'bedrock'
    assert result['warnings'] == ['env.ANTHROPIC_BASE_URL (from %s) is not used: env.CLAUDE_CODE_USE_BEDROCK (from %s) makes '
                                  'Claude Code use bedrock, which ignores it' % (USER, DROPIN_50)]


# ---------------------------------------------------------------------------------------------------------------
# Keys that do nothing where they are, and other managed sources

def test_a_managed_only_key_in_a_user_file_warns_and_the_file_still_loads():
    result = view(files=[user({'allowManagedHooksOnly': True, 'model': 'sonnet'})])
    assert result['dropped'] == []
    assert result['warnings'] == ["%s: 'allowManagedHooksOnly' applies only in managed settings; in user settings it would do "
                                  "nothing" % USER]


def test_a_managed_only_key_in_a_managed_file_does_not_warn():
    assert view(managed_files=[managed({'allowManagedHooksOnly': True})])['warnings'] == []


def test_a_cached_server_managed_policy_overrides_the_managed_files_for_an_account_on_the_anthropic_api():
    result = view(files=[user({'env': {'ANTHROPIC_API_KEY': HIDDEN}})], managed_files=[managed({'model': 'opus'})],
                  remote=entry(REMOTE, 'server-managed', {'model': 'sonnet'}))
    assert result['warnings'] == ['%s: a cached server-managed policy from claude.ai; for this account it overrides the managed '
                                  'files (Claude Code uses the first managed source with a policy)' % REMOTE]
    assert result['files'][-1] == dict(path=REMOTE, tier='server-managed', state='present')


@pytest.mark.parametrize('env, provider', [
    ({'CLAUDE_CODE_USE_BEDROCK': '1'}, 'bedrock'),
    ({'ANTHROPIC_BASE_URL': GATEWAY}, 'litellm'),
])
def test_a_cached_server_managed_policy_is_skipped_under_a_provider(env, provider):
    result = view(files=[user({'env': env})], remote=entry(REMOTE, 'server-managed', {'model': 'sonnet'}))
    assert result['warnings'] == ['%s: a cached server-managed policy from claude.ai; Claude Code skips it for this account, '
                                  'which uses %s' % (REMOTE, provider)]


def test_no_cached_server_managed_policy_is_neither_warned_about_nor_listed():
    result = view(files=[user({'model': 'sonnet'})], remote=entry(REMOTE, 'server-managed', state='absent'))
    assert result['warnings'] == []
    assert [f['path'] for f in result['files']] == [USER]


def test_a_first_party_login_policy_against_a_gateway_credential_warns():
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY}})],
                  managed_files=[managed({'forceLoginMethod': 'console'})])
    warning, = warnings_with(result, 'first-party login')
    assert warning.startswith("The managed settings ask for a first-party login (forceLoginMethod 'console')")
    assert 'apiKeyHelper' in warning and 'refuse to start' in warning
    assert HELPER not in warning


def test_the_gateway_sign_in_policy_does_not_warn():
    result = view(files=[user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY}})],
                  managed_files=[managed({'forceLoginMethod': 'gateway', 'forceLoginGatewayUrl': GATEWAY})])
    assert result['warnings'] == []


def test_a_login_policy_in_a_user_file_is_no_policy():
    result = view(files=[user({'forceLoginMethod': 'console', 'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_BASE_URL': GATEWAY}})])
    assert not [w for w in result['warnings'] if 'first-party login' in w]


# ---------------------------------------------------------------------------------------------------------------
# Secrets: they arrive as ******** and the analysis adds nothing

def _strings(value):
    """Every string in a value: keys, and strings at any depth."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key] + _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_analysis_shows_only_what_the_target_sent_and_names_secrets_never_their_value():
    files = [user({'apiKeyHelper': HELPER, 'env': {'ANTHROPIC_AUTH_TOKEN': HIDDEN, 'HTTPS_PROXY': HIDDEN,
                                                   'ANTHROPIC_CUSTOM_HEADERS': HIDDEN, 'ANTHROPIC_BASE_URL': GATEWAY}}),
             entry(LOCAL, 'local', {'env': {'ANTHROPIC_AUTH_TOKEN': HIDDEN, 'OTEL_EXPORTER_OTLP_HEADERS': HIDDEN}})]
    managed_files = [managed({'forceLoginOrgUUID': 'org-1', 'env': {'ANTHROPIC_API_KEY': HIDDEN}}),
                     managed({'env': {'ANTHROPIC_FOUNDRY_API_KEY': HIDDEN}, 'cleanupPeriodDays': 'thirty'}, path=DROPIN_50)]
    result = view(files=files, managed_files=managed_files, remote=entry(REMOTE, 'server-managed', {}))
    sent = set(_strings([files, managed_files]))
    for key, item in result['effective'].items():
        assert all(s in sent for s in _strings(item['value'])), key
    for item in result['shadowed']:
        assert all(s in sent for s in _strings(item['value'])), item
    assert result['effective']['env.ANTHROPIC_AUTH_TOKEN'] == dict(value=HIDDEN, source=LOCAL)
    assert dict(key='env.ANTHROPIC_AUTH_TOKEN', value=HIDDEN, source=USER, by=LOCAL) in result['shadowed']
    # Warnings and reasons name keys and files; the only value they show is a non-secret one the validation quotes.
    words = result['warnings'] + [d['reason'] for d in result['dropped']]
    assert words, 'the case has warnings to look at'
    for text in words:
        assert HIDDEN not in text, text
        assert HELPER not in text and GATEWAY not in text, text
    everything = json.dumps(result)
    assert everything.count(HIDDEN) == sum(json.dumps(item).count(HIDDEN) for item in
                                           list(result['effective'].values()) + result['shadowed'])


# ---------------------------------------------------------------------------------------------------------------
# host_view: the task result of the controller

def test_host_view_answers_per_account_and_lists_skipped_accounts_and_the_managed_files():
    found = dict(
        managed_dir='/etc/claude-code',
        managed=[managed({'env': {'CLAUDE_CODE_USE_BEDROCK': '1'}, 'permissions': {'allow': 'Bash'}}),
                 managed({'env': {'AWS_REGION': 'eu-west-1'}}, path=DROPIN_50)],
        accounts={
            'bob': dict(files=[entry('/home/bob/.claude/settings.json', 'user', {'model': 'sonnet'})],
                        remote=entry('/home/bob/.claude/remote-settings.json', 'server-managed', state='absent')),
            'alice': dict(files=[user({'apiKeyHelper': 5})], remote=entry(REMOTE, 'server-managed', state='absent')),
            'carol': dict(error="user: account 'carol' does not exist on this host"),
        })
    result = host_view(found)
    assert result['changed'] is False
    assert sorted(result['accounts']) == ['alice', 'bob']
    assert result['skipped_accounts'] == [dict(user='carol', reason="user: account 'carol' does not exist on this host")]
    assert result['accounts']['bob']['provider'] == 'bedrock'
    assert result['accounts']['bob']['effective']['model'] == dict(value='sonnet', source='/home/bob/.claude/settings.json')
    assert result['accounts']['alice']['dropped'][0]['path'] == USER
    assert 'model' not in result['accounts']['alice']['effective']
    assert result['managed'] == dict(
        dir='/etc/claude-code',
        files=[dict(path=MANAGED, state='present'), dict(path=DROPIN_50, state='present')],
        dropped=[dict(path=MANAGED, key='permissions', reason="existing key 'permissions.allow' is a string ('Bash'), expected an array")])


def test_a_secret_that_is_not_a_string_is_hidden_too():
    result = view(files=[user({'env': {'ANTHROPIC_BASE_URL': 'http://gw:4000', 'ANTHROPIC_API_KEY': 12345}})])
    assert result['effective']['env.ANTHROPIC_API_KEY']['value'] == '********'
    assert '12345' not in repr(result)


def test_a_secret_under_a_name_the_user_chose_is_hidden():
    result = view(files=[user({'pluginConfigs': {'tool': {'options': {'apiKey': 'plain-secret-value'}}}})])
    assert result['effective']['pluginConfigs.tool.options.apiKey']['value'] == '********'
    assert 'plain-secret-value' not in repr(result)


def test_a_skip_auth_switch_that_is_off_is_no_credential():
    result = view(files=[user({'env': {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'eu-west-1',
                                       'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '0', 'AWS_PROFILE': 'dev'}})])
    assert result['credential'] == {'key': 'env.AWS_PROFILE', 'source': USER}
