# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.schedule on the controller (plugin_utils/schedule.py): its variables checked, the
intervals it accepts, and the service, timer, launchd plist and command line it renders, without Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import plistlib
import shlex

import pytest
import yaml

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import schedule
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import COLLECTION_ROOT, role_defaults
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

PLAYBOOK = '/srv/claude/site.yml'
ODD = '/srv/team "a" b/100% $HOME\\x;rm -rf ~/play.yml'


def check(**variables):
    raw = dict(role_defaults('schedule'), **variables)
    return schedule.check(raw)


def problems(**variables):
    with pytest.raises(InputError) as e:
        check(**variables)
    assert str(e.value).startswith('fleetcfg.claude_code.schedule: invalid input, no host was changed:')
    return e.value.problems


def unit_lines(text, key):
    return [line.split('=', 1)[1] for line in text.splitlines() if line.startswith(key + '=')]


def systemd_words(value):
    """ExecStart= split as systemd splits it, for the words this role writes (double-quoted, C escapes of \\ and ",
    %% and $$ for a literal % and $)."""
    return [word.replace('%%', '%').replace('$$', '$') for word in shlex.split(value)]


# ---- intervals ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, seconds, calendar', [
    ('5min', 300, '*-*-* *:00/5:00'),
    ('30min', 1800, '*-*-* *:00/30:00'),
    ('15 min', 900, '*-*-* *:00/15:00'),
    ('20m', 1200, '*-*-* *:00/20:00'),
    ('1h', 3600, '*-*-* 00/1:00:00'),
    ('6h', 21600, '*-*-* 00/6:00:00'),
    ('1d', 86400, '*-*-* 00:00:00'),
    (3600, 3600, '*-*-* 00/1:00:00'),
    ('1800', 1800, '*-*-* *:00/30:00'),
    ('43200s', 43200, '*-*-* 00/12:00:00'),
])
def test_an_interval_that_divides_an_hour_or_a_day_becomes_calendar_slots(value, seconds, calendar):
    conf = check(schedule_playbook=PLAYBOOK, schedule_interval=value)
    assert conf['interval'] == seconds
    timer = schedule.render_timer(conf)
    assert unit_lines(timer, 'OnCalendar') == [calendar]
    assert unit_lines(timer, 'Persistent') == ['true']


@pytest.mark.parametrize('value', ['45min', '90s', '7d', '5h', '1min', 0, 120, '90'])
def test_an_interval_that_does_not_divide_evenly_is_refused_naming_the_accepted_values(value):
    assert problems(schedule_playbook=PLAYBOOK, schedule_interval=value) == [
        'schedule_interval: expected an interval that divides an hour or a day evenly: 5min, 6min, 10min, 12min, 15min, '
        '20min, 30min, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 1d (or the same in seconds, such as 3600), got %s'
        % ('"%s"' % value if isinstance(value, str) else value)]


@pytest.mark.parametrize('value', ['1w', 'hourly', '1h30min', '-5min', True, None, [60], '1.5h'])
def test_an_interval_that_is_not_a_duration_is_refused(value):
    message = problems(schedule_playbook=PLAYBOOK, schedule_interval=value)[0]
    assert message.startswith('schedule_interval: expected a duration such as 30min, 1h, 6h or 1d, or whole seconds, got ')


def test_the_random_delay_is_a_quarter_of_the_interval_by_default_and_systemds_randomized_delay():
    conf = check(schedule_playbook=PLAYBOOK, schedule_interval='2h')
    assert conf['random_delay'] == 1800
    assert unit_lines(schedule.render_timer(conf), 'RandomizedDelaySec') == ['1800']
    assert unit_lines(schedule.render_timer(check(schedule_playbook=PLAYBOOK, schedule_random_delay=0)),
                      'RandomizedDelaySec') == ['0']


def test_a_random_delay_longer_than_the_interval_is_refused():
    assert problems(schedule_playbook=PLAYBOOK, schedule_interval='30min', schedule_random_delay='1h') == [
        'schedule_random_delay: must not be longer than schedule_interval (30min), got "1h"']


def test_a_timeout_under_a_minute_is_refused_and_the_service_outlives_the_runners_own():
    assert problems(schedule_playbook=PLAYBOOK, schedule_timeout='30s') == ['schedule_timeout: must be at least 1min, got "30s"']
    service = schedule.render_service(check(schedule_playbook=PLAYBOOK, schedule_timeout='10min'))
    assert unit_lines(service, 'TimeoutStartSec') == ['660']


# ---- the command line -----------------------------------------------------------------------------------------------

def test_local_mode_runs_the_playbook_with_a_local_connection_and_the_status_file_of_the_platform():
    conf = check(schedule_playbook=PLAYBOOK)
    argv = schedule.runner_command(conf, '/var/lib/fleetcfg-claude-code/status.json')
    assert argv == ['/usr/local/libexec/fleetcfg-claude-code.py', '--name', 'fleetcfg-claude-code',
                    '--status-file', '/var/lib/fleetcfg-claude-code/status.json', '--interval', '3600', '--timeout', '1800',
                    '--playbook', PLAYBOOK, '--chdir', '/srv/claude', '--',
                    'ansible-playbook', '-c', 'local', '-i', 'localhost,', PLAYBOOK]


