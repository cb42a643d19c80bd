# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/plugin_utils/validation.py and of the generated settings_schema.json."""

import copy
import json
import os
import subprocess
import sys
import time

import pytest

jsonschema = pytest.importorskip('jsonschema')

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import validation  # noqa: E402
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.validation import check_input, check_result  # noqa: E402

# The repository root (or the collection tree scripts/collection-tree lays out), found from this file; it holds
# reference/, the inputs of scripts/make-schema (see reference/README.md).
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
REFERENCE = os.path.join(REPO, 'reference')
SCHEMASTORE = os.path.join(REFERENCE, 'schemastore-claude-code-settings.json')
KEYS_TSV = os.path.join(REFERENCE, 'settings-keys.tsv')

LABEL = '/home/alice/.claude/settings.json'
SECRET = 'sk-ant-SECRET-4f9d0c'


def only(errors):
    assert len(errors) == 1, errors
    return errors[0]


# --------------------------------------------------------------------------------------------------------
# check_input: schema rules

def test_valid_settings_have_no_errors():
    settings = {'apiKeyHelper': '/usr/local/bin/claude-key', 'env': {'AWS_REGION': 'eu-west-1'}, 'permissions': {'allow': ['Bash(ls:*)']}}
    normalized, errors = check_input(settings, 'user')
    assert errors == []
    assert normalized == settings


def test_type_error_names_path_type_and_expected_type():
    error = only(check_input({'apiKeyHelper': 5}, 'user')[1])
    assert error == 'settings.apiKeyHelper: got number 5, expected a string'


def test_type_error_for_a_container():
    error = only(check_input({'permissions': {'allow': 'Bash'}}, 'user')[1])
    assert error == "settings.permissions.allow: got string 'Bash', expected an array"


def test_enum_error_lists_the_allowed_values():
    error = only(check_input({'effortLevel': 'extreme'}, 'user')[1])
    assert error == "settings.effortLevel: got string 'extreme', expected one of 'low', 'medium', 'high', 'xhigh'"


def test_pattern_error_shows_the_pattern():
    error = only(check_input({'permissions': {'deny': ['Bash(rm']}}, 'user')[1])
    assert error.startswith("settings.permissions.deny[0]: got string 'Bash(rm', expected a string matching ^((Agent|")


def test_bounds_and_item_counts():
    errors = check_input({'cleanupPeriodDays': 0, 'fallbackModel': ['a', 'b', 'c', 'd']}, 'user')[1]
    assert errors == ['settings.cleanupPeriodDays: got number 0, expected an integer >= 1',
                      'settings.fallbackModel: got an array of 4 items, expected at most 3 items']


def test_unknown_key_in_closed_nested_object():
    error = only(check_input({'permissions': {'alow': ['Read']}}, 'user')[1])
    assert error == "settings.permissions.alow: is not a key of permissions; did you mean 'allow'?"
    error = only(check_input({'sandbox': {'network': {'httpProxyPrt': 3128}}}, 'user')[1])
    assert error == "settings.sandbox.network.httpProxyPrt: is not a key of sandbox.network; did you mean 'httpProxyPort'?"


def test_required_key_missing():
    error = only(check_input({'statusLine': {'type': 'command'}}, 'user')[1])
    assert error == "settings.statusLine: got an object without the required key 'command'"


def test_alternatives_report_the_branch_that_fits():
    errors = check_input({'strictPluginOnlyCustomization': ['skills', 'plugins']}, 'managed')[1]
    assert errors == ["settings.strictPluginOnlyCustomization[1]: got string 'plugins', expected one of 'skills', 'agents', 'hooks', 'mcp'"]
    hook = {'PreToolUse': [{'matcher': 'Bash', 'hooks': [{'type': 'command', 'command': 'x', 'timeout': 0}]}]}
    errors = check_input({'hooks': hook}, 'user')[1]
    assert errors == ['settings.hooks.PreToolUse[0].hooks[0].timeout: got number 0, expected a number > 0']


def test_alternatives_summary_when_no_branch_fits():
    error = only(check_input({'theme': 'blue'}, 'user')[1])
    assert error.startswith("settings.theme: got string 'blue', expected one of 'auto', 'dark'")
    assert error.endswith(' or a string matching ^custom:.+')
    error = only(check_input({'policyHelper': {'path': '/opt/p', 'refreshIntervalMs': 5}}, 'managed')[1])
    assert error == 'settings.policyHelper.refreshIntervalMs: got number 5, expected 0 or an integer >= 60000'


