# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of safe_fs: atomic writes that keep attributes, no planted symlink followed, backups, removal.

Other users are simulated with uid/gid 65534 (nobody): files are chowned, symlinks lchowned to it, or code runs
in a forked child with that effective uid. The tests need root.
"""

import errno
import os
import re
import stat

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='simulates other users: needs root')

NOBODY = 65534


def write_file(path, data=b'old\n', mode=0o600, uid=None, gid=None):
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    return path


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def leftovers(folder):
    """Temporary files the module could have left in a folder."""
    return sorted(n for n in os.listdir(folder) if n.endswith('.tmp'))


def snapshot(folder):
    """Every entry under a folder with its type, content (files) or link target (symlinks)."""
    out = {}
    for root, dirs, files in os.walk(str(folder)):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[p] = ('link', os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[p] = ('file', read_bytes(p), stat.S_IMODE(st.st_mode), st.st_uid)
            else:
                out[p] = ('dir', stat.S_IMODE(st.st_mode), st.st_uid)
    return out


def untrusted_symlink(target, link, uid=NOBODY):
    os.symlink(str(target), str(link))
    os.lchown(str(link), uid, uid)


# ---------------------------------------------------------------------------------------------------------------
# atomic_write

def test_atomic_write_replaces_content_and_keeps_owner_group_mode(tmp_path):
    path = write_file(str(tmp_path / 'settings.json'), b'{"old": 1}\n', 0o640, NOBODY, NOBODY)
    old_ino = os.stat(path).st_ino
    with safe_fs.locate(path) as loc:
        raw, st = safe_fs.read(loc)
        assert raw == b'{"old": 1}\n'
        safe_fs.atomic_write(loc, b'{"new": 2}\n', None, None, None, current=st)
    st = os.stat(path)
    assert read_bytes(path) == b'{"new": 2}\n'
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY, NOBODY, 0o640)
    assert st.st_ino != old_ino, 'a new file is renamed into place (not rewritten in place)'
    assert leftovers(str(tmp_path)) == []


def test_atomic_write_explicit_attributes_override_the_current_ones(tmp_path):
    path = write_file(str(tmp_path / 'f'), b'x', 0o644, 0, 0)
    with safe_fs.locate(path) as loc:
        _raw, st = safe_fs.read(loc)
        safe_fs.atomic_write(loc, b'y', NOBODY, NOBODY, 0o600, current=st)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY, NOBODY, 0o600)


@pytest.mark.parametrize('mask', [0o022, 0o077, 0o000])
@pytest.mark.parametrize('mode', [0o600, 0o644, 0o755])
def test_atomic_write_new_file_gets_the_given_mode_whatever_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    path = str(tmp_path / 'new.json')
    with safe_fs.locate(path) as loc:
        safe_fs.atomic_write(loc, b'{}\n', NOBODY, NOBODY, mode)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == mode
    assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY)
    assert read_bytes(path) == b'{}\n'


def test_atomic_write_new_file_defaults_to_0600_and_the_process_owner(tmp_path, umask):
    umask(0o000)
    path = str(tmp_path / 'new.json')
    with safe_fs.locate(path) as loc:
        safe_fs.atomic_write(loc, b'{}', None, None, None)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid())


def test_atomic_write_large_content(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 7)
    path = str(tmp_path / 'big')
    with safe_fs.locate(path) as loc:
        safe_fs.atomic_write(loc, data, None, None, 0o600)
    assert read_bytes(path) == data


def test_atomic_write_expect_false_leaves_old_file_and_no_temp(tmp_path):
    path = write_file(str(tmp_path / 'settings.json'), b'{"user": "edit"}\n', 0o600)
    before = snapshot(tmp_path)
    with safe_fs.locate(path) as loc:
        _raw, st = safe_fs.read(loc)
        with pytest.raises(safe_fs.ConcurrentChangeError, match='changed by someone else'):
            safe_fs.atomic_write(loc, b'{"module": 1}\n', None, None, None, expect=lambda: False, current=st)
    assert snapshot(tmp_path) == before
    assert read_bytes(path) == b'{"user": "edit"}\n'


def test_atomic_write_expect_false_on_a_new_file_creates_nothing(tmp_path):
    path = str(tmp_path / 'settings.json')
    with safe_fs.locate(path) as loc:
        with pytest.raises(safe_fs.ConcurrentChangeError):
            safe_fs.atomic_write(loc, b'{}', None, None, 0o600, expect=lambda: False)
    assert os.listdir(str(tmp_path)) == []


def test_atomic_write_checks_expect_after_the_data_is_complete_and_before_the_rename(tmp_path):
    path = write_file(str(tmp_path / 'settings.json'), b'old', 0o600)
    seen = {}

    def expect():
        tmps = leftovers(str(tmp_path))
        seen['tmps'] = tmps
        seen['tmp_content'] = read_bytes(str(tmp_path / tmps[0])) if len(tmps) == 1 else None
        seen['target'] = read_bytes(path)
        return True

    with safe_fs.locate(path) as loc:
        safe_fs.atomic_write(loc, b'new content', None, None, 0o600, expect=expect)
    assert len(seen['tmps']) == 1 and re.match(r'^\.settings\.json\.[0-9a-f]{12}\.tmp$', seen['tmps'][0])
    assert seen['tmp_content'] == b'new content'
    assert seen['target'] == b'old'
    assert read_bytes(path) == b'new content'
    assert leftovers(str(tmp_path)) == []


def test_atomic_write_failure_while_writing_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = write_file(str(tmp_path / 'settings.json'), b'precious', 0o640, NOBODY, NOBODY)
    before = snapshot(tmp_path)

    def broken_fsync(fd):
        raise OSError(errno.EIO, 'simulated I/O error')

    with safe_fs.locate(path) as loc:
        monkeypatch.setattr(safe_fs.os, 'fsync', broken_fsync)
        with pytest.raises(OSError, match='simulated'):
            safe_fs.atomic_write(loc, b'new', None, None, None, current=os.stat(path))
        monkeypatch.undo()
    assert snapshot(tmp_path) == before


def test_atomic_write_failure_on_bad_data_leaves_no_temp(tmp_path):
    path = write_file(str(tmp_path / 'settings.json'), b'precious', 0o600)
    with safe_fs.locate(path) as loc:
        with pytest.raises(TypeError):
            safe_fs.atomic_write(loc, u'text, not bytes', None, None, None)
    assert os.listdir(str(tmp_path)) == ['settings.json']
    assert read_bytes(path) == b'precious'


def test_atomic_write_failure_in_expect_leaves_no_temp(tmp_path):
    path = write_file(str(tmp_path / 'settings.json'), b'precious', 0o600)

    def expect():
        raise RuntimeError('boom')

    with safe_fs.locate(path) as loc:
        with pytest.raises(RuntimeError):
            safe_fs.atomic_write(loc, b'new', None, None, None, expect=expect)
    assert os.listdir(str(tmp_path)) == ['settings.json']
    assert read_bytes(path) == b'precious'


def test_atomic_write_into_a_directory_moved_away_lands_in_that_directory(tmp_path):
    # The directory is held open: renaming it after locate() cannot redirect the write to a new one at the old path.
    d = tmp_path / 'cfg'
    d.mkdir()
    with safe_fs.locate(str(d / 'settings.json')) as loc:
        os.rename(str(d), str(tmp_path / 'moved'))
        d.mkdir()
        safe_fs.atomic_write(loc, b'{}', None, None, 0o600)
    assert os.listdir(str(d)) == []
    assert read_bytes(str(tmp_path / 'moved' / 'settings.json')) == b'{}'


# ---------------------------------------------------------------------------------------------------------------
# symlinks

def test_untrusted_symlink_at_the_file_is_refused_and_nothing_written(tmp_path):
    victim = write_file(str(tmp_path / 'victim'), b'do not touch', 0o600)
    home = tmp_path / 'home'
    home.mkdir()
    link = str(home / 'settings.json')
    untrusted_symlink(victim, link)
    before = snapshot(tmp_path)
    with pytest.raises(safe_fs.UnsafePathError, match=r'refusing to follow symlink .*settings\.json.*uid 65534'):
        safe_fs.locate(link, create=safe_fs.dir_creator(None, None, 0o700))
    assert snapshot(tmp_path) == before


def test_untrusted_symlink_at_a_directory_component_is_refused_and_nothing_created(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    home = tmp_path / 'home'
    home.mkdir()
    untrusted_symlink(elsewhere, home / '.claude')
    before = snapshot(tmp_path)
    path = str(home / '.claude' / 'sub' / 'settings.json')
    with pytest.raises(safe_fs.UnsafePathError, match=r'refusing to follow symlink .*\.claude.*uid 65534'):
        safe_fs.locate(path, create=safe_fs.dir_creator(None, None, 0o700))
    with pytest.raises(safe_fs.UnsafePathError):
        safe_fs.open_dir(str(home / '.claude'))
    assert snapshot(tmp_path) == before
    assert os.listdir(str(elsewhere)) == []


def test_untrusted_relative_symlink_deeper_in_a_trusted_link_target_is_refused(tmp_path):
    # root's link leads into a folder in which another user planted a link: the walk continues and refuses it.
    (tmp_path / 'real').mkdir()
    untrusted_symlink('/etc', tmp_path / 'real' / 'planted')
    os.symlink('real', str(tmp_path / 'trusted'))
    with pytest.raises(safe_fs.UnsafePathError, match='planted'):
        safe_fs.locate(str(tmp_path / 'trusted' / 'planted' / 'passwd'))


def test_root_owned_symlink_at_the_file_is_followed_and_stays_a_link(tmp_path):
    real_dir = tmp_path / 'dotfiles'
    real_dir.mkdir()
    real = write_file(str(real_dir / 'claude-settings.json'), b'{"a": 1}', 0o640, NOBODY, NOBODY)
    cfg = tmp_path / 'cfg'
    cfg.mkdir()
    link = str(cfg / 'settings.json')
    os.symlink('../dotfiles/claude-settings.json', link)  # relative, owned by root
    with safe_fs.locate(link) as loc:
        assert loc.dir_path == str(real_dir)
        assert loc.name == 'claude-settings.json'
        raw, st = safe_fs.read(loc)
        assert raw == b'{"a": 1}'
        safe_fs.atomic_write(loc, b'{"a": 2}', None, None, None, current=st)
    assert os.path.islink(link) and os.readlink(link) == '../dotfiles/claude-settings.json'
    assert read_bytes(real) == b'{"a": 2}'
    st = os.stat(real)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY, NOBODY, 0o640)
    assert leftovers(str(cfg)) == [] and leftovers(str(real_dir)) == []


def test_root_owned_symlink_at_a_directory_component_is_followed(tmp_path):
    real_dir = tmp_path / 'real'
    real_dir.mkdir()
    os.symlink(str(real_dir), str(tmp_path / 'link'))  # absolute, owned by root
    fd, real = safe_fs.open_dir(str(tmp_path / 'link'))
    os.close(fd)
    assert real == str(real_dir)
    with safe_fs.locate(str(tmp_path / 'link' / 'new' / 'settings.json'),
                        create=safe_fs.dir_creator(None, None, 0o700)) as loc:
        assert loc.path == str(real_dir / 'new' / 'settings.json')
        safe_fs.atomic_write(loc, b'{}', None, None, 0o600)
    assert os.path.islink(str(tmp_path / 'link'))
    assert read_bytes(str(real_dir / 'new' / 'settings.json')) == b'{}'


def test_dangling_root_owned_symlink_at_the_file_creates_its_target(tmp_path):
    (tmp_path / 'cfg').mkdir()
    link = str(tmp_path / 'cfg' / 'settings.json')
    os.symlink(str(tmp_path / 'store' / 'settings.json'), link)
    with safe_fs.locate(link, create=safe_fs.dir_creator(None, None, 0o700)) as loc:
        assert safe_fs.read(loc) == (None, None)
        safe_fs.atomic_write(loc, b'{}', None, None, 0o600)
    assert os.path.islink(link)
    assert read_bytes(str(tmp_path / 'store' / 'settings.json')) == b'{}'


def test_symlink_owned_by_the_effective_user_is_followed_and_others_are_not(shared_tmp, child):
    home = os.path.join(shared_tmp, 'home')
    os.mkdir(home)
    os.chown(home, NOBODY, NOBODY)

    def as_nobody():
        os.mkdir(os.path.join(home, 'dotfiles'))
        with open(os.path.join(home, 'dotfiles', 'settings.json'), 'wb') as f:
            f.write(b'{"mine": 1}')
        os.symlink('dotfiles', os.path.join(home, '.claude'))  # owned by nobody, the effective user
        with safe_fs.locate(os.path.join(home, '.claude', 'settings.json')) as loc:
            raw, st = safe_fs.read(loc)
            safe_fs.atomic_write(loc, b'{"mine": 2}', None, None, None, current=st)
            return loc.path, raw

    expected = ('ok', (os.path.join(home, 'dotfiles', 'settings.json'), b'{"mine": 1}'))
    assert child(as_nobody, uid=NOBODY, gid=NOBODY) == expected
    assert read_bytes(os.path.join(home, 'dotfiles', 'settings.json')) == b'{"mine": 2}'
    # The same link, owned by nobody, is not trusted by root.
    with pytest.raises(safe_fs.UnsafePathError, match='uid 65534'):
        safe_fs.locate(os.path.join(home, '.claude', 'settings.json'))


@pytest.mark.parametrize('where', ['file', 'dir'])
def test_symlink_loops_are_refused(tmp_path, where):
    os.symlink('b', str(tmp_path / 'a'))
    os.symlink('a', str(tmp_path / 'b'))
    path = tmp_path / 'a' if where == 'file' else tmp_path / 'a' / 'settings.json'
    with pytest.raises(safe_fs.UnsafePathError, match='too many levels of symlinks'):
        safe_fs.locate(str(path))


def test_a_regular_file_as_a_directory_component_is_refused(tmp_path):
    write_file(str(tmp_path / 'notadir'))
    with pytest.raises(safe_fs.UnsafePathError, match='is not a directory'):
        safe_fs.locate(str(tmp_path / 'notadir' / 'settings.json'), create=safe_fs.dir_creator(None, None, 0o700))


def test_relative_paths_are_refused():
    with pytest.raises(safe_fs.UnsafePathError, match='absolute'):
        safe_fs.open_dir('relative/dir')
    with pytest.raises(safe_fs.UnsafePathError, match='absolute'):
        safe_fs.locate('settings.json')


def test_locate_a_missing_folder_without_create_raises_enoent(tmp_path):
    with pytest.raises(OSError) as e:
        safe_fs.locate(str(tmp_path / 'missing' / 'settings.json'))
    assert e.value.errno == errno.ENOENT
    assert not (tmp_path / 'missing').exists()


def test_locate_absent_file_in_existing_folder(tmp_path):
    with safe_fs.locate(str(tmp_path / 'x.json')) as loc:
        assert loc.path == str(tmp_path / 'x.json')
        assert safe_fs.read(loc) == (None, None)
        fd = loc.dir_fd
    assert loc.dir_fd is None
    with pytest.raises(OSError):
        os.fstat(fd)


def test_locate_resolves_dot_dot_and_duplicate_slashes(tmp_path):
    (tmp_path / 'a').mkdir()
    write_file(str(tmp_path / 'f.json'), b'x')
    with safe_fs.locate(str(tmp_path) + '//a/../f.json') as loc:
        assert loc.path == str(tmp_path / 'f.json')
        assert safe_fs.read(loc)[0] == b'x'


# ---------------------------------------------------------------------------------------------------------------
# read

def test_read_refuses_a_directory(tmp_path):
    (tmp_path / 'settings.json').mkdir()
    with safe_fs.locate(str(tmp_path / 'settings.json')) as loc:
        with pytest.raises(safe_fs.UnsafePathError, match='not a regular file'):
            safe_fs.read(loc)


def test_read_reports_a_file_that_became_a_symlink(tmp_path):
    with safe_fs.locate(str(tmp_path / 'settings.json')) as loc:
        os.symlink('/etc/passwd', str(tmp_path / 'settings.json'))
        with pytest.raises(safe_fs.ConcurrentChangeError, match='became a symlink'):
            safe_fs.read(loc)


def test_read_does_not_hang_on_a_fifo(tmp_path, child):
    os.mkfifo(str(tmp_path / 'settings.json'))

    def attempt():
        with safe_fs.locate(str(tmp_path / 'settings.json')) as loc:
            safe_fs.read(loc)

    outcome = child(attempt, timeout=1)
    assert outcome[:2] == ('error', 'UnsafePathError'), outcome


# ---------------------------------------------------------------------------------------------------------------
# set_attributes, backup, remove, dir_creator

def test_set_attributes_changes_owner_group_mode_without_rewriting(tmp_path):
    path = write_file(str(tmp_path / 'f'), b'same', 0o644)
    ino = os.stat(path).st_ino
    with safe_fs.locate(path) as loc:
        safe_fs.set_attributes(loc, NOBODY, NOBODY, 0o600)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_ino) == (NOBODY, NOBODY, 0o600, ino)
    with safe_fs.locate(path) as loc:
        safe_fs.set_attributes(loc, None, None, None)
    assert os.stat(path).st_uid == NOBODY


def test_set_attributes_never_follows_a_link_swapped_in(tmp_path):
    victim = write_file(str(tmp_path / 'victim'), b'x', 0o644, 0, 0)
    with safe_fs.locate(str(tmp_path / 'settings.json')) as loc:
        os.symlink(victim, str(tmp_path / 'settings.json'))
        with pytest.raises(OSError):
            safe_fs.set_attributes(loc, NOBODY, NOBODY, 0o666)
    st = os.stat(victim)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o644)


def test_backup_is_a_hard_link_that_keeps_the_old_content(tmp_path):
    path = write_file(str(tmp_path / 'settings.json'), b'{"old": true}\n', 0o600, NOBODY, NOBODY)
    with safe_fs.locate(path) as loc:
        backup = safe_fs.backup(loc)
        _raw, st = safe_fs.read(loc)
        safe_fs.atomic_write(loc, b'{"new": true}\n', None, None, None, current=st)
    assert os.path.dirname(backup) == str(tmp_path)
    assert re.match(r'^settings\.json\.%d\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$' % os.getpid(), os.path.basename(backup))
    assert read_bytes(backup) == b'{"old": true}\n'
    assert read_bytes(path) == b'{"new": true}\n'
    bst = os.stat(backup)
    assert bst.st_ino == st.st_ino, 'the backup is the old inode'
    assert (bst.st_uid, stat.S_IMODE(bst.st_mode)) == (NOBODY, 0o600)


def test_remove_deletes_the_link_never_its_target(tmp_path):
    target = write_file(str(tmp_path / 'target'), b'keep me')
    os.symlink('target', str(tmp_path / 'helper'))
    fd, real = safe_fs.open_dir(str(tmp_path))
    with safe_fs.Location(fd, real, 'helper') as loc:
        assert safe_fs.remove(loc) is True
        assert safe_fs.remove(loc) is False
    assert not os.path.lexists(str(tmp_path / 'helper'))
    assert read_bytes(target) == b'keep me'


def test_remove_a_file(tmp_path):
    path = write_file(str(tmp_path / 'f'))
    with safe_fs.locate(path) as loc:
        assert safe_fs.remove(loc) is True
    assert os.listdir(str(tmp_path)) == []


def test_dir_creator_creates_missing_folders_with_owner_and_mode(tmp_path, umask):
    umask(0o077)
    os.chmod(str(tmp_path), 0o711)
    path = str(tmp_path / 'a' / 'b' / 'c' / 'settings.json')
    with safe_fs.locate(path, create=safe_fs.dir_creator(NOBODY, NOBODY, 0o750)) as loc:
        safe_fs.atomic_write(loc, b'{}', NOBODY, NOBODY, 0o600)
    for d in (tmp_path / 'a', tmp_path / 'a' / 'b', tmp_path / 'a' / 'b' / 'c'):
        st = os.lstat(str(d))
        assert stat.S_ISDIR(st.st_mode)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY, NOBODY, 0o750), d
    st = os.stat(str(tmp_path))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o711), 'an existing folder is left as it is'


def test_dir_creator_leaves_an_existing_folder_alone(tmp_path):
    (tmp_path / 'x').mkdir(mode=0o755)
    fd, _real = safe_fs.open_dir(str(tmp_path))
    try:
        safe_fs.dir_creator(NOBODY, NOBODY, 0o700)(fd, 'x')
    finally:
        os.close(fd)
    st = os.stat(str(tmp_path / 'x'))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o755)


def test_dir_creator_none_keeps_process_owner(tmp_path, umask):
    umask(0o000)
    with safe_fs.locate(str(tmp_path / 'd' / 'f'), create=safe_fs.dir_creator(None, None, 0o700)):
        pass
    st = os.stat(str(tmp_path / 'd'))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (os.geteuid(), 0o700)


def test_atomic_write_removes_stale_temporaries_of_killed_writes_only(tmp_path):
    target = tmp_path / 'settings.json'
    target.write_text('{}')
    stale = tmp_path / '.settings.json.0123456789ab.tmp'
    fresh = tmp_path / '.settings.json.ba9876543210.tmp'
    other = tmp_path / '.other.json.0123456789ab.tmp'
    for path in (stale, fresh, other):
        path.write_text('{"env": {"ANTHROPIC_API_KEY": "old"}}')
    old = os.stat(stale).st_mtime - safe_fs.STALE_TMP_SECONDS - 5
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with safe_fs.locate(str(target)) as loc:
        safe_fs.atomic_write(loc, b'{"a": 1}\n', None, None, 0o600)
    assert target.read_bytes() == b'{"a": 1}\n'
    assert not stale.exists()      # a killed write's leftover, old enough: gone
    assert fresh.exists()          # may be a concurrent write in progress: kept
    assert other.exists()          # another file's: not ours to judge
