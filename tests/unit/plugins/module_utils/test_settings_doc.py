# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of settings_doc: key paths, merge, removal, what changed, secrets, serialization."""

import copy
import hashlib
import json

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import settings_doc as sd


# ---------------------------------------------------------------------------------------------------------------
# parse_key_path / format_key_path

@pytest.mark.parametrize('path, keys', [
    ('model', ('model',)),
    ('env.ANTHROPIC_API_KEY', ('env', 'ANTHROPIC_API_KEY')),
    ('permissions.allow', ('permissions', 'allow')),
    (r'env.a\.b', ('env', 'a.b')),
    (r'a\.b\.c', ('a.b.c',)),
    (['env', 'ANTHROPIC_API_KEY'], ('env', 'ANTHROPIC_API_KEY')),
    (('env', 'x.y'), ('env', 'x.y')),
    (['a.b'], ('a.b',)),
])
def test_parse_key_path_forms(path, keys):
    assert sd.parse_key_path(path) == keys


@pytest.mark.parametrize('path', ['', '.', 'a.', '.a', 'a..b', [], (), ['a', ''], ['a', 5], [None]])
def test_parse_key_path_rejects_empty_or_non_string_keys(path):
    with pytest.raises(ValueError, match='invalid key path'):
        sd.parse_key_path(path)


@pytest.mark.parametrize('path', [5, None, {'a': 1}, 1.5])
def test_parse_key_path_rejects_other_types(path):
    with pytest.raises(ValueError, match='must be a string or a list'):
        sd.parse_key_path(path)


@pytest.mark.parametrize('keys', [('env', 'A'), ('a.b', 'c'), ('x',), ('a', 'b.c.d')])
def test_format_key_path_round_trips(keys):
    text = sd.format_key_path(keys)
    assert sd.parse_key_path(text) == keys


def test_format_key_path_escapes_dots():
    assert sd.format_key_path(('env', 'a.b')) == r'env.a\.b'


# ---------------------------------------------------------------------------------------------------------------
# deep_merge

def test_deep_merge_keeps_unknown_user_keys_and_their_order():
    base = {'zeta': 1, 'myOwnKey': {'x': 1}, 'alpha': 'a', 'model': 'opus'}
    result = sd.deep_merge(base, {'model': 'sonnet', 'newKey': True})
    assert list(result) == ['zeta', 'myOwnKey', 'alpha', 'model', 'newKey']
    assert result == {'zeta': 1, 'myOwnKey': {'x': 1}, 'alpha': 'a', 'model': 'sonnet', 'newKey': True}


def test_deep_merge_nested_objects_merge_key_by_key():
    base = {'env': {'USER_VAR': 'mine', 'ANTHROPIC_BASE_URL': 'http://old'}, 'permissions': {'deny': ['Read(.env)']}}
    overlay = {'env': {'ANTHROPIC_BASE_URL': 'https://gw', 'AWS_REGION': 'eu-west-1'}, 'permissions': {'ask': ['Bash']}}
    result = sd.deep_merge(base, overlay)
    assert result == {
        'env': {'USER_VAR': 'mine', 'ANTHROPIC_BASE_URL': 'https://gw', 'AWS_REGION': 'eu-west-1'},
        'permissions': {'deny': ['Read(.env)'], 'ask': ['Bash']},
    }
    assert list(result['env']) == ['USER_VAR', 'ANTHROPIC_BASE_URL', 'AWS_REGION']


def test_deep_merge_list_union_keeps_order_and_dedupes():
    base = {'permissions': {'allow': ['b', 'a', 'user-rule']}}
    overlay = {'permissions': {'allow': ['a', 'c', 'c', 'b', 'd']}}
    result = sd.deep_merge(base, overlay)
    assert result['permissions']['allow'] == ['b', 'a', 'user-rule', 'c', 'd']


def test_deep_merge_union_is_the_default_and_compares_objects_by_value():
    base = {'hooks': [{'matcher': 'Bash', 'hooks': [1]}]}
    overlay = {'hooks': [{'hooks': [1], 'matcher': 'Bash'}, {'matcher': 'Edit'}]}
    assert sd.deep_merge(base, overlay)['hooks'] == [{'matcher': 'Bash', 'hooks': [1]}, {'matcher': 'Edit'}]


