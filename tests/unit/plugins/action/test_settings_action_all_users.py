# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's checks of users: all, before any host is touched."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import check_task
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import USER_SPEC, USER_SPEC_RULES


def task(**args):
    result = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def failure(**args):
    with pytest.raises(AnsibleActionFail) as info:
        check_task(task(**args))
    return str(info.value)


def test_the_string_all_is_every_human_account_and_goes_to_the_target_as_it_is():
    module_args, tier, _paths = check_task(task(users='all', settings={'model': 'sonnet'}))
    assert (module_args['users'], tier) == (['all'], 'user')


def test_all_mixed_with_account_names_is_refused():
    assert ('users: all means every human account of the host and cannot be combined with account names; give all alone, '
            'or a list of names, got alice, all') in failure(users=['alice', 'all'])


def test_all_in_remove_users_is_refused():
    assert 'remove_users: all is not accepted (it would take every account off)' in failure(users=['bob'], remove_users=['all'])


def test_remove_users_with_all_names_the_accounts_left_out_of_all():
    module_args, _tier, _paths = check_task(task(users=['all'], remove_users=['carol'], settings={'model': 'sonnet'}))
    assert (module_args['users'], module_args['remove_users']) == (['all'], ['carol'])


def test_user_settings_may_name_any_account_with_all_and_are_still_validated():
    module_args, _tier, _paths = check_task(task(users=['all'], user_settings={'alice': {'model': 'opus'}, 'carol': {}}))
    assert module_args['user_settings'] == {'alice': {'model': 'opus'}, 'carol': {}}
    assert 'user_settings.alice.model: got number 5, expected a string' in failure(users=['all'], user_settings={'alice': {'model': 5}})


def test_user_settings_for_an_account_not_listed_is_still_refused_without_all():
    assert 'user_settings: carol not in users' in failure(users=['alice'], user_settings={'carol': {}})


def test_the_human_account_options_only_with_all_and_checked():
    message = failure(users=['alice'], human_uid_min=2000, human_shells=['/bin/bash'])
    assert 'human_uid_min: only with users: all (it says which accounts are human accounts)' in message
    assert 'human_shells: only with users: all' in message
    message = failure(users=['all'], human_uid_min=2000, human_uid_max=1000, human_shells=['bash'])
    assert 'human_uid_max: expected a uid of human_uid_min (2000) or more, got 1000' in message
    assert "human_shells[0]: expected the absolute path of a login shell, such as /bin/bash, got 'bash'" in message


def test_the_human_account_options_go_to_the_target():
    module_args, _tier, _paths = check_task(task(users='all', human_uid_min=1000, human_uid_max=1999, human_shells=['/bin/zsh']))
    assert (module_args['human_uid_min'], module_args['human_uid_max'], module_args['human_shells']) == (1000, 1999, ['/bin/zsh'])


def test_all_with_the_managed_scope_is_refused_as_any_users():
    assert 'users, remove_users: only for scope user' in failure(scope='managed', users='all')