def test_null_value_points_to_remove():
    error = only(check_input({'model': None}, 'user')[1])
    assert error == "settings.model: got null, expected a string; null is not a value here: to delete the key, use remove: ['model']"


def test_all_errors_collected_and_sorted_by_path():
    settings = {'verbose': 'yes', 'apiKeyHelper': 1, 'permissions': {'defaultMode': 'yolo', 'allow': [3]}, 'env': {'b': '1'}}
    errors = check_input(settings, 'user')[1]
    assert [e.split(':')[0] for e in errors] == [
        'settings.apiKeyHelper', 'settings.env.b', 'settings.permissions.allow[0]', 'settings.permissions.defaultMode', 'settings.verbose']


def test_input_is_not_modified():
    settings = {'env': {'API_TIMEOUT_MS': 600000}}
    before = copy.deepcopy(settings)
    check_input(settings, 'user')
    assert settings == before


# --------------------------------------------------------------------------------------------------------
# check_input: strict-only rules

def test_unknown_top_level_key_suggests_the_nearest_key():
    error = only(check_input({'awsAuthRefersh': '/usr/local/bin/aws-refresh'}, 'user')[1])
    assert error == "settings.awsAuthRefersh: is not a Claude Code setting; did you mean 'awsAuthRefresh'?"


def test_unknown_top_level_key_without_a_near_key_mentions_loose():
    error = only(check_input({'zzzQuux': 1}, 'user')[1])
    assert error.startswith('settings.zzzQuux: is not a Claude Code setting (')
    assert 'validate: loose' in error


def test_schema_key_is_allowed():
    assert check_input({'$schema': 'https://json.schemastore.org/claude-code-settings.json'}, 'user')[1] == []


def test_managed_only_key_in_user_tier():
    error = only(check_input({'allowManagedHooksOnly': True}, 'user')[1])
    assert error == 'settings.allowManagedHooksOnly: applies only in managed settings; in user settings it would do nothing'
    assert check_input({'allowManagedHooksOnly': True}, 'managed')[1] == []


@pytest.mark.parametrize('tier', ['project', 'local'])
def test_user_or_managed_key_in_project_tiers(tier):
    error = only(check_input({'autoMode': {'classifyAllShell': True}}, tier)[1])
    assert error.startswith('settings.autoMode: applies only in user or managed settings; in ')
    assert error.endswith('it would do nothing')


def test_user_or_managed_key_where_it_applies():
    for tier in ('user', 'managed'):
        assert check_input({'autoMode': {'classifyAllShell': True}}, tier)[1] == []


def test_nested_tier_rule():
    settings = {'sandbox': {'enabled': True, 'credentials': {'sigv4': {}}}}
    error = only(check_input(settings, 'project')[1])
    assert error.startswith('settings.sandbox.credentials.sigv4: applies only in user or managed settings; in project settings')
    assert check_input(settings, 'user')[1] == []


@pytest.mark.parametrize('tier', ['user', 'project', 'local', 'managed', None])
def test_global_config_key_is_refused_in_every_tier(tier):
    error = only(check_input({'autoConnectIde': True}, tier)[1])
    assert error.startswith('settings.autoConnectIde: is a global config key: Claude Code reads it from ~/.claude.json')
    assert 'would do nothing' in error


def test_unknown_tier_applies_only_common_rules():
    assert check_input({'allowManagedHooksOnly': True, 'autoMode': {}}, None)[1] == []
    assert only(check_input({'awsAuthRefersh': 'x'}, None)[1]).startswith('settings.awsAuthRefersh:')


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        check_input({}, 'system')
    with pytest.raises(ValueError):
        check_input({}, 'user', level='lenient')
    with pytest.raises(ValueError):
        check_result({}, [], 'user', level='lenient')


# --------------------------------------------------------------------------------------------------------
# env

def test_env_numbers_become_strings():
    normalized, errors = check_input({'env': {'API_TIMEOUT_MS': 600000, 'CLAUDE_CODE_MAX_RETRIES': 0, 'RATIO': 0.5}}, 'user')
    assert errors == []
    assert normalized['env'] == {'API_TIMEOUT_MS': '600000', 'CLAUDE_CODE_MAX_RETRIES': '0', 'RATIO': '0.5'}
    assert check_input({'env': {'CLAUDE_CODE_USE_BEDROCK': 1}}, 'user', level='loose') == ({'env': {'CLAUDE_CODE_USE_BEDROCK': '1'}}, [])


