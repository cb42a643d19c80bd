# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.schedule on the controller: its variables checked, and every file it installs rendered.

Pure Python (unit-tested without Ansible). Every problem of the input is one line naming the variable, gathered before
any host is touched. Rendered here: the runner's command line (the words after the runner, never through a shell), the
systemd service and timer (Linux; the words quoted for systemd, ``%`` and ``$`` escaped) and the launchd job's plist
(macOS; plistlib). The host picks the set of its platform (module_utils/schedule_target.py, which owns the paths).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import plistlib
import posixpath
import re

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import schedule_target
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import is_secret, url_has_password
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import ENV_NAME, STATES, InputError, Inputs, Var, kind_of

ROLE = 'schedule'
PREFIX = 'schedule_'
PULL, PLAYBOOK = 'ansible-pull', 'ansible-playbook'
UNITS = (('d', 86400), ('h', 3600), ('min', 60), ('s', 1))
_UNIT_WORDS = {'s': 1, 'sec': 1, 'm': 60, 'min': 60, 'h': 3600, 'd': 86400}
_DURATION = re.compile(r'^\s*([0-9]+)\s*(s|sec|m|min|h|d)?\s*\Z')
# The intervals a calendar can hold evenly (so that every machine runs at the same wall-clock slots, and a timer that
# missed a slot while the machine slept catches up on waking: OnCalendar= with Persistent=true).
INTERVALS = (300, 360, 600, 720, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400)
MIN_TIMEOUT = 60
NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z')
COLLECTION_PLAYBOOK = re.compile(r'^[a-z0-9_]+\.[a-z0-9_]+(?:\.[A-Za-z0-9_-]+)+\Z')
# ansible-pull joins its options into one command line and splits it again (shlex), so what it passes on may hold no
# space or quote: each word of the repository, checkout, inventory, playbook and extra arguments in pull mode.
PULL_WORD = re.compile(r'^[A-Za-z0-9._~:/@%+=,^-]+\Z')
REPOSITORY = re.compile(r'^(?:(?:https?|ssh|git|file)://[A-Za-z0-9._~:/@%+-]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~/%+-]+)\Z')
CHECKOUT = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._/+-]*\Z')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
EXAMPLE_PLAYBOOK = 'fleetcfg.claude_code.bedrock'

VARIABLES = {
    'schedule_state': Var(choices=STATES),
    'schedule_name': Var(),
    'schedule_playbook': Var(),
    'schedule_repository': Var(),
    'schedule_checkout': Var(),
    'schedule_inventory': Var(),
    'schedule_extra_args': Var('list', elements='str'),
    'schedule_check_only': Var('bool'),
    'schedule_interval': Var('raw'),
    'schedule_random_delay': Var('raw'),
    'schedule_timeout': Var('raw'),
    'schedule_status_file': Var(),
    'schedule_ansible_bin': Var(),
    'schedule_environment': Var('dict'),
    'schedule_hosts': Var(),  # read by playbooks/schedule.yml, not by the role
}


# ---- durations ------------------------------------------------------------------------------------------------------

