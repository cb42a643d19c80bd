# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The human accounts of a host, for ``users: all``: decided on the target, from its own account database.

Python standard library only: this file is shipped to every target. The controller imports it too, for the checks
of ``users: all`` and of the options below (``users_problem``, ``criteria_problems``), so both sides say the same.

API: ``human_accounts(uid_min=None, uid_max=None, shells=None, platform=None)`` -> [Account(name, uid, gid, home,
shell)], sorted by name; ``every_account(users)``: whether a ``users`` value means all of them.

A human account is one whose uid is in the range of ordinary users and whose shell is a login shell:

* uid: ``uid_min``..``uid_max`` (both included). Unset, on Linux and every other POSIX system ``UID_MIN`` and
  ``UID_MAX`` of ``/etc/login.defs`` (what ``useradd`` gives a new user), else 1000..60000; on macOS 501 and up
  (to 2147483647, which leaves out ``nobody``, uid -2).
* shell: one of ``shells``; unset, one listed in ``/etc/shells`` when the file exists, else any. An empty shell
  field is ``/bin/sh``, as login(1) reads it. ``nologin``, ``false``, ``true``, ``sync``, ``shutdown`` and ``halt``
  never count, whatever the lists say (some systems list ``/sbin/nologin`` in ``/etc/shells``).

Of those, ``human_accounts`` returns the ones whose home folder exists, sorted by name; an account is taken once
(the first entry of a name, as ``getpwnam`` finds it). Nothing is cached: an account created later is found by the
next call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os
import posixpath
import pwd
import re
import sys

ALL = 'all'
LOGIN_DEFS = '/etc/login.defs'
SHELLS_FILE = '/etc/shells'
LINUX_UID_RANGE = (1000, 60000)
DARWIN_UID_RANGE = (501, 2147483647)
NO_LOGIN_SHELLS = ('nologin', 'false', 'true', 'sync', 'shutdown', 'halt')

Account = collections.namedtuple('Account', 'name uid gid home shell')
# An account left out: ``human`` tells whether it is a human account (left out for a missing home folder only).
Skipped = collections.namedtuple('Skipped', 'name reason human')


def every_account(users):
    """Whether a ``users`` value means every human account of the host: ``all``, which Ansible makes ``['all']``."""
    return users == ALL or (isinstance(users, (list, tuple)) and list(users) == [ALL])


def users_problem(users, name='users'):
    """The error of a ``users`` value that mixes ``all`` with account names (None when there is none)."""
    if isinstance(users, (list, tuple)) and ALL in users and len(users) > 1:
        return ('%s: all means every human account of the host and cannot be combined with account names; give all '
                'alone, or a list of names, got %s' % (name, ', '.join(str(user) for user in users)))
    return None


def criteria_problems(uid_min=None, uid_max=None, shells=None, names=('human_uid_min', 'human_uid_max', 'human_shells')):
    """The errors of the options that say what a human account is; ``names``: those options' names, for the words."""
    problems = []
    for name, value in zip(names[:2], (uid_min, uid_max)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append('%s: expected a uid (a whole number, 0 or more), got %r' % (name, value))
    if isinstance(uid_min, int) and isinstance(uid_max, int) and 0 <= uid_max < uid_min:
        problems.append('%s: expected a uid of %s (%d) or more, got %d' % (names[1], names[0], uid_min, uid_max))
    if shells is not None:
        if not isinstance(shells, (list, tuple)) or not shells:
            problems.append('%s: expected a list of absolute paths of login shells, such as /bin/bash, got %r' % (names[2], shells))
        else:
            for i, shell in enumerate(shells):
                if not isinstance(shell, str) or not shell.startswith('/') or re.search(r'[\s\x00-\x1f]', shell):
                    problems.append('%s[%d]: expected the absolute path of a login shell, such as /bin/bash, got %r' % (names[2], i, shell))
    return problems


def _number(text):
    """A login.defs number: decimal, 0x hexadecimal or 0 octal, as shadow's getdef reads it; None when it is not one."""
    text = text.strip()
    try:
        if re.match(r'^0[xX][0-9a-fA-F]+\Z', text):
            return int(text, 16)
        if re.match(r'^0[0-7]+\Z', text):
            return int(text, 8)
        if re.match(r'^[0-9]+\Z', text):
            return int(text)
    except ValueError:
        pass
    return None


def login_defs_uid_range(login_defs=LOGIN_DEFS, default=LINUX_UID_RANGE):
    """(UID_MIN, UID_MAX) of a login.defs file; each one missing, or the file, gives the default's."""
    found = {}
    try:
        with open(login_defs) as handle:
            for line in handle:
                words = line.split(None, 2)
                if len(words) >= 2 and words[0] in ('UID_MIN', 'UID_MAX'):
                    value = _number(words[1])
                    if value is not None:
                        found[words[0]] = value
    except (IOError, OSError, UnicodeDecodeError):
        pass
    return found.get('UID_MIN', default[0]), found.get('UID_MAX', default[1])


def default_uid_range(platform=None, login_defs=LOGIN_DEFS):
    """The uid range of human accounts on this platform (``sys.platform``), when the task gives none."""
    if (platform or sys.platform) == 'darwin':
        return DARWIN_UID_RANGE
    return login_defs_uid_range(login_defs)


def listed_shells(shells_file=SHELLS_FILE):
    """The shells of /etc/shells (a tuple of paths), or None when the file does not exist or cannot be read."""
    try:
        with open(shells_file) as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError, UnicodeDecodeError):
        return None
    return tuple(line.strip() for line in lines if line.strip() and not line.strip().startswith('#'))