def test_env_number_must_still_fit_the_enum():
    error = only(check_input({'env': {'CLAUDE_CODE_USE_BEDROCK': 2}}, 'user')[1])
    assert error == "settings.env.CLAUDE_CODE_USE_BEDROCK: got string '2', expected one of '0', '1'"


def test_env_boolean_is_an_error_that_says_why():
    error = only(check_input({'env': {'DISABLE_TELEMETRY': True}}, 'user')[1])
    assert error == ("settings.env.DISABLE_TELEMETRY: got boolean true, expected a string; write '1' to turn a switch on and "
                     "leave the variable out to turn it off (some switches count any non-empty value, even '0' or 'false', as on)")


def test_env_boolean_for_a_true_false_variable():
    error = only(check_input({'env': {'CLAUDE_CODE_AUTO_CONNECT_IDE': False}}, 'user', level='loose')[1])
    assert error == "settings.env.CLAUDE_CODE_AUTO_CONNECT_IDE: got boolean false, expected a string; quote it: write 'true' or 'false'"


@pytest.mark.parametrize('level', ['strict', 'loose'])
def test_lowercase_env_name(level):
    error = only(check_input({'env': {'http_proxy': 'http://proxy:3128'}}, 'user', level=level)[1])
    assert error == ("settings.env.http_proxy: is not a valid variable name, expected a name matching ^[A-Z_][A-Z0-9_]*$ "
                     "(upper case letters, digits and underscores); did you mean 'HTTP_PROXY'?")


# --------------------------------------------------------------------------------------------------------
# secrets

def test_secret_values_never_appear_in_input_errors():
    settings = {
        'env': {'ANTHROPIC_AUTH_TOKEN': ['Bearer ' + SECRET], 'ANTHROPIC_API_KEY': {'v': SECRET}, 'anthropic_api_key': SECRET,
                'AWS_BEARER_TOKEN_BEDROCK': True, 'ANTHROPIC_CUSTOM_HEADERS': None},
        'hooks': {'Stop': [{'hooks': [{'type': 'http', 'url': 'https://h', 'headers': {'Authorization': 4242424242, 'X-Api-Key': [SECRET]}}]}]},
        'pluginConfigs': {'p@m': {'options': {'apiKey': {'x': SECRET}}}},
        'strictKnownMarketplaces': [{'source': 'url', 'url': 'https://m', 'headers': {'Authorization': 77777777}}],
    }
    errors = check_input(settings, 'user')[1]
    assert len(errors) >= 7
    text = '\n'.join(errors)
    for marker in (SECRET, '4242424242', '77777777'):
        assert marker not in text
    bool_error = [e for e in errors if e.startswith('settings.env.AWS_BEARER_TOKEN_BEDROCK:')][0]
    assert bool_error.startswith('settings.env.AWS_BEARER_TOKEN_BEDROCK: got a boolean, expected a string')
    assert 'got an array' in text


def test_secret_values_never_appear_in_result_messages():
    doc = {'env': {'ANTHROPIC_API_KEY': 31415926, 'ANTHROPIC_AUTH_TOKEN': True, 'ANTHROPIC_CUSTOM_HEADERS': '********'},
           'hooks': {'Stop': [{'hooks': [{'type': 'http', 'url': 'https://h', 'headers': {'Authorization': 27182818}}]}]}}
    errors, warnings = check_result(doc, [], 'user', path_label=LABEL)
    text = '\n'.join(errors + warnings)
    assert errors and warnings
    assert '31415926' not in text and '27182818' not in text
    assert "existing key 'env.ANTHROPIC_API_KEY' is a number; Claude Code accepts a number here" in text


def test_a_url_with_a_password_is_never_shown_in_messages_whatever_its_key():
    url = 'https://svc:%s@proxy.corp:3128' % SECRET
    errors = check_input({'env': {'CLAUDE_CODE_USE_BEDROCK': url}, 'permissions': {'defaultMode': url}}, 'user')[1]
    assert len(errors) == 2
    assert SECRET not in '\n'.join(errors) and 'proxy.corp' not in '\n'.join(errors)
    assert "settings.permissions.defaultMode: got a string (value hidden), expected one of" in '\n'.join(errors)


