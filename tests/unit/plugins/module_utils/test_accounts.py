# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which accounts of a host are human accounts (users: all): uid range, login shell, home folder, the platform's
defaults, and users: all made concrete for the settings module (remove_users, user_settings of other hosts).
The host is a stand-in: a passwd list, a login.defs and a shells file under tmp_path, a set of existing homes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import every_human_account

DEBIAN_SHELLS = '# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/dash\n/usr/bin/dash\n'


def entry(name, uid, shell='/bin/bash', home=None, gid=None):
    """A passwd entry in pwd's order: name, password, uid, gid, gecos, home, shell."""
    return (name, 'x', uid, uid if gid is None else gid, '', home or '/home/%s' % name, shell)


PASSWD = [
    entry('root', 0, home='/root'),
    entry('daemon', 1, '/usr/sbin/nologin', home='/usr/sbin'),
    entry('sshd', 105, '/usr/sbin/nologin', home='/run/sshd'),
    entry('backup-svc', 998, '/bin/bash', home='/var/backups'),  # a system account with a shell (useradd --system)
    entry('bob', 1001),
    entry('alice', 1000),
    entry('ci', 1002, '/usr/sbin/nologin'),
    entry('locked', 1003, '/bin/false'),
    entry('newhire', 1004),  # no home folder yet
    entry('carol', 1005, '/usr/bin/zsh'),  # a shell /etc/shells does not list
    entry('nobody', 65534, '/usr/sbin/nologin', home='/nonexistent'),
]
HOMES = {'/root', '/usr/sbin', '/run/sshd', '/var/backups', '/home/alice', '/home/bob', '/home/ci', '/home/locked',
         '/home/carol', '/nonexistent'}


@pytest.fixture
def host(tmp_path):
    """A Debian-like host: login.defs with 1000..60000, a shells file; returns the keyword arguments of human_accounts."""
    login_defs = tmp_path / 'login.defs'
    login_defs.write_text('# comment\nUID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\nSYS_UID_MAX 999\n')
    shells = tmp_path / 'shells'
    shells.write_text(DEBIAN_SHELLS)
    return dict(passwd=PASSWD, login_defs=str(login_defs), shells_file=str(shells), isdir=HOMES.__contains__, platform='linux')


def names(found):
    return [account.name for account in found]


def test_human_accounts_are_those_in_the_uid_range_with_a_listed_login_shell_and_a_home_sorted_by_name(host):
    found = accounts.human_accounts(**host)
    assert names(found) == ['alice', 'bob']
    assert found[0] == accounts.Account('alice', 1000, 1000, '/home/alice', '/bin/bash')


def test_system_accounts_root_nologin_false_and_an_unlisted_shell_are_left_out_with_their_reason(host):
    skipped = []
    accounts.human_accounts(skipped=skipped, **host)
    why = dict((item.name, item.reason) for item in skipped)
    assert why['root'] == 'not a human account: uid 0 is outside 1000..60000'
    assert why['backup-svc'] == 'not a human account: uid 998 is outside 1000..60000'
    assert why['ci'] == 'not a human account: its shell /usr/sbin/nologin is not a login shell'
    assert why['locked'] == 'not a human account: its shell /bin/false is not a login shell'
    assert why['carol'] == 'not a human account: its shell /usr/bin/zsh is not in %s' % host['shells_file']
    assert why['nobody'] == 'not a human account: uid 65534 is outside 1000..60000'
    assert [item.name for item in skipped] == sorted(why)


def test_a_human_account_without_a_home_folder_is_left_out_and_marked_human(host):
    skipped = []
    accounts.human_accounts(skipped=skipped, **host)
    (newhire,) = [item for item in skipped if item.human]
    assert newhire.name == 'newhire'
    assert newhire.reason.startswith('its home folder /home/newhire does not exist (not logged in yet?)')


