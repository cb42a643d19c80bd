# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versioned helpers (``versioned: true``): a client certificate and its key as one set, switched with one rename.

Files are written under tmp_path, as root, for the user nobody (65534), through settings_target's plan and apply.
"""

import copy
import json
import os
import pwd
import random
import select
import signal
import stat
import time

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs, versioned_helpers
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import HELPER_SPEC, module_spec
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    SettingsError,
    apply,
    file_params,
    plan,
    public,
)

NOBODY = 65534
try:
    NOBODY_NAME = pwd.getpwuid(NOBODY).pw_name
except KeyError:
    NOBODY_NAME = None

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='writes files for other users: needs root'),
    pytest.mark.skipif(NOBODY_NAME is None, reason='needs an account with id 65534'),
]

CERT_A = '-----BEGIN CERTIFICATE-----\ncert-generation-A\n-----END CERTIFICATE-----\n'
KEY_A = '-----BEGIN PRIVATE KEY-----\nkey-generation-A-secret\n-----END PRIVATE KEY-----\n'
CERT_B = '-----BEGIN CERTIFICATE-----\ncert-generation-B\n-----END CERTIFICATE-----\n'
KEY_B = '-----BEGIN PRIVATE KEY-----\nkey-generation-B-secret\n-----END PRIVATE KEY-----\n'


def params(**kw):
    p = dict((name, copy.deepcopy(option.get('default'))) for name, option in module_spec().items())
    p['expect_checksum'] = None
    p.update(kw)
    p['helpers'] = [dict(dict((n, o.get('default')) for n, o in HELPER_SPEC.items()), **h) for h in p['helpers']]
    return p


def client_set(cert=CERT_A, key=KEY_A, state='present', folder='certs/client'):
    if state == 'absent':
        return [dict(path=folder + '/cert.pem', env='CLAUDE_CODE_CLIENT_CERT', versioned=True, state='absent'),
                dict(path=folder + '/key.pem', env='CLAUDE_CODE_CLIENT_KEY', versioned=True, state='absent')]
    return [dict(path=folder + '/cert.pem', content=cert, mode='0644', env='CLAUDE_CODE_CLIENT_CERT', versioned=True),
            dict(path=folder + '/key.pem', content=key, mode='0600', env='CLAUDE_CODE_CLIENT_KEY', versioned=True)]


@pytest.fixture
def user_cfg(tmp_path):
    """(config folder, task) of a user-scope task for nobody, with its home under tmp_path."""
    home = tmp_path / 'home'
    home.mkdir()
    os.chown(str(home), NOBODY, NOBODY)
    cfg = home / '.claude'
    return cfg, dict(scope='user', user=NOBODY_NAME, config_dir=str(cfg))


def read(path):
    with open(str(path), 'rb') as f:
        return f.read().decode('utf-8')


def lattrs(path):
    s = os.lstat(str(path))
    return s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode)


def entries(folder):
    return sorted(os.listdir(str(folder)))


def versions(certs):
    return [n for n in entries(certs) if n.startswith('.client-')]


def settings_env(cfg):
    return json.loads(read(cfg / 'settings.json'))['env']


def fingerprint(folder):
    out = {}
    for root, dirs, files in os.walk(str(folder)):
        for name in dirs + files:
            p = os.path.join(root, name)
            s = os.lstat(p)
            out[p] = (s.st_ino, s.st_mtime_ns, s.st_uid, stat.S_IMODE(s.st_mode),
                      os.readlink(p) if stat.S_ISLNK(s.st_mode) else None)
    return out


# ---------------------------------------------------------------------------------------------------------------
# placing a set

def test_a_versioned_set_is_a_link_to_a_hidden_version_folder_and_the_env_points_at_the_stable_paths(user_cfg):
    cfg, task = user_cfg
    result = apply(params(helpers=client_set(), **task))
    certs = cfg / 'certs'
    [version] = versions(certs)
    assert len(version) == len('.client-') + 12 and all(c in '0123456789abcdef' for c in version[len('.client-'):])
    assert os.readlink(str(certs / 'client')) == version, 'a relative link to the sibling version folder'
    assert entries(certs / version) == ['cert.pem', 'key.pem']
    assert read(certs / 'client' / 'cert.pem') == CERT_A and read(certs / 'client' / 'key.pem') == KEY_A
    assert settings_env(cfg) == {'CLAUDE_CODE_CLIENT_CERT': str(certs / 'client' / 'cert.pem'),
                                 'CLAUDE_CODE_CLIENT_KEY': str(certs / 'client' / 'key.pem')}
    assert lattrs(certs / version / 'cert.pem') == (NOBODY, NOBODY, 0o644)
    assert lattrs(certs / version / 'key.pem') == (NOBODY, NOBODY, 0o600)
    assert lattrs(certs / version) == (NOBODY, NOBODY, 0o700)
    assert lattrs(certs)[:2] == (NOBODY, NOBODY)
    assert lattrs(certs / 'client')[:2] == (NOBODY, NOBODY), 'the link is the account\'s (lchown)'
    assert [h['path'] for h in result['helpers']] == [str(certs / 'client' / 'cert.pem'), str(certs / 'client' / 'key.pem')]
    assert all(h['changed'] and h['versioned'] and h['version'] == str(certs / version) and h['version_before'] is None
               for h in result['helpers'])
    out = json.dumps(public(result))
    assert 'key-generation-A-secret' not in out and 'cert-generation-A' not in out


def test_a_second_run_changes_nothing_writes_nothing_and_makes_no_folder(user_cfg, monkeypatch):
    cfg, task = user_cfg
    apply(params(helpers=client_set(), **task))
    before = fingerprint(cfg)
    for name in ('atomic_write', 'replace_symlink', 'remove_tree', 'set_attributes'):
        monkeypatch.setattr(safe_fs, name, lambda *a, **k: pytest.fail('the second run wrote'))
    again = apply(params(helpers=client_set(), **task))
    assert again['changed'] is False
    assert not any(h['changed'] for h in again['helpers'])
    assert all(h['set_changes'] == [] for h in again['helpers'])
    assert fingerprint(cfg) == before


def test_the_version_is_the_digest_of_names_modes_and_contents(user_cfg):
    _cfg, task = user_cfg
    one = plan(params(helpers=client_set(), **task))['helpers'][0]['version']
    same = plan(params(helpers=client_set(), **task))['helpers'][0]['version']
    other_key = plan(params(helpers=client_set(key=KEY_B), **task))['helpers'][0]['version']
    other_mode = plan(params(helpers=[dict(client_set()[0], mode='0640'), client_set()[1]], **task))['helpers'][0]['version']
    assert one == same
    assert len({one, other_key, other_mode}) == 3


# ---------------------------------------------------------------------------------------------------------------
# rotation

def test_rotation_keeps_the_paths_writes_new_files_and_removes_the_old_version(user_cfg):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(helpers=client_set(), **task))
    [old] = versions(certs)
    old_inodes = [os.stat(str(certs / old / n)).st_ino for n in ('cert.pem', 'key.pem')]
    env_before = settings_env(cfg)
    settings_ino = os.stat(str(cfg / 'settings.json')).st_ino

    planned = plan(params(helpers=client_set(CERT_B, KEY_B), **task))
    assert planned['changed'] is True and planned['changed_keys'] == []
    assert all(h['set_changes'] == ['new version'] and h['content_changed'] for h in planned['helpers'])
    assert all(h['version_before'] == str(certs / old) for h in planned['helpers'])
    assert os.readlink(str(certs / 'client')) == old, 'the plan wrote nothing'

    result = apply(params(helpers=client_set(CERT_B, KEY_B), **task))
    [new] = versions(certs)
    assert new != old and not os.path.lexists(str(certs / old)), 'the old version folder is gone'
    assert os.readlink(str(certs / 'client')) == new
    assert read(certs / 'client' / 'cert.pem') == CERT_B and read(certs / 'client' / 'key.pem') == KEY_B
    assert [os.stat(str(certs / 'client' / n)).st_ino for n in ('cert.pem', 'key.pem')] != old_inodes, 'new files'
    assert settings_env(cfg) == env_before, 'the same paths: the settings file needs no change'
    assert os.stat(str(cfg / 'settings.json')).st_ino == settings_ino
    assert result['changed'] is True
    assert lattrs(certs / new / 'key.pem') == (NOBODY, NOBODY, 0o600)
    assert lattrs(certs / 'client')[:2] == (NOBODY, NOBODY)
    assert entries(certs) == [new, 'client'], 'no temporary link or folder left'


def test_rotating_only_the_certificate_still_makes_a_whole_new_version(user_cfg):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(helpers=client_set(), **task))
    planned = plan(params(helpers=client_set(CERT_B, KEY_A), **task))
    assert [h['content_changed'] for h in planned['helpers']] == [True, False]
    assert all(h['changed'] for h in planned['helpers'])
    apply(params(helpers=client_set(CERT_B, KEY_A), **task))
    assert len(versions(certs)) == 1
    assert read(certs / 'client' / 'cert.pem') == CERT_B and read(certs / 'client' / 'key.pem') == KEY_A


def _rotator(home_cfg, task, ready_w):
    """A child: rotate between the two pairs forever. Never returns."""
    try:
        i = 0
        while True:
            cert, key = (CERT_A, KEY_A) if i % 2 == 0 else (CERT_B, KEY_B)
            apply(params(helpers=client_set(cert, key), **task))
            if i == 1:
                os.write(ready_w, b'1')
            i += 1
    finally:
        os._exit(1)


def _generation(text):
    return 'A' if 'generation-A' in text else 'B' if 'generation-B' in text else '?'


def test_a_reader_opening_both_files_during_rotations_sees_a_matching_pair(user_cfg):
    cfg, task = user_cfg
    apply(params(helpers=client_set(), **task))
    folder = str(cfg / 'certs' / 'client')
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        _rotator(cfg, task, ready_w)
    os.close(ready_w)
    pairs, gone, by_path, generations = 0, 0, 0, set()
    try:
        ready, _w, _x = select.select([ready_r], [], [], 20)
        assert ready and os.read(ready_r, 1) == b'1', 'the rotator did not rotate'
        # At least 1.5 s of reading; on a loaded machine up to 20 s, until both generations were seen in enough pairs.
        start = time.monotonic()
        while time.monotonic() < start + 20 and not (time.monotonic() > start + 1.5 and pairs > 20 and generations == {'A', 'B'}):
            # A reader that opens the folder once (as a client resolving its paths at once) and reads both files in it.
            try:
                fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                pytest.fail('the stable path was missing during a rotation')
            try:
                with open('cert.pem', opener=lambda name, flags: os.open(name, flags, dir_fd=fd)) as f:
                    cert = f.read()
                with open('key.pem', opener=lambda name, flags: os.open(name, flags, dir_fd=fd)) as f:
                    key = f.read()
            except FileNotFoundError:
                gone += 1  # that version was removed after the switch: an error, never a mixed pair
                continue
            finally:
                os.close(fd)
            assert _generation(cert) == _generation(key) != '?', 'a new certificate with an old key'
            generations.add(_generation(cert))
            pairs += 1
            # A reader that opens both by path: a matching pair whenever no switch happened between its two opens.
            link = os.readlink(folder)
            cert, key = read(folder + '/cert.pem'), read(folder + '/key.pem')
            if os.readlink(folder) == link:
                assert _generation(cert) == _generation(key), 'the paths named a new certificate and an old key at once'
                by_path += 1
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready_r)
    print('%d pairs read through the folder, %d by path, %d reads met a removed version' % (pairs, by_path, gone))
    assert pairs > 20 and generations == {'A', 'B'}, 'the reader never saw both generations: the test exercised nothing'
    apply(params(helpers=client_set(), **task))  # whatever the kill left, the next run completes
    assert len(versions(cfg / 'certs')) == 1 and read(folder + '/key.pem') == KEY_A


# ---------------------------------------------------------------------------------------------------------------
# killed mid-way

def _killed_at(monkeypatch, target, name):
    """Make ``target.name`` kill the process that calls it (as SIGKILL would: no cleanup runs)."""
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    monkeypatch.setattr(target, name, die)


def _run_killed(task_params, kill_where, monkeypatch):
    pid = os.fork()
    if pid == 0:
        try:
            _killed_at(monkeypatch, *kill_where)
            apply(task_params)
        finally:
            os._exit(3)  # not reached when the kill happened
    _pid, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, 'the run was not killed where expected'


def test_killed_between_writing_the_new_version_and_the_rename_leaves_the_old_set_and_the_next_run_completes(user_cfg, monkeypatch):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(helpers=client_set(), **task))
    [old] = versions(certs)
    _run_killed(params(helpers=client_set(CERT_B, KEY_B), **task), (safe_fs, 'replace_symlink'), monkeypatch)

    assert os.readlink(str(certs / 'client')) == old, 'the old set is still the current one'
    assert read(certs / 'client' / 'cert.pem') == CERT_A and read(certs / 'client' / 'key.pem') == KEY_A
    leftover = [v for v in versions(certs) if v != old]
    assert len(leftover) == 1, 'the killed run had written the new version'
    assert stat.S_IMODE(os.lstat(str(certs / leftover[0])).st_mode) == 0o700

    planned = plan(params(helpers=client_set(CERT_B, KEY_B), **task))
    assert planned['changed'] is True
    apply(params(helpers=client_set(CERT_B, KEY_B), **task))
    assert versions(certs) == leftover, 'rebuilt under the same name; the old version removed'
    assert read(certs / 'client' / 'cert.pem') == CERT_B and read(certs / 'client' / 'key.pem') == KEY_B
    assert apply(params(helpers=client_set(CERT_B, KEY_B), **task))['changed'] is False


def test_killed_after_the_rename_before_the_old_version_is_removed_the_next_run_removes_it(user_cfg, monkeypatch):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(helpers=client_set(), **task))
    [old] = versions(certs)
    _run_killed(params(helpers=client_set(CERT_B, KEY_B), **task), (safe_fs, 'remove_tree'), monkeypatch)
    # remove_tree first runs on the new version's name (nothing there yet): the kill came before any folder was written.
    assert os.readlink(str(certs / 'client')) == old and versions(certs) == [old]

    real_remove = safe_fs.remove_tree
    calls = []

    def remove_then_die(fd, name, *a):
        calls.append(name)
        if name == old:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_remove(fd, name, *a)

    pid = os.fork()
    if pid == 0:
        try:
            monkeypatch.setattr(safe_fs, 'remove_tree', remove_then_die)
            apply(params(helpers=client_set(CERT_B, KEY_B), **task))
        finally:
            os._exit(3)
    _pid, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status)
    new = os.readlink(str(certs / 'client'))
    assert new != old and sorted(versions(certs)) == sorted([old, new]), 'switched, the old version still there'
    assert read(certs / 'client' / 'key.pem') == KEY_B

    planned = plan(params(helpers=client_set(CERT_B, KEY_B), **task))
    assert planned['changed'] is True and planned['helpers'][0]['set_changes'] == ['stale versions']
    assert not any(h['content_changed'] for h in planned['helpers'])
    apply(params(helpers=client_set(CERT_B, KEY_B), **task))
    assert versions(certs) == [new], 'the old key is gone from the disk'


@pytest.mark.parametrize('kills', [12])
def test_random_kills_during_rotations_always_leave_one_complete_matching_set(user_cfg, kills):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(helpers=client_set(), **task))
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    for kill in range(kills):
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            _rotator(cfg, task, ready_w)
        os.close(ready_w)
        try:
            ready, _w, _x = select.select([ready_r], [], [], 20)
            assert ready and os.read(ready_r, 1) == b'1'
            time.sleep(rng.uniform(0, 0.02))
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(ready_r)
        current = os.readlink(str(certs / 'client'))
        assert current in versions(certs), 'kill %d: the link points at no version (seed %d)' % (kill, seed)
        cert, key = read(certs / 'client' / 'cert.pem'), read(certs / 'client' / 'key.pem')
        assert _generation(cert) == _generation(key) != '?', 'kill %d: a mixed pair (seed %d)' % (kill, seed)
        assert lattrs(certs / current / 'key.pem') == (NOBODY, NOBODY, 0o600)
    result = apply(params(helpers=client_set(CERT_B, KEY_B), **task))
    assert versions(certs) == [os.readlink(str(certs / 'client'))]
    assert [n for n in entries(certs) if not n.startswith('.client-')] == ['client'], 'no temporary link left'
    assert read(certs / 'client' / 'key.pem') == KEY_B and result['helpers'][0]['state'] == 'present'


# ---------------------------------------------------------------------------------------------------------------
# absent, leaving accounts

def test_state_absent_removes_the_link_the_version_folder_and_the_env_pointers(user_cfg):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(settings={'model': 'sonnet'}, helpers=client_set(), **task))
    planned = plan(params(helpers=client_set(state='absent'), **task))
    assert planned['changed'] is True
    assert sorted(planned['changed_keys']) == ['env.CLAUDE_CODE_CLIENT_CERT', 'env.CLAUDE_CODE_CLIENT_KEY']
    assert all(h['state'] == 'absent' and h['existed'] and h['changed'] for h in planned['helpers'])
    apply(params(helpers=client_set(state='absent'), **task))
    assert entries(certs) == []
    assert json.loads(read(cfg / 'settings.json')) == {'model': 'sonnet'}
    again = apply(params(helpers=client_set(state='absent'), **task))
    assert again['changed'] is False and not any(h['changed'] for h in again['helpers'])


def test_state_absent_without_anything_there_changes_nothing(user_cfg):
    cfg, task = user_cfg
    cfg.mkdir()
    result = apply(params(helpers=client_set(state='absent'), **task))
    assert result['changed'] is False and not os.path.exists(str(cfg / 'certs'))


def test_a_leaving_account_loses_the_set(user_cfg):
    cfg, task = user_cfg
    apply(params(helpers=client_set(), **task))
    [leaving] = file_params(params(remove_users=[NOBODY_NAME], helpers=client_set(), scope='user', config_dir=str(cfg)))
    assert leaving['_leaving'] and all(h['state'] == 'absent' and h['versioned'] for h in leaving['helpers'])
    apply(leaving)
    assert entries(cfg / 'certs') == []
    assert 'CLAUDE_CODE_CLIENT_KEY' not in json.loads(read(cfg / 'settings.json')).get('env', {})


def test_a_member_listed_absent_is_left_out_of_the_next_version(user_cfg):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    chain = dict(path='certs/client/chain.pem', content=CERT_B, mode='0644', versioned=True)
    apply(params(helpers=client_set() + [chain], **task))
    assert entries(certs / 'client') == ['cert.pem', 'chain.pem', 'key.pem']
    apply(params(helpers=client_set() + [dict(chain, state='absent', content=None)], **task))
    assert entries(certs / 'client') == ['cert.pem', 'key.pem'] and len(versions(certs)) == 1


# ---------------------------------------------------------------------------------------------------------------
# what the module finds there

def test_a_planted_link_to_elsewhere_is_refused_never_followed(user_cfg, tmp_path):
    cfg, task = user_cfg
    victim = tmp_path / 'etc-pki'
    victim.mkdir()
    (victim / 'cert.pem').write_text('root-owned')
    (cfg / 'certs').mkdir(parents=True)
    os.symlink(str(victim), str(cfg / 'certs' / 'client'))
    os.lchown(str(cfg / 'certs' / 'client'), NOBODY, NOBODY)
    before = fingerprint(tmp_path)
    for phase in (plan, apply):
        with pytest.raises(SettingsError, match=r'refusing to replace the symlink .*certs/client \(to .*etc-pki\)'):
            phase(params(helpers=client_set(), **task))
    assert fingerprint(tmp_path) == before
    assert entries(victim) == ['cert.pem'] and read(victim / 'cert.pem') == 'root-owned'


def test_a_link_in_the_modules_format_to_a_planted_link_is_replaced_not_followed(user_cfg, tmp_path):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    victim = tmp_path / 'etc-pki'
    victim.mkdir()
    (victim / 'key.pem').write_text('root-owned')
    version = os.path.basename(plan(params(helpers=client_set(), **task))['helpers'][0]['version'])
    certs.mkdir(parents=True)
    os.symlink(str(victim), str(certs / version))  # the version folder itself is a link the account planted
    os.symlink(version, str(certs / 'client'))
    for name in (version, 'client'):
        os.lchown(str(certs / name), NOBODY, NOBODY)
    assert plan(params(helpers=client_set(), **task))['changed'] is True
    apply(params(helpers=client_set(), **task))
    assert read(victim / 'key.pem') == 'root-owned' and entries(victim) == ['key.pem'], 'nothing written through the link'
    assert stat.S_ISDIR(os.lstat(str(certs / version)).st_mode)
    assert read(certs / 'client' / 'key.pem') == KEY_A


def test_a_link_in_the_modules_format_to_another_version_is_switched(user_cfg):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    certs.mkdir(parents=True)
    os.mkdir(str(certs / '.client-0123456789ab'))
    os.symlink('.client-0123456789ab', str(certs / 'client'))
    apply(params(helpers=client_set(), **task))
    assert versions(certs) == [os.readlink(str(certs / 'client'))] and read(certs / 'client' / 'cert.pem') == CERT_A


def test_a_real_folder_with_files_is_refused_with_the_way_out(user_cfg):
    cfg, task = user_cfg
    (cfg / 'certs' / 'client').mkdir(parents=True)
    (cfg / 'certs' / 'client' / 'cert.pem').write_text('placed without versioned')
    with pytest.raises(SettingsError, match=r'certs/client is a folder with files in it.*state absent'):
        plan(params(helpers=client_set(), **task))
    # The way out: the same helpers with state absent take the set's files out of the folder, and the folder.
    apply(params(helpers=client_set(state='absent'), **task))
    assert not os.path.lexists(str(cfg / 'certs' / 'client'))
    apply(params(helpers=client_set(), **task))
    assert os.path.islink(str(cfg / 'certs' / 'client'))


def test_an_empty_real_folder_is_replaced_by_the_link(user_cfg):
    cfg, task = user_cfg
    (cfg / 'certs' / 'client').mkdir(parents=True)
    apply(params(helpers=client_set(), **task))
    assert os.path.islink(str(cfg / 'certs' / 'client')) and read(cfg / 'certs' / 'client' / 'key.pem') == KEY_A


def test_a_file_at_the_folders_name_is_refused(user_cfg):
    cfg, task = user_cfg
    (cfg / 'certs').mkdir(parents=True)
    (cfg / 'certs' / 'client').write_text('x')
    with pytest.raises(SettingsError, match='certs/client is not a folder or a link'):
        apply(params(helpers=client_set(), **task))
    assert read(cfg / 'certs' / 'client') == 'x'


def test_a_planted_link_above_the_set_stops_the_run(user_cfg, tmp_path):
    cfg, task = user_cfg
    victim = tmp_path / 'etc'
    victim.mkdir()
    cfg.mkdir()
    os.symlink(str(victim), str(cfg / 'certs'))
    os.lchown(str(cfg / 'certs'), NOBODY, NOBODY)
    with pytest.raises(safe_fs.UnsafePathError, match='refusing to follow symlink'):
        apply(params(helpers=client_set(), **task))
    assert entries(victim) == []


def test_drift_inside_the_current_version_is_repaired_in_place(user_cfg):
    cfg, task = user_cfg
    certs = cfg / 'certs'
    apply(params(helpers=client_set(), **task))
    [version] = versions(certs)
    os.chmod(str(certs / version / 'key.pem'), 0o644)
    os.chmod(str(certs / version), 0o755)
    os.lchown(str(certs / 'client'), 0, 0)
    planned = plan(params(helpers=client_set(), **task))
    assert planned['helpers'][1]['attributes_changed'] == ['mode']
    assert planned['helpers'][0]['set_changes'] == ['folder mode', 'link owner', 'link group']
    apply(params(helpers=client_set(), **task))
    assert lattrs(certs / version / 'key.pem') == (NOBODY, NOBODY, 0o600)
    assert lattrs(certs / version) == (NOBODY, NOBODY, 0o700)
    assert lattrs(certs / 'client')[:2] == (NOBODY, NOBODY)
    with open(str(certs / version / 'key.pem'), 'w') as f:
        f.write('edited by hand')
    assert plan(params(helpers=client_set(), **task))['helpers'][1]['content_changed'] is True
    apply(params(helpers=client_set(), **task))
    assert read(certs / 'client' / 'key.pem') == KEY_A and versions(certs) == [version]


def test_managed_scope_gives_the_version_folder_the_scopes_folder_mode(tmp_path):
    task = dict(scope='managed_dropin', dropin='50-net.json', managed_dir=str(tmp_path / 'etc'))
    apply(params(helpers=[dict(path='certs/ca/ca.pem', content=CERT_A, mode='0644', versioned=True)], **task))
    [version] = [n for n in entries(tmp_path / 'etc' / 'certs') if n.startswith('.ca-')]
    assert lattrs(tmp_path / 'etc' / 'certs' / version) == (0, 0, 0o755)
    assert lattrs(tmp_path / 'etc' / 'certs' / version / 'ca.pem') == (0, 0, 0o644)


# ---------------------------------------------------------------------------------------------------------------
# what a set must be (the target's own check; the controller checks the same before any host is touched)

@pytest.mark.parametrize('helpers, message', [
    ([dict(path='cert.pem', content='x', versioned=True)], r'\.claude holds the settings file'),
    ([dict(path='/certs/cert.pem', content='x', versioned=True)], 'needs a folder of its own below another folder'),
    ([dict(path='certs/client/cert.pem', content='x', versioned=True), dict(path='certs/client/readme', content='x')],
     r'helpers\[certs/client/readme\]: in the folder .*certs/client of versioned helpers'),
    ([dict(path='certs/client/cert.pem', content='x', versioned=True), dict(path='certs/client/sub/x', content='x', versioned=True)],
     r'helpers\[certs/client/sub/x\]: below the folder'),
    ([dict(path='certs/client/cert.pem', content='x', versioned=True), dict(path='certs/client/cert.pem', content='y', versioned=True)],
     'listed twice'),
    ([dict(path='certs/client/cert.pem', versioned=True)], 'content is required'),
    ([dict(path='../cert.pem', content='x', versioned=True)], 'holds the settings file'),
])
def test_a_set_that_is_not_one_folder_of_its_own_is_refused(user_cfg, helpers, message):
    cfg, task = user_cfg
    with pytest.raises(SettingsError, match=message):
        plan(params(helpers=helpers, **task))
    assert not os.path.exists(str(cfg))


def test_remove_tree_never_follows_a_link(tmp_path):
    victim = tmp_path / 'victim'
    victim.mkdir()
    (victim / 'keep').write_text('x')
    top = tmp_path / 'top'
    (top / 'sub').mkdir(parents=True)
    os.symlink(str(victim), str(top / 'sub' / 'link'))
    os.symlink(str(victim), str(tmp_path / 'toplink'))
    fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert safe_fs.remove_tree(fd, 'top') is True
        assert safe_fs.remove_tree(fd, 'toplink') is True
        assert safe_fs.remove_tree(fd, 'missing') is False
    finally:
        os.close(fd)
    assert entries(tmp_path) == ['victim'] and entries(victim) == ['keep']


def test_group_makes_one_set_per_folder():
    members = [versioned_helpers.Member(0, '/h/c/a/x', dict(path='a/x', content='1'), 0o600),
               versioned_helpers.Member(1, '/h/c/b/y', dict(path='b/y', content='2'), 0o600),
               versioned_helpers.Member(2, '/h/c/a/z', dict(path='a/z', content='3'), 0o600)]
    sets = versioned_helpers.group(members, [], '/h/c/settings.json')
    assert [(s.folder, [m.index for m in s.members]) for s in sets] == [('/h/c/a', [0, 2]), ('/h/c/b', [1])]