def test_deep_merge_replace_strategy_replaces_lists_but_still_merges_objects():
    base = {'permissions': {'allow': ['x', 'y'], 'deny': ['z']}, 'keep': 1}
    overlay = {'permissions': {'allow': ['a']}}
    result = sd.deep_merge(base, overlay, list_strategy='replace')
    assert result == {'permissions': {'allow': ['a'], 'deny': ['z']}, 'keep': 1}


def test_deep_merge_replace_strategy_with_empty_list_empties_it():
    assert sd.deep_merge({'l': [1, 2]}, {'l': []}, 'replace') == {'l': []}
    assert sd.deep_merge({'l': [1, 2]}, {'l': []}, 'union') == {'l': [1, 2]}


def test_deep_merge_type_mismatch_overlay_wins():
    base = {'a': {'x': 1}, 'b': [1], 'c': 'text', 'd': 5}
    overlay = {'a': 'now a string', 'b': {'k': 'v'}, 'c': ['l'], 'd': None}
    assert sd.deep_merge(base, overlay) == overlay


def test_deep_merge_rejects_unknown_list_strategy():
    with pytest.raises(ValueError, match='list_strategy'):
        sd.deep_merge({}, {}, 'append')


def test_deep_merge_does_not_mutate_or_share_with_its_inputs():
    base = {'env': {'A': '1'}, 'list': [{'k': 1}], 'perm': {'allow': ['x']}}
    overlay = {'env': {'B': '2'}, 'list': [{'k': 2}], 'new': {'deep': [1]}, 'perm': {'allow': ['y']}}
    base_copy, overlay_copy = copy.deepcopy(base), copy.deepcopy(overlay)
    result = sd.deep_merge(base, overlay)
    assert base == base_copy and overlay == overlay_copy
    # Changing the result must not reach back into the inputs.
    result['env']['A'] = 'changed'
    result['list'][0]['k'] = 99
    result['list'][1]['k'] = 98
    result['new']['deep'].append(2)
    result['perm']['allow'].append('z')
    assert base == base_copy and overlay == overlay_copy


def test_deep_merge_empty_overlay_is_an_equal_copy():
    base = {'a': {'b': [1, 2]}}
    result = sd.deep_merge(base, {})
    assert result == base and result is not base and result['a'] is not base['a']


def test_deep_merge_union_bool_and_int_items_are_distinct():
    # JSON true and 1 are different values; a union must not drop one because Python has True == 1.
    assert sd.deep_merge({'l': [True, 0]}, {'l': [1, False]}) == {'l': [True, 0, 1, False]}


# ---------------------------------------------------------------------------------------------------------------
# remove_key_paths / get_key_path

def test_remove_key_paths_nested_and_keeps_emptied_object():
    doc = {'env': {'ANTHROPIC_API_KEY': 'k', 'X': '1'}, 'permissions': {'allow': ['a']}, 'model': 'm'}
    result = sd.remove_key_paths(doc, [('env', 'ANTHROPIC_API_KEY'), ('permissions', 'allow'), ('model',)])
    assert result == {'env': {'X': '1'}, 'permissions': {}}
    assert doc['env']['ANTHROPIC_API_KEY'] == 'k', 'input must not be mutated'


@pytest.mark.parametrize('keys', [
    ('nope',), ('env', 'NOPE'), ('nope', 'deeper', 'still'), ('model', 'sub'), ('list', 'x'), ('nullish', 'x'),
])
def test_remove_key_paths_missing_paths_are_ignored(keys):
    doc = {'env': {'A': '1'}, 'model': 'm', 'list': [{'x': 1}], 'nullish': None}
    assert sd.remove_key_paths(doc, [keys]) == doc


def test_remove_key_paths_with_escaped_dot_removes_only_that_key():
    doc = {'env': {'a.b': '1', 'a': {'b': '2'}}}
    result = sd.remove_key_paths(doc, [sd.parse_key_path(r'env.a\.b')])
    assert result == {'env': {'a': {'b': '2'}}}
    result = sd.remove_key_paths(doc, [sd.parse_key_path('env.a.b')])
    assert result == {'env': {'a.b': '1', 'a': {}}}