class Criteria(object):
    """What makes an account human on this host: ``reason(account)`` is why one is not (None when it is)."""

    def __init__(self, uid_min=None, uid_max=None, shells=None, platform=None, login_defs=LOGIN_DEFS, shells_file=SHELLS_FILE):
        low, high = default_uid_range(platform, login_defs)
        self.uid_min = low if uid_min is None else uid_min
        self.uid_max = high if uid_max is None else uid_max
        if shells is not None:
            self.shells, self.shells_from = tuple(shells), 'human_shells'
        else:
            self.shells = listed_shells(shells_file)
            self.shells_from = shells_file if self.shells is not None else None

    def reason(self, account):
        if not self.uid_min <= account.uid <= self.uid_max:
            return 'not a human account: uid %d is outside %d..%d' % (account.uid, self.uid_min, self.uid_max)
        shell = account.shell or '/bin/sh'
        if posixpath.basename(shell) in NO_LOGIN_SHELLS:
            return 'not a human account: its shell %s is not a login shell' % shell
        if self.shells is not None and shell not in self.shells:
            return 'not a human account: its shell %s is not in %s' % (shell, self.shells_from)
        return None


def _account(entry):
    """An Account of a pwd entry, or of a 7-item tuple in its order (name, password, uid, gid, gecos, home, shell)."""
    return Account(entry[0], int(entry[2]), int(entry[3]), entry[5], entry[6])


def human_accounts(uid_min=None, uid_max=None, shells=None, platform=None, passwd=None, login_defs=LOGIN_DEFS,
                   shells_file=SHELLS_FILE, isdir=os.path.isdir, skipped=None):
    """The human accounts of this host whose home folder exists, as Accounts (name, uid, gid, home, shell), by name.

    ``uid_min``, ``uid_max``, ``shells``: the task's rule (None: this platform's defaults, see the module's docstring).
    ``passwd``: the account entries (default: the host's, ``pwd.getpwall()``); ``login_defs``, ``shells_file``,
    ``isdir`` and ``platform`` stand in for the host's in tests. ``skipped``: a list that receives a Skipped
    (name, reason, human) for each account left out.
    """
    rule = Criteria(uid_min, uid_max, shells, platform, login_defs, shells_file)
    seen = set()
    found = []
    for entry in (pwd.getpwall() if passwd is None else passwd):
        account = _account(entry)
        if account.name in seen:
            continue
        seen.add(account.name)
        why = rule.reason(account)
        human = why is None
        if human and not isdir(account.home):
            why = ('its home folder %s does not exist (not logged in yet?); the first run after it is made configures it'
                   % account.home)
        if why is not None:
            if skipped is not None:
                skipped.append(Skipped(account.name, why, human))
            continue
        found.append(account)
    if skipped is not None:
        skipped.sort(key=lambda item: item.name)
    return sorted(found, key=lambda account: account.name)
