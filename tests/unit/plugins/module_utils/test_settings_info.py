# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target side of settings_info (plugins/module_utils/settings_info.py): every file read once, as an entry, with
no planted symlink followed and every secret shown as ********.

Other users are simulated with uid/gid 65534 (nobody), as in test_safe_fs.py: a symlink lchowned to it, or a read in a
forked child with that effective uid. Accounts are simulated by replacing pwd.getpwnam. Nothing is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pwd

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import settings_info
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_info import (
    account_entries,
    collect,
    hide_secrets,
    managed_entries,
    read_entry,
    select_users,
)
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import SettingsError

NOBODY = 65534
HIDDEN = '********'
TOKEN = 'it-info-token-7f3a91'
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='simulates other users: needs root')


def write(path, text, mode=0o600):
    path = str(path)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, 'wb') as f:
        f.write(text.encode('utf-8') if isinstance(text, str) else text)
    os.chmod(path, mode)
    return path


def write_json(path, doc, mode=0o600):
    return write(path, json.dumps(doc), mode)


@pytest.fixture
def accounts(tmp_path, monkeypatch):
    """Accounts alice (home under tmp_path), ghost (an account whose home is missing); others do not exist."""
    homes = {'alice': tmp_path / 'home' / 'alice', 'ghost': tmp_path / 'home' / 'ghost'}
    homes['alice'].mkdir(parents=True)
    real = pwd.getpwnam

    def getpwnam(name):
        if name in homes:
            return pwd.struct_passwd((name, 'x', NOBODY, NOBODY, '', str(homes[name]), '/bin/sh'))
        if name.startswith('fcinfo_'):
            raise KeyError(name)
        return real(name)

    monkeypatch.setattr(pwd, 'getpwnam', getpwnam)
    return homes


# ---------------------------------------------------------------------------------------------------------------
# read_entry: one file, one state

def test_a_missing_file_is_absent(tmp_path):
    path = str(tmp_path / 'settings.json')
    entry = read_entry(path, 'user')
    assert (entry['path'], entry['tier'], entry['state'], entry['reason']) == (path, 'user', 'absent', None)
    assert not entry['document'], 'nothing loads'


def test_a_file_in_a_missing_folder_is_absent(tmp_path):
    path = str(tmp_path / 'no' / 'such' / 'settings.json')
    assert read_entry(path, 'project')['state'] == 'absent'


@pytest.mark.parametrize('text', ['', '  \n\t\n'])
def test_a_file_of_blanks_is_empty_and_loads_as_an_empty_document(tmp_path, text):
    entry = read_entry(write(tmp_path / 'settings.json', text), 'user')
    assert (entry['state'], entry['reason'], entry['document']) == ('empty', None, {})


def test_a_settings_file_is_present_with_its_document(tmp_path):
    doc = {'model': 'sonnet', 'env': {'AWS_REGION': 'eu-west-1'}, 'permissions': {'allow': ['Bash(ls:*)']}, 'cleanupPeriodDays': 30}
    path = write_json(tmp_path / 'settings.json', doc)
    assert read_entry(path, 'local') == dict(path=path, tier='local', state='present', reason=None, document=doc)


def test_types_are_kept_so_that_the_controller_judges_the_document_as_the_client_would(tmp_path):
    doc = {'apiKeyHelper': 5, 'env': {'BASH_DEFAULT_TIMEOUT_MS': 60000, 'X_FLAG': True, 'Y': None}}
    assert read_entry(write_json(tmp_path / 'settings.json', doc), 'user')['document'] == doc


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    entry = read_entry(write(tmp_path / 'settings.json', b'\xef\xbb\xbf{"model": "opus"}'), 'user')
    assert (entry['state'], entry['document']) == ('present', {'model': 'opus'})


@pytest.mark.parametrize('raw, reason', [
    (b'{"model": "opus",}', 'not valid JSON ('),
    (b'["model"]', 'its top level is a JSON array, not an object'),
    (b'"opus"', 'its top level is a JSON string, not an object'),
    (b'{"model": "\xff"}', 'not UTF-8 text'),
    (b'{"cleanupPeriodDays": NaN}', 'not valid JSON'),
])
def test_a_file_the_client_cannot_parse_is_invalid_with_the_reason(tmp_path, raw, reason):
    entry = read_entry(write(tmp_path / 'settings.json', raw), 'user')
    assert entry['state'] == 'invalid'
    assert entry['reason'].startswith(reason), entry['reason']
    assert entry['document'] is None