def test_get_key_path():
    doc = {'env': {'A': '1'}, 'l': [1]}
    assert sd.get_key_path(doc, ('env', 'A')) == '1'
    assert sd.get_key_path(doc, ('env', 'B'), 'dflt') == 'dflt'
    assert sd.get_key_path(doc, ('l', '0')) is None
    assert sd.get_key_path(doc, ()) == doc


# ---------------------------------------------------------------------------------------------------------------
# changed_key_paths

def test_changed_key_paths_added_removed_changed_leaves_sorted():
    before = {'env': {'A': '1', 'B': '2', 'SAME': 's'}, 'model': 'opus', 'gone': True}
    after = {'env': {'A': '1', 'B': '3', 'C': '4', 'SAME': 's'}, 'model': 'opus', 'added': 1}
    assert sd.changed_key_paths(before, after) == ['added', 'env.B', 'env.C', 'gone']


def test_changed_key_paths_equal_documents():
    doc = {'env': {'A': '1'}, 'l': [1, {'x': 2}], 'e': {}}
    assert sd.changed_key_paths(doc, copy.deepcopy(doc)) == []
    assert sd.changed_key_paths({}, {}) == []


def test_changed_key_paths_lists_compare_whole():
    before = {'permissions': {'allow': ['a', 'b']}}
    assert sd.changed_key_paths(before, {'permissions': {'allow': ['a', 'b', 'c']}}) == ['permissions.allow']
    assert sd.changed_key_paths(before, {'permissions': {'allow': ['b', 'a']}}) == ['permissions.allow']


def test_changed_key_paths_object_added_or_removed_counts_key_by_key():
    assert sd.changed_key_paths({}, {'env': {'A': '1', 'B': '2'}}) == ['env.A', 'env.B']
    assert sd.changed_key_paths({'env': {'A': '1', 'B': '2'}}, {}) == ['env.A', 'env.B']


def test_changed_key_paths_empty_object_added_or_removed():
    assert sd.changed_key_paths({}, {'env': {}}) == ['env']
    assert sd.changed_key_paths({'env': {}}, {}) == ['env']
    assert sd.changed_key_paths({'a': {'b': {}}}, {'a': {}}) == ['a.b']


def test_changed_key_paths_type_changes():
    # JSON true and 1 differ, and so do 1 and 1.0 and "1" once written.
    assert sd.changed_key_paths({'a': True}, {'a': 1}) == ['a']
    assert sd.changed_key_paths({'a': 1}, {'a': 1.0}) == ['a']
    assert sd.changed_key_paths({'a': 1}, {'a': '1'}) == ['a']
    assert sd.changed_key_paths({'a': 'x'}, {'a': {'b': 1}}) == ['a']
    assert sd.changed_key_paths({'a': {'b': 1}}, {'a': 'x'}) == ['a']
    assert sd.changed_key_paths({'a': None}, {}) == ['a']


def test_changed_key_paths_display_form_escapes_dots():
    assert sd.changed_key_paths({}, {'env': {'a.b': '1'}}) == [r'env.a\.b']


# ---------------------------------------------------------------------------------------------------------------
# secrets

@pytest.mark.parametrize('name', [
    'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'ANTHROPIC_CUSTOM_HEADERS', 'CLAUDE_CODE_CLIENT_KEY_PASSPHRASE', 'MY_PASSWORD', 'CLAUDE_CODE_OAUTH_TOKEN',
    'anthropic_api_key', 'ANTHROPIC_AWS_API_KEY',
])
def test_is_secret_name_true(name):
    assert sd.is_secret_name(name)


@pytest.mark.parametrize('name', [
    'ANTHROPIC_BASE_URL', 'AWS_REGION', 'CLAUDE_CODE_USE_BEDROCK', 'ANTHROPIC_MODEL', 'DISABLE_AUTOUPDATER', 'HTTPS_PROXY',
    'ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION', 'ANTHROPIC_DEFAULT_SONNET_MODEL',
])
def test_is_secret_name_false(name):
    assert not sd.is_secret_name(name)


