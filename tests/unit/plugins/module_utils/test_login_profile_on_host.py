# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login-shell profile on the host: written whole and atomically, removed only when the collection wrote it, and on
macOS sourced from the login shells' startup files by a marked block that leaves the rest of them as they were."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import login_profile as lp

BEDROCK = lp.MARKER + 'bedrock\nexport CLAUDE_CODE_USE_BEDROCK=1\n'
VERTEX = lp.MARKER + 'vertex\nexport CLAUDE_CODE_USE_VERTEX=1\n'


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host whose /etc is tmp_path/etc."""
    etc = tmp_path / 'etc'
    (etc / 'profile.d').mkdir(parents=True)
    monkeypatch.setattr(lp, 'PATH', str(etc / 'profile.d' / 'claude-code.sh'))
    monkeypatch.setattr(lp, 'DARWIN_HOOKS', (str(etc / 'zprofile'), str(etc / 'profile')))
    return etc


def run(spec, platform='linux'):
    planned = lp.plan(spec, platform)
    if planned['changed']:
        lp.apply(planned)
    return planned


def test_a_profile_is_written_world_readable_and_a_second_run_changes_nothing(host):
    assert run(dict(state='present', content=BEDROCK))['changed']
    path = host / 'profile.d' / 'claude-code.sh'
    assert path.read_text() == BEDROCK
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644
    assert not lp.plan(dict(state='present', content=BEDROCK), 'linux')['changed']


def test_a_switch_replaces_the_old_providers_variables_whole(host):
    run(dict(state='present', content=BEDROCK))
    run(dict(state='present', content=VERTEX))
    assert (host / 'profile.d' / 'claude-code.sh').read_text() == VERTEX


def test_a_provider_without_the_option_removes_the_collections_profile(host):
    run(dict(state='present', content=BEDROCK))
    planned = run(dict(state='absent'))
    assert planned['state'] == 'absent' and planned['changed']
    assert not (host / 'profile.d' / 'claude-code.sh').exists()
    assert not lp.plan(dict(state='absent'), 'linux')['changed']


def test_leaving_another_provider_keeps_the_configured_providers_profile(host):
    run(dict(state='present', content=BEDROCK))
    assert not run(dict(state='absent', owner='vertex'))['changed']
    assert (host / 'profile.d' / 'claude-code.sh').read_text() == BEDROCK
    run(dict(state='absent', owner='bedrock'))
    assert not (host / 'profile.d' / 'claude-code.sh').exists()


def test_a_file_the_collection_did_not_write_is_never_replaced_or_removed(host):
    own = host / 'profile.d' / 'claude-code.sh'
    own.write_text('export MY_OWN=1\n')
    with pytest.raises(lp.ProfileError) as e:
        lp.plan(dict(state='present', content=BEDROCK), 'linux')
    assert str(e.value).startswith(lp.PATH + ' exists and was not written by fleetcfg.claude_code')
    assert not run(dict(state='absent'))['changed']
    assert own.read_text() == 'export MY_OWN=1\n'


def test_macos_login_shells_source_the_profile_from_a_marked_block(host):
    (host / 'zprofile').write_text('# system zprofile\neval `/usr/libexec/path_helper -s`\n')
    planned = run(dict(state='present', content=BEDROCK), 'darwin')
    assert [hook['path'] for hook in planned['hooks']] == [str(host / 'zprofile'), str(host / 'profile')]
    zprofile = (host / 'zprofile').read_text()
    assert zprofile.startswith('# system zprofile\neval `/usr/libexec/path_helper -s`\n' + lp.HOOK_BEGIN)
    assert (host / 'profile').read_text() == lp.HOOK  # created when missing
    assert not lp.plan(dict(state='present', content=BEDROCK), 'darwin')['changed']
    run(dict(state='absent'), 'darwin')
    assert (host / 'zprofile').read_text() == '# system zprofile\neval `/usr/libexec/path_helper -s`\n'


def test_the_hook_block_is_added_once_and_taken_out_whole():
    text = 'a\n' + lp.HOOK + 'b'
    assert lp.with_hook(text, True) == 'a\nb\n' + lp.HOOK
    assert lp.with_hook(lp.with_hook(text, True), True) == 'a\nb\n' + lp.HOOK
    assert lp.with_hook(text, False) == 'a\nb'
    unfinished = 'a\n' + lp.HOOK_BEGIN + '\nb\n'
    assert lp.with_hook(unfinished, False) == unfinished


def test_a_run_without_root_says_the_profile_needs_root(host, monkeypatch):
    def denied(*_args, **_kwargs):
        raise OSError(13, 'Permission denied', lp.PATH)
    monkeypatch.setattr(lp.safe_fs, 'atomic_write', denied)
    with pytest.raises(lp.ProfileError) as e:
        run(dict(state='present', content=BEDROCK))
    assert 'run as root (become: true)' in str(e.value)
