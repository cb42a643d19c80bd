# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Target side of fleetcfg.claude_code.schedule: the runner, the systemd service and timer (Linux) or the launchd job
(macOS) on the host, written atomically, root-owned, and enabled.

Python standard library only. The controller renders every file for both platforms (plugin_utils/schedule.py); the
host decides which set is its own, writes what differs (safe_fs: no symlink followed, temporary file, fsync, rename),
and enables the timer:

- systemd running (``/run/systemd/system`` exists): ``systemctl daemon-reload`` when a file changed, then
  ``systemctl enable --now <name>.timer`` (or ``systemctl restart <name>.timer`` when only its schedule changed);
- systemd not running (an image build, a chroot, a container): the module makes the link ``systemctl enable`` would
  make, ``/etc/systemd/system/timers.target.wants/<name>.timer``, itself; the timer starts at the next boot;
- macOS: ``launchctl bootstrap system <plist>`` (after ``launchctl bootout`` when a loaded job changed).

The paths live here once: the controller imports them for the files it renders (the runner's path in ExecStart).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import posixpath
import shlex
import stat
import sys

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.schedule_runner import find_command

DEFAULT_NAME = 'fleetcfg-claude-code'
RUNNER_DIR = '/usr/local/libexec'
SYSTEMD_DIR = '/etc/systemd/system'
LAUNCHD_DIR = '/Library/LaunchDaemons'
TIMERS_WANTS = 'timers.target.wants'
SYSTEMD_RUNNING = '/run/systemd/system'
LINUX_STATUS_FILE = '/var/lib/%s/status.json' % DEFAULT_NAME
DARWIN_STATUS_FILE = '/Library/Application Support/%s/status.json' % DEFAULT_NAME
LAUNCHD_LOG = '/Library/Logs/%s.log'
SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


def is_darwin(platform=None):
    return (platform or sys.platform) == 'darwin'


def default_status_file(platform=None):
    """Where the schedule writes its status by default on this platform (settings_info reads it there too)."""
    return DARWIN_STATUS_FILE if is_darwin(platform) else LINUX_STATUS_FILE


def runner_path(name, runner_dir=RUNNER_DIR):
    return posixpath.join(runner_dir, name + '.py')


def launchd_log(name):
    return LAUNCHD_LOG % name


class ScheduleError(Exception):
    """A problem the user can act on, in plain words."""


class Layout(object):
    """Where the files go and who owns them (the defaults are the real places; tests give temporary ones)."""

    def __init__(self, runner_dir=RUNNER_DIR, systemd_dir=SYSTEMD_DIR, launchd_dir=LAUNCHD_DIR,
                 systemd_running=SYSTEMD_RUNNING, platform=None, uid=0, gid=0):
        self.runner_dir = runner_dir
        self.systemd_dir = systemd_dir
        self.launchd_dir = launchd_dir
        self.systemd_running = systemd_running
        self.platform = platform or sys.platform
        self.uid = uid
        self.gid = gid

    def darwin(self):
        return is_darwin(self.platform)

    def runner(self, name):
        return runner_path(name, self.runner_dir)

    def service(self, name):
        return posixpath.join(self.systemd_dir, name + '.service')

    def timer(self, name):
        return posixpath.join(self.systemd_dir, name + '.timer')

    def wants_link(self, name):
        return posixpath.join(self.systemd_dir, TIMERS_WANTS, name + '.timer')

    def plist(self, name):
        return posixpath.join(self.launchd_dir, name + '.plist')


def with_shebang(content, python):
    """The runner's text with its first line pointing at ``python`` (the interpreter the module runs with)."""
    if not python or not os.path.isabs(python) or any(c.isspace() for c in python):
        python = '/usr/bin/env python3'
    lines = content.split('\n', 1)
    body = lines[1] if lines[0].startswith('#!') and len(lines) > 1 else content
    return '#!%s\n%s' % (python, body)


# ---- files ----------------------------------------------------------------------------------------------------------

class FilePlan(object):
    """One file the schedule owns: what it holds now and what it should hold (None: it should not exist)."""

    def __init__(self, path, content, mode, layout):
        self.path = path
        self.data = None if content is None else content.encode('utf-8')
        self.mode = mode
        self.layout = layout
        self.before, self.st = self._read()
        if self.data is None:
            self.state = 'removed' if self.before is not None else 'absent'
        elif self.before is None:
            self.state = 'created'
        elif self.before != self.data:
            self.state = 'updated'
        elif (self.st.st_uid, self.st.st_gid, stat.S_IMODE(self.st.st_mode)) != (layout.uid, layout.gid, mode):
            self.state = 'updated'  # the right content, but another owner or mode
        else:
            self.state = 'unchanged'

    @property
    def changed(self):
        return self.state in ('created', 'updated', 'removed')

    def _read(self):
        try:
            loc = safe_fs.locate(self.path)
        except OSError as e:
            if e.errno == errno.ENOENT:
                return None, None
            raise
        with loc:
            return safe_fs.read(loc)

    def apply(self):
        if not self.changed:
            return
        if self.data is None:
            with safe_fs.locate(self.path) as loc:
                safe_fs.remove(loc)
            return
        create = safe_fs.dir_creator(self.layout.uid, self.layout.gid, 0o755)
        with safe_fs.locate(self.path, create) as loc:
            safe_fs.atomic_write(loc, self.data, self.layout.uid, self.layout.gid, self.mode)

    def entry(self):
        return dict(path=self.path, state=self.state, changed=self.changed)

    def diff(self):
        return dict(before_header=self.path, after_header=self.path,
                    before=(self.before or b'').decode('utf-8', 'replace'),
                    after=(self.data or b'').decode('utf-8', 'replace'))


def _text(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else (value or '')


def _link_target(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def _status_dir(status_file, layout, check_mode):
    """Make the status file's folder (root-owned, 0755) when it is missing; the entry for the result, or None."""
    folder = posixpath.dirname(status_file)
    if os.path.isdir(folder):
        return None
    if not check_mode:
        fd, dummy = safe_fs.open_dir(folder, safe_fs.dir_creator(layout.uid, layout.gid, 0o755))
        os.close(fd)
    return dict(path=folder, state='created', changed=True)


def _remove_status(status_file, check_mode):
    """The status file and its lock, removed (schedule_state absent); the folder too when it is the default one
    and nothing else is left in it. Returns the entries."""
    entries = []
    for path in (status_file, status_file + '.lock'):
        plan = FilePlan(path, None, 0o644, Layout())
        if not check_mode:
            plan.apply()
        entries.append(plan.entry())
    folder = posixpath.dirname(status_file)
    if status_file in (LINUX_STATUS_FILE, DARWIN_STATUS_FILE) and os.path.isdir(folder):
        try:
            left = os.listdir(folder)
        except OSError:
            left = ['?']
        if not [name for name in left if posixpath.join(folder, name) not in (status_file, status_file + '.lock')]:
            if not check_mode:
                os.rmdir(folder)
            entries.append(dict(path=folder, state='removed', changed=True))
    return entries


# ---- converging -----------------------------------------------------------------------------------------------------

def command_line(argv):
    """A command line a person can paste into a shell (every word shell-quoted)."""
    return ' '.join(shlex.quote(word) for word in argv)


class _Commands(object):
    """The systemctl / launchctl commands of a run: run (or, in check mode, only listed)."""

    def __init__(self, run, check_mode):
        self.run = run
        self.check_mode = check_mode
        self.done = []

    def query(self, argv):
        """A read-only command (run in check mode too): its exit status."""
        rc, dummy, dummy2 = self.run(argv)
        return rc

    def change(self, argv, may_fail=False):
        self.done.append(command_line(argv))
        if self.check_mode:
            return 0
        rc, out, err = self.run(argv)
        if rc != 0 and not may_fail:
            raise ScheduleError('`%s` failed (exit %d): %s' % (command_line(argv), rc, (_text(err) or _text(out)).strip()))
        return rc


def converge(params, run, check_mode=False, layout=None, python=None):
    """Bring the host to ``params`` (the module's options); returns the result (changed, files, unit, enabled, ...).

    ``run(argv)`` -> (exit status, stdout, stderr) runs systemctl or launchctl.
    """
    layout = layout or Layout()
    name = params['name']
    commands = _Commands(run, check_mode)
    darwin = layout.darwin()
    side = params.get('launchd' if darwin else 'systemd') or {}
    status_file = side.get('status_file') or default_status_file(layout.platform)
    result = dict(changed=False, unit=name if darwin else name + '.timer', platform='launchd' if darwin else 'systemd',
                  status_file=status_file, files=[], commands=commands.done, warnings=[], diff=[])
    if params['state'] == 'absent':
        _absent(name, layout, commands, check_mode, result)
        result['files'].extend(_remove_status(status_file, check_mode))
    else:
        runner = with_shebang(params['runner'], python or sys.executable)
        if darwin:
            plans = [FilePlan(layout.runner(name), runner, 0o755, layout), FilePlan(layout.plist(name), side['plist'], 0o644, layout)]
        else:
            plans = [FilePlan(layout.runner(name), runner, 0o755, layout),
                     FilePlan(layout.service(name), side['service'], 0o644, layout),
                     FilePlan(layout.timer(name), side['timer'], 0o644, layout)]
        folder = _status_dir(status_file, layout, check_mode)
        if folder:
            result['files'].append(folder)
        if not check_mode:
            for plan in plans:
                plan.apply()
        result['files'].extend(plan.entry() for plan in plans)
        result['diff'].extend(plan.diff() for plan in plans if plan.changed)
        (_launchd_present if darwin else _systemd_present)(name, layout, commands, plans, result)
        result['command'] = side.get('command')
        program = params.get('ansible')
        if program and find_command(program) is None:
            result['warnings'].append('%s is not on this host (looked on PATH and in /usr/local/bin, /usr/bin, '
                                      '/opt/homebrew/bin, ...): every scheduled run fails until it is installed; or set '
                                      'schedule_ansible_bin' % program)
    result['changed'] = result['changed'] or any(entry['changed'] for entry in result['files'])
    return result


def _systemd_present(name, layout, commands, plans, result):
    timer = layout.timer(name)
    link = layout.wants_link(name)
    online = os.path.isdir(layout.systemd_running)
    result['systemd'] = 'running' if online else 'offline'
    files_changed = any(plan.changed for plan in plans)
    timer_changed = plans[-1].changed
    if online:
        existed = plans[-1].before is not None
        enabled = existed and commands.query(['systemctl', 'is-enabled', '--quiet', name + '.timer']) == 0
        active = existed and commands.query(['systemctl', 'is-active', '--quiet', name + '.timer']) == 0
        if files_changed:
            commands.change(['systemctl', 'daemon-reload'])
        if not enabled or not active:
            commands.change(['systemctl', 'enable', '--now', name + '.timer'])
        elif timer_changed:
            commands.change(['systemctl', 'restart', name + '.timer'])
        result.update(enabled=True, started=True, changed=not (enabled and active) or files_changed)
        result['msg'] = '%s.timer is enabled and running' % name
        return
    enabled = _link_target(link) in (timer, posixpath.relpath(timer, posixpath.dirname(link)))
    if not enabled:
        if not commands.check_mode:
            fd, dummy = safe_fs.open_dir(posixpath.dirname(link), safe_fs.dir_creator(layout.uid, layout.gid, 0o755))
            try:
                safe_fs.replace_symlink(fd, posixpath.basename(link), timer, layout.uid, layout.gid)
            finally:
                os.close(fd)
        result['files'].append(dict(path=link, state='created', changed=True))
    result.update(enabled=True, started=False)
    if not os.path.exists('/usr/lib/systemd/systemd') and not os.path.exists('/lib/systemd/systemd'):
        result['warnings'].append('systemd is not installed on this host: the timer is in place but nothing will run it')
    result['msg'] = ('systemd is not running here: %s.timer is enabled (%s) and starts at the next boot'
                     % (name, link))


def _absent(name, layout, commands, check_mode, result):
    if layout.darwin():
        label = 'system/' + name
        if commands.query(['launchctl', 'print', label]) == 0:
            commands.change(['launchctl', 'bootout', label], may_fail=True)
        plans = [FilePlan(layout.plist(name), None, 0o644, layout), FilePlan(layout.runner(name), None, 0o755, layout)]
    else:
        online = os.path.isdir(layout.systemd_running)
        result['systemd'] = 'running' if online else 'offline'
        plans = [FilePlan(layout.timer(name), None, 0o644, layout), FilePlan(layout.service(name), None, 0o644, layout),
                 FilePlan(layout.runner(name), None, 0o755, layout)]
        link = layout.wants_link(name)
        if online and (plans[0].before is not None or os.path.lexists(link)):
            commands.change(['systemctl', 'disable', '--now', name + '.timer'], may_fail=True)
            commands.change(['systemctl', 'stop', name + '.service'], may_fail=True)
        if os.path.lexists(link):
            if not check_mode:
                os.unlink(link)
            result['files'].append(dict(path=link, state='removed', changed=True))
    if not check_mode:
        for plan in plans:
            plan.apply()
    result['files'].extend(plan.entry() for plan in plans)
    result['diff'].extend(plan.diff() for plan in plans if plan.changed)
    if not layout.darwin() and result['systemd'] == 'running' and any(plan.changed for plan in plans):
        commands.change(['systemctl', 'daemon-reload'])
        commands.change(['systemctl', 'reset-failed', name + '.service', name + '.timer'], may_fail=True)
    result.update(enabled=False, started=False)
    result['msg'] = 'the schedule %s is not installed' % name


def _launchd_present(name, layout, commands, plans, result):
    label = 'system/' + name
    plist = plans[-1]
    loaded = commands.query(['launchctl', 'print', label]) == 0
    if loaded and plist.changed:
        commands.change(['launchctl', 'bootout', label], may_fail=True)
    if not loaded or plist.changed:
        commands.change(['launchctl', 'enable', label])
        commands.change(['launchctl', 'bootstrap', 'system', layout.plist(name)])
    result.update(enabled=True, started=True, changed=not loaded)
    result['msg'] = 'the launchd job %s is loaded' % name
