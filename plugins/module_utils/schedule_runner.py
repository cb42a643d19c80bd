# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runner of fleetcfg.claude_code.schedule: one scheduled run of the team's playbook on this machine.

This file is installed as it is (the role writes it to /usr/local/libexec/<schedule name>.py, with its first line
pointing at the host's Python) and started by the systemd service or the launchd job the role installs:

    <runner> --name NAME --status-file PATH [--playbook P] [--repository URL] [--check-only] [--interval S]
             [--random-delay S] [--timeout S] [--chdir DIR] -- COMMAND [ARGUMENT...]

It sleeps a random 0..--random-delay seconds (launchd has no jitter of its own; systemd's timer has one and passes
none), takes a lock (two runs never overlap: a run that finds the lock taken ends at once, exit 0), runs COMMAND
(ansible-pull or ansible-playbook; never through a shell) with its output passed through to stdout (the journal),
reads the PLAY RECAP, and writes the status file atomically (a temporary file in the same folder, fsync, rename;
mode 0644). The status holds no output line and no secret: the run's times, its result (ok, repaired, drift or
failed), the changed count, the exit status, the playbook and repository, the schedule's name and interval, and a
short reason when it failed. A failed run exits non-zero and changes nothing else; the next one runs as usual.

Python standard library only, no import of the collection: the machine may have nothing else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import fcntl
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

FORMAT = 1
RESULTS = ('ok', 'repaired', 'drift', 'failed')
# Where a bare command name is looked for besides PATH (a service's PATH is short; launchd's shorter).
EXTRA_PATH = ('/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin', '/opt/homebrew/bin')
KILL_GRACE = 10
TIMED_OUT = 124
CANNOT_START = 127
STATUS_MODE = 0o644
# The counts of a PLAY RECAP line: "localhost : ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0".
_ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
_RECAP_LINE = re.compile(r'^(?P<host>\S+)\s+:\s+(?P<counts>(?:[a-z_]+=[0-9]+\s*)+)$')
_COUNT = re.compile(r'([a-z_]+)=([0-9]+)')


class Usage(Exception):
    """The runner was started with arguments it does not know."""


def parse_args(argv):
    """argv (without the program) -> dict of the options and ``command`` (the words after ``--``)."""
    if '--' not in argv:
        raise Usage('expected -- and the command to run')
    cut = argv.index('--')
    words, command = argv[:cut], argv[cut + 1:]
    if not command:
        raise Usage('expected the command to run after --')
    opts = dict(name=None, status_file=None, playbook=None, repository=None, check_only=False, interval=None,
                random_delay=0, timeout=None, chdir=None, command=command)
    keys = ('name', 'status_file', 'playbook', 'repository', 'interval', 'random_delay', 'timeout', 'chdir')
    valued = dict(('--' + key.replace('_', '-'), key) for key in keys)
    i = 0
    while i < len(words):
        word = words[i]
        if word == '--check-only':
            opts['check_only'] = True
            i += 1
            continue
        key, value = (word.split('=', 1) + [None])[:2] if word.startswith('--') else (word, None)
        if key not in valued:
            raise Usage('unknown option %s' % word)
        if value is None:
            if i + 1 >= len(words):
                raise Usage('%s needs a value' % key)
            value = words[i + 1]
            i += 1
        opts[valued[key]] = value
        i += 1
    for key in ('interval', 'random_delay', 'timeout'):
        if opts[key] is not None:
            if not re.match(r'^[0-9]+\Z', str(opts[key])):
                raise Usage('--%s: expected whole seconds, got %s' % (key.replace('_', '-'), opts[key]))
            opts[key] = int(opts[key])
    for key in ('name', 'status_file'):
        if not opts[key]:
            raise Usage('--%s is required' % key.replace('_', '-'))
    if not os.path.isabs(opts['status_file']):
        raise Usage('--status-file: expected an absolute path, got %s' % opts['status_file'])
    return opts


