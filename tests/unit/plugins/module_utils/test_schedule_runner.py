# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner of a scheduled run (plugins/module_utils/schedule_runner.py): the PLAY RECAP read from the output, the
result and the status file written atomically, the lock, the random delay, a command that fails, hangs or is missing.

The command is a small Python script that prints what ansible-playbook would print and exits as told."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import io
import json
import os
import stat
import sys

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import schedule_runner
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.schedule_runner import Recap, judge, main

RECAP = '''PLAY [Claude Code] *************************************************************

TASK [fleetcfg.claude_code.settings] *******************************************
changed: [localhost]

PLAY RECAP *********************************************************************
localhost                  : ok=2    changed=%d    unreachable=0    failed=%d    skipped=1    rescued=0    ignored=0
'''


def recap_of(text):
    recap = Recap()
    for line in text.splitlines(True):
        recap.feed(line)
    return recap


def fake(tmp_path, output='', rc=0, sleep=0):
    """A command printing ``output`` and exiting with ``rc``; the runner's words after --."""
    script = tmp_path / 'fake-ansible.py'
    script.write_text('import sys, time\nsys.stdout.write(%r)\nsys.stdout.flush()\ntime.sleep(%r)\nsys.exit(%d)\n'
                      % (output, sleep, rc))
    return [sys.executable, str(script)]


def runner(tmp_path, command, *options):
    out = io.StringIO()
    status = str(tmp_path / 'state' / 'status.json')
    rc = main(['--name', 'fleetcfg-test', '--status-file', status, '--playbook', '/srv/site.yml', '--interval', '3600']
              + list(options) + ['--'] + command, out=out, sleep=lambda s: None)
    doc = json.loads((tmp_path / 'state' / 'status.json').read_text()) if os.path.exists(status) else None
    return rc, doc, out.getvalue()


def test_the_recap_is_summed_over_hosts_and_colours_are_ignored():
    recap = recap_of('PLAY RECAP ***\n\x1b[0;33mlocalhost\x1b[0m : ok=3 changed=2 unreachable=0 failed=0\n'
                     'dev-01 : ok=1 changed=1 unreachable=1 failed=0 skipped=0\n\nsome later line : not=a recap\n')
    assert (recap.seen, recap.hosts, recap.count('changed'), recap.count('unreachable')) == (True, 2, 3, 1)


def test_lines_before_the_recap_that_look_like_counts_do_not_count():
    recap = recap_of('localhost : ok=9 changed=9 unreachable=0 failed=0\n' + RECAP % (0, 0))
    assert recap.count('changed') == 0 and recap.count('ok') == 2


@pytest.mark.parametrize('rc, text, check_only, result, reason', [
    (0, RECAP % (0, 0), False, 'ok', None),
    (0, RECAP % (2, 0), False, 'repaired', None),
    (0, RECAP % (1, 0), True, 'drift', None),
    (0, RECAP % (0, 0), True, 'ok', None),
    (2, RECAP % (1, 1), False, 'failed', 'exit status 2: 1 failed task, 0 unreachable hosts'),
    (1, 'ERROR! the playbook: x could not be found\n', False, 'failed',
     'exit status 1 before any play ran (the repository, checkout, inventory or playbook could not be loaded; see the log '
     'of this run)'),
    (0, '[WARNING]: No inventory was parsed\n', False, 'failed',
     'exit status 0 but no play ran (no PLAY RECAP: does the playbook select this host?)'),
    (-9, '', False, 'failed', 'killed by signal 9'),
])
def test_the_result_of_a_run(rc, text, check_only, result, reason):
    assert judge(rc, recap_of(text), check_only) == (result, reason)


def test_a_repairing_run_writes_repaired_with_the_changed_count_and_passes_the_output_through(tmp_path):
    rc, doc, out = runner(tmp_path, fake(tmp_path, RECAP % (1, 0)))
    assert rc == 0
    assert 'changed: [localhost]' in out and 'fleetcfg-test: repaired (1 changed)' in out
    assert sorted(doc) == ['changed', 'check_only', 'exit_status', 'finished', 'format', 'interval', 'playbook', 'reason',
                           'repository', 'result', 'schedule', 'started']
    assert (doc['result'], doc['changed'], doc['exit_status'], doc['reason'], doc['schedule'], doc['playbook'],
            doc['interval']) == ('repaired', 1, 0, None, 'fleetcfg-test', '/srv/site.yml', 3600)
    assert doc['started'].endswith('Z') and doc['finished'] >= doc['started']
    assert stat.S_IMODE(os.stat(str(tmp_path / 'state' / 'status.json')).st_mode) == 0o644


def test_the_status_holds_no_line_of_the_output(tmp_path):
    dummy, doc, dummy2 = runner(tmp_path, fake(tmp_path, 'ERROR! token sk-ant-secret-123 rejected\n', rc=4))
    assert doc['result'] == 'failed' and doc['exit_status'] == 4
    assert 'sk-ant' not in json.dumps(doc)


def test_check_only_reports_drift(tmp_path):
    rc, doc, dummy = runner(tmp_path, fake(tmp_path, RECAP % (3, 0)), '--check-only')
    assert (rc, doc['result'], doc['check_only'], doc['changed']) == (0, 'drift', True, 3)