def test_listed_secret_keys_are_never_shown_in_messages():
    settings = {'effortLevel': 'tenant-' + SECRET, 'env': {'CORP_PIN': True}}
    errors = check_input(settings, 'user', secret_keys=[('effortLevel',), ('env', 'CORP_PIN')])[1]
    assert errors == ["settings.effortLevel: got a string (value hidden), expected one of 'low', 'medium', 'high', 'xhigh'",
                      "settings.env.CORP_PIN: got a boolean, expected a string; write '1' to turn a switch on and leave the "
                      "variable out to turn it off (some switches count any non-empty value, even '0' or 'false', as on)"]
    assert SECRET in '\n'.join(check_input(settings, 'user')[1]), 'unlisted, the same value is shown'
    errors, warnings = check_result({'env': {'CORP_PIN': 4242}}, [], 'user', path_label=LABEL, secret_keys=['env.CORP_PIN'])
    assert warnings and '4242' not in '\n'.join(warnings)


def test_a_redacted_value_is_judged_by_its_type_only():
    # An existing listed key whose real value the controller never sees: '********' does not match the enum, but it
    # stands for a value that may; only its type is judged.
    assert check_result({'effortLevel': '********'}, [], 'user', path_label=LABEL) == ([], [])
    errors = check_result({'effortLevel': ['********']}, [], 'user', path_label=LABEL)[0]
    assert errors and 'is an array' in errors[0]


def test_command_settings_are_not_treated_as_secrets():
    error = only(check_input({'awsAuthRefresh': 12}, 'user')[1])
    assert error == 'settings.awsAuthRefresh: got number 12, expected a string'


# --------------------------------------------------------------------------------------------------------
# levels

def test_loose_allows_unknown_top_level_keys_and_skips_tier_rules():
    settings = {'awsAuthRefersh': 'x', 'someFutureKey': {'a': 1}, 'allowManagedHooksOnly': True, 'autoConnectIde': True}
    assert check_input(settings, 'user', level='loose')[1] == []


def test_loose_still_checks_types_enums_and_closed_objects():
    errors = check_input({'effortLevel': 'max', 'permissions': {'alow': []}, 'model': 3}, 'user', level='loose')[1]
    assert [e.split(':')[0] for e in errors] == ['settings.effortLevel', 'settings.model', 'settings.permissions.alow']


def test_none_accepts_any_dict_unchanged():
    settings = {'env': {'A': True, 'lower': 5}, 'whatever': object()}
    normalized, errors = check_input(settings, 'user', level='none')
    assert errors == []
    assert normalized is settings


@pytest.mark.parametrize('level', ['strict', 'loose', 'none'])
def test_settings_must_be_a_dict(level):
    error = only(check_input(['model'], 'user', level=level)[1])
    assert error == 'settings: got an array, expected an object (a mapping of settings keys)'


# --------------------------------------------------------------------------------------------------------
# check_result

def test_result_wrong_existing_type_is_an_error():
    errors, warnings = check_result({'permissions': {'allow': 'Bash(ls)'}, 'model': 'opus'}, [('model',)], 'user', path_label=LABEL)
    assert warnings == []
    assert errors == ["%s: existing key 'permissions.allow' is a string ('Bash(ls)'), expected an array; Claude Code would ignore "
                      "the whole file. Fix it or remove it with remove: ['permissions.allow']" % LABEL]


def test_result_error_inside_a_list_suggests_removing_the_list():
    errors = check_result({'permissions': {'allow': ['Read', 'Bogus']}}, [], 'user', path_label=LABEL)[0]
    error = only(errors)
    assert error.startswith("%s: existing key 'permissions.allow[1]' is a string ('Bogus'), expected a string matching" % LABEL)
    assert error.endswith("Fix it or remove it with remove: ['permissions.allow']")


def test_result_unknown_existing_key_is_a_warning():
    errors, warnings = check_result({'awsAuthRefersh': 'x', 'sandbox': {'network': {'foo': 1}}}, [], 'user', path_label=LABEL)
    assert errors == []
    assert warnings[0] == ("%s: existing key 'awsAuthRefersh' is not a Claude Code setting; did you mean 'awsAuthRefresh'? "
                           "It is kept as it is; Claude Code does not use it." % LABEL)
    assert warnings[1].startswith("%s: existing key 'sandbox.network.foo' is not a key of sandbox.network" % LABEL)