def test_a_collection_playbook_runs_by_its_name_without_a_working_folder_of_its_own():
    conf = check(schedule_playbook='fleetcfg.claude_code.bedrock', schedule_check_only=True,
                 schedule_extra_args=['-e', '@/etc/fleet/vars.yml'], schedule_ansible_bin='/opt/ansible/bin')
    argv = schedule.runner_command(conf, '/s.json')
    assert '--chdir' not in argv and '--check-only' in argv
    assert argv[argv.index('--') + 1:] == ['/opt/ansible/bin/ansible-playbook', '-c', 'local', '-i', 'localhost,', '--check',
                                           '--diff', '-e', '@/etc/fleet/vars.yml', 'fleetcfg.claude_code.bedrock']


def test_pull_mode_runs_ansible_pull_of_the_repository_checkout_and_inventory():
    conf = check(schedule_repository='https://git.example.com/platform/claude.git', schedule_checkout='v1.2.0',
                 schedule_inventory='inventory/fleet.ini', schedule_playbook='site.yml', schedule_check_only='yes',
                 schedule_ansible_bin='/opt/ansible/bin/ansible-pull')
    argv = schedule.runner_command(conf, '/s.json')
    assert argv[argv.index('--'):] == ['--', '/opt/ansible/bin/ansible-pull', '-U', 'https://git.example.com/platform/claude.git',
                                       '-C', 'v1.2.0', '-i', 'inventory/fleet.ini', '--check', '--diff', 'site.yml']
    assert argv[argv.index('--repository') + 1] == 'https://git.example.com/platform/claude.git'


def test_pull_mode_without_a_playbook_leaves_the_choice_to_ansible_pull():
    conf = check(schedule_repository='git@git.example.com:platform/claude.git')
    assert schedule.ansible_command(conf) == ['ansible-pull', '-U', 'git@git.example.com:platform/claude.git']


def test_odd_paths_are_one_word_each_in_execstart_and_nothing_in_them_expands():
    conf = check(schedule_playbook=ODD, schedule_status_file='/var/lib/a b/%n "s".json',
                 schedule_environment={'ANSIBLE_COLLECTIONS_PATH': '/opt/col %h $HOME "x"', 'N': 3})
    service = schedule.render_service(conf)
    [exec_start] = unit_lines(service, 'ExecStart')
    assert systemd_words(exec_start) == schedule.runner_command(conf, '/var/lib/a b/%n "s".json')
    assert unit_lines(service, 'Environment') == ['"ANSIBLE_COLLECTIONS_PATH=/opt/col %%h $HOME \\"x\\""', '"N=3"']
    assert '\n' not in exec_start


def test_the_plist_is_a_launchd_job_with_its_own_random_delay():
    conf = check(schedule_playbook=ODD, schedule_interval='30min', schedule_random_delay='10min', schedule_name='corp.claude',
                 schedule_environment={'HTTPS_PROXY': 'http://proxy.example.com:3128'})
    job = plistlib.loads(schedule.render_plist(conf).encode('utf-8'))
    assert job['Label'] == 'corp.claude'
    assert job['StartInterval'] == 1800
    assert job['RunAtLoad'] is True
    assert job['ProgramArguments'][0] == '/usr/local/libexec/corp.claude.py'
    assert job['ProgramArguments'] == schedule.runner_command(
        conf, '/Library/Application Support/fleetcfg-claude-code/status.json', 600)
    assert job['ProgramArguments'][job['ProgramArguments'].index('--random-delay') + 1] == '600'
    assert job['ProgramArguments'][-1] == ODD
    assert job['EnvironmentVariables']['HTTPS_PROXY'] == 'http://proxy.example.com:3128'
    assert '/opt/homebrew/bin' in job['EnvironmentVariables']['PATH']
    assert job['StandardOutPath'] == '/Library/Logs/corp.claude.log'


def test_the_service_has_no_random_delay_of_its_own_the_timer_has_it():
    conf = check(schedule_playbook=PLAYBOOK)
    assert '--random-delay' not in schedule.render_service(conf)
    timer = schedule.render_timer(conf)
    assert unit_lines(timer, 'Unit') == ['fleetcfg-claude-code.service']
    assert unit_lines(timer, 'WantedBy') == ['timers.target']


def test_the_module_gets_both_platforms_files_and_the_runner():
    args = schedule.module_args(check(schedule_playbook=PLAYBOOK), 'RUNNER')
    assert sorted(args) == ['ansible', 'launchd', 'name', 'runner', 'state', 'systemd']
    assert args['systemd']['status_file'] == '/var/lib/fleetcfg-claude-code/status.json'
    assert args['launchd']['status_file'] == '/Library/Application Support/fleetcfg-claude-code/status.json'
    assert args['systemd']['command'].startswith('/usr/local/libexec/fleetcfg-claude-code.py --name fleetcfg-claude-code ')
    assert "'/Library/Application Support/fleetcfg-claude-code/status.json'" in args['launchd']['command']


