# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versioned helpers on the controller: a set that is not one folder of its own is refused before any host is touched;
diffs name the version folders, never the contents."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import check_task, diff_of
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import USER_SPEC, USER_SPEC_RULES

CERT = dict(path='certs/client/cert.pem', content='CERT', mode='0644', env='CLAUDE_CODE_CLIENT_CERT', versioned=True)
KEY = dict(path='certs/client/key.pem', content='KEY', mode='0600', env='CLAUDE_CODE_CLIENT_KEY', versioned=True)


def task(**args):
    result = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def failure(**args):
    with pytest.raises(AnsibleActionFail) as info:
        check_task(task(**args))
    return str(info.value)


def test_versioned_defaults_to_false_and_a_set_of_one_folder_passes():
    module_args, _tier, paths = check_task(task(helpers=[CERT, KEY, dict(path='bin/h', content='x', setting='apiKeyHelper')]))
    assert [h['versioned'] for h in module_args['helpers']] == [True, True, False]
    assert ('env', 'CLAUDE_CODE_CLIENT_KEY') in paths


def test_a_non_versioned_helper_in_a_versioned_folder_is_refused():
    message = failure(helpers=[CERT, dict(KEY, versioned=False)])
    assert message.startswith('Invalid input, nothing was changed')
    assert ('helpers[1]: certs/client/key.pem is in the folder certs/client of the versioned helpers (helpers[0]), which becomes '
            'a link to the current version and holds versioned helpers only') in message


def test_a_helper_below_a_versioned_folder_is_refused():
    assert 'helpers[1].path: certs/client/sub/x.pem is below the folder certs/client of another versioned set (helpers[0])' in failure(
        helpers=[CERT, dict(KEY, path='certs/client/sub/x.pem')])
    assert 'helpers[1]: certs/client/sub/x is in the folder certs/client' in failure(
        helpers=[CERT, dict(path='certs/client/sub/x', content='x')])


@pytest.mark.parametrize('path', ['cert.pem', './cert.pem', '../cert.pem', '../../cert.pem', '/cert.pem', '/certs/cert.pem'])
def test_a_versioned_helper_without_a_folder_of_its_own_is_refused(path):
    assert 'helpers[0].path: a versioned helper needs a folder of its own below another folder' in failure(
        helpers=[dict(CERT, path=path)])


def test_the_same_file_twice_in_a_set_is_refused():
    assert 'helpers[1].path: certs/./client/cert.pem is already in this versioned set (helpers[0])' in failure(
        helpers=[CERT, dict(KEY, path='certs/./client/cert.pem')])


def test_absent_helpers_are_checked_the_same_way():
    absent = [dict(path=h['path'], env=h['env'], versioned=True, state='absent') for h in (CERT, KEY)]
    check_task(task(helpers=absent))
    assert 'is in the folder certs/client' in failure(helpers=absent + [dict(path='certs/client/x', state='absent')])


def test_a_rotation_diff_names_the_version_folders_and_never_the_content():
    helpers = [dict(path='/h/.claude/certs/client/%s' % name, state='present', changed=True, existed=True, versioned=True,
                    version='/h/.claude/certs/.client-bbbbbbbbbbbb', version_before='/h/.claude/certs/.client-aaaaaaaaaaaa')
               for name in ('cert.pem', 'key.pem')]
    plan = dict(content_changed=False, helpers=helpers)
    assert diff_of(plan) == [
        dict(before_header='/h/.claude/certs/client/%s' % name, after_header='/h/.claude/certs/client/%s' % name,
             before='(/h/.claude/certs/.client-aaaaaaaaaaaa/%s, content not shown)\n' % name,
             after='(/h/.claude/certs/.client-bbbbbbbbbbbb/%s, content not shown)\n' % name)
        for name in ('cert.pem', 'key.pem')]
    removed = [dict(h, state='absent', version=None) for h in helpers]
    assert [d['after'] for d in diff_of(dict(content_changed=False, helpers=removed))] == ['(absent)\n', '(absent)\n']
    new = [dict(h, existed=False, version_before=None) for h in helpers]
    assert [d['before'] for d in diff_of(dict(content_changed=False, helpers=new))] == ['(absent)\n', '(absent)\n']


def test_a_helper_whose_content_or_mode_changed_makes_a_diff_that_shows_neither_content():
    script = dict(path='/h/.claude/certs/ca-bundle.pem', state='present', changed=True, existed=True, content_changed=True,
                  attributes_changed=[], mode='0644')
    assert diff_of(dict(content_changed=False, helpers=[script]))[0] == dict(
        before_header=script['path'], after_header=script['path'],
        before='(file, old content not shown)\n', after='(file, new content not shown)\n')
    mode_only = dict(script, content_changed=False, attributes_changed=['mode'])
    diff = diff_of(dict(content_changed=False, helpers=[mode_only]))[0]
    assert (diff['before'], diff['after']) == ('(file, content not shown; mode to fix)\n',
                                               '(file, content not shown; mode fixed)\n')