# Documented provider variables that hold no secret but contain one of the secret words. Treating them as secrets
# over-redacts them, and plan() refuses to write them into managed and project files (mode 0644).
NOT_SECRETS = [
    'CLAUDE_CODE_SKIP_BEDROCK_AUTH', 'CLAUDE_CODE_SKIP_VERTEX_AUTH', 'CLAUDE_CODE_SKIP_FOUNDRY_AUTH',
    'MAX_THINKING_TOKENS', 'CLAUDE_CODE_MAX_OUTPUT_TOKENS', 'CLAUDE_CODE_API_KEY_HELPER_TTL_MS',
]


@pytest.mark.parametrize('name', NOT_SECRETS)
def test_is_secret_name_documented_non_secrets(name):
    assert not sd.is_secret_name(name)


def test_is_secret_path():
    assert sd.is_secret_path(('env', 'ANTHROPIC_API_KEY'))
    assert not sd.is_secret_path(('env', 'AWS_REGION'))
    assert not sd.is_secret_path(('ANTHROPIC_API_KEY',))
    assert not sd.is_secret_path(('other', 'ANTHROPIC_API_KEY'))
    assert not sd.is_secret_path(('env',))


def test_redact_replaces_only_secret_named_env_strings_in_lists_too():
    doc = {
        'env': {
            'ANTHROPIC_AUTH_TOKEN': 'sk-live-123',
            'ANTHROPIC_BASE_URL': 'https://gw.example.com',
            'ANTHROPIC_API_KEY': '',
            'MY_SECRET_NUM': 1234,
            'MY_SECRET_LIST': ['a'],
            'AWS_REGION': 'eu-west-1',
        },
        'apiKeyHelper': '/home/a/.claude/bin/helper',
        'ANTHROPIC_API_KEY': 'top-level-not-env',
        'nested': {'env': {'ANTHROPIC_API_KEY': 'not-the-env-object'}},
    }
    original = copy.deepcopy(doc)
    result = sd.redact(doc)
    assert result['env'] == {
        'ANTHROPIC_AUTH_TOKEN': sd.REDACTED,
        'ANTHROPIC_BASE_URL': 'https://gw.example.com',
        'ANTHROPIC_API_KEY': '',
        'MY_SECRET_NUM': 1234,
        'MY_SECRET_LIST': [sd.REDACTED],
        'AWS_REGION': 'eu-west-1',
    }
    assert list(result['env']) == list(doc['env'])
    for key in ('apiKeyHelper', 'ANTHROPIC_API_KEY', 'nested'):
        assert result[key] == doc[key]
    assert doc == original, 'the original document must stay untouched'
    assert 'sk-live-123' not in json.dumps(result)


@pytest.mark.parametrize('doc', [{}, {'env': None}, {'env': 'x'}, {'env': []}, [], None, 'text'])
def test_redact_tolerates_documents_without_an_env_object(doc):
    assert sd.redact(doc) == doc


def test_redact_result_is_a_deep_copy():
    doc = {'env': {'A': '1'}, 'l': [1]}
    result = sd.redact(doc)
    result['env']['A'] = '2'
    result['l'].append(2)
    assert doc == {'env': {'A': '1'}, 'l': [1]}


def test_secret_env_names():
    doc = {'env': {'B_TOKEN': 'x', 'A_API_KEY': 'y', 'EMPTY_KEY': '', 'NONE_KEY': None, 'NUM_SECRET': 0,
                   'AWS_REGION': 'r'}, 'ANTHROPIC_API_KEY': 'top'}
    assert sd.secret_env_names(doc) == ['A_API_KEY', 'B_TOKEN', 'NUM_SECRET']


@pytest.mark.parametrize('doc', [{}, {'env': None}, {'env': 'x'}, [], None])
def test_secret_env_names_without_env_object(doc):
    assert sd.secret_env_names(doc) == []


# secrets found by value, and keys a team lists

@pytest.mark.parametrize('value', [
    'https://user:pass@proxy.corp:3128', 'http://u:p@10.0.0.1:8080', 'socks5://svc:s3cr3t@proxy:1080', 'HTTPS://U:P@H',
    'https://:only-a-password@proxy', 'https://user:p%40ss@proxy', 'http://proxy-a:3128 https://user:pass@proxy-b',
])
def test_a_url_with_a_password_is_a_secret_whatever_the_name(value):
    assert sd.url_has_password(value)
    assert sd.is_secret('HTTPS_PROXY', value)
    assert sd.is_secret('CORP_MIRROR', value)


