# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safe file operations on the target: no planted symlink is followed, every write is atomic.

Python standard library only: this file is shipped to every target.

Paths are walked one component at a time with O_NOFOLLOW, holding a descriptor of each directory, so a
symlink swapped in while the module runs cannot redirect it. A symlink met on the way is followed only when
it is owned by root or by the user the module runs as: such a link cannot have been planted by anybody who
could not write to its target already. Any other symlink stops the module with an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
import time

MAX_SYMLINK_HOPS = 40
STALE_TMP_SECONDS = 600
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)


class UnsafePathError(Exception):
    """A path leads through a symlink that is not trusted, or through something that is not a directory."""


class ConcurrentChangeError(Exception):
    """The file changed between the module's read and its write."""


def _trusted_link(st):
    return st.st_uid in (0, os.geteuid())


def _split(path):
    return [part for part in path.split('/') if part not in ('', '.')]


class Location(object):
    """An open directory (``dir_fd``, its real path ``dir_path``) and a name in it."""

    def __init__(self, dir_fd, dir_path, name, via_link=False):
        self.dir_fd = dir_fd
        self.dir_path = dir_path
        self.name = name
        self.via_link = via_link  # the path named a (trusted) symlink that led to this file

    @property
    def path(self):
        return os.path.join(self.dir_path, self.name)

    def close(self):
        if self.dir_fd is not None:
            os.close(self.dir_fd)
            self.dir_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _follow(fd, real, name, hops, pending):
    """Handle a symlink ``name`` in directory ``fd``: return the new (fd, real, pending) after following it."""
    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    where = os.path.join('/' + '/'.join(real), name)
    if not stat.S_ISLNK(st.st_mode):
        raise UnsafePathError('%s is not a directory' % where)
    if not _trusted_link(st):
        raise UnsafePathError('refusing to follow symlink %s: it is owned by uid %d, not by root or the user the module runs as'
                              % (where, st.st_uid))
    if hops > MAX_SYMLINK_HOPS:
        raise UnsafePathError('too many levels of symlinks at %s' % where)
    target = os.readlink(name, dir_fd=fd)
    if target.startswith('/'):
        os.close(fd)
        fd = os.open('/', _DIR_FLAGS)
        real = []
    return fd, real, _split(target) + pending


def open_dir(path, create=None):
    """Open the directory ``path`` (absolute) safely; return (fd, real path).

    ``create``: None to fail on a missing component, or a callable ``create(parent_fd, name)`` that makes the
    missing directory ``name`` in ``parent_fd`` (with its owner and mode).
    """
    if not os.path.isabs(path):
        raise UnsafePathError('path must be absolute: %s' % path)
    fd = os.open('/', _DIR_FLAGS)
    real = []
    pending = _split(path)
    hops = 0
    try:
        while pending:
            name = pending.pop(0)
            if name == '..':
                nfd = os.open('..', _DIR_FLAGS, dir_fd=fd)
                real = real[:-1]
            else:
                try:
                    nfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as e:
                    if e.errno == errno.ENOENT and create is not None:
                        create(fd, name)
                        nfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                    elif e.errno in (errno.ELOOP, errno.ENOTDIR):
                        hops += 1
                        fd, real, pending = _follow(fd, real, name, hops, pending)
                        continue
                    else:
                        raise
                real.append(name)
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd, '/' + '/'.join(real)


def locate(path, create=None):
    """Resolve a file path safely: return a Location whose directory is open.

    A trusted symlink at the file itself is resolved too, so the write lands where the link points and the
    link stays in place.
    """
    hops = 0
    while True:
        parent, name = os.path.split(os.path.normpath(path))
        if not name:
            raise UnsafePathError('not a file path: %s' % path)
        fd, real = open_dir(parent, create)
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError as e:
            if e.errno == errno.ENOENT:
                return Location(fd, real, name, hops > 0)
            os.close(fd)
            raise
        if not stat.S_ISLNK(st.st_mode):
            return Location(fd, real, name, hops > 0)
        hops += 1
        try:
            if not _trusted_link(st):
                raise UnsafePathError('refusing to follow symlink %s: it is owned by uid %d, not by root or the user the module '
                                      'runs as' % (os.path.join(real, name), st.st_uid))
            if hops > MAX_SYMLINK_HOPS:
                raise UnsafePathError('too many levels of symlinks at %s' % os.path.join(real, name))
            path = os.path.join(real, os.readlink(name, dir_fd=fd))
        finally:
            os.close(fd)


def read(loc):
    """Return (bytes, os.stat_result) of the file at ``loc``, or (None, None) when it does not exist."""
    try:
        fd = os.open(loc.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0), dir_fd=loc.dir_fd)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None, None
        if e.errno == errno.ELOOP:
            raise ConcurrentChangeError('%s became a symlink while the module ran' % loc.path)
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError('%s is not a regular file' % loc.path)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        return b''.join(chunks), st
    finally:
        os.close(fd)


def set_attributes(loc, uid, gid, mode):
    """Change owner, group and mode of an existing file without following a symlink. None leaves one as it is."""
    fd = os.open(loc.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0), dir_fd=loc.dir_fd)
    try:
        st = os.fstat(fd)
        if st.st_nlink > 1:
            raise UnsafePathError('%s has %d hard links: changing its owner or mode would change the other names too'
                                  % (loc.path, st.st_nlink))
        _apply_attributes(fd, st, uid, gid, mode)
    finally:
        os.close(fd)


