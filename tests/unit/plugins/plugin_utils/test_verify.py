# -*- coding: utf-8 -*-
"""The verify classifier, with the client's output as measured with Claude Code 2.1.332, and the report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.action.verify import input_problems
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.verify_target import account_key, scrub, select_accounts, tail
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import verify

GATEWAY = dict(provider='litellm', endpoint=dict(key='env.ANTHROPIC_BASE_URL', value='http://gw:4000', source='/h/.claude/settings.json'),
               credential=dict(key='apiKeyHelper', source='/h/.claude/settings.json'), dropped=[],
               effective={'apiKeyHelper': {'value': '/h/.claude/bin/key-helper', 'source': '/h/.claude/settings.json'}})
TOKEN = dict(GATEWAY, credential=dict(key='env.ANTHROPIC_AUTH_TOKEN', source='/h/.claude/settings.json'), effective={})
NOTHING = dict(provider=None, endpoint=None, credential=None, dropped=[], effective={})
UNRECOGNIZED = ('Claude Code doesn\'t recognize the model "claude-good", so it assumes a context window of 1m tokens.\n'
                '[claude-code:unrecognized_model] {"model":"claude-good","query_source":"sdk"}\n')


def run(stdout='', stderr='', status=1, **extra):
    return dict(dict(user='alice', exit_status=status, timed_out=False, stdout=stdout, stderr=stderr), **extra)


CASES = [
    ('no_credentials', run('Not logged in · Please run /login\n'), NOTHING),
    ('no_credentials', run('API Error: Could not load AWS credentials · Could not load credentials from any providers. '
                           'Check or refresh your AWS credentials and try again.\n'), dict(NOTHING, provider='bedrock')),
    ('helper_failed', run("Your apiKeyHelper script is failing · This usually means you need to re-authenticate with your "
                          "provider · Run /status to see the script's error output\n",
                          UNRECOGNIZED + "apiKeyHelper failed: exited 3: [the helper's output is not shown]\n"), GATEWAY),
    ('auth_rejected', run('Invalid API key · Fix external API key\n', UNRECOGNIZED), GATEWAY),
    ('auth_rejected', run('Not logged in · Please run /login\n', UNRECOGNIZED), TOKEN),
    ('auth_rejected', run('Failed to authenticate. API Error: 403 not allowed\n'), GATEWAY),
    ('auth_rejected', run('AWS authentication failed · refresh your AWS credentials (SSO sign-in, access keys, API key or '
                          'proxy token) and retry · API Error: 403 The security token included in the request is invalid.\n'),
     dict(NOTHING, provider='bedrock')),
    ('unreachable', run('API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)\n'), GATEWAY),
    ('unreachable', run("API Error: Can't reach the API server — check your internet or DNS (ENOTFOUND)\n"), GATEWAY),
    ('unreachable', run('API Error: Unable to connect to API: SSL certificate verification failed '
                        '(UNABLE_TO_VERIFY_LEAF_SIGNATURE). The certificates the server sent ...\n'), GATEWAY),
    ('settings_invalid', run('Not logged in · Please run /login\n',
                             'These settings did not load, so nothing in them is in effect, ...:\n'
                             '  /h/.claude/settings.json (apiKeyHelper): Expected string, but received number\n'),
     dict(NOTHING, dropped=[dict(path='/h/.claude/settings.json', reason="existing key 'apiKeyHelper' is a number (5), expected a string")])),
    ('model_rejected', run("There's an issue with the selected model (claude-bad). It may not exist or you may not have "
                           "access to it. Run --model to pick a different model.\n"), GATEWAY),
    ('version_out_of_range', run('', 'Claude Code 2.1.332 is older than the minimum version required by your organization '
                                     "(2.1.400).\nUpdate Claude Code using your organization's approved method, then try again.\n"), GATEWAY),
    ('version_out_of_range', run('', 'Claude Code 2.1.332 is newer than the maximum version allowed by your organization '
                                     '(2.1.300).\n'), GATEWAY),
    ('login_policy', run('', UNRECOGNIZED + "This machine's managed settings require a first-party login: they require a "
                                            'claude.ai or Console sign-in (forceLoginMethod), and this session is configured '
                                            'with an API key from the apiKeyHelper in /h/.claude/settings.json\n'), GATEWAY),
    ('timeout', run(status=-9, timed_out=True, timeout=5), GATEWAY),
    ('client_missing', dict(user='alice', error='client_missing', error_message='no Claude Code client found'), GATEWAY),
    ('client_failed', run('something new\n'), GATEWAY),
]


@pytest.mark.parametrize('cause, result, view', CASES, ids=['%s-%d' % (c[0], i) for i, c in enumerate(CASES)])
def test_each_measured_client_answer_gets_its_cause(cause, result, view):
    entry = verify.classify(result, view)
    assert entry['ok'] is False
    assert entry['cause'] == cause
    assert entry['cause'] in verify.CAUSES
    assert entry['message']


def test_a_good_run_is_ok_with_the_provider_and_endpoint_reached():
    entry = verify.classify(run('OK\n', UNRECOGNIZED, status=0), GATEWAY)
    assert entry == dict(ok=True, cause=None, provider='litellm', endpoint='http://gw:4000',
                         message='reached litellm at http://gw:4000 (env.ANTHROPIC_BASE_URL, from /h/.claude/settings.json)')


def test_the_default_endpoint_is_named_when_none_is_set():
    entry = verify.classify(run('OK', status=0), dict(NOTHING, provider='bedrock'))
    assert entry['ok'] and entry['endpoint'] is None and "default endpoint" in entry['message']


def test_a_failing_helper_names_its_exit_status_and_never_its_output():
    result = run("Your apiKeyHelper script is failing\n", scrub('apiKeyHelper failed: exited 3: the key is sk-live-abcdef123456\n'))
    entry = verify.classify(result, GATEWAY)
    assert 'exit status 3' in entry['message'] and '/h/.claude/bin/key-helper' in entry['message']
    assert 'sk-live' not in json.dumps(entry) + result['stderr']


def test_a_dropped_file_wins_over_what_the_client_then_prints():
    view = dict(NOTHING, dropped=[dict(path='/h/.claude/settings.json', reason='invalid JSON')])
    entry = verify.classify(run('Not logged in · Please run /login\n'), view)
    assert entry['cause'] == 'settings_invalid' and '/h/.claude/settings.json (invalid JSON)' in entry['message']


def test_the_version_message_names_the_installed_version_and_the_bound():
    entry = verify.classify(run('', 'Claude Code 2.1.332 is older than the minimum version required by your organization (2.1.400).\n'), GATEWAY)
    assert '2.1.332' in entry['message'] and 'minimum 2.1.400' in entry['message']


def test_the_unreachable_message_says_which_kind():
    refused = verify.classify(run('API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)\n'), GATEWAY)
    dns = verify.classify(run("API Error: Can't reach the API server — check your internet or DNS (ENOTFOUND)\n"), GATEWAY)
    assert 'refused' in refused['message'] and 'DNS' in dns['message']


@pytest.mark.parametrize('text', [
    'Authorization: Bearer abcdefghijklmnop', 'x-api-key: sk-fleetcfg-e2e-0123456789', 'https://u:hunter22@gw.example.com/',
    'token=abcdef123456', 'AKIAABCDEFGHIJKLMNOP', 'ya29.a0AfH6SMBx', 'Q' * 48,
])
def test_scrubbing_hides_what_looks_like_a_credential(text):
    secret = text.split()[-1].split('=')[-1].split(':')[-1].split('@')[0]
    assert secret not in scrub(text) or len(secret) < 4
    assert '********' in scrub(text)


def test_scrubbing_keeps_paths_and_the_clients_words():
    text = 'API Error: Connection refused (ECONNREFUSED)\n/tmp/fcver_x-home/.claude/settings.json: Invalid or malformed JSON'
    assert scrub(text) == text


def test_a_tail_is_the_end_of_the_scrubbed_output():
    assert tail('x' * 10 + ' sk-abcdefghijkl', size=12) == 'xxx ********'
    assert len(tail('a b ' * 2000)) == 2000


# --- the report -----------------------------------------------------------------------------------------------------

def test_an_unreachable_host_has_an_entry_per_account_asked_for():
    entries = verify.host_entries({'unreachable': True, 'msg': 'ssh: connect to host 192.0.2.1 port 22: timed out'}, ['alice', 'bob'])
    assert sorted(entries) == ['alice', 'bob']
    assert all(e['cause'] == 'host_unreachable' and not e['ok'] and '192.0.2.1' in e['message'] for e in entries.values())
    assert list(verify.host_entries({'unreachable': True}, 'all')) == ['all']


def test_a_host_whose_task_failed_before_any_account_is_host_failed():
    entries = verify.host_entries({'failed': True, 'msg': 'timeout: expected a number'}, 'all')
    assert entries['all']['cause'] == 'host_failed'
    assert verify.host_entries(None, ['alice'])['alice']['cause'] == 'host_failed'


def test_the_report_has_hosts_accounts_and_counts():
    ok = verify.classify(run('OK', status=0), GATEWAY)
    bad = verify.classify(run('Invalid API key · Fix external API key\n'), GATEWAY)
    failed_task = {'failed': True, 'msg': 'Claude Code does not reach ...', 'accounts': {'alice': ok, 'bob': bad}}
    hosts = {'dev-1': verify.host_entries(failed_task, 'all'), 'dev-2': verify.host_entries({'unreachable': True}, ['alice'])}
    report = verify.build_report(hosts, '2026-01-01T00:00:00Z', '/r.json')
    assert set(report) >= {'hosts', 'summary', 'format', 'generated'}
    assert report['hosts']['dev-1']['alice']['ok'] is True and report['hosts']['dev-1']['bob']['cause'] == 'auth_rejected'
    assert report['summary'] == dict(hosts=2, accounts=3, ok=1, failed=2, causes={'auth_rejected': 1, 'host_unreachable': 1},
                                     failing=['dev-1/bob', 'dev-2/alice'])
    lines = verify.summary_lines(report)
    assert lines[0] == 'Claude Code verify: 3 account(s) on 2 host(s): 1 ok, 2 failed'
    json.dumps(report)


# --- the action's input checks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('args, words', [
    (dict(users=['all', 'alice'], timeout=60), 'cannot be combined'),
    (dict(users=['al ice'], timeout=60), "users[0]: expected an account name (or all), got 'al ice'"),
    (dict(users=[dict(config_dir='/x/.claude')], timeout=60), 'users[0].name: expected an account name, got None'),
    (dict(users=[dict(name='alice', dir='/x')], timeout=60), 'users[0]: unknown key dir; a mapping has name, config_dir and label'),
    (dict(users=[dict(name='alice', config_dir='')], timeout=60), "users[0].config_dir: expected a non-empty string, got ''"),
    (dict(users=[dict(name='alice', label='all')], timeout=60), 'users[0].label: all means every human account'),
    (dict(users=[42], timeout=60), 'users[0]: expected an account name or a mapping {name, config_dir, label}, got 42'),
    (dict(users=['alice', dict(name='bob', label='alice')], timeout=60),
     "users[1]: names the same entry 'alice' as users[0]; give each mapping its own label"),
    (dict(users=[dict(name='alice', config_dir='/a'), dict(name='alice', config_dir='/a')], timeout=60),
     "users[1]: names the same entry 'alice:/a' as users[0]"),
    (dict(users=None, timeout=0), 'timeout: expected a number of seconds from 1 to 600, got 0'),
    (dict(users=None, timeout=601), 'got 601'),
    (dict(users=None, timeout=60, claude='bin/claude'), "claude: expected the absolute path of the client"),
    (dict(users=None, timeout=60, claude='claude --debug'), "claude: expected"),
    (dict(users=None, timeout=60, cli_prefix='opt/claude'), "cli_prefix: expected the absolute path"),
])
def test_wrong_input_is_named(args, words):
    problems = input_problems(args)
    assert problems and any(words in p for p in problems), problems


def test_good_input_has_no_problem():
    assert input_problems(dict(users=['alice', 'bob'], timeout=30, claude='/opt/claude/bin/claude', cli_prefix='/opt/claude')) == []
    assert input_problems(dict(users=['all'], timeout=60, claude='claude')) == []


def test_an_account_with_its_claude_code_folder_elsewhere_is_good_input():
    # the shape of claude_code_users in playbooks/settings.yml, so that verify_users: "{{ claude_code_users }}" works
    users = ['carol', dict(name='dev', config_dir='/sandbox/dev-01/alice/.claude'),
             dict(name='dev', config_dir='/sandbox/dev-01/bob/.claude', label='bob'), dict(name='erin')]
    assert input_problems(dict(users=users, timeout=60)) == []


def test_each_entry_is_named_by_its_label_else_by_account_and_folder():
    assert account_key('alice') == 'alice'
    assert account_key(dict(name='dev', config_dir='/s/alice/.claude', label='alice')) == 'alice'
    assert account_key(dict(name='dev', config_dir='/s/bob/.claude')) == 'dev:/s/bob/.claude'
    assert account_key(dict(name='dev')) == 'dev'


def test_each_entry_is_verified_with_its_own_claude_code_folder():
    users = ['carol', dict(name='dev', config_dir='/s/alice/.claude', label='alice'), dict(name='dev')]
    assert select_accounts(users, [], '.claude-work') == [
        ('carol', 'carol', '.claude-work'), ('alice', 'dev', '/s/alice/.claude'), ('dev', 'dev', '.claude-work')]
