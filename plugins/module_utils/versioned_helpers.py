# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versioned helper sets: files that must change together (a client certificate and its key), switched at once.

Python standard library only: this file is shipped to every target.

The helpers with ``versioned: true`` whose paths share one folder (``certs/client/cert.pem`` and
``certs/client/key.pem``) are one set. Their files live in a hidden sibling folder per content version,
``certs/.client-<12 hex digits>/`` (the start of the sha256 of the set's names, modes and contents), and the
folder's own name, ``certs/client``, is a symlink to the current version, so the paths the settings point at never
change. A new version is written completely (each file and the folder fsynced) before one rename() puts a new link
in place of the old one; only then is the old version removed. Whoever opens ``certs/client`` gets the old set or
the new one, never a file of each; a kill at any moment leaves a working set, and the next run completes the switch.
Kubernetes' secret volumes (``..data``) work the same way.

Nothing found at these names is followed for writing: the module replaces only a link it made (one to a sibling
``.<name>-<12 hex digits>``), an empty folder, or nothing; a folder with files in it, a file, or a link to anywhere
else is refused (``state: absent`` leaves them alone, but removes the set's files from such a folder).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import os
import posixpath
import re
import stat

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import checksum

DIGEST_CHARS = 12
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)


class SetError(Exception):
    """A versioned set that cannot be placed as asked; the message says what and where."""


class Member(object):
    """One helper of a set: its index in the task's helpers, absolute path, spec, and mode."""

    def __init__(self, index, path, spec, mode):
        self.index = index
        self.path = path
        self.name = posixpath.basename(path)
        self.spec = spec
        self.mode = mode
        self.present = spec.get('state', 'present') == 'present'

    def content(self):
        return self.spec['content'].encode('utf-8')


class VersionedSet(object):
    """The helpers of one folder; ``version`` is the name of the version folder they belong in (None: remove the set)."""

    def __init__(self, folder, members):
        self.folder = folder
        self.parent, self.name = posixpath.split(folder)
        self.members = members
        self.present = [m for m in members if m.present]
        self.version = '.%s-%s' % (self.name, digest(self.present)) if self.present else None
        self.pattern = re.compile(r'\.%s-[0-9a-f]{%d}\Z' % (re.escape(self.name), DIGEST_CHARS))
        self.tmp_link = re.compile(r'\.%s\.[0-9a-f]{12}\.link\Z' % re.escape(self.name))
        self.done = False

    def path_of(self, name):
        return posixpath.join(self.parent, name) if name else None


def digest(members):
    """The version of a set: the start of the sha256 of its names, modes and contents, in name order."""
    h = hashlib.sha256()
    for m in sorted(members, key=lambda m: m.name):
        content = m.content()
        h.update(('%s\0%04o\0%d\0' % (m.name, m.mode, len(content))).encode('utf-8'))
        h.update(content)
    return h.hexdigest()[:DIGEST_CHARS]


def group(members, other_paths, settings_path):
    """The sets of ``members`` (versioned helpers), one per folder, after checking each folder is one of its own.

    ``other_paths``: (absolute path, path as given) of the task's other helpers; ``settings_path``: the settings file.
    """
    folders = {}
    for m in members:
        folders.setdefault(posixpath.dirname(m.path), []).append(m)
    versioned_paths = [(m.path, m.spec['path']) for m in members]
    for folder, ms in folders.items():
        where = 'helpers[%s]' % ms[0].spec['path']
        parent, name = posixpath.split(folder)
        if not name or parent in ('', '/'):
            raise SetError('%s: a versioned helper needs a folder of its own below another folder (such as certs/client/cert.pem), '
                           'which becomes a link to the current version; got %s' % (where, folder))
        if settings_path.startswith(folder + '/'):
            raise SetError('%s: the folder %s holds the settings file %s; versioned helpers need a folder of their own (such '
                           'as certs/client/cert.pem), which becomes a link to the current version' % (where, folder, settings_path))
        seen = set()
        for m in ms:
            if m.name in seen:
                raise SetError('helpers[%s]: listed twice in the versioned set %s' % (m.spec['path'], folder))
            seen.add(m.name)
            if m.present and m.spec.get('content') is None:
                raise SetError('helpers[%s]: content is required when state is present' % m.spec['path'])
        for path, given in other_paths:
            if path == folder or path.startswith(folder + '/'):
                raise SetError('helpers[%s]: in the folder %s of versioned helpers (%s); that folder becomes a link to the '
                               'current version and holds versioned helpers only: make it versioned too, or move it'
                               % (given, folder, where))
        for path, given in versioned_paths:
            if path == folder or (path.startswith(folder + '/') and posixpath.dirname(path) != folder):
                raise SetError('helpers[%s]: below the folder %s of another versioned set (%s); a set is the files of one folder'
                               % (given, folder, where))
    return [VersionedSet(folder, ms) for folder, ms in folders.items()]


def _open_parent(path, create=None):
    """(fd, real path) of the folder that holds a set's link and versions; (None, None) when it does not exist."""
    try:
        return safe_fs.open_dir(path, create)
    except OSError as e:
        if e.errno == errno.ENOENT and create is None:
            return None, None
        raise


def _lstat(dir_fd, name):
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise


def _inspect(fd, vset):
    """What is at the set's name: kind (missing, link, foreign, folder, other), link target and stat, versions beside it."""
    found = dict(kind='missing', target=None, st=None, versions=[], entries=[])
    if fd is None:
        return found
    st = _lstat(fd, vset.name)
    found['st'] = st
    if st is None:
        pass
    elif stat.S_ISLNK(st.st_mode):
        found['target'] = os.readlink(vset.name, dir_fd=fd)
        found['kind'] = 'link' if vset.pattern.match(found['target']) else 'foreign'
    elif stat.S_ISDIR(st.st_mode):
        found['kind'] = 'folder'
        try:
            dfd = os.open(vset.name, _DIR_FLAGS, dir_fd=fd)
        except OSError as e:
            if e.errno not in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                raise
            found['kind'] = 'other'  # swapped while we looked: refused below, looked at again next run
        else:
            try:
                found['entries'] = os.listdir(dfd)
            finally:
                os.close(dfd)
    else:
        found['kind'] = 'other'
    found['versions'] = sorted(n for n in os.listdir(fd) if vset.pattern.match(n))
    return found


def _refuse(found, vset):
    """Stop at what a present set must not replace."""
    if found['kind'] == 'foreign':
        raise SetError('helpers: refusing to replace the symlink %s (to %s): versioned helpers switch only a link this module '
                       'made (to a sibling folder .%s-<12 hex digits>); remove the link, or choose another folder'
                       % (vset.folder, found['target'], vset.name))
    if found['kind'] == 'folder' and found['entries']:
        raise SetError('helpers: %s is a folder with files in it; versioned helpers make it a symlink to a version folder, and '
                       'never replace a folder that holds anything. Move it away (or remove these helpers first: the same '
                       'helpers with state absent), then run again' % vset.folder)
    if found['kind'] == 'other':
        raise SetError('helpers: %s is not a folder or a link; versioned helpers make it a symlink to a version folder. Move '
                       'it away, then run again' % vset.folder)


def _read_files(dir_fd, dir_path, members):
    """{name: (bytes, stat)} of the members' files in an open folder; bytes None for an entry that is not a regular file."""
    files = {}
    for m in members:
        st = _lstat(dir_fd, m.name)
        if st is None:
            continue
        if stat.S_ISREG(st.st_mode):
            files[m.name] = safe_fs.read(safe_fs.Location(dir_fd, dir_path, m.name))
        else:
            files[m.name] = (None, st)
    return files


def _read_folder(fd, parent_path, name, members):
    """(folder stat, files) of the real folder ``name`` beside the link; (None, {}) when it is not a real folder."""
    if fd is None or not name:
        return None, {}
    try:
        dfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):
            return None, {}
        raise
    try:
        return os.fstat(dfd), _read_files(dfd, posixpath.join(parent_path, name), members)
    finally:
        os.close(dfd)