def test_a_file_over_the_size_limit_is_invalid(tmp_path):
    big = '{"model": "%s"}' % ('x' * (2 * 1024 * 1024))
    entry = read_entry(write(tmp_path / 'settings.json', big), 'user')
    assert entry['state'] == 'invalid' and 'MiB' in entry['reason'] and entry['document'] is None


def test_invalid_json_reasons_never_quote_the_file(tmp_path):
    entry = read_entry(write(tmp_path / 'settings.json', '{"env": {"ANTHROPIC_AUTH_TOKEN": "%s"' % TOKEN), 'user')
    assert entry['state'] == 'invalid'
    assert TOKEN not in json.dumps(entry)


def test_a_folder_at_the_path_is_unreadable(tmp_path):
    (tmp_path / 'settings.json').mkdir()
    entry = read_entry(str(tmp_path / 'settings.json'), 'user')
    assert entry['state'] == 'unreadable' and 'not a regular file' in entry['reason'] and entry['document'] is None


def test_a_fifo_at_the_path_is_unreadable_and_does_not_block(tmp_path):
    os.mkfifo(str(tmp_path / 'settings.json'))
    entry = read_entry(str(tmp_path / 'settings.json'), 'user')
    assert entry['state'] == 'unreadable' and 'not a regular file' in entry['reason']


@needs_root
def test_a_file_the_module_may_not_read_is_unreadable(shared_tmp, child):
    path = write_json(os.path.join(shared_tmp, 'settings.json'), {'model': 'opus'}, 0o600)
    outcome = child(lambda: read_entry(path, 'user'), uid=NOBODY, gid=NOBODY)
    assert outcome[0] == 'ok', outcome
    assert outcome[1]['state'] == 'unreadable'
    assert outcome[1]['reason'] == 'cannot read it: Permission denied'
    assert outcome[1]['document'] is None


@needs_root
def test_a_symlink_planted_by_another_user_is_refused_and_its_target_not_read(tmp_path):
    victim = write_json(tmp_path / 'root-only.json', {'env': {'ANTHROPIC_AUTH_TOKEN': TOKEN}, 'model': 'root-secret-model'})
    home = tmp_path / 'home'
    home.mkdir()
    link = str(home / 'settings.json')
    os.symlink(victim, link)
    os.lchown(link, NOBODY, NOBODY)
    entry = read_entry(link, 'user')
    assert entry['state'] == 'unreadable'
    assert entry['reason'].startswith('refusing to follow symlink %s: it is owned by uid 65534' % link)
    assert entry['document'] is None
    assert 'root-secret-model' not in json.dumps(entry)