def _apply_attributes(fd, st, uid, gid, mode):
    want_uid = st.st_uid if uid is None else uid
    want_gid = st.st_gid if gid is None else gid
    if (want_uid, want_gid) != (st.st_uid, st.st_gid):
        os.fchown(fd, want_uid, want_gid)
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        os.fchmod(fd, mode)


def backup(loc):
    """Keep the current file as ``<name>.<pid>.<timestamp>~`` beside it (a hard link: same content, owner and mode)."""
    name = '%s.%d.%s~' % (loc.name, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S'))
    os.link(loc.name, name, src_dir_fd=loc.dir_fd, dst_dir_fd=loc.dir_fd, follow_symlinks=False)
    return os.path.join(loc.dir_path, name)


def atomic_write(loc, data, uid, gid, mode, expect=None, current=None):
    """Replace the file at ``loc`` with ``data`` atomically: a temporary file in the same directory, fsync, rename.

    ``uid``/``gid``/``mode`` apply to the new file (None: keep the old file's, or the process's defaults for a
    new file). ``expect`` is a callable returning whether the file on disk is still the one the caller read; it
    is checked right before the rename, and a False stops the write with ConcurrentChangeError.
    ``current`` is the stat of the existing file, if any: its owner, group and mode are kept unless overridden.
    """
    if current is not None:
        uid = current.st_uid if uid is None else uid
        gid = current.st_gid if gid is None else gid
        mode = stat.S_IMODE(current.st_mode) if mode is None else mode
    if mode is None:
        mode = 0o600
    tmp = '.%s.%s.tmp' % (loc.name, os.urandom(6).hex())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0), 0o600,
                 dir_fd=loc.dir_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            _apply_attributes(fd, os.fstat(fd), uid, gid, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if expect is not None and not expect():
            raise ConcurrentChangeError('%s was changed by someone else after the module read it; nothing was written. '
                                        'Run the task again.' % loc.path)
        os.rename(tmp, loc.name, src_dir_fd=loc.dir_fd, dst_dir_fd=loc.dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=loc.dir_fd)
        except OSError:
            pass
        raise
    _remove_stale_temporaries(loc)
    os.fsync(loc.dir_fd)


def _remove_stale_temporaries(loc, age=STALE_TMP_SECONDS):
    """Delete temporary files that a killed earlier write of this file left (they may hold an old secret).

    Only regular files named as atomic_write names them and older than ``age`` seconds: a concurrent
    writer's file in progress is younger.
    """
    pattern = re.compile(r'^\.%s\.[0-9a-f]{12}\.tmp\Z' % re.escape(loc.name))
    now = time.time()
    for name in os.listdir(loc.dir_fd):
        if not pattern.match(name):
            continue
        try:
            st = os.stat(name, dir_fd=loc.dir_fd, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > age:
                os.unlink(name, dir_fd=loc.dir_fd)
        except OSError:
            pass


def remove(loc):
    """Delete the file at ``loc`` (never what a symlink points at). Return whether something was removed."""
    try:
        os.unlink(loc.name, dir_fd=loc.dir_fd)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return False
        raise
    os.fsync(loc.dir_fd)
    return True


def dir_creator(uid, gid, mode):
    """A ``create`` callable for open_dir/locate: makes a directory with this owner and mode."""

    def create(parent_fd, name):
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise
            return
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        try:
            _apply_attributes(fd, os.fstat(fd), uid, gid, mode)
        finally:
            os.close(fd)

    return create


MAX_TREE_DEPTH = 32


def remove_tree(parent_fd, name, _depth=0):
    """Delete ``name`` in the directory ``parent_fd``: a directory with everything in it, or a file or symlink.

    Nothing is followed: each directory is opened with O_NOFOLLOW from its parent's descriptor, and a symlink met
    anywhere is removed itself, never what it points at. Return whether something was removed.
    """
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return False
        if e.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        os.unlink(name, dir_fd=parent_fd)
        return True
    try:
        if _depth >= MAX_TREE_DEPTH:
            raise UnsafePathError('refusing to remove %s: folders nested more than %d deep' % (name, MAX_TREE_DEPTH))
        for entry in os.listdir(fd):
            try:
                st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
            except OSError as e:
                if e.errno == errno.ENOENT:
                    continue
                raise
            if stat.S_ISDIR(st.st_mode):
                remove_tree(fd, entry, _depth + 1)
            else:
                os.unlink(entry, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent_fd)
    return True


def replace_symlink(dir_fd, name, target, uid=None, gid=None):
    """Point the symlink ``name`` in ``dir_fd`` at ``target`` with one rename() of a new link over the old one.

    A reader resolving ``name`` sees the old target or the new one, never nothing. The new link gets ``uid``/``gid``
    (lchown; None leaves the process's). What was at ``name`` is replaced itself, never followed.
    """
    tmp = '.%s.%s.link' % (name, os.urandom(6).hex())
    os.symlink(target, tmp, dir_fd=dir_fd)
    try:
        if uid is not None or gid is not None:
            os.chown(tmp, -1 if uid is None else uid, -1 if gid is None else gid, dir_fd=dir_fd, follow_symlinks=False)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    os.fsync(dir_fd)