@pytest.mark.parametrize('value', [
    'https://user@proxy:3128', 'http://proxy.corp:3128', 'https://user:@proxy', 'https://registry.example.com:443/@scope/pkg',
    'https://gw.example.com/v1?next=a:b@c', 'user:pass', 'localhost,.corp.example.com', '', None, 3128,
])
def test_a_url_without_a_password_is_not_a_secret(value):
    assert not sd.url_has_password(value)
    assert not sd.is_secret('HTTPS_PROXY', value)


@pytest.mark.parametrize('value', [
    'Authorization=Basic%20dXNlcjpwYXNz', 'x-scope-orgid=t1,authorization=Bearer%20abc', 'api-key=nr-123', 'x-api-key=k',
    'X-SF-TOKEN=abc', 'DD-API-KEY=abc', 'x-honeycomb-team=abc', 'cookie=session%3Dabc', 'x-tenant=t1, x-any=Bearer%20abc',
    'proxy-authorization=Basic%20abc', 'x-client-secret=abc',
])
def test_otlp_headers_with_an_auth_header_are_a_secret(value):
    for name in ('OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'OTEL_EXPORTER_OTLP_LOGS_HEADERS'):
        assert sd.header_list_has_secret(name, value)
        assert sd.is_secret(name, value)


@pytest.mark.parametrize('value', ['x-scope-orgid=tenant1', 'x-tenant=a,x-env=prod', '', 'no-separator-here'])
def test_otlp_headers_without_an_auth_header_are_not_a_secret(value):
    assert not sd.is_secret('OTEL_EXPORTER_OTLP_HEADERS', value)


def test_custom_headers_are_secret_by_name_and_their_auth_headers_by_value():
    assert sd.is_secret('ANTHROPIC_CUSTOM_HEADERS', 'X-Team: platform')  # by name, as before
    assert sd.header_list_has_secret('ANTHROPIC_CUSTOM_HEADERS', 'X-Team: platform\nx-litellm-api-key: sk-1')
    assert sd.header_list_has_secret('ANTHROPIC_CUSTOM_HEADERS', 'Proxy-Authorization: Basic abc')
    assert not sd.header_list_has_secret('ANTHROPIC_CUSTOM_HEADERS', 'X-Team: platform\nX-Env: prod')
    assert not sd.header_list_has_secret('OTHER_HEADERS', 'Authorization=Bearer%20x'), 'only the known header lists'


@pytest.mark.parametrize('name', ['Authorization', 'proxy-authorization', 'X-Api-Key', 'api-key', 'x-goog-api-key',
                                  'X-Auth-Token', 'Cookie', 'x-client-secret', 'x-honeycomb-team', 'X-Amz-Signature'])
def test_is_secret_header(name):
    assert sd.is_secret_header(name)


@pytest.mark.parametrize('name', ['x-scope-orgid', 'anthropic-beta', 'x-tenant', 'content-type', 'anthropic-workspace-id'])
def test_is_not_secret_header(name):
    assert not sd.is_secret_header(name, 'plain')
    assert sd.is_secret_header(name, 'Bearer abc'), 'a value with an authorization scheme is a credential'


def test_listed_key_paths_are_secrets_with_everything_under_them():
    listed = sd.parse_secret_keys(['env.CORP_SSO_COOKIE', 'otelHeadersHelper', 'pluginConfigs.corp@m.options'])
    assert listed == (('env', 'CORP_SSO_COOKIE'), ('otelHeadersHelper',), ('pluginConfigs', 'corp@m', 'options'))
    assert sd.is_secret('CORP_SSO_COOKIE', 'abc', listed)
    assert not sd.is_secret('CORP_SSO_COOKIE', 'abc')
    assert sd.is_secret_path(('otelHeadersHelper',), '/bin/h', listed)
    assert sd.is_secret_path(('pluginConfigs', 'corp@m', 'options', 'tenant'), 'x', listed)
    assert not sd.is_secret_path(('pluginConfigs', 'corp@m'), {}, listed)
    assert sd.is_secret_path(('otelHeadersHelper',), '/bin/h', ['otelHeadersHelper']), 'strings are parsed'


def test_parse_secret_keys_rejects_bad_paths():
    with pytest.raises(ValueError):
        sd.parse_secret_keys(['env..X'])


def test_secret_reason_says_why():
    listed = [('otelHeadersHelper',)]
    assert sd.secret_reason(('env', 'ANTHROPIC_AUTH_TOKEN'), 'x') == 'a secret by its name'
    assert sd.secret_reason(('env', 'HTTPS_PROXY'), 'http://u:p@h') == 'a URL with a password'
    assert sd.secret_reason(('env', 'OTEL_EXPORTER_OTLP_HEADERS'), 'authorization=x') == 'an auth header'
    assert sd.secret_reason(('otelHeadersHelper',), '/h', listed) == 'listed in secret_keys'
    assert sd.secret_reason(('env', 'HTTPS_PROXY'), 'http://h') is None
    assert sd.secret_reason(('model',), 'http://u:p@h') is None, 'by value only in env (or listed)'


def test_redact_hides_secrets_found_by_value_and_listed_keys_and_keeps_types():
    doc = {
        'env': {'HTTPS_PROXY': 'http://svc:pw-123@proxy:3128', 'NO_PROXY': 'localhost', 'HTTP_PROXY': 'http://proxy:3128',
                'OTEL_EXPORTER_OTLP_HEADERS': 'authorization=Bearer%20otlp-456', 'CORP_SSO_COOKIE': 'cookie-789',
                'OTEL_EXPORTER_OTLP_ENDPOINT': 'https://otel.corp:4318'},
        'otelHeadersHelper': '/usr/local/bin/otel-headers --token helper-000',
        'pluginConfigs': {'corp@m': {'options': {'tenant': 'tenant-111', 'retries': 3, 'hosts': ['h-222']}}},
        'model': 'sonnet',
    }
    listed = ['env.CORP_SSO_COOKIE', 'otelHeadersHelper', 'pluginConfigs.corp@m.options']
    result = sd.redact(doc, listed)
    assert result['env'] == {'HTTPS_PROXY': sd.REDACTED, 'NO_PROXY': 'localhost', 'HTTP_PROXY': 'http://proxy:3128',
                             'OTEL_EXPORTER_OTLP_HEADERS': sd.REDACTED, 'CORP_SSO_COOKIE': sd.REDACTED,
                             'OTEL_EXPORTER_OTLP_ENDPOINT': 'https://otel.corp:4318'}
    assert result['otelHeadersHelper'] == sd.REDACTED
    assert result['pluginConfigs'] == {'corp@m': {'options': {'tenant': sd.REDACTED, 'retries': 3, 'hosts': [sd.REDACTED]}}}
    assert result['model'] == 'sonnet'
    text = json.dumps(result)
    for marker in ('pw-123', 'otlp-456', 'cookie-789', 'helper-000', 'tenant-111', 'h-222'):
        assert marker not in text
    assert sd.redact(doc)['env']['CORP_SSO_COOKIE'] == 'cookie-789', 'not listed: not a secret'


def test_secret_paths_name_every_secret_with_its_reason_sorted():
    doc = {'env': {'HTTPS_PROXY': 'http://u:p@h', 'ANTHROPIC_API_KEY': 'k', 'EMPTY_TOKEN': '', 'AWS_REGION': 'r'},
           'otelHeadersHelper': '/h', 'unlisted': 'x'}
    assert sd.secret_paths(doc, ['otelHeadersHelper']) == [
        ('env.ANTHROPIC_API_KEY', 'a secret by its name'), ('env.HTTPS_PROXY', 'a URL with a password'),
        ('otelHeadersHelper', 'listed in secret_keys')]
    assert sd.secret_env_names(doc) == ['ANTHROPIC_API_KEY', 'HTTPS_PROXY']


def test_mark_changed_secrets_shows_a_changed_secret_as_changed_without_its_value():
    before = {'env': {'ANTHROPIC_AUTH_TOKEN': 'old-1', 'HTTPS_PROXY': 'http://u:old-2@p', 'AWS_SESSION_TOKEN': 'same'}}
    after = {'env': {'ANTHROPIC_AUTH_TOKEN': 'new-1', 'HTTPS_PROXY': 'http://u:new-2@p', 'AWS_SESSION_TOKEN': 'same'}}
    old, new = sd.mark_changed_secrets(sd.redact(before), sd.redact(after), sd.changed_key_paths(before, after))
    assert old['env'] == {'ANTHROPIC_AUTH_TOKEN': '******** (old)', 'HTTPS_PROXY': '******** (old)', 'AWS_SESSION_TOKEN': sd.REDACTED}
    assert new['env'] == {'ANTHROPIC_AUTH_TOKEN': '******** (new)', 'HTTPS_PROXY': '******** (new)', 'AWS_SESSION_TOKEN': sd.REDACTED}
    assert sd.dumps(old) != sd.dumps(new)
    for marker in ('old-1', 'new-1', 'old-2', 'new-2', 'same'):
        assert marker not in sd.dumps(old) + sd.dumps(new)


def test_mark_changed_secrets_leaves_visible_changes_and_unchanged_secrets_alone():
    before = {'env': {'A_TOKEN': 'x', 'GONE_TOKEN': 'y', 'AWS_REGION': 'a'}, 'list': ['p'], 'k.dot': {'B_KEY': 1}}
    after = {'env': {'A_TOKEN': 'x', 'NEW_TOKEN': 'z', 'AWS_REGION': 'b'}, 'list': ['q'], 'k.dot': {'B_KEY': 2}}
    rb, ra = sd.redact(before), sd.redact(after)
    old, new = sd.mark_changed_secrets(rb, ra, sd.changed_key_paths(before, after))
    assert (old, new) == (rb, ra)
    assert old is not rb and new is not ra, 'copies'
    # a secret list, and a secret in an object whose key has a dot, listed by key path
    before = {'p': {'o.x': {'s': ['a', 'b']}}}
    after = {'p': {'o.x': {'s': ['c', 'd']}}}
    listed = [('p',)]
    old, new = sd.mark_changed_secrets(sd.redact(before, listed), sd.redact(after, listed), sd.changed_key_paths(before, after))
    assert old == {'p': {'o.x': {'s': ['******** (old)', '******** (old)']}}}
    assert new == {'p': {'o.x': {'s': ['******** (new)', '******** (new)']}}}


def test_mark_changed_secrets_tolerates_missing_documents():
    assert sd.mark_changed_secrets(None, {'env': {'A_TOKEN': sd.REDACTED}}, ['env.A_TOKEN']) == (None, {'env': {'A_TOKEN': sd.REDACTED}})
    assert sd.mark_changed_secrets({}, {}, ['', 'a..b']) == ({}, {})


# ---------------------------------------------------------------------------------------------------------------
# dumps / checksum

def test_dumps_is_two_space_indented_with_final_newline_and_key_order():
    doc = {'z': 1, 'a': {'y': [1, 2], 'b': 'c'}}
    assert sd.dumps(doc) == '{\n  "z": 1,\n  "a": {\n    "y": [\n      1,\n      2\n    ],\n    "b": "c"\n  }\n}\n'


def test_dumps_keeps_non_ascii_and_has_no_trailing_spaces():
    text = sd.dumps({'name': 'Zoë ☃ 日本', 'k': {'x': 'y'}})
    assert 'Zoë ☃ 日本' in text and '\\u' not in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert json.loads(text) == {'name': 'Zoë ☃ 日本', 'k': {'x': 'y'}}


def test_dumps_is_stable():
    doc = {'env': {'B': '2', 'A': '1'}, 'l': [3, 1]}
    assert sd.dumps(doc) == sd.dumps(copy.deepcopy(doc)) == sd.dumps(json.loads(sd.dumps(doc)))


def test_dumps_empty_object():
    assert sd.dumps({}) == '{}\n'


def test_checksum_bytes_and_text():
    assert sd.checksum(b'abc') == hashlib.sha256(b'abc').hexdigest()
    assert sd.checksum('abc') == sd.checksum(b'abc')
    assert sd.checksum('Zoë') == hashlib.sha256('Zoë'.encode('utf-8')).hexdigest()
    assert sd.checksum(b'') != sd.checksum(b'\n')
    assert len(sd.checksum(b'x')) == 64
