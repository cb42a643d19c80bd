# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side checks of a task, before any host is touched."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import check_task, diff_of, tier_of
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import USER_SPEC, USER_SPEC_RULES


def task(**args):
    result = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def failure(**args):
    with pytest.raises(AnsibleActionFail) as info:
        check_task(task(**args))
    return str(info.value)


@pytest.mark.parametrize('args, tier', [
    (dict(), 'user'), (dict(scope='project'), 'project'), (dict(scope='managed_dropin'), 'managed'),
    (dict(path='/etc/claude-code/managed-settings.d/x.json'), 'managed'), (dict(path='/r/.claude/settings.local.json'), 'local'),
    (dict(path='/somewhere/settings.json'), None),
])
def test_tier_of(args, tier):
    assert tier_of(args) == tier


def test_valid_task_is_normalized():
    module_args, tier, paths = check_task(task(settings={'env': {'API_TIMEOUT_MS': 600000}}, remove=['env.ANTHROPIC_API_KEY'],
                                               helpers=[dict(path='bin/h', content='#!/bin/sh\n', setting='apiKeyHelper')]))
    assert module_args['settings'] == {'env': {'API_TIMEOUT_MS': '600000'}}
    assert module_args['helpers'] == [dict(path='bin/h', content='#!/bin/sh\n', setting='apiKeyHelper', state='present', versioned=False)]
    assert tier == 'user'
    assert set(paths) == {('env', 'API_TIMEOUT_MS'), ('env', 'ANTHROPIC_API_KEY'), ('apiKeyHelper',)}
    assert 'path' not in module_args  # options not given are not sent


def test_all_input_errors_are_reported_together_and_name_the_key():
    message = failure(settings={'awsAuthRefersh': 'x', 'env': {'DISABLE_TELEMETRY': True}}, remove=['env'],
                      helpers=[dict(path='h', setting='apiKeyHelper')])
    assert message.startswith('Invalid input, nothing was changed')
    for part in ("settings.awsAuthRefersh: is not a Claude Code setting; did you mean 'awsAuthRefresh'?",
                 'settings.env.DISABLE_TELEMETRY: got boolean true, expected a string',
                 'remove: env overlaps settings.env.DISABLE_TELEMETRY',
                 'helpers[0].content: required when state is present'):
        assert part in message


def test_helper_pointer_and_explicit_key_conflict():
    assert 'helpers[0].setting: settings.apiKeyHelper is also given' in failure(
        settings={'apiKeyHelper': '/bin/true'}, helpers=[dict(path='h', content='x', setting='apiKeyHelper')])


def test_per_user_settings_are_validated_with_the_account_named():
    message = failure(users=['alice', 'bob'], user_settings={'bob': {'env': {'ANTHROPIC_AUTH_TOKEN': 5, 'X': False}}, 'carol': {}})
    assert 'user_settings.bob.env.X: got boolean false, expected a string' in message
    assert 'user_settings: carol not in users' in message


def test_users_only_for_user_scope():
    assert 'users: only for scope user' in failure(scope='managed', users=['alice'])


def test_secret_values_never_in_messages():
    message = failure(settings={'env': {'ANTHROPIC_AUTH_TOKEN': ['s3cr3t-value']}})
    assert 's3cr3t-value' not in message


def test_secret_keys_are_checked_and_sent_to_the_target():
    assert "secret_keys[1]: invalid key path 'env.'" in failure(secret_keys=['otelHeadersHelper', 'env.'])
    module_args = check_task(task(secret_keys=['env.CORP_SSO_COOKIE'], settings={'env': {'CORP_SSO_COOKIE': 'c'}}))[0]
    assert module_args['secret_keys'] == ['env.CORP_SSO_COOKIE']


def test_a_listed_secret_is_not_shown_in_input_errors():
    message = failure(secret_keys=['effortLevel'], settings={'effortLevel': 'listed-s3cr3t'})
    assert 'settings.effortLevel: got a string (value hidden)' in message and 'listed-s3cr3t' not in message


def plan_of(before, after, changed_keys, found='present'):
    return dict(file='/f', found=found, before=before, after=after, changed_keys=changed_keys, content_changed=True, helpers=[])


def test_the_diff_shows_a_changed_secret_as_changed_and_an_unchanged_one_as_before():
    plan = plan_of({'env': {'ANTHROPIC_AUTH_TOKEN': '********', 'HTTPS_PROXY': '********', 'AWS_REGION': 'a'}},
                   {'env': {'ANTHROPIC_AUTH_TOKEN': '********', 'HTTPS_PROXY': '********', 'AWS_REGION': 'b'}},
                   ['env.AWS_REGION', 'env.HTTPS_PROXY'])
    diff = only_diff(plan)
    assert '"HTTPS_PROXY": "******** (old)"' in diff['before'] and '"HTTPS_PROXY": "******** (new)"' in diff['after']
    assert '"ANTHROPIC_AUTH_TOKEN": "********"' in diff['before'] and '"ANTHROPIC_AUTH_TOKEN": "********"' in diff['after']
    assert plan['after']['env']['HTTPS_PROXY'] == '********', 'the plan (and the returned settings) stay as they were'


def test_the_diff_of_a_new_file_shows_secrets_redacted():
    diff = only_diff(plan_of(None, {'env': {'ANTHROPIC_AUTH_TOKEN': '********'}}, ['env.ANTHROPIC_AUTH_TOKEN'], found='absent'))
    assert diff['before'] == '' and '"ANTHROPIC_AUTH_TOKEN": "********"' in diff['after']


def only_diff(plan):
    diffs = diff_of(plan)
    assert len(diffs) == 1
    return diffs[0]


def test_helper_env_conflicts_are_refused():
    message = failure(settings={'env': {'GOOGLE_APPLICATION_CREDENTIALS': '/x'}},
                      helpers=[dict(path='k.json', content='{}', env='GOOGLE_APPLICATION_CREDENTIALS')])
    assert 'helpers[0].env: settings.env.GOOGLE_APPLICATION_CREDENTIALS is also given' in message