def test_the_tasks_uid_range_and_shells_replace_the_hosts(host):
    assert names(accounts.human_accounts(uid_min=1001, uid_max=1005, **host)) == ['bob']
    assert names(accounts.human_accounts(shells=['/usr/bin/zsh', '/bin/bash'], **host)) == ['alice', 'bob', 'carol']
    assert names(accounts.human_accounts(shells=['/usr/bin/zsh'], **host)) == ['carol']


def test_nologin_and_false_never_count_even_when_listed(host, tmp_path):
    # CentOS 7's /etc/shells lists /sbin/nologin and /usr/sbin/nologin.
    (tmp_path / 'shells').write_text(DEBIAN_SHELLS + '/sbin/nologin\n/usr/sbin/nologin\n')
    assert names(accounts.human_accounts(**host)) == ['alice', 'bob']
    assert names(accounts.human_accounts(shells=['/usr/sbin/nologin', '/bin/false', '/bin/bash'], **host)) == ['alice', 'bob']


def test_without_a_shells_file_any_shell_but_nologin_and_false_counts(host, tmp_path):
    host['shells_file'] = str(tmp_path / 'missing')
    assert names(accounts.human_accounts(**host)) == ['alice', 'bob', 'carol']


def test_an_empty_shell_field_is_bin_sh(host):
    host['passwd'] = [entry('dave', 1010, shell='')]
    host['isdir'] = lambda path: True
    assert names(accounts.human_accounts(**host)) == ['dave']


def test_login_defs_gives_the_range_and_a_missing_value_or_file_gives_1000_to_60000(tmp_path):
    defs = tmp_path / 'login.defs'
    defs.write_text('UID_MIN 2000\nUID_MAX 0x7530\n')  # shadow reads hexadecimal and octal too
    assert accounts.default_uid_range('linux', str(defs)) == (2000, 30000)
    defs.write_text('UID_MIN   500\n#UID_MAX 1\nUID_MAX not-a-number\n')
    assert accounts.default_uid_range('linux', str(defs)) == (500, 60000)
    assert accounts.default_uid_range('linux', str(tmp_path / 'missing')) == (1000, 60000)
    assert accounts.default_uid_range('freebsd14', str(tmp_path / 'missing')) == (1000, 60000)


def test_macos_human_accounts_start_at_501_and_leave_out_nobody_and_the_underscore_daemons(tmp_path):
    passwd = [entry('_www', 70, '/usr/bin/false', home='/Library/WebServer'), entry('daemon', 1, '/usr/bin/false', home='/var/root'),
              entry('nobody', 4294967294, '/usr/bin/false', home='/var/empty'), entry('alice', 501, '/bin/zsh', home='/Users/alice'),
              entry('bob', 502, '/bin/bash', home='/Users/bob')]
    shells = tmp_path / 'shells'
    shells.write_text('/bin/bash\n/bin/csh\n/bin/dash\n/bin/ksh\n/bin/sh\n/bin/tcsh\n/bin/zsh\n')
    # A login.defs does not count on macOS (it has none; a stray one is not what its account tools use).
    defs = tmp_path / 'login.defs'
    defs.write_text('UID_MIN 1000\n')
    found = accounts.human_accounts(passwd=passwd, platform='darwin', login_defs=str(defs), shells_file=str(shells),
                                    isdir=lambda path: True)
    assert names(found) == ['alice', 'bob']


def test_an_account_listed_twice_counts_once_as_the_first_entry(host):
    host['passwd'] = [entry('alice', 1000), entry('alice', 1500, home='/srv/alice'), entry('bob', 1001)]
    found = accounts.human_accounts(**host)
    assert [(a.name, a.uid) for a in found] == [('alice', 1000), ('bob', 1001)]


def test_the_hosts_own_account_database_is_read_when_no_stand_in_is_given():
    # root is never a human account; every account found has a home folder.
    found = accounts.human_accounts()
    assert 'root' not in names(found)
    assert names(found) == sorted(names(found))