class Recap(object):
    """The PLAY RECAP blocks of ansible-playbook's output, fed one line at a time; the counts summed over hosts
    (and over playbooks, when a run prints several recaps)."""

    def __init__(self):
        self.seen = False
        self.hosts = 0
        self.counts = {}
        self._inside = False

    def feed(self, line):
        text = _ANSI.sub('', line).rstrip()
        if text.startswith('PLAY RECAP'):
            self.seen = True
            self._inside = True
            return
        if not self._inside:
            return
        if not text:
            return
        m = _RECAP_LINE.match(text)
        if not m:
            self._inside = False
            return
        self.hosts += 1
        for key, value in _COUNT.findall(m.group('counts')):
            self.counts[key] = self.counts.get(key, 0) + int(value)

    def count(self, key):
        return self.counts.get(key, 0)


def judge(rc, recap, check_only, problem=None):
    """(result, reason) of a run: ok, repaired (changes were made), drift (check only: changes would be made), or
    failed with a short reason in words (never a line of the output, which may hold anything)."""
    if problem:
        return 'failed', problem
    failed, unreachable = recap.count('failed'), recap.count('unreachable')
    if rc < 0:
        return 'failed', 'killed by signal %d' % -rc
    if rc != 0 or failed or unreachable:
        if recap.seen and (failed or unreachable):
            return 'failed', 'exit status %d: %d failed task%s, %d unreachable host%s' % (
                rc, failed, '' if failed == 1 else 's', unreachable, '' if unreachable == 1 else 's')
        if recap.seen:
            return 'failed', 'exit status %d after the play ran' % rc
        return 'failed', ('exit status %d before any play ran (the repository, checkout, inventory or playbook could not '
                          'be loaded; see the log of this run)' % rc)
    if not recap.seen:
        return 'failed', 'exit status 0 but no play ran (no PLAY RECAP: does the playbook select this host?)'
    if recap.count('changed'):
        return ('drift' if check_only else 'repaired'), None
    return 'ok', None


def utc_now(clock=time.time):
    return datetime.datetime.fromtimestamp(clock(), tz=datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def status_document(opts, started, finished, result, reason, rc, recap):
    """The status file's content (see the module docstring)."""
    return dict(
        format=FORMAT,
        schedule=opts['name'],
        playbook=opts.get('playbook') or None,
        repository=opts.get('repository') or None,
        check_only=bool(opts.get('check_only')),
        interval=opts.get('interval'),
        started=started,
        finished=finished,
        result=result,
        changed=recap.count('changed') if recap.seen else None,
        exit_status=rc,
        reason=reason,
    )


def write_status(path, doc):
    """Replace the status file atomically: a temporary file in the same folder, fsync, rename, fsync the folder.

    A failure at any step leaves the previous status as it was (and no temporary file)."""
    folder, name = os.path.split(path)
    data = (json.dumps(doc, indent=2, sort_keys=True) + '\n').encode('utf-8')
    dir_fd = os.open(folder, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        tmp = '.%s.%s.tmp' % (name, os.urandom(6).hex())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), STATUS_MODE, dir_fd=dir_fd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fchmod(fd, STATUS_MODE)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def lock(path):
    """An exclusive lock on ``path`` (created 0644), or None when another run holds it. Kept until the process ends."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (IOError, OSError) as e:
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return None
        raise
    return fd


def find_command(word, path=None):
    """A command by name (PATH, then EXTRA_PATH) or an absolute path; None when it is not there or not executable."""
    if os.path.isabs(word):
        return word if os.path.isfile(word) and os.access(word, os.X_OK) else None
    dirs = (os.environ.get('PATH', '') if path is None else path).split(os.pathsep) + list(EXTRA_PATH)
    return shutil.which(word, path=os.pathsep.join(d for d in dirs if d))


def child_environment(environ):
    """The command's environment: the service's, with plain output (no colour) and the default output callback,
    whose PLAY RECAP the runner reads, unless the schedule's environment chose otherwise."""
    env = dict(environ)
    env.setdefault('ANSIBLE_NOCOLOR', '1')
    env.setdefault('ANSIBLE_FORCE_COLOR', '0')
    env.setdefault('ANSIBLE_STDOUT_CALLBACK', 'default')
    env.setdefault('PYTHONUNBUFFERED', '1')
    return env


class _Child(object):
    """The running command: its process group is ended (TERM, then KILL) on a timeout or when the runner is stopped."""

    def __init__(self):
        self.proc = None
        self.why = None

    def stop(self, why):
        if self.why is None:
            self.why = why
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, 0)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                return
            deadline = time.time() + wait
            while time.time() < deadline:
                if proc.poll() is not None:
                    return
                time.sleep(0.1)


