# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""<role>_login_profile: the profile a provider role writes exports the settings' non-secret env, shell-quoted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shlex
import subprocess

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import login_profile
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS, module_args, role_defaults

HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0'
BEDROCK = dict(bedrock_region='us-east-1', bedrock_auth='profile', bedrock_profile='dev', bedrock_models={'haiku': HAIKU})


def bedrock_args(**overrides):
    raw = dict(role_defaults('bedrock'), bedrock_users=['alice', 'bob'], **BEDROCK)
    raw.update(overrides)
    return module_args('bedrock', raw)[0]


def sourced(text, user):
    """The exported variables a POSIX shell has after sourcing ``text`` as account ``user`` (id -un answers ``user``)."""
    fake_id = 'id() { printf "%%s\\n" %s; }\n' % shlex.quote(user)
    script = fake_id + text + '\nexec python3 -c "import os, json; print(json.dumps(dict(os.environ)))"\n'
    out = subprocess.run(['sh', '-c', script], env={'PATH': os.environ['PATH']}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_profile_exports_the_same_env_as_the_settings_of_the_role():
    args = bedrock_args(bedrock_login_profile=True)
    profile = args['_login_profile']
    assert profile['state'] == 'present'
    env = sourced(profile['content'], 'alice')
    for name, value in args['settings']['env'].items():
        assert env[name] == value
    assert env['CLAUDE_CODE_USE_BEDROCK'] == '1' and env['AWS_PROFILE'] == 'dev'


def test_the_profile_of_a_user_scope_run_exports_for_its_accounts_only():
    text = bedrock_args(bedrock_login_profile=True)['_login_profile']['content']
    assert 'CLAUDE_CODE_USE_BEDROCK' in sourced(text, 'bob')
    assert 'CLAUDE_CODE_USE_BEDROCK' not in sourced(text, 'carol')


def test_the_managed_scope_and_every_human_account_export_for_everyone():
    managed = bedrock_args(bedrock_scope='managed', bedrock_users=[], bedrock_login_profile=True)['_login_profile']['content']
    every = bedrock_args(bedrock_users='all', bedrock_login_profile=True)['_login_profile']['content']
    for text in (managed, every):
        assert 'case' not in text
        assert sourced(text, 'anyone')['AWS_REGION'] == 'us-east-1'


@pytest.mark.parametrize('value', ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', 'line\nbreak', '"; rm -rf / #', ''])
def test_values_are_shell_quoted_and_never_run(value, tmp_path):
    marker = tmp_path / 'ran'
    text = login_profile.render('bedrock', {'TEAM_NOTE': value.replace('/tmp/pwned', str(marker))}, ["o'neil"])
    assert sourced(text, "o'neil")['TEAM_NOTE'] == value.replace('/tmp/pwned', str(marker))
    assert not marker.exists()


def test_secrets_never_go_into_the_profile():
    args = bedrock_args(bedrock_auth='api_key', bedrock_api_key='sk-bedrock-secret', bedrock_profile='',
                        bedrock_users='all', bedrock_login_profile=True,
                        bedrock_env={'TEAM_TOKEN_NAME': 'team', 'MY_SETTING': 'x', 'LISTED': 'hidden-value'},
                        bedrock_secret_env=['LISTED'],
                        bedrock_network={'proxy': 'http://user:pa55@proxy.example.com:3128'})
    assert args['settings']['env']['AWS_BEARER_TOKEN_BEDROCK'] == 'sk-bedrock-secret'  # shared by every account: in env
    text = args['_login_profile']['content']
    for secret in ('sk-bedrock-secret', 'hidden-value', 'pa55', 'TEAM_TOKEN_NAME'):
        assert secret not in text
    assert "export MY_SETTING=x" in text


def test_a_key_per_account_is_not_in_the_profile():
    args = module_args('foundry', dict(role_defaults('foundry'), foundry_resource='my-resource', foundry_auth='api_key',
                                       foundry_api_key={'alice': 'ka-secret'}, foundry_users=['alice'],
                                       foundry_models={'sonnet': 'claude-sonnet-4-5', 'haiku': 'claude-haiku-4-5'}, foundry_login_profile=True))[0]
    text = args['_login_profile']['content']
    assert 'ka-secret' not in text and 'ANTHROPIC_FOUNDRY_API_KEY' not in text
    assert "export CLAUDE_CODE_USE_FOUNDRY=1" in text


def test_the_profile_names_its_provider_on_its_first_line():
    for name in PROVIDERS:
        assert login_profile.render(name, {}).split('\n', 1)[0] == login_profile.MARKER + name


def test_without_the_option_a_run_removes_the_collections_profile_whoever_wrote_it():
    assert bedrock_args()['_login_profile'] == {'state': 'absent'}


def test_leaving_removes_only_this_providers_profile():
    args = bedrock_args(bedrock_state='absent', bedrock_login_profile=True)
    assert args['_login_profile'] == {'state': 'absent', 'owner': 'bedrock'}


def test_login_profile_must_be_true_or_false():
    with pytest.raises(Exception) as e:
        bedrock_args(bedrock_login_profile='sometimes')
    assert 'bedrock_login_profile: expected true or false, got "sometimes"' in str(e.value)