@pytest.mark.parametrize('users, every', [
    ('all', True), (['all'], True), (('all',), True), (['alice'], False), ([], False), (None, False), (['all', 'bob'], False),
    (['All'], False),
])
def test_only_all_alone_means_every_account(users, every):
    assert accounts.every_account(users) is every


def test_all_with_account_names_is_one_problem_naming_the_option():
    assert accounts.users_problem(['alice', 'all'], 'bedrock_users') == (
        'bedrock_users: all means every human account of the host and cannot be combined with account names; give all '
        'alone, or a list of names, got alice, all')
    assert accounts.users_problem(['all']) is None
    assert accounts.users_problem(['alice', 'bob']) is None


@pytest.mark.parametrize('args, problem', [
    (dict(uid_min=-1), 'human_uid_min: expected a uid (a whole number, 0 or more), got -1'),
    (dict(uid_max='many'), "human_uid_max: expected a uid (a whole number, 0 or more), got 'many'"),
    (dict(uid_min=2000, uid_max=1000), 'human_uid_max: expected a uid of human_uid_min (2000) or more, got 1000'),
    (dict(shells=[]), 'human_shells: expected a list of absolute paths of login shells, such as /bin/bash, got []'),
    (dict(shells=['/bin/bash', 'zsh']), "human_shells[1]: expected the absolute path of a login shell, such as /bin/bash, got 'zsh'"),
])
def test_a_wrong_range_or_shell_list_is_named(args, problem):
    assert accounts.criteria_problems(**args) == [problem]


def test_a_range_of_one_uid_and_absolute_shells_pass():
    assert accounts.criteria_problems(1000, 1000, ['/bin/bash']) == []


# ---------------------------------------------------------------------------------------------------------------
# users: all made concrete for the settings module

def test_without_all_the_params_are_unchanged(host):
    params = dict(users=['alice'], user_settings={})
    assert every_human_account(params, **host) == (params, None, [])


def test_all_becomes_the_hosts_human_accounts_and_reports_the_ones_without_a_home(host):
    params, found, left_out = every_human_account(dict(users=['all'], remove_users=None, user_settings={}), **host)
    assert params['users'] == found == ['alice', 'bob']
    assert [item['user'] for item in left_out] == ['newhire']
    assert left_out[0]['reason'].startswith('its home folder /home/newhire does not exist')


def test_the_accounts_of_remove_users_are_left_out_of_all(host):
    params, found, left_out = every_human_account(dict(users=['all'], remove_users=['bob', 'newhire'], user_settings={}), **host)
    assert found == ['alice'] and params['remove_users'] == ['bob', 'newhire']
    assert left_out == []  # newhire is taken off (and skipped there if it has no home), not reported twice


def test_user_settings_for_accounts_that_are_not_human_accounts_here_are_reported_not_refused(host):
    own = dict((name, {'env': {'ANTHROPIC_AUTH_TOKEN': 't-%s' % name}}) for name in ('alice', 'ci', 'zed', 'bob', 'root'))
    params, found, left_out = every_human_account(dict(users=['all'], remove_users=['bob'], user_settings=own), **host)
    assert found == ['alice']
    assert left_out == [
        dict(user='bob', reason='user_settings names it, but it is in remove_users: its file loses the keys instead'),
        dict(user='ci', reason='user_settings names it, but not a human account: its shell /usr/sbin/nologin is not a login shell'),
        dict(user='newhire', reason=left_out[2]['reason']),
        dict(user='root', reason='user_settings names it, but not a human account: uid 0 is outside 1000..60000'),
        dict(user='zed', reason='user_settings names it, but no account of that name is on this host'),
    ]
    assert 't-' not in repr(left_out)  # names and reasons only


def test_the_tasks_rule_is_used(host):
    params, found, _left_out = every_human_account(dict(users=['all'], human_uid_min=1001, human_shells=['/bin/bash', '/usr/bin/zsh'],
                                                        user_settings={}), **host)
    assert found == ['bob', 'carol']