def _attr_changes(st, uid, gid, mode):
    changes = []
    if st is None:
        return changes
    if uid is not None and st.st_uid != uid:
        changes.append('owner')
    if gid is not None and st.st_gid != gid:
        changes.append('group')
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        changes.append('mode')
    return changes


def _link_changes(st, uid, gid):
    return ['link ' + change for change in _attr_changes(st, uid, gid, None)]


def _differs(raw, member):
    return raw is None or checksum(raw) != checksum(member.content())


def plan_set(vset, uid, gid, dir_mode):
    """{index: helper plan} of one set, read only. Raises SetError for what a present set must not replace."""
    fd, real = _open_parent(vset.parent)
    try:
        found = _inspect(fd, vset)
        current = found['target'] if found['kind'] == 'link' else None
        if vset.present:
            _refuse(found, vset)
            folder_st, files = _read_folder(fd, real, current, vset.members)
            new_version = current != vset.version or folder_st is None
        else:
            folder_st, files = _read_folder(fd, real, current or (vset.name if found['kind'] == 'folder' else None),
                                            vset.members)
            new_version = False
    finally:
        if fd is not None:
            os.close(fd)
    changes = []
    if new_version:
        changes.append('new version')
    elif vset.present:
        changes.extend('folder ' + change for change in _attr_changes(folder_st, uid, gid, dir_mode))
        changes.extend(_link_changes(found['st'], uid, gid))
    elif found['kind'] == 'link':
        changes.append('link removed')
    if [v for v in found['versions'] if v not in (vset.version, current)]:
        changes.append('stale versions')
    members = []
    for m in vset.members:
        raw, st = files.get(m.name, (None, None))
        existed = m.name in files
        if m.present:
            content_changed = _differs(raw, m)
            attrs = [] if new_version or raw is None else _attr_changes(st, uid, gid, m.mode)
        else:
            content_changed, attrs = existed, []
        members.append((m, existed, content_changed, attrs))
    changed = bool(changes) or any(c or a for _m, _e, c, a in members)
    return dict((m.index, dict(path=m.path, state='present' if m.present else 'absent', changed=changed, existed=existed,
                               content_changed=content_changed, attributes_changed=attrs, mode='%04o' % m.mode,
                               versioned=True, version=vset.path_of(vset.version), version_before=vset.path_of(current),
                               set_changes=changes, spec=dict(m.spec, _versioned_set=vset)))
                for m, existed, content_changed, attrs in members)