def test_result_loose_warns_only_for_nested_unknown_keys():
    errors, warnings = check_result({'awsAuthRefersh': 'x', 'sandbox': {'network': {'foo': 1}}}, [], 'user', level='loose')
    assert errors == []
    assert len(warnings) == 1 and "'sandbox.network.foo'" in warnings[0]


def test_result_env_oddities_are_warnings():
    doc = {'env': {'API_TIMEOUT_MS': 600000, 'http_proxy': 'http://p:3128'}}
    errors, warnings = check_result(doc, [], 'user', path_label=LABEL)
    assert errors == []
    assert warnings == [
        "%s: existing key 'env.API_TIMEOUT_MS' is a number (600000); Claude Code accepts a number here, but the published schema "
        "expects a string such as '600000'" % LABEL,
        "%s: existing key 'env.http_proxy' is not a valid variable name, expected a name matching ^[A-Z_][A-Z0-9_]*$ (upper case "
        "letters, digits and underscores); did you mean 'HTTP_PROXY'?" % LABEL,
    ]


def test_result_env_values_that_are_not_strings_are_warnings():
    # Measured with the real client: it reads an existing env value of any type as text and keeps the file.
    errors, warnings = check_result({'env': {'DISABLE_TELEMETRY': False, 'FOO': None, 'BAR': ['x']}}, [], 'user', path_label=LABEL)
    assert errors == []
    assert len(warnings) == 3
    assert "%s: existing key 'env.DISABLE_TELEMETRY' is a boolean (false), expected a string; Claude Code reads it as the text " \
           "'false'" % LABEL in warnings
    assert all("Claude Code reads it as" in w for w in warnings)


def test_result_key_that_does_nothing_in_the_tier_is_a_warning():
    errors, warnings = check_result({'allowManagedHooksOnly': True, 'autoConnectIde': False}, [], 'user', path_label=LABEL)
    assert errors == []
    assert warnings == [
        "%s: existing key 'allowManagedHooksOnly' applies only in managed settings; in user settings it would do nothing" % LABEL,
        "%s: existing key 'autoConnectIde' is a global config key: Claude Code reads it from ~/.claude.json, not from a settings file; "
        "here it would do nothing" % LABEL,
    ]
    assert check_result({'allowManagedHooksOnly': True}, [], 'managed') == ([], [])


def test_result_error_fixed_by_the_task_is_not_reported():
    # The file had "permissions": {"allow": "Bash"}; the task replaced it, so the document to write is fine.
    doc = {'permissions': {'allow': ['Bash(ls:*)']}, 'model': 'opus'}
    assert check_result(doc, [('permissions', 'allow')], 'user', path_label=LABEL) == ([], [])


def test_result_warnings_under_task_paths_are_left_out():
    doc = {'env': {'API_TIMEOUT_MS': 5, 'OTHER_MS': 6}, 'allowManagedHooksOnly': True}
    warnings = check_result(doc, [('env', 'API_TIMEOUT_MS'), ('allowManagedHooksOnly',)], 'user')[1]
    assert len(warnings) == 1 and "'env.OTHER_MS'" in warnings[0]


def test_result_level_none_reports_nothing():
    assert check_result({'permissions': 'x', 'env': {'a': True}}, [], 'user', level='none') == ([], [])


def test_result_doc_not_an_object():
    errors, warnings = check_result([], [], 'user', path_label=LABEL)
    assert errors == ['%s: the document is an array, expected an object; Claude Code would ignore the whole file' % LABEL]


# --------------------------------------------------------------------------------------------------------
# the schema and its loading

def test_schema_is_loaded_once():
    validation.prepare()
    assert validation.load_schema() is validation.load_schema()
    assert validation._validator() is validation._validator()


