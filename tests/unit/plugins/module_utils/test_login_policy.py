# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The managed login policy and the gateway credentials it blocks: the pure rule (login_policy), and the target's
plan, which reads the machine's managed settings and refuses before anything is written.

Files are written under tmp_path, as root.
"""

import copy
import json
import os

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.login_policy import (
    gateway_credentials,
    login_policy,
    login_policy_conflict,
)
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import HELPER_SPEC, module_spec
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    SettingsError,
    apply,
    plan,
    read_managed_settings,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='writes files as root for root-owned targets')
SECRET = 'sk-ant-very-secret-value-0123456789'
HELPER = '#!/bin/sh\nexec cat "$HOME/.config/llm-gateway/key"\n'


def params(**kw):
    """Module parameters as AnsibleModule hands them over (every option present, defaults filled in)."""
    p = dict((name, copy.deepcopy(option.get('default'))) for name, option in module_spec().items())
    p['expect_checksum'] = None
    p.update(kw)
    p['helpers'] = [dict(dict((n, o.get('default')) for n, o in HELPER_SPEC.items()), **h) for h in p['helpers']]
    return p


def write_json(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    os.chmod(str(path), 0o644)
    return path


def listing(folder):
    return sorted(os.path.relpath(os.path.join(root, name), str(folder)) for root, dirs, files in os.walk(str(folder))
                  for name in dirs + files)


# ---------------------------------------------------------------------------------------------------------------
# the rule

@pytest.mark.parametrize('managed, policy', [
    ({'forceLoginMethod': 'claudeai'}, ["forceLoginMethod 'claudeai'"]),
    ({'forceLoginMethod': 'console'}, ["forceLoginMethod 'console'"]),
    ({'forceLoginOrgUUID': '0b9f1c3e-1111-2222-3333-444455556666'}, ['forceLoginOrgUUID']),
    ({'forceLoginOrgUUID': ['0b9f1c3e-1111-2222-3333-444455556666']}, ['forceLoginOrgUUID']),
    ({'forceLoginMethod': 'console', 'forceLoginOrgUUID': 'x'}, ["forceLoginMethod 'console'", 'forceLoginOrgUUID']),
])
def test_a_first_party_login_method_or_an_org_uuid_is_a_policy(managed, policy):
    assert login_policy(managed) == policy


@pytest.mark.parametrize('managed', [
    {}, {'forceLoginMethod': 'gateway', 'forceLoginGatewayUrl': 'https://gw.example.com'},
    {'forceLoginMethod': 'gateway', 'forceLoginOrgUUID': 'x'}, {'forceLoginOrgUUID': ''}, {'forceLoginOrgUUID': []},
    {'forceLoginMethod': 'sso'}, None,
])
def test_the_gateway_sign_in_an_empty_org_or_an_unknown_method_is_no_policy(managed):
    assert login_policy(managed) == []


def test_the_gateway_credentials_are_the_helper_and_the_two_static_env_variables():
    doc = {'apiKeyHelper': '/bin/h', 'env': {'ANTHROPIC_AUTH_TOKEN': SECRET, 'ANTHROPIC_API_KEY': '', 'ANTHROPIC_BASE_URL': 'x'}}
    assert gateway_credentials(doc) == ['apiKeyHelper', 'env.ANTHROPIC_AUTH_TOKEN']
    assert gateway_credentials({'env': {'AWS_BEARER_TOKEN_BEDROCK': SECRET}}) == []


@pytest.mark.parametrize('credential', [
    {'apiKeyHelper': '/usr/local/bin/key'}, {'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}, {'env': {'ANTHROPIC_API_KEY': SECRET}},
])
def test_a_credential_under_a_first_party_policy_is_a_conflict_named_in_one_sentence(credential):
    sentence = login_policy_conflict({'forceLoginMethod': 'console'}, credential)
    assert sentence.startswith("the managed settings ask for a first-party login (forceLoginMethod 'console'), and a gateway "
                               "credential is set (")
    assert 'Claude Code would refuse to start ("managed settings require a first-party login")' in sentence
    assert "forceLoginMethod 'gateway'" in sentence
    assert SECRET not in sentence and '\n' not in sentence


def test_no_conflict_without_a_policy_or_without_a_credential():
    assert login_policy_conflict({}, {'apiKeyHelper': '/bin/h'}) is None
    assert login_policy_conflict({'forceLoginMethod': 'gateway'}, {'apiKeyHelper': '/bin/h'}) is None
    assert login_policy_conflict({'forceLoginMethod': 'claudeai'}, {'env': {'ANTHROPIC_BASE_URL': 'https://gw'}}) is None


def test_a_credential_in_the_managed_settings_counts_for_every_account():
    managed = {'forceLoginOrgUUID': 'x', 'env': {'ANTHROPIC_API_KEY': SECRET}}
    assert 'env.ANTHROPIC_API_KEY (in the managed settings)' in login_policy_conflict(managed, {})
    assert '(env.ANTHROPIC_API_KEY)' in login_policy_conflict(managed, managed)


# ---------------------------------------------------------------------------------------------------------------
# the machine's managed settings

def test_managed_settings_are_merged_as_the_client_merges_them(tmp_path):
    write_json(tmp_path / 'managed-settings.json', {'forceLoginMethod': 'console', 'permissions': {'deny': ['a']}})
    write_json(tmp_path / 'managed-settings.d' / '50-b.json', {'forceLoginMethod': 'claudeai', 'permissions': {'deny': ['b']}})
    write_json(tmp_path / 'managed-settings.d' / '10-a.json', {'forceLoginMethod': 'gateway'})
    (tmp_path / 'managed-settings.d' / '60-broken.json').write_text('{"forceLoginMethod": "console",}')
    (tmp_path / 'managed-settings.d' / 'notes.txt').write_text('{"forceLoginMethod": "console"}')
    assert read_managed_settings(str(tmp_path)) == {'forceLoginMethod': 'claudeai', 'permissions': {'deny': ['a', 'b']}}
    assert read_managed_settings(str(tmp_path / 'missing')) == {}


def test_a_file_about_to_be_written_is_read_as_its_new_document(tmp_path):
    write_json(tmp_path / 'managed-settings.d' / '50-b.json', {'forceLoginMethod': 'console'})
    new = str(tmp_path / 'managed-settings.d' / '90-gw.json')
    assert read_managed_settings(str(tmp_path), replace=(new, {'forceLoginMethod': 'gateway'})) == {'forceLoginMethod': 'gateway'}
    old = str(tmp_path / 'managed-settings.d' / '50-b.json')
    assert read_managed_settings(str(tmp_path), replace=(old, {})) == {}


# ---------------------------------------------------------------------------------------------------------------
# the plan refuses before anything is written

@needs_root
@pytest.mark.parametrize('policy', [{'forceLoginMethod': 'claudeai'}, {'forceLoginOrgUUID': ['0b9f1c3e-1111']}])
def test_a_helper_credential_in_a_user_file_under_a_managed_policy_is_refused_and_nothing_is_written(tmp_path, policy):
    managed = tmp_path / 'etc'
    write_json(managed / 'managed-settings.d' / '10-login.json', policy)
    cfg = tmp_path / 'cfg'
    task = params(scope='user', user='root', config_dir=str(cfg), managed_dir=str(managed),
                  settings={'env': {'ANTHROPIC_BASE_URL': 'https://gw.example.com'}},
                  helpers=[dict(path='bin/api-key-helper', content=HELPER, setting='apiKeyHelper')])
    with pytest.raises(SettingsError) as info:
        apply(task)
    message = str(info.value)
    assert message.startswith(str(cfg / 'settings.json') + ': The managed settings ask for a first-party login (')
    assert 'gateway credential is set (apiKeyHelper)' in message and message.endswith('Nothing was written.')
    assert not cfg.exists()


@needs_root
def test_a_static_token_added_to_an_existing_project_file_under_a_managed_policy_is_refused_and_the_file_is_left(tmp_path):
    managed = tmp_path / 'etc'
    write_json(managed / 'managed-settings.json', {'forceLoginMethod': 'console'})
    settings = write_json(tmp_path / 'repo' / '.claude' / 'settings.local.json', {'model': 'opus'})
    os.chmod(str(settings), 0o600)
    before = settings.read_bytes()
    with pytest.raises(SettingsError, match=r'gateway credential is set \(env\.ANTHROPIC_AUTH_TOKEN\)'):
        apply(params(scope='local', project_dir=str(tmp_path / 'repo'), managed_dir=str(managed),
                     settings={'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}))
    assert settings.read_bytes() == before


@needs_root
def test_a_credential_is_written_under_the_gateway_sign_in_or_without_a_policy(tmp_path):
    managed = tmp_path / 'etc'
    write_json(managed / 'managed-settings.json', {'forceLoginMethod': 'console'})
    write_json(managed / 'managed-settings.d' / '50-gw.json', {'forceLoginMethod': 'gateway', 'forceLoginGatewayUrl': 'https://gw'})
    cfg = tmp_path / 'cfg'
    result = apply(params(scope='user', user='root', config_dir=str(cfg), managed_dir=str(managed),
                          settings={'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}))
    assert result['changed'] is True
    result = apply(params(scope='user', user='root', config_dir=str(tmp_path / 'other'), managed_dir=str(tmp_path / 'none'),
                          settings={'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}))
    assert result['changed'] is True


@needs_root
def test_a_managed_drop_in_that_adds_a_login_policy_beside_a_managed_credential_is_refused(tmp_path):
    write_json(tmp_path / 'managed-settings.d' / '20-gateway.json', {'apiKeyHelper': '/etc/claude-code/bin/key'})
    before = listing(tmp_path)
    with pytest.raises(SettingsError) as info:
        apply(params(scope='managed_dropin', managed_dir=str(tmp_path), dropin='05-login.json',
                     settings={'forceLoginOrgUUID': '0b9f1c3e-1111'}))
    message = str(info.value)
    assert message.startswith(str(tmp_path / 'managed-settings.d' / '05-login.json') + ': The managed settings ask')
    assert 'gateway credential is set (apiKeyHelper)' in message
    assert listing(tmp_path) == before


@needs_root
def test_a_managed_drop_in_that_adds_a_login_policy_alone_is_written(tmp_path):
    result = apply(params(scope='managed_dropin', managed_dir=str(tmp_path), dropin='05-login.json',
                          settings={'forceLoginMethod': 'claudeai'}))
    assert result['changed'] is True


@needs_root
def test_an_account_file_without_a_credential_is_planned_whatever_the_policy(tmp_path):
    managed = tmp_path / 'etc'
    write_json(managed / 'managed-settings.json', {'forceLoginMethod': 'console'})
    result = plan(params(scope='user', user='root', config_dir=str(tmp_path / 'cfg'), managed_dir=str(managed),
                         settings={'model': 'opus'}))
    assert result['changed'] is True