@needs_root
def test_a_symlinked_folder_planted_by_another_user_is_refused(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    write_json(elsewhere / 'settings.json', {'model': 'planted'})
    home = tmp_path / 'home'
    home.mkdir()
    os.symlink(str(elsewhere), str(home / '.claude'))
    os.lchown(str(home / '.claude'), NOBODY, NOBODY)
    entry = read_entry(str(home / '.claude' / 'settings.json'), 'user')
    assert entry['state'] == 'unreadable' and 'refusing to follow symlink' in entry['reason']


def test_a_symlink_owned_by_the_module_user_is_followed(tmp_path):
    real = write_json(tmp_path / 'dotfiles' / 'claude.json', {'model': 'opus'})
    os.makedirs(str(tmp_path / 'home'))
    os.symlink(real, str(tmp_path / 'home' / 'settings.json'))
    entry = read_entry(str(tmp_path / 'home' / 'settings.json'), 'user')
    assert (entry['state'], entry['document']) == ('present', {'model': 'opus'})
    assert entry['path'] == str(tmp_path / 'home' / 'settings.json'), 'the entry names the path the client reads'


def test_reading_changes_nothing(tmp_path):
    path = write_json(tmp_path / 'settings.json', {'model': 'opus'}, 0o640)
    before = (os.stat(path).st_mtime_ns, os.stat(path).st_mode, sorted(os.listdir(str(tmp_path))))
    read_entry(path, 'user')
    assert (os.stat(path).st_mtime_ns, os.stat(path).st_mode, sorted(os.listdir(str(tmp_path)))) == before


# ---------------------------------------------------------------------------------------------------------------
# Secrets: replaced by ******** before anything leaves the target; the types stay

def test_secrets_are_hidden_by_name(tmp_path):
    doc = {'env': {'ANTHROPIC_AUTH_TOKEN': TOKEN, 'ANTHROPIC_API_KEY': TOKEN + '-k', 'AWS_BEARER_TOKEN_BEDROCK': TOKEN + '-b',
                   'ANTHROPIC_FOUNDRY_API_KEY': TOKEN + '-f', 'MY_SERVICE_PASSWORD': TOKEN + '-p', 'AWS_REGION': 'eu-west-1',
                   'CLAUDE_CODE_API_KEY_HELPER_TTL_MS': '300000', 'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '1'}}
    entry = read_entry(write_json(tmp_path / 'settings.json', doc), 'user')
    assert entry['document']['env'] == {
        'ANTHROPIC_AUTH_TOKEN': HIDDEN, 'ANTHROPIC_API_KEY': HIDDEN, 'AWS_BEARER_TOKEN_BEDROCK': HIDDEN,
        'ANTHROPIC_FOUNDRY_API_KEY': HIDDEN, 'MY_SERVICE_PASSWORD': HIDDEN, 'AWS_REGION': 'eu-west-1',
        'CLAUDE_CODE_API_KEY_HELPER_TTL_MS': '300000', 'CLAUDE_CODE_SKIP_BEDROCK_AUTH': '1'}
    assert TOKEN not in json.dumps(entry)


def test_a_url_with_a_password_is_hidden_anywhere_and_one_without_stays(tmp_path):
    doc = {'env': {'HTTPS_PROXY': 'http://svc:%s@proxy.example.com:3128' % TOKEN, 'ANTHROPIC_BASE_URL': 'https://llm.example.com',
                   'NO_PROXY': 'localhost'},
           'permissions': {'allow': ['WebFetch(domain:llm.example.com)', 'Bash(curl https://u:%s@repo.example.com/x)' % TOKEN]},
           'statusLine': {'type': 'command', 'command': 'fetch https://bot:%s@status.example.com' % TOKEN},
           'extraKnownMarketplaces': {'corp': {'source': {'source': 'git', 'url': 'https://git@git.example.com/m.git'}}}}
    document = read_entry(write_json(tmp_path / 'settings.json', doc), 'user')['document']
    assert document['env'] == {'HTTPS_PROXY': HIDDEN, 'ANTHROPIC_BASE_URL': 'https://llm.example.com', 'NO_PROXY': 'localhost'}
    assert document['permissions']['allow'] == ['WebFetch(domain:llm.example.com)', HIDDEN]
    assert document['statusLine'] == {'type': 'command', 'command': HIDDEN}
    assert document['extraKnownMarketplaces']['corp']['source']['url'] == 'https://git@git.example.com/m.git', 'a user is no secret'
    assert TOKEN not in json.dumps(document)


@pytest.mark.parametrize('name, value, hidden', [
    ('ANTHROPIC_CUSTOM_HEADERS', 'X-Team: platform\nx-litellm-api-key: ' + TOKEN, True),
    ('ANTHROPIC_CUSTOM_HEADERS', 'X-Team: platform', True),  # a secret by its name (CUSTOM_HEADERS), whatever it holds
    ('OTEL_EXPORTER_OTLP_HEADERS', 'x-scope-orgid=platform,Authorization=Bearer%20' + TOKEN, True),
    ('OTEL_EXPORTER_OTLP_HEADERS', 'x-scope-orgid=platform', False),
    ('OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'x-honeycomb-team=' + TOKEN, True),
])
def test_header_lists_with_a_credential_are_hidden(tmp_path, name, value, hidden):
    document = read_entry(write_json(tmp_path / 'settings.json', {'env': {name: value}}), 'user')['document']
    assert document['env'][name] == (HIDDEN if hidden else value)


def test_hiding_keeps_types_and_empty_values(tmp_path):
    doc = {'env': {'ANTHROPIC_AUTH_TOKEN': '', 'ANTHROPIC_API_KEY': [TOKEN, 'other'], 'AWS_REGION': 'eu-west-1'}, 'model': 'opus'}
    document = read_entry(write_json(tmp_path / 'settings.json', doc), 'user')['document']
    assert document == {'env': {'ANTHROPIC_AUTH_TOKEN': '', 'ANTHROPIC_API_KEY': [HIDDEN, HIDDEN], 'AWS_REGION': 'eu-west-1'},
                        'model': 'opus'}


def test_hide_secrets_does_not_change_its_argument():
    doc = {'env': {'ANTHROPIC_AUTH_TOKEN': TOKEN}, 'statusLine': {'type': 'command', 'command': 'x https://a:%s@b' % TOKEN}}
    copy = json.loads(json.dumps(doc))
    hide_secrets(doc)
    assert doc == copy


def test_secrets_of_every_file_read_are_hidden(tmp_path, accounts):
    managed = tmp_path / 'etc' / 'claude-code'
    write_json(managed / 'managed-settings.json', {'env': {'ANTHROPIC_AUTH_TOKEN': TOKEN}}, 0o644)
    write_json(managed / 'managed-settings.d' / '50-x.json', {'env': {'HTTPS_PROXY': 'http://u:%s@p:1' % TOKEN}}, 0o644)
    write_json(accounts['alice'] / '.claude' / 'settings.json', {'env': {'ANTHROPIC_API_KEY': TOKEN}})
    write_json(accounts['alice'] / '.claude' / 'remote-settings.json', {'env': {'ANTHROPIC_AUTH_TOKEN': TOKEN}})
    project = tmp_path / 'repo'
    write_json(project / '.claude' / 'settings.local.json', {'env': {'ANTHROPIC_CUSTOM_HEADERS': 'Authorization: Bearer ' + TOKEN}})
    found = collect(dict(managed_dir=str(managed), project_dir=str(project)), ['alice'])
    text = json.dumps(found)
    assert TOKEN not in text
    assert text.count(HIDDEN) == 5


# ---------------------------------------------------------------------------------------------------------------
# managed_entries: the client's order

def test_managed_entries_are_managed_settings_json_then_drop_ins_by_name(tmp_path):
    write_json(tmp_path / 'managed-settings.json', {'model': 'opus'}, 0o644)
    for name in ('50-team.json', '10-base.json', '90-last.json', '20-notes.txt', '.hidden.json', '30-disabled.json.bak'):
        write_json(tmp_path / 'managed-settings.d' / name, {'model': name}, 0o644)
    entries = managed_entries(str(tmp_path))
    assert [(e['path'], e['tier'], e['state']) for e in entries] == [
        (str(tmp_path / 'managed-settings.json'), 'managed', 'present'),
        (str(tmp_path / 'managed-settings.d' / '10-base.json'), 'managed', 'present'),
        (str(tmp_path / 'managed-settings.d' / '50-team.json'), 'managed', 'present'),
        (str(tmp_path / 'managed-settings.d' / '90-last.json'), 'managed', 'present'),
    ]


def test_a_missing_managed_folder_gives_one_absent_entry(tmp_path):
    assert managed_entries(str(tmp_path / 'none')) == [dict(path=str(tmp_path / 'none' / 'managed-settings.json'), tier='managed',
                                                            state='absent', reason=None, document=None)]


def test_drop_ins_without_managed_settings_json_are_read(tmp_path):
    write_json(tmp_path / 'managed-settings.d' / '50-team.json', {'model': 'opus'}, 0o644)
    entries = managed_entries(str(tmp_path))
    assert [e['state'] for e in entries] == ['absent', 'present']
    assert entries[1]['document'] == {'model': 'opus'}


def test_a_bad_drop_in_is_an_entry_of_its_own(tmp_path):
    write(tmp_path / 'managed-settings.d' / '10-bad.json', '{oops', 0o644)
    write_json(tmp_path / 'managed-settings.d' / '20-good.json', {'model': 'opus'}, 0o644)
    assert [e['state'] for e in managed_entries(str(tmp_path))] == ['absent', 'invalid', 'present']


# ---------------------------------------------------------------------------------------------------------------
# account_entries and collect

def test_an_account_has_its_user_file_and_its_cached_server_policy(accounts):
    home = accounts['alice']
    write_json(home / '.claude' / 'settings.json', {'model': 'sonnet'})
    found = account_entries('alice')
    assert [(e['path'], e['tier'], e['state']) for e in found['files']] == [(str(home / '.claude' / 'settings.json'), 'user', 'present')]
    assert (found['remote']['path'], found['remote']['tier'], found['remote']['state']) == (
        str(home / '.claude' / 'remote-settings.json'), 'server-managed', 'absent')


def test_a_project_adds_its_shared_and_local_files_in_that_order(accounts, tmp_path):
    project = tmp_path / 'repo'
    write_json(project / '.claude' / 'settings.json', {'model': 'opus'})
    found = account_entries('alice', project_dir=str(project))
    assert [(e['path'], e['tier'], e['state']) for e in found['files']] == [
        (str(accounts['alice'] / '.claude' / 'settings.json'), 'user', 'absent'),
        (str(project / '.claude' / 'settings.json'), 'project', 'present'),
        (str(project / '.claude' / 'settings.local.json'), 'local', 'absent'),
    ]


@pytest.mark.parametrize('config_dir, folder', [
    ('.config/claude', '{home}/.config/claude'),
    ('~/.config/claude', '{home}/.config/claude'),
    ('{tmp}/claude-alice', '{tmp}/claude-alice'),
])
def test_config_dir_moves_the_user_file_and_the_cached_policy(accounts, tmp_path, config_dir, folder):
    home, tmp = str(accounts['alice']), str(tmp_path)
    folder = folder.format(home=home, tmp=tmp)
    write_json(os.path.join(folder, 'remote-settings.json'), {'model': 'opus'})
    found = account_entries('alice', config_dir=config_dir.format(tmp=tmp))
    assert found['files'][0]['path'] == os.path.join(folder, 'settings.json')
    assert (found['remote']['path'], found['remote']['state']) == (os.path.join(folder, 'remote-settings.json'), 'present')


def test_a_missing_account_is_an_error_not_an_exception(accounts):
    assert account_entries('fcinfo_nobody_here') == dict(error="user: account 'fcinfo_nobody_here' does not exist on this host")


def test_an_account_without_its_home_folder_is_an_error_and_nothing_is_created(accounts):
    found = account_entries('ghost')
    assert found == dict(error="user: the home folder %s of account 'ghost' does not exist" % accounts['ghost'])
    assert not accounts['ghost'].exists()


def test_collect_reads_the_managed_files_once_and_each_account(accounts, tmp_path):
    managed = tmp_path / 'etc' / 'claude-code'
    write_json(managed / 'managed-settings.json', {'model': 'opus'}, 0o644)
    found = collect(dict(managed_dir=str(managed)), ['alice', 'ghost', 'fcinfo_x'])
    assert found['managed_dir'] == str(managed)
    assert [e['state'] for e in found['managed']] == ['present']
    assert sorted(found['accounts']) == ['alice', 'fcinfo_x', 'ghost']
    assert 'files' in found['accounts']['alice']
    assert 'error' in found['accounts']['ghost'] and 'error' in found['accounts']['fcinfo_x']


def test_collect_without_managed_dir_reads_the_platform_folder(accounts, monkeypatch):
    monkeypatch.setattr(settings_info, 'default_managed_dir', lambda: '/nonexistent/fleetcfg-managed')
    found = collect({}, ['alice'])
    assert found['managed_dir'] == '/nonexistent/fleetcfg-managed'
    assert found['managed'][0]['path'] == '/nonexistent/fleetcfg-managed/managed-settings.json'


def test_collect_refuses_a_relative_project_dir(accounts):
    with pytest.raises(SettingsError, match="project_dir: expected an absolute path, got 'repo'"):
        collect(dict(project_dir='repo'), ['alice'])


def test_without_users_the_account_the_module_runs_as_is_read():
    assert select_users({'users': None}) == ([pwd.getpwuid(os.geteuid()).pw_name], [])
    assert select_users({'users': ['alice', 'bob']}) == (['alice', 'bob'], [])


def test_a_secret_env_value_that_is_a_number_never_leaves_the_host():
    assert settings_info.hide_secrets({'env': {'ANTHROPIC_API_KEY': 12345, 'CLAUDE_CODE_MAX_OUTPUT_TOKENS': 4096}}) == {
        'env': {'ANTHROPIC_API_KEY': '********', 'CLAUDE_CODE_MAX_OUTPUT_TOKENS': 4096}}


def test_users_all_reads_every_human_account_and_names_the_ones_without_a_home(monkeypatch):
    from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts

    def human_accounts(uid_min, uid_max, shells, skipped):
        assert (uid_min, uid_max, shells) == (2000, 2999, None)
        skipped.extend([accounts.Skipped('dave', 'its home folder /home/dave does not exist', True),
                        accounts.Skipped('daemon', 'uid 1 is below 2000', False)])
        return [accounts.Account('alice', 2001, 2001, '/home/alice', '/bin/bash')]

    monkeypatch.setattr(accounts, 'human_accounts', human_accounts)
    users, left_out = select_users({'users': ['all'], 'human_uid_min': 2000, 'human_uid_max': 2999})
    assert users == ['alice']
    assert left_out == [{'user': 'dave', 'reason': 'its home folder /home/dave does not exist'}]