def test_schema_shape():
    schema = validation.load_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema['additionalProperties'] is False
    assert schema['properties']['$schema'] == {'type': 'string'}
    env = schema['properties']['env']
    assert env['propertyNames'] == {'pattern': '^[A-Z_][A-Z0-9_]*$'}
    assert env['additionalProperties'] == {'type': 'string'}
    assert schema['x-fleetcfg-tiers']['autoConnectIde'] == []
    assert schema['x-fleetcfg-tiers']['allowManagedHooksOnly'] == ['managed']
    assert schema['x-fleetcfg-tiers']['sandbox.credentials.sigv4'] == ['user', 'managed']
    assert schema['x-fleetcfg-tiers']['skipDangerousModePermissionPrompt'] == ['user', 'local', 'managed']
    assert 'apiKeyHelper' not in schema['x-fleetcfg-tiers']


def _keywords(node, found):
    """Collect the keywords used anywhere in a schema (property names and data values are not keywords)."""
    if isinstance(node, list):
        for item in node:
            _keywords(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ('properties', 'patternProperties', '$defs', 'x-fleetcfg-tiers'):
                for sub in value.values():
                    _keywords(sub, found)
            elif key not in ('enum', 'const', 'required', 'x-fleetcfg-added'):
                _keywords(value, found)
    return found


def test_schema_carries_no_prose():
    found = _keywords(validation.load_schema(), set())
    assert not found & {'description', 'markdownDescription', 'examples', 'title', 'default', '$id'}
    assert 'https://' not in json.dumps(validation.load_schema())


def test_tiers_of():
    assert validation.tiers_of('allowManagedHooksOnly') == ('managed',)
    assert validation.tiers_of(('model',)) == validation.TIERS
    assert validation.tiers_of('diffTool') == ()


def test_every_documented_key_is_known():
    schema = validation.load_schema()
    with open(KEYS_TSV, encoding='utf-8') as handle:
        keys = [line.split('\t')[0] for line in handle.read().splitlines()[1:] if line.strip()]
    for dotted in keys:
        node = schema
        for key in dotted.split('.'):
            if 'properties' not in node:
                break  # strictPluginOnlyCustomization.<surface> names array items, not keys
            assert key in node['properties'], dotted
            node = node['properties'][key]


def test_generated_schema_is_up_to_date():
    result = subprocess.run([sys.executable, os.path.join(REPO, 'scripts', 'make-schema'), REFERENCE, '--check'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------------------------------------
# against SchemaStore's published schema

VALID_DOCUMENTS = [
    ('user', {'$schema': 'https://json.schemastore.org/claude-code-settings.json',
              'env': {'CLAUDE_CODE_USE_BEDROCK': '1', 'AWS_REGION': 'us-east-1',
                      'ANTHROPIC_DEFAULT_SONNET_MODEL': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'},
              'awsAuthRefresh': 'aws sso login --profile dev', 'awsCredentialExport': '/usr/local/bin/claude-aws-creds',
              'model': 'sonnet', 'effortLevel': 'high', 'autoUpdatesChannel': 'stable'}),
    ('user', {'env': {'CLAUDE_CODE_USE_VERTEX': '1', 'CLOUD_ML_REGION': 'us-east5', 'ANTHROPIC_VERTEX_PROJECT_ID': 'p-123'},
              'gcpAuthRefresh': 'gcloud auth application-default login', 'theme': 'custom:corp', 'cleanupPeriodDays': 30}),
    ('user', {'env': {'ANTHROPIC_BASE_URL': 'http://litellm:4000', 'ANTHROPIC_AUTH_TOKEN': '********',
                      'ANTHROPIC_CUSTOM_HEADERS': 'x-litellm-key: ********', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC': '1'},
              'apiKeyHelper': '/usr/local/bin/claude-key', 'statusLine': {'type': 'command', 'command': '~/.claude/status.sh'},
              'attribution': {'commit': '', 'pr': ''}, 'spinnerTipsEnabled': False}),
    ('project', {'permissions': {'allow': ['Bash(npm run test:*)', 'Read(~/.zshrc)', 'mcp__github'], 'deny': ['WebFetch', 'Read(./.env)'],
                                 'ask': ['Bash(git push:*)'], 'defaultMode': 'acceptEdits', 'additionalDirectories': ['../docs']},
                 'hooks': {'PostToolUse': [{'matcher': 'Edit|Write', 'hooks': [{'type': 'command', 'command': 'make fmt', 'timeout': 30}]}],
                           'Stop': [{'hooks': [{'type': 'http', 'url': 'https://hooks.example/stop', 'headers': {'X-Team': 'a'}}]}]},
                 'enabledPlugins': {'formatter@corp': True}, 'worktree': {'sparsePaths': ['src'], 'baseRef': 'head'}}),
    ('local', {'permissions': {'allow': ['Bash(make:*)']}, 'outputStyle': 'Explanatory', 'skipDangerousModePermissionPrompt': True}),
    ('managed', {'allowManagedHooksOnly': True, 'allowManagedPermissionRulesOnly': True, 'forceLoginMethod': 'console',
                 'requiredMinimumVersion': '2.1.0', 'permissions': {'disableBypassPermissionsMode': 'disable', 'deny': ['Bash(curl:*)']},
                 'sandbox': {'enabled': True, 'network': {'allowedDomains': ['example.com'], 'httpProxyPort': 3128},
                             'filesystem': {'denyRead': ['~/.ssh']}, 'credentials': {'files': [{'path': '~/.aws', 'mode': 'deny'}]}},
                 'strictPluginOnlyCustomization': ['skills', 'hooks'], 'policyHelper': {'path': '/opt/policy', 'refreshIntervalMs': 0},
                 'autoMode': {'classifyAllShell': True, 'allow': ['read-only commands']}, 'companyAnnouncements': ['Welcome'],
                 'strictKnownMarketplaces': [{'source': 'github', 'repo': 'corp/plugins'}]}),
    ('managed', {'extraKnownMarketplaces': {'corp': {'source': {'source': 'git', 'url': 'https://git.example/corp.git'}}},
                 'modelOverrides': {'claude-opus-4-6': 'arn:aws:bedrock:us-east-1:1:inference-profile/x'},
                 'availableModels': ['sonnet', 'haiku'], 'fallbackModel': ['haiku'], 'feedbackSurveyRate': 0.05,
                 'spinnerVerbs': {'mode': 'append', 'verbs': ['Compiling']}, 'voice': {'enabled': False}}),
]

INVALID_DOCUMENTS = [
    {'apiKeyHelper': 5},
    {'env': {'DISABLE_TELEMETRY': True}},
    {'env': {'lower': '1'}},
    {'permissions': {'allow': 'Bash'}},
    {'permissions': {'alow': []}},
    {'effortLevel': 'extreme'},
    {'statusLine': {'type': 'command'}},
    {'hooks': {'NoSuchEvent': []}},
    {'sandbox': {'network': {'httpProxyPort': 70000}}},
]


def _schemastore_validator():
    with open(SCHEMASTORE, encoding='utf-8') as handle:
        return jsonschema.Draft7Validator(json.load(handle))


@pytest.mark.parametrize('tier,doc', VALID_DOCUMENTS)
def test_valid_documents_pass_ours(tier, doc):
    assert check_input(doc, tier)[1] == []
    assert check_result(doc, [], tier) == ([], [])


@pytest.mark.parametrize('tier,doc', VALID_DOCUMENTS)
def test_what_we_accept_passes_schemastore(tier, doc):
    assert check_input(doc, tier)[1] == []
    errors = [e.message for e in _schemastore_validator().iter_errors(doc)]
    assert errors == []


@pytest.mark.parametrize('doc', INVALID_DOCUMENTS)
def test_invalid_for_schemastore_is_invalid_for_us(doc):
    assert list(_schemastore_validator().iter_errors(doc))
    assert check_input(doc, 'user', level='loose')[1]


def test_known_divergences_from_schemastore():
    """Keys the documentation lists but SchemaStore's closed objects refuse: the only places ours is looser."""
    validator = _schemastore_validator()
    schema = validation.load_schema()
    looser = []
    for dotted in schema['x-fleetcfg-added']:
        doc = value = {}
        keys = dotted.split('.')
        for key in keys[:-1]:
            value[key] = {}
            value = value[key]
        value[keys[-1]] = {}
        if list(validator.iter_errors(doc)):
            looser.append(dotted)
    assert looser == ['sandbox.credentials.awsPairs', 'sandbox.credentials.sigv4']


# --------------------------------------------------------------------------------------------------------
# speed

def test_validation_is_fast():
    doc = VALID_DOCUMENTS[5][1]
    check_input(doc, 'managed')  # warm
    start = time.perf_counter()
    for dummy in range(20):
        check_input(doc, 'managed')
        check_result(doc, [], 'managed')
    per_call = (time.perf_counter() - start) / 40
    assert per_call < 0.05, per_call
