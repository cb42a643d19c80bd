# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login-shell profile of a provider role (``<role>_login_profile``) on the target: plan it, write it, remove it.

Python standard library only: this file is shipped to every target.

The controller renders the profile (plugins/plugin_utils/login_profile.py) from the same values as the settings
``env``; here the host decides where it goes. Linux and other POSIX systems: ``/etc/profile.d/claude-code.sh``, which
login shells read through ``/etc/profile``. macOS reads no profile.d folder: the same file, plus a marked block in
``/etc/zprofile`` (zsh, the default login shell) and ``/etc/profile`` (bash, sh) that sources it.

The file's first line names the provider that wrote it. ``state: absent`` with an ``owner`` removes the file only when
that provider wrote it (``<role>_state: absent`` of another provider leaves the configured one's profile alone); without
an owner it removes the collection's profile whoever wrote it (a provider switch, or ``<role>_login_profile: false``).
A file at that path that the collection did not write is never overwritten or removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import posixpath
import re
import sys

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs

PATH = '/etc/profile.d/claude-code.sh'
# The files of macOS login shells that get a block sourcing PATH.
DARWIN_HOOKS = ('/etc/zprofile', '/etc/profile')
MARKER = '# fleetcfg.claude_code login profile, provider '
MARKER_LINE = re.compile(r'^# fleetcfg\.claude_code login profile, provider ([A-Za-z0-9_]+)$')
HOOK_BEGIN = '# BEGIN fleetcfg.claude_code login profile'
HOOK_END = '# END fleetcfg.claude_code login profile'
HOOK = '%s\nif [ -r %s ]; then . %s; fi\n%s\n' % (HOOK_BEGIN, PATH, PATH, HOOK_END)


class ProfileError(Exception):
    """The profile cannot be planned or written; the message names the file and what to do."""


def owner_of(text):
    """The provider named by a profile's first line, or None when the collection did not write it."""
    first = text.split('\n', 1)[0]
    found = MARKER_LINE.match(first)
    return found.group(1) if found else None


def with_hook(text, present):
    """``text`` of a shell startup file with the sourcing block added (``present``) or taken out; the rest as it was."""
    lines = text.splitlines(True)
    kept, inside = [], False
    for line in lines:
        stripped = line.rstrip('\n')
        if stripped == HOOK_BEGIN:
            inside = True
        elif stripped == HOOK_END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    if inside:  # an unfinished block: leave the file as it is rather than guess where it ends
        return text
    out = ''.join(kept)
    if present:
        if out and not out.endswith('\n'):
            out += '\n'
        out += HOOK
    return out


def _read(path):
    """(text or None, stat or None) of a file; a missing folder reads as a missing file."""
    try:
        with safe_fs.locate(path) as loc:
            raw, st = safe_fs.read(loc)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None, None
        raise
    return (None if raw is None else raw.decode('utf-8', 'replace')), st


def plan(spec, platform=None):
    """What ``spec`` (``state``, ``content``, ``owner``) changes: dict(path, state, changed, before, after, hooks).

    ``hooks``: on macOS, the startup files whose sourcing block changes, each dict(path, before, after)."""
    state = spec.get('state') or 'present'
    content = spec.get('content') or ''
    before, _st = _read(PATH)
    ours = before is not None and owner_of(before) is not None
    if before is not None and not ours and state == 'present':
        raise ProfileError('%s exists and was not written by fleetcfg.claude_code (its first line does not name a provider); '
                           'it was left as it is. Move it away, or set login_profile to false' % PATH)
    if state == 'present':
        after = content
    elif ours and (not spec.get('owner') or owner_of(before) == spec['owner']):
        after = None
    else:
        after = before  # nothing of ours to take away
    hooks = []
    if (platform or sys.platform) == 'darwin':
        want = after is not None and owner_of(after) is not None
        for path in DARWIN_HOOKS:
            text, _st = _read(path)
            new = with_hook(text or '', want)
            if new != (text or '') and (text is not None or want):
                hooks.append(dict(path=path, before=text, after=new))
    return dict(path=PATH, state='absent' if after is None else 'present', before=before, after=after,
                changed=after != before or bool(hooks), hooks=hooks)


def apply(planned):
    """Carry out a plan: the profile file (root, 0644, atomic), then the macOS hooks (each file's own owner and mode)."""
    try:
        if planned['after'] != planned['before']:
            if planned['after'] is None:
                with safe_fs.locate(PATH) as loc:
                    safe_fs.remove(loc)
            else:
                with safe_fs.locate(PATH, create=safe_fs.dir_creator(0, 0, 0o755)) as loc:
                    _raw, st = safe_fs.read(loc)
                    safe_fs.atomic_write(loc, planned['after'].encode('utf-8'), 0, 0, 0o644, current=st)
        for hook in planned['hooks']:
            with safe_fs.locate(hook['path']) as loc:
                _raw, st = safe_fs.read(loc)
                safe_fs.atomic_write(loc, hook['after'].encode('utf-8'), None if st else 0, None if st else 0,
                                     None if st else 0o644, current=st)
    except OSError as e:
        where = getattr(e, 'filename', None) or posixpath.dirname(PATH)
        raise ProfileError('cannot write the login profile (%s: %s); it is a system file: run as root (become: true)'
                           % (where, e.strerror or e))


def public(planned):
    """What the module reports: the path, the state, whether it changes (the text is for the diff)."""
    return dict(path=planned['path'], state=planned['state'], changed=planned['changed'],
                hooks=[hook['path'] for hook in planned['hooks']])