def parse_duration(value):
    """A duration -> whole seconds, or None: a number of seconds (3600, "3600") or a number and a unit: s, min (or m),
    h, d ("30min", "1h", "6h", "1d")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = _DURATION.match(value)
    if not m:
        return None
    return int(m.group(1)) * _UNIT_WORDS[m.group(2) or 's']


def format_duration(seconds):
    """3600 -> '1h', 1800 -> '30min', 90 -> '90s': the largest unit that divides it."""
    if not seconds:
        return '0s'
    for unit, size in UNITS:
        if seconds % size == 0:
            return '%d%s' % (seconds // size, unit)
    return '%ds' % seconds


def accepted_intervals():
    return ', '.join(format_duration(s) for s in INTERVALS)


def on_calendar(interval):
    """The OnCalendar= expression of an interval of INTERVALS: every N minutes or hours from midnight, or daily."""
    if interval >= 86400:
        return '*-*-* 00:00:00'
    if interval >= 3600:
        return '*-*-* 00/%d:00:00' % (interval // 3600)
    return '*-*-* *:00/%d:00' % (interval // 60)


# ---- checking -------------------------------------------------------------------------------------------------------

def _no_control(v, name, value, expected):
    if isinstance(value, str) and _CONTROL.search(value):
        v.expect(name, expected + ' (no control characters or line breaks)', value)
        return False
    return True


def _refuse_secret(v, where, why, value):
    """A secret where none may be: named, its value never shown."""
    v.problems.append('%s: %s, got %s (a secret, not shown)' % (where, why, kind_of(value)))


def _secret_word(word):
    if url_has_password(word):
        return True
    m = re.match(r'^-*(?:e\s*|extra-vars=)?([A-Za-z_][A-Za-z0-9_]*)=(.*)\Z', word)
    return bool(m) and is_secret(m.group(1), m.group(2))


def check(raw):
    """The role's variables -> the settings the module needs (a plain dict, see ``module_args``); InputError lists
    every problem."""
    v = Inputs(ROLE, PREFIX, VARIABLES, raw)
    state = v.get('state', 'present')
    name = v.get('name') or schedule_target.DEFAULT_NAME
    if not NAME.match(name) or re.search(r'\.(service|timer|plist|py)\Z', name):
        v.expect('schedule_name', "a unit name of letters, digits, '.', '_' and '-' (at most 100), without .service or "
                 ".timer, such as %s" % schedule_target.DEFAULT_NAME)
    status_file = v.get('status_file') or ''
    if status_file and (not posixpath.isabs(status_file) or status_file.endswith('/')):
        v.expect('schedule_status_file', 'an absolute file path such as %s, or empty for the default of the platform'
                 % schedule_target.LINUX_STATUS_FILE)
    else:
        _no_control(v, 'schedule_status_file', status_file, 'an absolute file path')
    conf = dict(state=state, name=name, status_file=status_file)
    if state == 'absent':
        if v.problems:
            raise InputError(ROLE, v.problems)
        return conf
    repository = v.get('repository') or ''
    pull = bool(repository)
    if pull:
        if url_has_password(repository):
            v.refuse('schedule_repository', 'a password in the URL would be readable by every account of the machine (the '
                     'unit file, the process list); use an SSH deploy key or a git credential helper')
        elif not REPOSITORY.match(repository) or repository.startswith('-'):
            v.expect('schedule_repository', 'a git URL (https://, ssh://, git://, file:// or user@host:path) without spaces '
                     'or quotes, or empty to run the playbook locally')
    checkout = v.get('checkout') or ''
    if checkout and not pull:
        v.refuse('schedule_checkout', 'only with schedule_repository (a branch or tag of the repository)')
    elif checkout and not CHECKOUT.match(checkout):
        v.expect('schedule_checkout', 'a branch, tag or commit such as main or v1.2.0')
    playbook = v.get('playbook') or ''
    if pull:
        if playbook and (not PULL_WORD.match(playbook) or playbook.startswith(('/', '-'))
                         or '..' in playbook.split('/')):
            v.expect('schedule_playbook', 'a playbook path inside the repository such as site.yml (relative, no spaces), or '
                     'empty for ansible-pull\'s choice (<hostname>.yml or local.yml)')
    elif not playbook:
        v.require('schedule_playbook', 'an absolute path of a playbook on the host, or a collection playbook name such as %s'
                  % EXAMPLE_PLAYBOOK, ' without schedule_repository')
    elif not (COLLECTION_PLAYBOOK.match(playbook) or posixpath.isabs(playbook)) or _CONTROL.search(playbook):
        v.expect('schedule_playbook', 'an absolute path of a playbook on the host, or a collection playbook name such as %s'
                 % EXAMPLE_PLAYBOOK)
    inventory = v.get('inventory') or ''
    if inventory:
        if pull and (not PULL_WORD.match(inventory) or inventory.startswith('-')):
            v.expect('schedule_inventory', 'an inventory path inside the repository (or host names ending with a comma), '
                     'without spaces')
        elif not pull and (inventory.startswith('-') or _CONTROL.search(inventory)):
            v.expect('schedule_inventory', 'an inventory path on the host, or host names ending with a comma (localhost,)')
    extra = v.get('extra_args') or []
    for i, word in enumerate(extra):
        where = 'schedule_extra_args[%d]' % i
        if _secret_word(word):
            _refuse_secret(v, where, 'a secret on the command line would be readable by every account of the machine (the '
                           'unit file, the process list); keep it in a vars file of the playbook, or in Ansible Vault', word)
        elif pull and not PULL_WORD.match(word):
            v.expect(where, 'a word without spaces or quotes (ansible-pull splits its command line again)')
        elif not _no_control(v, where, word, 'a command-line word'):
            pass
    intervals = {}
    for suffix, expected in (('interval', 'a duration such as 30min, 1h, 6h or 1d, or whole seconds'),
                             ('random_delay', 'a duration such as 0, 10min or 1h, or whole seconds; empty for a quarter '
                                              'of schedule_interval'),
                             ('timeout', 'a duration such as 30min or 1h, or whole seconds')):
        value = v.values.get(PREFIX + suffix)
        if value in (None, '') and suffix == 'random_delay':
            intervals[suffix] = None
            continue
        seconds = parse_duration(value)
        if seconds is None:
            v.expect(PREFIX + suffix, expected, value)
        intervals[suffix] = seconds
    interval = intervals['interval']
    if interval is not None and interval not in INTERVALS:
        v.expect('schedule_interval', 'an interval that divides an hour or a day evenly: %s (or the same in seconds, such '
                 'as 3600)' % accepted_intervals(), v.values.get('schedule_interval'))
        interval = None
    delay = intervals['random_delay']
    if delay is None and interval is not None:
        delay = interval // 4
    elif delay is not None and interval is not None and delay > interval:
        v.refuse('schedule_random_delay', 'must not be longer than schedule_interval (%s)' % format_duration(interval))
    timeout = intervals['timeout']
    if timeout is not None and timeout < MIN_TIMEOUT:
        v.refuse('schedule_timeout', 'must be at least 1min')
    env = v.get('environment') or {}
    for key in sorted(env):
        value = env[key]
        where = 'schedule_environment.%s' % key
        if not isinstance(key, str) or not ENV_NAME.match(key):
            v.problems.append('schedule_environment: expected variable names (letters, digits, _), got %s' % json.dumps(str(key)))
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            v.expect(where, 'a string or a number', value)
        elif is_secret(key, str(value)):
            _refuse_secret(v, where, 'a secret would be readable by every account of the machine (the unit file is '
                           'world-readable); keep it out of the schedule', value)
        else:
            _no_control(v, where, str(value), 'a value')
    program = PULL if pull else PLAYBOOK
    ansible = _ansible_program(v, program, pull)
    if v.problems:
        raise InputError(ROLE, v.problems)
    check_only = bool(v.get('check_only'))
    conf.update(pull=pull, repository=repository, checkout=checkout, playbook=playbook, inventory=inventory,
                extra_args=list(extra), check_only=check_only, interval=interval, random_delay=delay, timeout=timeout,
                environment=dict((key, str(value)) for key, value in env.items()), ansible=ansible)
    return conf


def _ansible_program(v, program, pull):
    """schedule_ansible_bin -> the program the runner starts: a folder (the program in it), the program's own path, or
    empty (the name, looked up on the host at each run)."""
    value = v.get('ansible_bin') or ''
    if not value:
        return program
    if not posixpath.isabs(value) or (pull and not PULL_WORD.match(value)) or _CONTROL.search(value):
        v.expect('schedule_ansible_bin', 'an absolute path of the folder holding %s (or of %s itself)%s'
                 % (program, program, ', without spaces' if pull else ''))
        return program
    base = posixpath.basename(value.rstrip('/'))
    if base in (PULL, PLAYBOOK):
        if base != program:
            v.refuse('schedule_ansible_bin', 'names %s, but %s runs %s; give the folder' % (
                base, 'schedule_repository set' if pull else 'local mode (no schedule_repository)', program))
        return value
    return posixpath.join(value, program)


# ---- rendering ------------------------------------------------------------------------------------------------------

def ansible_command(conf):
    """The command the runner starts (after its ``--``): ansible-pull of the repository, or ansible-playbook locally."""
    if conf['pull']:
        argv = [conf['ansible'], '-U', conf['repository']]
        if conf['checkout']:
            argv += ['-C', conf['checkout']]
        if conf['inventory']:
            argv += ['-i', conf['inventory']]
    else:
        argv = [conf['ansible'], '-c', 'local', '-i', conf['inventory'] or 'localhost,']
    if conf['check_only']:
        argv += ['--check', '--diff']
    argv += conf['extra_args']
    if conf['playbook']:
        argv.append(conf['playbook'])
    return argv


def runner_command(conf, status_file, random_delay=0):
    """The whole command line of a run: the runner, its options, ``--`` and the ansible command."""
    argv = [schedule_target.runner_path(conf['name']), '--name', conf['name'], '--status-file', status_file,
            '--interval', str(conf['interval']), '--timeout', str(conf['timeout'])]
    if conf['playbook']:
        argv += ['--playbook', conf['playbook']]
    if conf['pull']:
        argv += ['--repository', conf['repository']]
    elif posixpath.isabs(conf['playbook']):
        argv += ['--chdir', posixpath.dirname(conf['playbook'])]  # an ansible.cfg beside the playbook applies
    if conf['check_only']:
        argv.append('--check-only')
    if random_delay:
        argv += ['--random-delay', str(random_delay)]
    return argv + ['--'] + ansible_command(conf)


def systemd_quote(word):
    """One word of ExecStart=, in double quotes: backslash and quote escaped, % (specifiers) and $ (variables) doubled."""
    return '"%s"' % word.replace('\\', '\\\\').replace('"', '\\"').replace('%', '%%').replace('$', '$$')


def systemd_environment(name, value):
    """One Environment= assignment: quoted, specifiers escaped (no variable expansion happens there)."""
    text = '%s=%s' % (name, value)
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"').replace('%', '%%')


def _header(conf):
    return ('# Written by fleetcfg.claude_code.schedule (schedule_name: %s). Changes here are replaced at the next run of\n'
            '# the role; set its variables instead, or remove the schedule with schedule_state: absent.\n' % conf['name'])


def render_service(conf, status_file=None):
    """The systemd service: one run of the runner (Type=oneshot), after the network is up."""
    status_file = status_file or conf['status_file'] or schedule_target.LINUX_STATUS_FILE
    argv = runner_command(conf, status_file)
    lines = [_header(conf).rstrip('\n'),
             '[Unit]',
             'Description=Claude Code configuration run (fleetcfg.claude_code.schedule %s)' % conf['name'],
             'Wants=network-online.target',
             'After=network-online.target',
             '',
             '[Service]',
             'Type=oneshot',
             'ExecStart=%s %s' % (argv[0], ' '.join(systemd_quote(word) for word in argv[1:]))]
    lines += ['Environment=%s' % systemd_environment(key, value) for key, value in sorted(conf['environment'].items())]
    lines += ['TimeoutStartSec=%d' % (conf['timeout'] + 60),
              'Nice=10',
              'IOSchedulingClass=idle']
    return '\n'.join(lines) + '\n'


def render_timer(conf):
    """The systemd timer: calendar slots of the interval, a random delay, and a catch-up run after sleep or power-off."""
    lines = [_header(conf).rstrip('\n'),
             '[Unit]',
             'Description=Claude Code configuration every %s (fleetcfg.claude_code.schedule %s)'
             % (format_duration(conf['interval']), conf['name']),
             '',
             '[Timer]',
             'OnCalendar=%s' % on_calendar(conf['interval']),
             'RandomizedDelaySec=%d' % conf['random_delay'],
             'Persistent=true',
             'Unit=%s.service' % conf['name'],
             '',
             '[Install]',
             'WantedBy=timers.target']
    return '\n'.join(lines) + '\n'


def plist_document(conf, status_file=None):
    """The launchd job as a dict: every StartInterval seconds (launchd coalesces the runs missed asleep into one on
    waking), at load and boot, the runner sleeping its own random delay; output to /Library/Logs/<name>.log."""
    status_file = status_file or conf['status_file'] or schedule_target.DARWIN_STATUS_FILE
    env = dict(PATH=schedule_target.SYSTEMD_PATH + ':/opt/homebrew/bin')
    env.update(conf['environment'])
    log = schedule_target.launchd_log(conf['name'])
    return dict(Label=conf['name'], ProgramArguments=runner_command(conf, status_file, conf['random_delay']),
                StartInterval=conf['interval'], RunAtLoad=True, ProcessType='Background', LowPriorityIO=True,
                EnvironmentVariables=env, StandardOutPath=log, StandardErrorPath=log, WorkingDirectory='/')


def render_plist(conf, status_file=None):
    return plistlib.dumps(plist_document(conf, status_file), fmt=plistlib.FMT_XML, sort_keys=True).decode('utf-8')


def module_args(conf, runner):
    """The module's options: both platforms' files (the host picks its own) and the runner's text."""
    args = dict(state=conf['state'], name=conf['name'])
    linux_status = conf['status_file'] or schedule_target.LINUX_STATUS_FILE
    darwin_status = conf['status_file'] or schedule_target.DARWIN_STATUS_FILE
    if conf['state'] == 'absent':
        args.update(systemd=dict(status_file=linux_status), launchd=dict(status_file=darwin_status))
        return args
    args.update(
        runner=runner,
        ansible=conf['ansible'],
        systemd=dict(service=render_service(conf, linux_status), timer=render_timer(conf), status_file=linux_status,
                     command=schedule_target.command_line(runner_command(conf, linux_status))),
        launchd=dict(plist=render_plist(conf, darwin_status), status_file=darwin_status,
                     command=schedule_target.command_line(runner_command(conf, darwin_status))),
    )
    return args