def test_state_absent_needs_no_playbook_and_sends_only_what_is_removed():
    args = schedule.module_args(check(schedule_state='absent', schedule_interval='bogus'), 'RUNNER')
    assert args == dict(state='absent', name='fleetcfg-claude-code',
                        systemd=dict(status_file='/var/lib/fleetcfg-claude-code/status.json'),
                        launchd=dict(status_file='/Library/Application Support/fleetcfg-claude-code/status.json'))


# ---- refusals -------------------------------------------------------------------------------------------------------

def test_local_mode_needs_a_playbook():
    assert problems() == ['schedule_playbook: required without schedule_repository, expected an absolute path of a playbook '
                          'on the host, or a collection playbook name such as fleetcfg.claude_code.bedrock']


@pytest.mark.parametrize('value', ['site.yml', '-e@x', 'playbooks/site.yml', '/srv/a\nb.yml'])
def test_a_local_playbook_must_be_absolute_or_a_collection_playbook(value):
    expected = 'schedule_playbook: expected an absolute path of a playbook on the host, or a collection playbook name'
    assert problems(schedule_playbook=value)[0].startswith(expected)


def test_a_repository_url_with_a_password_is_refused_without_showing_it():
    found = problems(schedule_repository='https://deploy:s3cr3t-tok@git.example.com/claude.git')
    assert found == ['schedule_repository: a password in the URL would be readable by every account of the machine (the unit '
                     'file, the process list); use an SSH deploy key or a git credential helper, got a string (a secret, '
                     'not shown)']


@pytest.mark.parametrize('value', ['--upload-pack=touch /tmp/x', 'ext::sh -c touch% /tmp/x', 'https://git.example.com/a b.git',
                                   "https://git.example.com/a'b.git", 'git.example.com/claude'])
def test_a_repository_that_is_not_a_plain_git_url_is_refused(value):
    assert problems(schedule_repository=value)[0].startswith('schedule_repository: expected a git URL (https://, ssh://, git://, '
                                                             'file:// or user@host:path) without spaces or quotes')


def test_pull_mode_words_may_hold_no_space_because_ansible_pull_splits_its_command_line_again():
    found = problems(schedule_repository='file:///srv/claude.git', schedule_playbook='../etc/site.yml',
                     schedule_inventory='inv -e x', schedule_extra_args=['--tags', 'a b'], schedule_checkout='-x')
    assert [p.split(':')[0] for p in found] == ['schedule_checkout', 'schedule_playbook', 'schedule_inventory',
                                                'schedule_extra_args[1]']


def test_secrets_on_the_command_line_or_in_the_environment_are_refused():
    found = problems(schedule_playbook=PLAYBOOK, schedule_extra_args=['-e', 'api_token=tok-123', '-eANTHROPIC_API_KEY=k'],
                     schedule_environment={'ANTHROPIC_AUTH_TOKEN': 'tok-456', 'HTTPS_PROXY': 'http://u:pw-789@proxy:3128'})
    assert [p.split(':')[0] for p in found] == ['schedule_extra_args[1]', 'schedule_extra_args[2]',
                                                'schedule_environment.ANTHROPIC_AUTH_TOKEN', 'schedule_environment.HTTPS_PROXY']
    assert not [p for p in found if 'tok-' in p or 'pw-789' in p]
    assert [p.rsplit(', got ', 1)[1] for p in found] == ['a string (a secret, not shown)'] * 4


def test_every_problem_is_named_at_once_with_a_typo_hint():
    found = problems(schedule_playbok=PLAYBOOK, schedule_name='claude.timer', schedule_status_file='status.json',
                     schedule_checkout='main', schedule_ansible_bin='/opt/ansible/bin/ansible-pull')
    assert [p.split(':')[0] for p in found] == ['schedule_playbok', 'schedule_name', 'schedule_status_file',
                                                'schedule_checkout', 'schedule_playbook', 'schedule_ansible_bin']
    assert 'did you mean schedule_playbook?' in found[0]


def test_an_unknown_state_is_refused():
    assert problems(schedule_state='stopped')[0] == 'schedule_state: expected one of present, absent, got "stopped"'


# ---- the role agrees with this file ---------------------------------------------------------------------------------

def spec_options():
    with open(os.path.join(COLLECTION_ROOT, 'roles', 'schedule', 'meta', 'argument_specs.yml')) as f:
        return yaml.safe_load(f)['argument_specs']['main']['options']


def test_the_documented_options_are_exactly_the_variables_and_their_defaults():
    options = spec_options()
    assert sorted(options) == sorted(schedule.VARIABLES)
    for name, value in role_defaults('schedule').items():
        assert options[name]['default'] == value, name
    for name, option in options.items():
        assert option.get('type', 'str') in ('str', 'path', 'raw'), name  # the collection's own checks come first
        assert not set(option) & {'required', 'choices', 'elements'}, name


def test_the_defaults_install_an_hourly_schedule_of_a_given_playbook():
    conf = check(schedule_playbook=PLAYBOOK)
    assert (conf['name'], conf['interval'], conf['random_delay'], conf['timeout'], conf['pull'], conf['check_only']) == (
        'fleetcfg-claude-code', 3600, 900, 1800, False, False)
