# -*- coding: utf-8 -*-
"""The target side of verify: the client runs with the Claude Code folder of each entry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import verify_target


def _stub(tmp_path):
    stub = tmp_path / 'claude'
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "${CLAUDE_CONFIG_DIR:-unset}"\n')
    stub.chmod(0o755)
    return str(stub)


def test_an_entry_with_its_own_folder_runs_the_client_with_that_folder(tmp_path):
    me = pwd.getpwuid(os.geteuid()).pw_name
    users = [dict(name=me, config_dir=str(tmp_path / 'alice' / '.claude'), label='alice'), me]
    targets = verify_target.select_accounts(users, [])
    runs = dict((key, verify_target.run_one(user, 10, _stub(tmp_path), None, config_dir)) for key, user, config_dir in targets)
    assert sorted(runs) == sorted(['alice', me])
    assert runs['alice']['stdout'].strip() == str(tmp_path / 'alice' / '.claude')
    assert runs[me]['stdout'].strip() == 'unset'  # a plain name: the account's own ~/.claude


def test_a_relative_folder_is_below_the_accounts_home(tmp_path):
    me = pwd.getpwuid(os.geteuid())
    found = verify_target.run_one(me.pw_name, 10, _stub(tmp_path), None, '.claude-work')
    assert found['stdout'].strip() == os.path.join(me.pw_dir, '.claude-work')