def test_a_failed_run_replaces_the_previous_status_whole_and_exits_with_the_commands_status(tmp_path):
    runner(tmp_path, fake(tmp_path, RECAP % (1, 0)))
    rc, doc, dummy = runner(tmp_path, fake(tmp_path, RECAP % (0, 1), rc=2))
    assert rc == 2
    assert (doc['result'], doc['changed'], doc['reason']) == ('failed', 0, 'exit status 2: 1 failed task, 0 unreachable hosts')
    assert sorted(os.listdir(str(tmp_path / 'state'))) == ['status.json', 'status.json.lock']


def test_a_status_write_that_fails_leaves_the_previous_status_and_no_temporary_file(tmp_path, monkeypatch):
    runner(tmp_path, fake(tmp_path, RECAP % (1, 0)))
    before = (tmp_path / 'state' / 'status.json').read_bytes()

    def broken_rename(*args, **kwargs):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(schedule_runner.os, 'rename', broken_rename)
    rc, doc, out = runner(tmp_path, fake(tmp_path, RECAP % (0, 1), rc=2))
    assert rc == 1 and 'cannot write the status file' in out
    assert (tmp_path / 'state' / 'status.json').read_bytes() == before
    assert sorted(os.listdir(str(tmp_path / 'state'))) == ['status.json', 'status.json.lock']


def test_a_missing_command_fails_the_run_cleanly(tmp_path):
    rc, doc, dummy = runner(tmp_path, ['/nonexistent/ansible-pull', '-U', 'file:///x'])
    assert rc == 127
    assert doc['result'] == 'failed'
    assert doc['reason'] == 'cannot start /nonexistent/ansible-pull: not found or not executable (set schedule_ansible_bin)'


def test_a_run_past_its_timeout_is_stopped_and_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(schedule_runner, 'KILL_GRACE', 1)
    rc, doc, dummy = runner(tmp_path, fake(tmp_path, 'started\n', sleep=30), '--timeout', '1')
    assert rc == 124
    assert (doc['result'], doc['reason'], doc['changed']) == ('failed', 'timed out after 1 s (stopped)', None)


def test_a_run_that_finds_the_lock_taken_ends_at_once_and_leaves_the_status(tmp_path):
    (tmp_path / 'state').mkdir()
    fd = os.open(str(tmp_path / 'state' / 'status.json.lock'), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        pid = os.fork()
        if pid == 0:  # another process: flock locks are per open file, so the runner must be elsewhere
            try:
                rc, doc, out = runner(tmp_path, fake(tmp_path, RECAP % (1, 0)))
                os._exit(10 + rc if doc is None and 'another run is in progress' in out else 99)
            finally:
                os._exit(98)
        dummy, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 10
    finally:
        os.close(fd)
    assert not (tmp_path / 'state' / 'status.json').exists()


def test_the_random_delay_sleeps_at_most_the_delay(tmp_path):
    slept = []
    status = str(tmp_path / 'status.json')
    main(['--name', 'n', '--status-file', status, '--random-delay', '600', '--'] + fake(tmp_path, RECAP % (0, 0)),
         out=io.StringIO(), sleep=slept.append)
    assert len(slept) == 1 and 0 <= slept[0] <= 600


def test_the_command_gets_plain_output_and_the_default_callback_unless_the_schedule_set_one():
    env = schedule_runner.child_environment({'PATH': '/usr/bin', 'ANSIBLE_STDOUT_CALLBACK': 'yaml'})
    assert (env['ANSIBLE_NOCOLOR'], env['ANSIBLE_STDOUT_CALLBACK'], env['PATH']) == ('1', 'yaml', '/usr/bin')
    assert schedule_runner.child_environment({})['ANSIBLE_STDOUT_CALLBACK'] == 'default'


@pytest.mark.parametrize('argv, message', [
    (['--name', 'n', '--status-file', '/s'], 'expected -- and the command to run'),
    (['--name', 'n', '--status-file', '/s', '--'], 'expected the command to run after --'),
    (['--name', 'n', '--status-file', 's', '--', 'x'], '--status-file: expected an absolute path, got s'),
    (['--name', 'n', '--status-file', '/s', '--interval', '1h', '--', 'x'], '--interval: expected whole seconds, got 1h'),
    (['--status-file', '/s', '--', 'x'], '--name is required'),
    (['--name', 'n', '--status-file', '/s', '--bogus', '--', 'x'], 'unknown option --bogus'),
])
def test_a_runner_started_with_wrong_arguments_says_why_and_exits_2(argv, message):
    out = io.StringIO()
    assert main(argv, out=out) == 2
    assert out.getvalue() == 'fleetcfg-claude-code runner: %s\n' % message


def test_a_bare_command_name_is_found_on_path_or_in_the_usual_folders(tmp_path):
    tool = tmp_path / 'ansible-pull'
    tool.write_text('#!/bin/sh\n')
    tool.chmod(0o755)
    assert schedule_runner.find_command('ansible-pull', str(tmp_path)) == str(tool)
    assert schedule_runner.find_command('sh', '') in ('/usr/bin/sh', '/bin/sh')
    assert schedule_runner.find_command('/nonexistent/ansible-pull') is None