def _fix_dir(fd, uid, gid, mode):
    st = os.fstat(fd)
    if (uid is not None and st.st_uid != uid) or (gid is not None and st.st_gid != gid):
        os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
    if stat.S_IMODE(st.st_mode) != mode:
        os.fchmod(fd, mode)


def _write_files(dir_fd, dir_path, vset, uid, gid):
    """Make the set's files in an open folder what the task says (content, owner, mode); remove its absent members."""
    files = _read_files(dir_fd, dir_path, vset.members)
    for m in vset.members:
        raw, st = files.get(m.name, (None, None))
        loc = safe_fs.Location(dir_fd, dir_path, m.name)  # not closed: the folder's descriptor is the caller's
        if not m.present:
            if m.name in files:
                safe_fs.remove_tree(dir_fd, m.name)
        elif _differs(raw, m):
            if m.name in files and raw is None:
                safe_fs.remove_tree(dir_fd, m.name)  # not a regular file: a rename over a folder would fail
            safe_fs.atomic_write(loc, m.content(), uid, gid, m.mode)
        elif _attr_changes(st, uid, gid, m.mode):
            safe_fs.set_attributes(loc, uid, gid, m.mode)
    os.fsync(dir_fd)


def _update_folder(fd, parent_path, name, vset, uid, gid, dir_mode=None):
    """Open the real folder ``name`` (never through a link), give it ``dir_mode`` and its owner, and write its files."""
    dfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
    try:
        if dir_mode is not None:
            _fix_dir(dfd, uid, gid, dir_mode)
        _write_files(dfd, posixpath.join(parent_path, name), vset, uid, gid)
    finally:
        os.close(dfd)


def apply_set(vset, uid, gid, dir_mode, create):
    """Carry out the set's plan once (every member's helper plan names the same set): write a new version and switch the
    link to it, or repair the current version in place, or remove the set; then remove every other version."""
    if vset.done:
        return
    vset.done = True
    fd, real = _open_parent(vset.parent, create if vset.present else None)
    if fd is None:
        return  # absent, and its folder is not there either
    try:
        found = _inspect(fd, vset)  # again, with the folder open: what is there now
        want = vset.version
        if vset.present:
            _refuse(found, vset)
            st = _lstat(fd, want)
            if found['kind'] == 'link' and found['target'] == want and st is not None and stat.S_ISDIR(st.st_mode):
                _update_folder(fd, real, want, vset, uid, gid, dir_mode)
                if _link_changes(found['st'], uid, gid):
                    os.chown(vset.name, -1 if uid is None else uid, -1 if gid is None else gid, dir_fd=fd, follow_symlinks=False)
            else:
                safe_fs.remove_tree(fd, want)  # what a killed run left there, or anything else by that name
                os.mkdir(want, 0o700, dir_fd=fd)
                _update_folder(fd, real, want, vset, uid, gid, dir_mode)
                os.fsync(fd)
                if found['kind'] == 'folder':
                    os.rmdir(vset.name, dir_fd=fd)  # empty (checked): nobody can read anything from it
                safe_fs.replace_symlink(fd, vset.name, want, uid, gid)
        elif found['kind'] == 'link':
            os.unlink(vset.name, dir_fd=fd)
        elif found['kind'] == 'folder':
            _remove_from_folder(fd, real, vset)
        for name in os.listdir(fd):
            if vset.pattern.match(name) and name != want:
                safe_fs.remove_tree(fd, name)
            elif vset.tmp_link.match(name):
                st = _lstat(fd, name)
                if st is not None and stat.S_ISLNK(st.st_mode):
                    os.unlink(name, dir_fd=fd)
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_from_folder(fd, parent_path, vset):
    """``state: absent`` on a real folder (the set's files placed without versioned): its members go, and the folder
    when nothing else is left in it."""
    try:
        _update_folder(fd, parent_path, vset.name, vset, None, None)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):
            return
        raise
    try:
        os.rmdir(vset.name, dir_fd=fd)
    except OSError as e:
        if e.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT, errno.ENOTDIR):
            raise
