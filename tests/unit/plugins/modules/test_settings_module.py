# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings module's main() with several accounts: what account_errors does with an account that cannot be
configured, and leaving accounts that are gone. Driven as ansible runs a module (arguments on stdin's stand-in,
the result as JSON on stdout), on real files under tmp_path, as root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleetcfg.claude_code.plugins.modules import settings as settings_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='writes files owned by the accounts: needs root')
GHOST = 'no-such-user-4242'


def run(capsys, **args):
    """main() with these module arguments; (exit code, result)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            settings_module.main()
    out = capsys.readouterr().out
    return info.value.code, json.loads(out)


def task(tmp_path, **kw):
    """Accounts' files in one folder under tmp_path (config_dir absolute): root's is tmp_path/cfg/settings.json."""
    args = dict(scope='user', config_dir=str(tmp_path / 'cfg'), settings={'env': {'ANTHROPIC_BASE_URL': 'https://gw'}},
                _phase='plan', _apply_new=True)
    args.update(kw)
    return args


def test_with_account_errors_skip_a_missing_account_is_skipped_and_the_other_accounts_file_is_written(tmp_path, capsys):
    code, result = run(capsys, **task(tmp_path, users=[GHOST, 'root'], account_errors='skip'))
    assert code == 0 and not result.get('failed')
    ghost, root = result['files']
    assert (ghost['user'], ghost['skipped'], ghost['changed']) == (GHOST, True, False)
    assert "account '%s' does not exist" % GHOST in ghost['reason']
    assert (root['user'], root['changed']) == ('root', True)
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == {'env': {'ANTHROPIC_BASE_URL': 'https://gw'}}
    assert result['changed'] is True


def test_with_account_errors_fail_a_missing_account_fails_the_host(tmp_path, capsys):
    code, result = run(capsys, **task(tmp_path, users=[GHOST, 'root']))
    assert code == 1 and result['failed'] is True
    assert result['msg'] == "user: account '%s' does not exist on this host" % GHOST
    assert not (tmp_path / 'cfg' / 'settings.json').exists()


def test_a_leaving_account_that_does_not_exist_is_skipped_without_error_even_with_account_errors_fail(tmp_path, capsys):
    code, result = run(capsys, **task(tmp_path, users=['root'], remove_users=[GHOST], account_errors='fail'))
    assert code == 0 and not result.get('failed')
    root, ghost = result['files']
    assert root['changed'] is True
    assert (ghost['user'], ghost['skipped'], ghost['leaving'], ghost['changed']) == (GHOST, True, True, False)
    assert (tmp_path / 'cfg' / 'settings.json').exists()


def test_a_leaving_account_loses_the_tasks_keys(tmp_path, capsys):
    (tmp_path / 'cfg').mkdir()
    with open(str(tmp_path / 'cfg' / 'settings.json'), 'w') as f:
        json.dump({'theme': 'dark', 'env': {'ANTHROPIC_BASE_URL': 'https://gw', 'HTTPS_PROXY': 'http://p'}}, f)
    os.chmod(str(tmp_path / 'cfg' / 'settings.json'), 0o600)
    plan_code, planned = run(capsys, **task(tmp_path, remove_users=['root']))
    assert plan_code == 0
    (leaving,) = planned['files']
    assert leaving['would_change'] is True and leaving['changed'] is False  # an existing file waits for the apply call
    code, result = run(capsys, **task(tmp_path, remove_users=['root'], _phase='apply', _expect_checksums=[leaving['checksum']]))
    assert code == 0 and result['files'][0]['changed'] is True
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == {'theme': 'dark', 'env': {'HTTPS_PROXY': 'http://p'}}


def test_check_mode_writes_nothing_for_any_account(tmp_path, capsys):
    code, result = run(capsys, _ansible_check_mode=True, **task(tmp_path, users=[GHOST, 'root'], account_errors='skip'))
    assert code == 0
    assert [f.get('would_change') for f in result['files']] == [False, True]
    assert result['changed'] is False
    assert not (tmp_path / 'cfg').exists()


PROXY_PASSWORD = 'module-proxy-pw-4242'


def test_the_modules_output_holds_no_secret_found_by_value_or_listed(tmp_path, capsys):
    env = {'HTTPS_PROXY': 'http://svc:%s@proxy:3128' % PROXY_PASSWORD, 'OTEL_EXPORTER_OTLP_HEADERS': 'authorization=Bearer%20otlp-4242',
           'CORP_SSO_COOKIE': 'cookie-4242'}
    code, result = run(capsys, **task(tmp_path, settings={'env': env}, secret_keys=['env.CORP_SSO_COOKIE']))
    assert code == 0 and result['changed'] is True
    out = json.dumps(result)
    for marker in (PROXY_PASSWORD, 'otlp-4242', 'cookie-4242'):
        assert marker not in out
    assert result['files'][0]['after']['env'] == dict((name, '********') for name in env)
    assert json.load(open(str(tmp_path / 'cfg' / 'settings.json'))) == {'env': env}


def test_the_module_refuses_a_proxy_password_in_a_managed_drop_in_without_showing_it(tmp_path, capsys):
    code, result = run(capsys, scope='managed_dropin', dropin='50-net.json', managed_dir=str(tmp_path / 'etc'), _phase='plan',
                       _apply_new=True, settings={'env': {'HTTPS_PROXY': 'http://svc:%s@proxy:3128' % PROXY_PASSWORD}})
    assert code == 1 and result['failed'] is True
    assert result['msg'].startswith('refusing to write secrets (env.HTTPS_PROXY: a URL with a password)')
    assert PROXY_PASSWORD not in json.dumps(result)
    assert not (tmp_path / 'etc').exists()