def run(command, env, cwd, timeout, out, child=None):
    """Run ``command`` (a list), its output (stderr too) passed through to ``out`` line by line and read for the
    recap. Returns (exit status, Recap, problem): problem is None, or why the command did not run to its end."""
    recap = Recap()
    child = child or _Child()
    program = find_command(command[0], env.get('PATH'))
    if program is None:
        return CANNOT_START, recap, 'cannot start %s: not found or not executable (set schedule_ansible_bin)' % command[0]
    try:
        # The runner is a program of its own, not a module: there is no AnsibleModule.run_command to call.
        child.proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
            [program] + list(command[1:]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=cwd or '/', env=env, start_new_session=True)
    except OSError as e:
        return CANNOT_START, recap, 'cannot start %s: %s' % (program, e.strerror or e)
    timer = None
    if timeout:
        timer = threading.Timer(timeout, child.stop, ('timed out after %d s (stopped)' % timeout,))
        timer.daemon = True
        timer.start()
    try:
        for raw in iter(child.proc.stdout.readline, b''):
            line = raw.decode('utf-8', 'replace')
            out.write(line)
            out.flush()
            recap.feed(line)
        rc = child.proc.wait()
    finally:
        if timer is not None:
            timer.cancel()
        child.proc.stdout.close()
    if child.why:
        return (TIMED_OUT if child.why.startswith('timed out') else rc), recap, child.why
    return rc, recap, None


def exit_status(result, rc):
    """The runner's own exit status: 0 unless the run failed (then the command's, or 1)."""
    if result != 'failed':
        return 0
    return rc if 0 < rc < 256 else 1


def main(argv=None, out=None, environ=None, sleep=time.sleep, clock=time.time):
    out = out or sys.stdout
    try:
        opts = parse_args(list(sys.argv[1:] if argv is None else argv))
    except Usage as e:
        out.write('fleetcfg-claude-code runner: %s\n' % e)
        return 2
    tag = opts['name']
    if opts['random_delay']:
        delay = random.SystemRandom().uniform(0, opts['random_delay'])
        out.write('%s: waiting %d s (random delay up to %d s)\n' % (tag, delay, opts['random_delay']))
        out.flush()
        sleep(delay)
    folder = os.path.dirname(opts['status_file'])
    if not os.path.isdir(folder):
        os.makedirs(folder, 0o755)
    held = lock(opts['status_file'] + '.lock')
    if held is None:
        out.write('%s: another run is in progress (%s.lock is held); this one ends here\n' % (tag, opts['status_file']))
        return 0
    child = _Child()
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        previous[sig] = signal.signal(sig, lambda signum, frame: child.stop('stopped by signal %d' % signum))
    try:
        started = utc_now(clock)
        out.write('%s: running %s\n' % (tag, ' '.join(opts['command'])))
        out.flush()
        rc, recap, problem = run(opts['command'], child_environment(os.environ if environ is None else environ),
                                 opts['chdir'], opts['timeout'], out, child)
        result, reason = judge(rc, recap, opts['check_only'], problem)
        doc = status_document(opts, started, utc_now(clock), result, reason, rc, recap)
        try:
            write_status(opts['status_file'], doc)
        except (OSError, IOError) as e:
            out.write('%s: cannot write the status file %s: %s\n' % (tag, opts['status_file'], e.strerror or e))
            return 1
        changed = '' if doc['changed'] is None else ' (%d changed)' % doc['changed']
        out.write('%s: %s%s%s; status in %s\n' % (tag, result, changed, ': ' + reason if reason else '', opts['status_file']))
        return exit_status(result, rc)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(held)


if __name__ == '__main__':
    raise SystemExit(main())
