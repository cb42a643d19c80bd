# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller refuses, before any host is touched, task input Claude Code could not load (too deep, too big) and a
managed task that holds a first-party login policy and a gateway credential at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import check_task
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import USER_SPEC, USER_SPEC_RULES
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import validation

SECRET = 'sk-ant-very-secret-value-0123456789'


def task(**args):
    result = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def failure(**args):
    with pytest.raises(AnsibleActionFail) as info:
        check_task(task(**args))
    return str(info.value)


def nested(levels, leaf='x'):
    value = leaf
    for dummy in range(levels):
        value = {'k': value}
    return value


# ---------------------------------------------------------------------------------------------------------------
# nesting and size

def test_input_nested_64_levels_deep_passes_the_depth_check():
    normalized, errors = validation.check_input({'fleetcfgDeep': nested(63)}, 'user', 'loose')
    assert errors == []


@pytest.mark.parametrize('level', ['strict', 'loose', 'none'])
def test_input_nested_more_than_64_levels_deep_is_refused_at_every_level_naming_the_key_path_and_the_limit(level):
    message = failure(settings={'permissions': {'allow': ['Bash(ls)'], 'fleetcfgDeep': [nested(70)]}}, validate=level)
    assert message.startswith('Invalid input, nothing was changed:')
    assert ('settings.permissions.fleetcfgDeep[0].k.k.k...: is nested more than 64 levels deep (objects and arrays, the top '
            'level of the file counted); Claude Code skips the value under "permissions"') in message


def test_deep_input_for_one_account_names_the_account():
    message = failure(users=['alice'], user_settings={'alice': {'fleetcfgDeep': nested(200)}}, validate='loose')
    assert 'user_settings.alice.fleetcfgDeep.k.k.k.k.k...: is nested more than 64 levels deep' in message


def test_input_deeper_than_jsonschema_could_walk_is_refused_without_a_recursion_error():
    assert validation.check_input({'env': nested(5000)}, 'user')[1][0].startswith('settings.env.k.k.k.k.k...: is nested more')


def test_input_that_alone_is_over_2_mib_is_refused():
    message = failure(settings={'fleetcfgPad': 'a' * (2 * 1024 * 1024)}, validate='none')
    assert "settings: the task's keys alone are 2097" in message
    assert 'more than the 2097152 bytes (2 MiB) Claude Code reads; it drops a larger settings file whole' in message


# ---------------------------------------------------------------------------------------------------------------
# login policy

@pytest.mark.parametrize('credential', [
    dict(settings={'forceLoginMethod': 'console', 'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}),
    dict(settings={'forceLoginOrgUUID': '0b9f1c3e-1111'},
         helpers=[dict(path='bin/api-key-helper', content='#!/bin/sh\n', setting='apiKeyHelper')]),
])
@pytest.mark.parametrize('scope', [dict(scope='managed'), dict(scope='managed_dropin', dropin='20-gw.json'),
                                   dict(path='/etc/claude-code/managed-settings.d/20-gw.json')])
def test_a_managed_task_with_a_login_policy_and_a_gateway_credential_is_refused(credential, scope):
    args = dict(credential, **scope)
    message = failure(**args)
    assert message.startswith('Invalid input, nothing was changed:')
    assert 'settings: the managed settings ask for a first-party login' in message
    assert 'Claude Code would refuse to start ("managed settings require a first-party login")' in message
    assert SECRET not in message


def test_a_managed_task_with_the_gateway_sign_in_and_a_credential_passes():
    check_task(task(scope='managed', settings={'forceLoginMethod': 'gateway', 'forceLoginGatewayUrl': 'https://gw.example.com',
                                               'env': {'ANTHROPIC_BASE_URL': 'https://gw.example.com'}},
                    helpers=[dict(path='bin/api-key-helper', content='#!/bin/sh\n', setting='apiKeyHelper')]))


def test_a_user_task_is_not_judged_by_a_login_key_that_does_nothing_in_a_user_file():
    # The machine's managed policy is the target's to judge (plan phase); forceLoginMethod in a user file is no policy.
    check_task(task(settings={'forceLoginMethod': 'console', 'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}, validate='loose'))
