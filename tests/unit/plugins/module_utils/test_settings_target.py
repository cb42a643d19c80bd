# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of settings_target: which file a task means, the plan, and the apply phase, on real files.

Files are written under tmp_path, as root, for the user nobody (65534) where ownership matters.
"""

import copy
import grp
import json
import os
import pwd
import shlex
import stat
import sys

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import HELPER_SPEC, module_spec
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import REDACTED, checksum, dumps
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    AccountMissing,
    SettingsError,
    default_managed_dir,
    foreign_models,
    file_params,
    apply,
    parse_document,
    parse_mode,
    plan,
    public,
    resolve_target,
)

NOBODY = 65534
try:
    NOBODY_NAME, NOBODY_HOME = pwd.getpwuid(NOBODY).pw_name, pwd.getpwuid(NOBODY).pw_dir
    NOBODY_GROUP = grp.getgrgid(NOBODY).gr_name
except KeyError:
    NOBODY_NAME = NOBODY_HOME = NOBODY_GROUP = None

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason='writes files for other users: needs root'),
    pytest.mark.skipif(NOBODY_NAME is None, reason='needs an account and a group with id 65534'),
]
SECRET = 'sk-ant-very-secret-value-0123456789'
HELPER = '#!/bin/sh\nexec cat "$HOME/.config/llm-gateway/key"\n'


def params(**kw):
    """Module parameters as AnsibleModule hands them over: every option present, defaults filled in (module_spec)."""
    p = dict((name, copy.deepcopy(option.get('default'))) for name, option in module_spec().items())
    p['expect_checksum'] = None  # set per file by the module's main()
    p.update(kw)
    p['helpers'] = [helper(**h) for h in p['helpers']]
    return p


def helper(**kw):
    h = dict((name, option.get('default')) for name, option in HELPER_SPEC.items())
    h.update(kw)
    return h


def write(path, data, mode=0o600, uid=None, gid=None):
    path = str(path)
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)
    if uid is not None:
        os.chown(path, uid, uid if gid is None else gid)
    return path


def read(path):
    with open(str(path), 'rb') as f:
        return f.read()


def attrs(path):
    s = os.stat(str(path))
    return s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode)


def fingerprint(path):
    s = os.stat(str(path))
    return read(path), s.st_ino, s.st_mtime_ns, s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode)


def tree(folder):
    out = {}
    for root, dirs, files in os.walk(str(folder)):
        for name in dirs + files:
            p = os.path.join(root, name)
            s = os.lstat(p)
            out[p] = (stat.S_IFMT(s.st_mode), stat.S_IMODE(s.st_mode), s.st_uid, s.st_ino, s.st_mtime_ns,
                      read(p) if stat.S_ISREG(s.st_mode) else None)
    return out


@pytest.fixture
def user_cfg(tmp_path):
    """Parameters of a user-scope task for nobody, with its config folder under tmp_path (not yet created)."""
    cfg = tmp_path / 'home' / '.claude'
    (tmp_path / 'home').mkdir()
    os.chown(str(tmp_path / 'home'), NOBODY, NOBODY)
    return cfg, dict(scope='user', user=NOBODY_NAME, config_dir=str(cfg))


# ---------------------------------------------------------------------------------------------------------------
# resolve_target

def test_resolve_user_default_is_the_effective_user_home():
    target, explicit = resolve_target(params())
    pw = pwd.getpwuid(os.geteuid())
    assert target.path == os.path.join(pw.pw_dir, '.claude', 'settings.json')
    assert (target.tier, target.uid, target.gid) == ('user', pw.pw_uid, pw.pw_gid)
    assert (target.dir_mode, target.file_mode, target.helper_mode) == (0o700, 0o600, 0o700)
    assert explicit is False


@pytest.mark.parametrize('config_dir, expected', [
    (None, '{home}/.claude/settings.json'),
    ('/opt/claude/alice', '/opt/claude/alice/settings.json'),
    ('cfg/claude', '{home}/cfg/claude/settings.json'),
    ('~/.config/claude', '{home}/.config/claude/settings.json'),
])
def test_resolve_user_config_dir(config_dir, expected):
    target, dummy = resolve_target(params(scope='user', user=NOBODY_NAME, config_dir=config_dir))
    assert target.path == expected.format(home=NOBODY_HOME)
    assert (target.uid, target.gid, target.tier) == (NOBODY, NOBODY, 'user')


def test_resolve_unknown_user_names_the_user():
    with pytest.raises(SettingsError, match="user: account 'no-such-user-4242' does not exist"):
        resolve_target(params(scope='user', user='no-such-user-4242'))


@pytest.mark.parametrize('scope, name, file_mode, helper_mode', [
    ('project', 'settings.json', 0o644, 0o755),
    ('local', 'settings.local.json', 0o600, 0o700),
])
def test_resolve_project_and_local(tmp_path, scope, name, file_mode, helper_mode):
    os.chown(str(tmp_path), NOBODY, NOBODY)
    target, dummy = resolve_target(params(scope=scope, project_dir=str(tmp_path)))
    assert target.path == str(tmp_path / '.claude' / name)
    assert (target.tier, target.uid, target.gid) == (scope, NOBODY, NOBODY)
    assert (target.dir_mode, target.file_mode, target.helper_mode) == (0o755, file_mode, helper_mode)


def test_resolve_project_dir_missing(tmp_path):
    with pytest.raises(SettingsError, match='project_dir: cannot open .*missing'):
        resolve_target(params(scope='project', project_dir=str(tmp_path / 'missing')))


def test_resolve_project_dir_through_planted_link(tmp_path):
    (tmp_path / 'real').mkdir()
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'repo'))
    os.lchown(str(tmp_path / 'repo'), NOBODY, NOBODY)
    with pytest.raises(SettingsError, match='project_dir: refusing to follow symlink'):
        resolve_target(params(scope='project', project_dir=str(tmp_path / 'repo')))


def test_resolve_managed():
    target, dummy = resolve_target(params(scope='managed', managed_dir='/etc/claude-code'))
    assert target.path == '/etc/claude-code/managed-settings.json'
    assert (target.tier, target.uid, target.gid) == ('managed', 0, 0)
    assert (target.dir_mode, target.file_mode, target.helper_mode) == (0o755, 0o644, 0o755)
    target, dummy = resolve_target(params(scope='managed', managed_dir='/Library/Application Support/ClaudeCode'))
    assert target.path == '/Library/Application Support/ClaudeCode/managed-settings.json'


@pytest.mark.parametrize('dropin', ['50-bedrock.json', 'a.json', '10_perm.v2.json'])
def test_resolve_managed_dropin(dropin):
    target, dummy = resolve_target(params(scope='managed_dropin', dropin=dropin, managed_dir='/etc/claude-code'))
    assert target.path == '/etc/claude-code/managed-settings.d/' + dropin
    assert (target.tier, target.uid, target.file_mode) == ('managed', 0, 0o644)


@pytest.mark.parametrize('dropin', [None, '', 'x.yaml', '../x.json', 'a/b.json', '.hidden.json', '-x.json', '.json',
                                    'x.json.bak', 'x .json'])
def test_resolve_managed_dropin_bad_name(dropin):
    with pytest.raises(SettingsError, match=r'dropin: expected a file name ending in \.json'):
        resolve_target(params(scope='managed_dropin', dropin=dropin))


def test_resolve_managed_dropin_name_with_trailing_newline():
    with pytest.raises(SettingsError):
        resolve_target(params(scope='managed_dropin', dropin='50-x.json\n'))


def test_resolve_explicit_path(tmp_path):
    target, explicit = resolve_target(params(path=str(tmp_path / 'x.json')))
    assert target.path == str(tmp_path / 'x.json')
    assert (target.tier, target.uid, target.gid, target.file_mode) == (None, None, None, 0o600)
    assert explicit is False


def test_resolve_explicit_path_must_be_absolute():
    with pytest.raises(SettingsError, match="path: expected an absolute path, got 'rel/x.json'"):
        resolve_target(params(path='rel/x.json'))


@pytest.mark.parametrize('owner, group, uid, gid', [
    (NOBODY_NAME, NOBODY_GROUP, NOBODY, NOBODY),
    ('1234', '4321', 1234, 4321),
    ('root', None, 0, NOBODY),
])
def test_resolve_owner_group_overrides(owner, group, uid, gid):
    target, dummy = resolve_target(params(scope='user', user=NOBODY_NAME, owner=owner, group=group))
    assert (target.uid, target.gid) == (uid, gid)


def test_resolve_unknown_owner_and_group_are_named():
    with pytest.raises(SettingsError, match="owner: user 'no-such-owner' does not exist"):
        resolve_target(params(scope='managed', owner='no-such-owner'))
    with pytest.raises(SettingsError, match="group: group 'no-such-group' does not exist"):
        resolve_target(params(scope='managed', group='no-such-group'))


@pytest.mark.parametrize('mode, expected', [('0640', 0o640), ('640', 0o640), (0o640, 0o640), (' 0600 ', 0o600),
                                            ('1777', 0o1777)])
def test_resolve_mode_override(mode, expected):
    target, explicit = resolve_target(params(scope='managed', mode=mode))
    assert target.file_mode == expected and explicit is True


@pytest.mark.parametrize('value', ['rw-r--r--', '0o600', '0800', '60', '07777 7', True, 1.5, [0o600], 0o17777])
def test_parse_mode_rejects(value):
    with pytest.raises(SettingsError, match='mode'):
        parse_mode(value)


def test_parse_mode_none_and_name():
    assert parse_mode(None) is None
    with pytest.raises(SettingsError, match=r'helpers\[x\]\.mode: expected an octal mode'):
        parse_mode('abc', 'helpers[x].mode')


# ---------------------------------------------------------------------------------------------------------------
# parse_document

@pytest.mark.parametrize('raw, doc, state', [
    (None, {}, 'absent'),
    (b'', {}, 'empty'),
    (b' \n\t\n', {}, 'empty'),
    (b'{}', {}, 'present'),
    (b'{"b": 1, "a": {"x": [1]}}', {'b': 1, 'a': {'x': [1]}}, 'present'),
    (b'\xef\xbb\xbf{"a": 1}', {'a': 1}, 'present'),
    ('{"name": "Zoë"}'.encode('utf-8'), {'name': 'Zoë'}, 'present'),
])
def test_parse_document_valid(raw, doc, state):
    assert parse_document(raw, '/x') == (doc, state)


def test_parse_document_keeps_key_order():
    doc, dummy = parse_document(b'{"z": 1, "a": 2, "m": 3}', '/x')
    assert list(doc) == ['z', 'a', 'm']


@pytest.mark.parametrize('raw, message', [
    (b'{"a": 1,}', 'invalid: not valid JSON ('),
    (b'{', 'invalid: not valid JSON ('),
    (b'// comment\n{}', 'invalid: not valid JSON ('),
    (b'[1, 2]', 'invalid: its top level is a JSON array, not an object'),
    (b'"text"', 'invalid: its top level is a JSON string, not an object'),
    (b'null', 'invalid: its top level is a JSON null, not an object'),
    (b'\xff\xfe{}', 'invalid: not UTF-8 text ('),
])
def test_parse_document_invalid(raw, message):
    doc, state = parse_document(raw, '/x')
    assert doc is None
    assert state.startswith(message), state


@pytest.mark.parametrize('raw', [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}'])
def test_parse_document_non_json_constants_are_invalid(raw):
    doc, state = parse_document(raw, '/x')
    assert doc is None and state.startswith('invalid')


# ---------------------------------------------------------------------------------------------------------------
# plan

def test_plan_on_absent_file_writes_nothing(tmp_path):
    path = tmp_path / 'cfg' / 'settings.json'
    result = plan(params(path=str(path), settings={'model': 'sonnet', 'env': {'AWS_REGION': 'eu-west-1'}}))
    assert not (tmp_path / 'cfg').exists(), 'plan must not create folders'
    assert result['file'] == str(path)
    assert result['found'] == 'absent' and result['checksum'] == 'absent'
    assert result['after'] == {'model': 'sonnet', 'env': {'AWS_REGION': 'eu-west-1'}}
    assert result['changed_keys'] == ['env.AWS_REGION', 'model']
    assert result['content_changed'] is True and result['changed'] is True
    assert result['attributes_changed'] == [] and result['mode'] == '0600'
    assert result['helpers'] == []


def test_plan_on_present_file(tmp_path):
    path = write(tmp_path / 'settings.json', '{"model": "opus", "mine": 1}\n', 0o640)
    before = tree(tmp_path)
    result = plan(params(path=path, settings={'model': 'sonnet'}))
    assert tree(tmp_path) == before
    assert result['found'] == 'present'
    assert result['checksum'] == checksum(read(path))
    assert result['before'] == {'model': 'opus', 'mine': 1}
    assert result['after'] == {'model': 'sonnet', 'mine': 1}
    assert result['changed_keys'] == ['model']
    assert result['mode'] == '0640', 'an existing file keeps its mode'
    assert result['changed'] is True


def test_plan_no_change(tmp_path):
    path = write(tmp_path / 'settings.json', '{"model": "sonnet", "env": {"A": "1"}}', 0o600)
    result = plan(params(path=path, settings={'env': {'A': '1'}}))
    assert (result['changed'], result['content_changed'], result['changed_keys']) == (False, False, [])


def test_plan_result_is_public_and_serializable_without_private_entries(tmp_path):
    result = plan(params(path=str(tmp_path / 's.json'), settings={'model': 'x'}))
    out = public(result)
    assert not [k for k in out if k.startswith('_')]
    json.dumps(out)
    for key in ('file', 'tier', 'found', 'checksum', 'before', 'after', 'changed_keys', 'content_changed',
                'attributes_changed', 'mode', 'helpers', 'changed'):
        assert key in out


# ---------------------------------------------------------------------------------------------------------------
# apply: writing, idempotency, user keys

def test_apply_writes_the_canonical_document_for_the_user(user_cfg):
    cfg, task = user_cfg
    result = apply(params(settings={'env': {'ANTHROPIC_BASE_URL': 'https://gw'}, 'model': 'sonnet'}, **task))
    path = cfg / 'settings.json'
    assert result['changed'] is True and result['backup_file'] is None
    assert read(path) == dumps({'env': {'ANTHROPIC_BASE_URL': 'https://gw'}, 'model': 'sonnet'}).encode('utf-8')
    assert attrs(path) == (NOBODY, NOBODY, 0o600)
    assert attrs(cfg) == (NOBODY, NOBODY, 0o700), 'the config folder is created for its user, private'
    assert sorted(os.listdir(str(cfg))) == ['settings.json']


def test_apply_is_idempotent(user_cfg):
    cfg, task = user_cfg
    p = params(settings={'env': {'A': '1'}, 'permissions': {'allow': ['Bash(ls)']}},
               helpers=[dict(path='bin/helper', content=HELPER, setting='apiKeyHelper')], **task)
    assert apply(p)['changed'] is True
    files = [cfg / 'settings.json', cfg / 'bin' / 'helper']
    first = [fingerprint(f) for f in files]
    second_plan = plan(p)
    assert second_plan['changed'] is False
    assert second_plan['changed_keys'] == [] and second_plan['helpers'][0]['changed'] is False
    result = apply(p)
    assert result['changed'] is False and result['backup_file'] is None
    assert [fingerprint(f) for f in files] == first, 'a second apply must not touch the files (content, inode, mtime)'


def test_apply_keeps_the_users_unknown_keys_their_order_and_formatting_of_values(tmp_path):
    original = {
        'zUserFirst': {'nested': [1, 2, {'deep': True}]},
        'model': 'opus',
        'permissions': {'allow': ['Bash(git status)'], 'myOwn': 'x'},
        'env': {'USER_VAR': 'keep', 'ANTHROPIC_BASE_URL': 'http://old'},
        'statusLine': {'type': 'command', 'command': '~/bin/status'},
    }
    path = write(tmp_path / 'settings.json', json.dumps(original), 0o600)
    apply(params(path=path, settings={'env': {'ANTHROPIC_BASE_URL': 'https://gw'},
                                      'permissions': {'allow': ['Read(./src/**)', 'Bash(git status)']}}))
    after = json.loads(read(path).decode('utf-8'))
    assert list(after) == list(original)
    assert after['zUserFirst'] == original['zUserFirst']
    assert after['statusLine'] == original['statusLine']
    assert after['permissions'] == {'allow': ['Bash(git status)', 'Read(./src/**)'], 'myOwn': 'x'}
    assert after['env'] == {'USER_VAR': 'keep', 'ANTHROPIC_BASE_URL': 'https://gw'}
    assert list(after['env']) == ['USER_VAR', 'ANTHROPIC_BASE_URL']


def test_apply_user_file_formatted_differently_but_equal_is_not_rewritten(tmp_path):
    path = write(tmp_path / 'settings.json', '{"model":"sonnet","env":{"A":"1"}}', 0o600)
    before = fingerprint(path)
    assert apply(params(path=path, settings={'model': 'sonnet'}))['changed'] is False
    assert fingerprint(path) == before


def test_apply_replace_list_strategy_and_removals(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({
        'permissions': {'allow': ['a', 'b'], 'deny': ['x']},
        'env': {'ANTHROPIC_API_KEY': 'static', 'ANTHROPIC_AUTH_TOKEN': 't', 'KEEP': '1'},
    }), 0o600)
    result = apply(params(path=path, list_strategy='replace', settings={'permissions': {'allow': ['c']}},
                          remove=['env.ANTHROPIC_API_KEY', ['env', 'ANTHROPIC_AUTH_TOKEN'], 'no.such.key']))
    assert json.loads(read(path).decode('utf-8')) == {'permissions': {'allow': ['c'], 'deny': ['x']}, 'env': {'KEEP': '1'}}
    assert result['changed_keys'] == ['env.ANTHROPIC_API_KEY', 'env.ANTHROPIC_AUTH_TOKEN', 'permissions.allow']


def test_apply_without_any_change_on_absent_file_creates_nothing(tmp_path):
    result = apply(params(path=str(tmp_path / 'cfg' / 'settings.json'), remove=['env.X']))
    assert result['changed'] is False
    assert os.listdir(str(tmp_path)) == []


def test_apply_on_empty_file(tmp_path):
    path = write(tmp_path / 'settings.json', '\n', 0o640)
    result = apply(params(path=path, settings={'model': 'sonnet'}))
    assert result['found'] == 'empty' and result['backup_file'] is None
    assert read(path) == b'{\n  "model": "sonnet"\n}\n'
    assert attrs(path)[2] == 0o640


def test_apply_repairs_a_value_of_the_wrong_json_type(tmp_path):
    path = write(tmp_path / 'settings.json', '{"alwaysThinkingEnabled": 1}', 0o600)
    result = apply(params(path=path, settings={'alwaysThinkingEnabled': True}))
    assert result['changed_keys'] == ['alwaysThinkingEnabled']
    assert result['changed'] is True
    assert json.loads(read(path).decode('utf-8')) == {'alwaysThinkingEnabled': True}


def test_apply_backup_keeps_the_previous_bytes(tmp_path):
    path = write(tmp_path / 'settings.json', '{"model":"opus"}', 0o640, NOBODY)
    result = apply(params(path=path, backup=True, settings={'model': 'sonnet'}))
    assert result['backup_file'] and os.path.dirname(result['backup_file']) == str(tmp_path)
    assert read(result['backup_file']) == b'{"model":"opus"}'
    assert attrs(result['backup_file']) == (NOBODY, NOBODY, 0o640)
    assert json.loads(read(path).decode('utf-8')) == {'model': 'sonnet'}
    assert attrs(path) == (NOBODY, NOBODY, 0o640)


# ---------------------------------------------------------------------------------------------------------------
# invalid files

def test_invalid_json_is_refused_naming_the_file_and_left_untouched(tmp_path):
    path = write(tmp_path / 'settings.json', '{"env": {"A": "1",}}', 0o600)
    before = tree(tmp_path)
    for phase in (plan, apply):
        with pytest.raises(SettingsError) as e:
            phase(params(path=path, settings={'model': 'x'}))
        message = str(e.value)
        assert path in message and 'not valid JSON' in message and 'replace_invalid' in message
    assert tree(tmp_path) == before


def test_top_level_array_is_refused(tmp_path):
    path = write(tmp_path / 'settings.json', '[]', 0o600)
    with pytest.raises(SettingsError, match='its top level is a JSON array, not an object'):
        apply(params(path=path, settings={'model': 'x'}))
    assert read(path) == b'[]'


def test_replace_invalid_keeps_a_backup_and_writes_a_new_file(tmp_path):
    old = b'{"env": {"ANTHROPIC_AUTH_TOKEN": "' + SECRET.encode() + b'",}}'
    path = write(tmp_path / 'settings.json', old, 0o600, NOBODY)
    planned = plan(params(path=path, replace_invalid=True, settings={'model': 'sonnet'}))
    assert planned['found'] == 'invalid' and planned['before'] is None and planned['content_changed'] is True
    assert SECRET not in json.dumps(public(planned))
    result = apply(params(path=path, replace_invalid=True, settings={'model': 'sonnet'},
                          expect_checksum=planned['checksum']))
    assert result['backup_file']
    assert read(result['backup_file']) == old
    assert attrs(result['backup_file']) == (NOBODY, NOBODY, 0o600)
    assert read(path) == b'{\n  "model": "sonnet"\n}\n'
    assert attrs(path) == (NOBODY, NOBODY, 0o600)


# ---------------------------------------------------------------------------------------------------------------
# secrets

def test_secret_into_a_file_others_can_read_is_refused_without_showing_it(tmp_path):
    os.chown(str(tmp_path), NOBODY, NOBODY)
    task = params(scope='project', project_dir=str(tmp_path),
                  settings={'env': {'ANTHROPIC_AUTH_TOKEN': SECRET, 'ANTHROPIC_BASE_URL': 'https://gw'}})
    for phase in (plan, apply):
        with pytest.raises(SettingsError) as e:
            phase(task)
        message = str(e.value)
        assert 'env.ANTHROPIC_AUTH_TOKEN' in message and '0644' in message
        assert 'ANTHROPIC_BASE_URL' not in message
        assert SECRET not in message
    assert os.listdir(str(tmp_path)) == []


def test_secret_into_an_existing_0644_file_is_refused(tmp_path):
    path = write(tmp_path / 'settings.json', '{}', 0o644)
    with pytest.raises(SettingsError, match=r'env\.ANTHROPIC_API_KEY') as e:
        apply(params(path=path, settings={'env': {'ANTHROPIC_API_KEY': SECRET}}))
    assert SECRET not in str(e.value)
    assert read(path) == b'{}'


def test_secret_with_mode_0600_is_written_and_redacted_in_results(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({'env': {'AWS_SESSION_TOKEN': 'old-' + SECRET}}), 0o644)
    result = apply(params(path=path, mode='0600', settings={'env': {'ANTHROPIC_AUTH_TOKEN': SECRET}}))
    assert attrs(path)[2] == 0o600
    assert json.loads(read(path).decode('utf-8'))['env']['ANTHROPIC_AUTH_TOKEN'] == SECRET
    out = json.dumps(public(result))
    assert SECRET not in out
    assert result['after']['env'] == {'AWS_SESSION_TOKEN': REDACTED, 'ANTHROPIC_AUTH_TOKEN': REDACTED}
    assert result['before']['env'] == {'AWS_SESSION_TOKEN': REDACTED}
    assert result['changed_keys'] == ['env.ANTHROPIC_AUTH_TOKEN']
    assert result['attributes_changed'] == ['mode']


def test_explicit_readable_mode_on_a_file_that_holds_a_secret_is_refused(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({'env': {'ANTHROPIC_API_KEY': SECRET}}), 0o600)
    with pytest.raises(SettingsError, match=r'env\.ANTHROPIC_API_KEY'):
        apply(params(path=path, mode='0644', settings={'model': 'sonnet'}))
    assert attrs(path)[2] == 0o600


@pytest.mark.parametrize('name, value', [('CLAUDE_CODE_SKIP_BEDROCK_AUTH', '1'), ('MAX_THINKING_TOKENS', '8000'),
                                         ('CLAUDE_CODE_API_KEY_HELPER_TTL_MS', '3600000')])
def test_managed_file_can_carry_non_secret_switches(tmp_path, name, value):
    result = apply(params(scope='managed', managed_dir=str(tmp_path / 'etc'), settings={'env': {name: value}}))
    assert json.loads(read(tmp_path / 'etc' / 'managed-settings.json').decode('utf-8')) == {'env': {name: value}}
    assert result['after'] == {'env': {name: value}}


PROXY_PASSWORD = 'proxy-pw-0123456789'
PROXY = 'http://svc-claude:%s@proxy.corp.example.com:3128' % PROXY_PASSWORD
OTLP_TOKEN = 'otlp-token-0123456789'
OTLP_HEADERS = 'x-scope-orgid=platform,Authorization=Bearer%20' + OTLP_TOKEN


def test_a_proxy_password_into_a_managed_drop_in_is_refused_naming_the_reason(tmp_path):
    etc = tmp_path / 'etc'
    task = params(scope='managed_dropin', dropin='50-network.json', managed_dir=str(etc),
                  settings={'env': {'HTTPS_PROXY': PROXY, 'NO_PROXY': 'localhost'}})
    for phase in (plan, apply):
        with pytest.raises(SettingsError) as e:
            phase(task)
        message = str(e.value)
        assert message.startswith('refusing to write secrets (env.HTTPS_PROXY: a URL with a password) into %s with mode 0644'
                                  % (etc / 'managed-settings.d' / '50-network.json'))
        assert 'readable by every user' in message and 'scope user' in message
        assert PROXY_PASSWORD not in message and 'proxy.corp' not in message
    assert not etc.exists()


def test_an_otlp_auth_header_into_an_existing_managed_drop_in_is_refused(tmp_path):
    folder = tmp_path / 'managed-settings.d'
    os.makedirs(str(folder))
    path = write(folder / '60-otel.json', '{"env": {"CLAUDE_CODE_ENABLE_TELEMETRY": "1"}}', 0o644)
    with pytest.raises(SettingsError, match=r'\(env\.OTEL_EXPORTER_OTLP_HEADERS: an auth header\)') as e:
        apply(params(scope='managed_dropin', dropin='60-otel.json', managed_dir=str(tmp_path),
                     settings={'env': {'OTEL_EXPORTER_OTLP_HEADERS': OTLP_HEADERS}}))
    assert OTLP_TOKEN not in str(e.value)
    assert read(path) == b'{"env": {"CLAUDE_CODE_ENABLE_TELEMETRY": "1"}}'


def test_a_proxy_password_into_a_0644_user_file_is_refused(tmp_path):
    path = write(tmp_path / 'settings.json', '{}', 0o644)
    with pytest.raises(SettingsError, match=r'env\.HTTP_PROXY: a URL with a password.*mode 0644.*Use mode 0600') as e:
        apply(params(path=path, settings={'env': {'HTTP_PROXY': PROXY}}))
    assert PROXY_PASSWORD not in str(e.value)
    assert read(path) == b'{}'


def test_a_url_without_a_password_and_otlp_headers_without_auth_go_into_a_managed_file(tmp_path):
    env = {'HTTPS_PROXY': 'http://proxy.corp.example.com:3128', 'OTEL_EXPORTER_OTLP_HEADERS': 'x-scope-orgid=platform',
           'ANTHROPIC_BASE_URL': 'https://svc@gw.example.com'}
    result = apply(params(scope='managed', managed_dir=str(tmp_path / 'etc'), settings={'env': env}))
    assert result['after'] == {'env': env}
    assert attrs(tmp_path / 'etc' / 'managed-settings.json')[2] == 0o644


def test_secrets_found_by_value_are_written_0600_and_redacted_before_and_after(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({'env': {'HTTPS_PROXY': 'http://old:%s@p:3128' % PROXY_PASSWORD}}), 0o600)
    result = apply(params(path=path, settings={'env': {'HTTPS_PROXY': PROXY, 'OTEL_EXPORTER_OTLP_HEADERS': OTLP_HEADERS}}))
    written = json.loads(read(path).decode('utf-8'))['env']
    assert written == {'HTTPS_PROXY': PROXY, 'OTEL_EXPORTER_OTLP_HEADERS': OTLP_HEADERS}
    assert result['before']['env'] == {'HTTPS_PROXY': REDACTED}
    assert result['after']['env'] == {'HTTPS_PROXY': REDACTED, 'OTEL_EXPORTER_OTLP_HEADERS': REDACTED}
    assert result['changed_keys'] == ['env.HTTPS_PROXY', 'env.OTEL_EXPORTER_OTLP_HEADERS']
    out = json.dumps(public(result))
    for marker in (PROXY_PASSWORD, OTLP_TOKEN, 'svc-claude'):
        assert marker not in out


def test_a_listed_secret_key_is_redacted_and_refused_in_a_readable_file(tmp_path):
    os.chown(str(tmp_path), NOBODY, NOBODY)
    listed = ['env.CORP_SSO_COOKIE', 'otelHeadersHelper']
    settings = {'env': {'CORP_SSO_COOKIE': 'cookie-0123456789'}, 'otelHeadersHelper': '/opt/corp/otel-headers --tenant t-42'}
    with pytest.raises(SettingsError) as e:
        apply(params(scope='project', project_dir=str(tmp_path), secret_keys=listed, settings=settings))
    assert 'env.CORP_SSO_COOKIE: listed in secret_keys, otelHeadersHelper: listed in secret_keys' in str(e.value)
    assert 'cookie-0123456789' not in str(e.value) and 't-42' not in str(e.value)
    assert os.listdir(str(tmp_path)) == []
    result = apply(params(scope='local', project_dir=str(tmp_path), secret_keys=listed, settings=settings))
    assert result['after'] == {'env': {'CORP_SSO_COOKIE': REDACTED}, 'otelHeadersHelper': REDACTED}
    assert json.loads(read(tmp_path / '.claude' / 'settings.local.json').decode('utf-8')) == settings
    # without secret_keys, the same keys are no secrets
    assert apply(params(scope='local', project_dir=str(tmp_path), settings=settings))['after'] == settings


def test_listed_secret_keys_are_redacted_when_a_drop_in_is_deleted(tmp_path):
    folder = tmp_path / 'managed-settings.d'
    os.makedirs(str(folder))
    write(folder / '70-x.json', json.dumps({'otelHeadersHelper': '/opt/h --token t-77'}), 0o644)
    result = plan(params(scope='managed_dropin', dropin='70-x.json', managed_dir=str(tmp_path), state='absent',
                         secret_keys=['otelHeadersHelper']))
    assert result['before'] == {'otelHeadersHelper': REDACTED}


def test_a_bad_secret_keys_path_is_refused(tmp_path):
    with pytest.raises(SettingsError, match='secret_keys: invalid key path'):
        plan(params(path=str(tmp_path / 'settings.json'), secret_keys=['env..X']))


# ---------------------------------------------------------------------------------------------------------------
# concurrent changes

def test_change_between_plan_and_apply_is_not_overwritten(tmp_path):
    path = write(tmp_path / 'settings.json', '{"model": "opus"}', 0o600)
    task = params(path=path, settings={'model': 'sonnet'})
    planned = plan(task)
    write(path, '{"model": "opus", "userEdit": true}', 0o600)
    before = tree(tmp_path)
    with pytest.raises(safe_fs.ConcurrentChangeError, match='changed by someone else'):
        apply(dict(task, _phase='apply', expect_checksum=planned['checksum']))
    assert tree(tmp_path) == before


def test_file_created_between_plan_and_apply_is_not_overwritten(tmp_path):
    path = str(tmp_path / 'settings.json')
    task = params(path=path, settings={'model': 'sonnet'})
    planned = plan(task)
    assert planned['checksum'] == 'absent'
    write(path, '{"fromTheUser": 1}', 0o600)
    with pytest.raises(safe_fs.ConcurrentChangeError):
        apply(dict(task, expect_checksum=planned['checksum']))
    assert read(path) == b'{"fromTheUser": 1}'


def test_apply_with_the_planned_checksum_writes(tmp_path):
    path = write(tmp_path / 'settings.json', '{"model": "opus"}', 0o600)
    task = params(path=path, settings={'model': 'sonnet'})
    result = apply(dict(task, expect_checksum=plan(task)['checksum']))
    assert result['changed'] is True
    assert json.loads(read(path).decode('utf-8')) == {'model': 'sonnet'}


def test_change_during_apply_before_the_rename_is_not_overwritten(tmp_path, monkeypatch):
    path = write(tmp_path / 'settings.json', '{"model": "opus"}', 0o600)
    real_backup = safe_fs.backup

    def backup_then_user_edits(loc):
        name = real_backup(loc)
        write(path, '{"model": "haiku"}', 0o600)
        return name

    monkeypatch.setattr(safe_fs, 'backup', backup_then_user_edits)
    with pytest.raises(safe_fs.ConcurrentChangeError):
        apply(params(path=path, backup=True, settings={'model': 'sonnet'}))
    assert read(path) == b'{"model": "haiku"}'
    assert not [n for n in os.listdir(str(tmp_path)) if n.endswith('.tmp')]


# ---------------------------------------------------------------------------------------------------------------
# what the module must not touch

def test_owner_fix_on_a_hard_linked_settings_file_leaves_the_other_file_alone(user_cfg, tmp_path):
    cfg, task = user_cfg
    cfg.mkdir()
    os.chown(str(cfg), NOBODY, NOBODY)
    shared = write(tmp_path / 'shared.json', '{"model": "sonnet"}', 0o664, 0, 0)
    os.link(shared, str(cfg / 'settings.json'))
    try:
        apply(params(settings={'model': 'sonnet'}, **task))
    except safe_fs.UnsafePathError:
        pass  # refusing is fine too; touching the other file is not
    assert attrs(shared) == (0, 0, 0o664), 'a file elsewhere, linked into the home, was given to the user'


def test_user_scope_does_not_create_a_missing_home(tmp_path, monkeypatch):
    home = tmp_path / 'home' / 'bob'
    (tmp_path / 'home').mkdir()
    real_getpwnam = pwd.getpwnam

    def getpwnam(name):
        if name == 'bob':
            return pwd.struct_passwd(('bob', 'x', NOBODY, NOBODY, '', str(home), '/bin/sh'))
        return real_getpwnam(name)

    monkeypatch.setattr(pwd, 'getpwnam', getpwnam)
    with pytest.raises(SettingsError, match='bob'):
        apply(params(scope='user', user='bob', settings={'model': 'sonnet'}))
    assert not home.exists()


# ---------------------------------------------------------------------------------------------------------------
# symlinks through the whole flow

def test_planted_link_in_a_users_home_stops_plan_and_apply(user_cfg, tmp_path):
    cfg, task = user_cfg
    victim_dir = tmp_path / 'etc'
    victim_dir.mkdir()
    write(victim_dir / 'settings.json', '{"root": "owned"}', 0o644, 0)
    os.symlink(str(victim_dir), str(cfg))
    os.lchown(str(cfg), NOBODY, NOBODY)
    before = tree(tmp_path)
    for phase in (plan, apply):
        with pytest.raises(safe_fs.UnsafePathError, match='refusing to follow symlink'):
            phase(params(settings={'model': 'x'}, helpers=[dict(path='bin/h', content=HELPER)], **task))
    assert tree(tmp_path) == before


# ---------------------------------------------------------------------------------------------------------------
# helpers

def test_helpers_are_placed_before_the_settings_and_pointed_at(user_cfg, monkeypatch):
    cfg, task = user_cfg
    order = []
    real_write = safe_fs.atomic_write

    def recording_write(loc, data, *args, **kwargs):
        order.append(loc.name)
        if loc.name == 'settings.json':
            assert os.path.exists(str(cfg / 'bin' / 'api-key-helper')), 'the helper must exist before the settings'
        return real_write(loc, data, *args, **kwargs)

    monkeypatch.setattr(safe_fs, 'atomic_write', recording_write)
    result = apply(params(settings={'env': {'ANTHROPIC_BASE_URL': 'https://gw'}},
                          helpers=[dict(path='bin/api-key-helper', content=HELPER, setting='apiKeyHelper'),
                                   dict(path=str(cfg / 'aws-export'), content='#!/bin/sh\n', setting='awsCredentialExport')],
                          **task))
    assert order == ['api-key-helper', 'aws-export', 'settings.json']
    doc = json.loads(read(cfg / 'settings.json').decode('utf-8'))
    assert doc == {'env': {'ANTHROPIC_BASE_URL': 'https://gw'},
                   'apiKeyHelper': str(cfg / 'bin' / 'api-key-helper'),
                   'awsCredentialExport': str(cfg / 'aws-export')}
    assert read(cfg / 'bin' / 'api-key-helper') == HELPER.encode('utf-8')
    assert attrs(cfg / 'bin' / 'api-key-helper') == (NOBODY, NOBODY, 0o700)
    assert attrs(cfg / 'bin') == (NOBODY, NOBODY, 0o700)
    assert [h['path'] for h in result['helpers']] == [str(cfg / 'bin' / 'api-key-helper'), str(cfg / 'aws-export')]
    assert all(h['changed'] and h['state'] == 'present' and h['mode'] == '0700' for h in result['helpers'])
    assert HELPER not in json.dumps(public(result)), 'helper content is a secret'


def test_helper_pointer_is_quoted_for_the_shell(tmp_path):
    folder = tmp_path / 'my cfg'
    folder.mkdir()
    path = str(folder / 'settings.json')
    apply(params(path=path, helpers=[dict(path="it's helper", content=HELPER, setting='apiKeyHelper')]))
    value = json.loads(read(path).decode('utf-8'))['apiKeyHelper']
    assert shlex.split(value) == [str(folder / "it's helper")]
    assert value == shlex.quote(str(folder / "it's helper"))


def test_helper_state_absent_removes_the_script_and_the_pointer(user_cfg):
    cfg, task = user_cfg
    apply(params(settings={'model': 'sonnet'}, helpers=[dict(path='bin/h', content=HELPER, setting='apiKeyHelper')], **task))
    assert (cfg / 'bin' / 'h').exists()
    absent = params(helpers=[dict(path='bin/h', setting='apiKeyHelper', state='absent')], **task)
    planned = plan(absent)
    assert planned['changed'] is True and planned['changed_keys'] == ['apiKeyHelper']
    assert planned['helpers'][0]['state'] == 'absent' and planned['helpers'][0]['changed'] is True
    apply(absent)
    assert not os.path.lexists(str(cfg / 'bin' / 'h'))
    assert json.loads(read(cfg / 'settings.json').decode('utf-8')) == {'model': 'sonnet'}
    again = apply(absent)
    assert again['changed'] is False and again['helpers'][0]['changed'] is False


def test_helper_state_absent_on_a_root_symlink_removes_the_link_only(user_cfg, tmp_path):
    cfg, task = user_cfg
    shared = write(tmp_path / 'shared-helper', HELPER, 0o755, 0)
    (cfg / 'bin').mkdir(parents=True)
    os.symlink(shared, str(cfg / 'bin' / 'h'))  # placed by root: trusted
    apply(params(helpers=[dict(path='bin/h', state='absent')], **task))
    assert os.path.exists(shared), 'the shared script the link points at (other users rely on it) was deleted'
    assert read(shared) == HELPER.encode('utf-8')
    assert not os.path.lexists(str(cfg / 'bin' / 'h'))


@pytest.mark.parametrize('scope, mode', [('managed', '0755'), ('project', '0755'), ('local', '0700'), ('user', '0700')])
def test_helper_mode_defaults_per_scope(tmp_path, scope, mode):
    (tmp_path / 'home').mkdir()
    task = dict(scope=scope, managed_dir=str(tmp_path / 'etc'), project_dir=str(tmp_path), user='root',
                config_dir=str(tmp_path / 'home' / '.claude'))
    result = apply(params(helpers=[dict(path='bin/h', content=HELPER, setting='apiKeyHelper')], **task))
    hpath = result['helpers'][0]['path']
    assert result['helpers'][0]['mode'] == mode
    assert attrs(hpath) == (0, 0, int(mode, 8))
    # The settings file's folder, and the helper's, carry the scope's folder mode.
    folder_mode = 0o700 if scope == 'user' else 0o755
    assert attrs(os.path.dirname(result['file']))[2] == folder_mode
    assert attrs(os.path.dirname(hpath))[2] == folder_mode


def test_managed_defaults(tmp_path):
    result = apply(params(scope='managed', managed_dir=str(tmp_path / 'etc' / 'claude-code'),
                          settings={'permissions': {'deny': ['Read(./.env)']}}))
    assert result['file'] == str(tmp_path / 'etc' / 'claude-code' / 'managed-settings.json')
    assert attrs(result['file']) == (0, 0, 0o644)
    assert attrs(tmp_path / 'etc') == (0, 0, 0o755)
    assert attrs(tmp_path / 'etc' / 'claude-code') == (0, 0, 0o755)


def test_helper_explicit_mode(user_cfg):
    _cfg, task = user_cfg
    result = apply(params(helpers=[dict(path='h', content=HELPER, mode='0750')], **task))
    assert attrs(result['helpers'][0]['path'])[2] == 0o750


def test_helper_change_is_detected_by_content(user_cfg):
    cfg, task = user_cfg
    apply(params(helpers=[dict(path='h', content=HELPER, setting='apiKeyHelper')], **task))
    same = plan(params(helpers=[dict(path='h', content=HELPER, setting='apiKeyHelper')], **task))
    assert same['changed'] is False and same['helpers'][0]['changed'] is False
    other = plan(params(helpers=[dict(path='h', content=HELPER + '# v2\n', setting='apiKeyHelper')], **task))
    assert other['changed'] is True
    assert other['helpers'][0]['content_changed'] is True
    with pytest.raises(SettingsError, match=r'helpers\[h\]: content is required'):
        plan(params(helpers=[dict(path='h')], **task))


def test_helper_new_content_is_written_atomically_in_place(user_cfg):
    cfg, task = user_cfg
    apply(params(helpers=[dict(path='h', content=HELPER)], **task))
    result = apply(params(helpers=[dict(path='h', content=HELPER + '# v2\n')], **task))
    assert result['helpers'][0]['content_changed'] is True
    assert read(cfg / 'h') == (HELPER + '# v2\n').encode('utf-8')
    assert attrs(cfg / 'h') == (NOBODY, NOBODY, 0o700)
    assert not [n for n in os.listdir(str(cfg)) if n.endswith('.tmp')]


def test_helper_mode_drift_is_fixed_without_rewriting(user_cfg):
    cfg, task = user_cfg
    p = params(helpers=[dict(path='h', content=HELPER)], **task)
    apply(p)
    os.chmod(str(cfg / 'h'), 0o777)
    ino = os.stat(str(cfg / 'h')).st_ino
    planned = plan(p)
    assert planned['helpers'][0]['attributes_changed'] == ['mode']
    assert planned['helpers'][0]['content_changed'] is False and planned['changed'] is True
    apply(p)
    assert attrs(cfg / 'h') == (NOBODY, NOBODY, 0o700) and os.stat(str(cfg / 'h')).st_ino == ino


def test_settings_owner_and_mode_drift_is_fixed_without_rewriting(user_cfg):
    cfg, task = user_cfg
    cfg.mkdir()
    path = write(cfg / 'settings.json', '{"model": "sonnet"}', 0o644, 0, 0)
    before = os.stat(path)
    p = params(settings={'model': 'sonnet'}, mode='0600', **task)
    planned = plan(p)
    assert planned['content_changed'] is False
    assert planned['attributes_changed'] == ['owner', 'group', 'mode']
    result = apply(p)
    assert result['changed'] is True
    assert attrs(path) == (NOBODY, NOBODY, 0o600)
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert read(path) == b'{"model": "sonnet"}'
    assert plan(p)['changed'] is False


def test_apply_keeps_mode_of_an_existing_file_when_no_mode_given(user_cfg):
    cfg, task = user_cfg
    cfg.mkdir()
    path = write(cfg / 'settings.json', '{}', 0o640, NOBODY)
    apply(params(settings={'model': 'x'}, **task))
    assert attrs(path) == (NOBODY, NOBODY, 0o640)


def test_private_helper_spec_never_reaches_the_public_result(user_cfg):
    _cfg, task = user_cfg
    result = plan(params(helpers=[dict(path='h', content=HELPER)], **task))
    assert set(public(result)['helpers'][0]) == {'path', 'state', 'changed', 'existed', 'content_changed', 'attributes_changed',
                                                 'mode'}


def test_user_scope_absolute_config_dir_needs_its_parent(tmp_path):
    config_dir = tmp_path / 'srv' / 'claude' / 'alice'
    with pytest.raises(SettingsError) as info:
        plan(params(scope='user', user='root', config_dir=str(config_dir), settings={'model': 'sonnet'}))
    assert 'config_dir' in str(info.value) and str(config_dir.parent) in str(info.value)
    assert not (tmp_path / 'srv').exists()


def test_file_params_one_per_account_with_its_own_settings_merged():
    task = params(users=['alice', 'bob'], settings={'env': {'ANTHROPIC_BASE_URL': 'http://gw'}, 'permissions': {'deny': ['A']}},
                  user_settings={'bob': {'env': {'ANTHROPIC_AUTH_TOKEN': 'b'}, 'permissions': {'deny': ['B']}}})
    alice, bob = file_params(task)
    assert (alice['user'], alice['users']) == ('alice', None)
    assert alice['settings'] == {'env': {'ANTHROPIC_BASE_URL': 'http://gw'}, 'permissions': {'deny': ['A']}}
    assert bob['settings'] == {'env': {'ANTHROPIC_BASE_URL': 'http://gw', 'ANTHROPIC_AUTH_TOKEN': 'b'}, 'permissions': {'deny': ['A', 'B']}}
    assert task['settings'] == {'env': {'ANTHROPIC_BASE_URL': 'http://gw'}, 'permissions': {'deny': ['A']}}  # not mutated
    assert file_params(params(user='carol')) == [params(user='carol')]


def test_helper_env_points_a_variable_at_the_file_and_absent_removes_both(user_cfg):
    cfg, task = user_cfg
    key = dict(path='gcp/key.json', content='{"private_key": "k"}', mode='0600', env='GOOGLE_APPLICATION_CREDENTIALS')
    result = apply(params(helpers=[key], **task))
    path = os.path.join(str(cfg), 'gcp', 'key.json')
    assert json.load(open(result['file']))['env'] == {'GOOGLE_APPLICATION_CREDENTIALS': path}  # a path, not shell-quoted
    assert attrs(path)[2] == 0o600
    result = apply(params(helpers=[dict(key, content=None, state='absent')], **task))
    assert 'GOOGLE_APPLICATION_CREDENTIALS' not in json.load(open(result['file'])).get('env', {})
    assert not os.path.exists(path)


# ---------------------------------------------------------------------------------------------------------------
# The managed folder: decided on the target

@pytest.mark.parametrize('platform, folder', [
    ('darwin', '/Library/Application Support/ClaudeCode'),
    ('linux', '/etc/claude-code'),
    ('freebsd14', '/etc/claude-code'),
])
def test_the_managed_folder_is_where_claude_code_reads_it_on_the_platform(platform, folder):
    assert default_managed_dir(platform) == folder


@pytest.mark.parametrize('platform, folder', [('darwin', '/Library/Application Support/ClaudeCode'), ('linux', '/etc/claude-code')])
def test_a_task_without_managed_dir_writes_where_the_targets_platform_reads(monkeypatch, platform, folder):
    monkeypatch.setattr(sys, 'platform', platform)
    target, _explicit = resolve_target(params(scope='managed_dropin', dropin='50-bedrock.json'))
    assert target.path == folder + '/managed-settings.d/50-bedrock.json'
    assert target.helper_base == folder
    target, _explicit = resolve_target(params(scope='managed'))
    assert target.path == folder + '/managed-settings.json'


def test_a_managed_dir_given_wins_over_the_platform(monkeypatch):
    monkeypatch.setattr(sys, 'platform', 'darwin')
    target, _explicit = resolve_target(params(scope='managed_dropin', dropin='a.json', managed_dir='/opt/cc'))
    assert target.path == '/opt/cc/managed-settings.d/a.json'


def test_a_drop_ins_relative_helper_goes_to_the_managed_folder_not_into_managed_settings_d(tmp_path):
    managed = tmp_path / 'etc' / 'claude-code'
    result = apply(params(scope='managed_dropin', managed_dir=str(managed), dropin='50-bedrock.json',
                          helpers=[dict(path='bin/x', content=HELPER, setting='awsAuthRefresh')]))
    assert result['helpers'][0]['path'] == str(managed / 'bin' / 'x')
    assert read(managed / 'bin' / 'x') == HELPER.encode('utf-8')
    assert not (managed / 'managed-settings.d' / 'bin').exists()
    assert json.load(open(result['file'])) == {'awsAuthRefresh': str(managed / 'bin' / 'x')}
    assert attrs(managed / 'bin' / 'x') == (0, 0, 0o755)


def test_a_drop_in_named_by_path_resolves_helpers_against_the_managed_folder_too(tmp_path):
    managed = tmp_path / 'cc'
    result = plan(params(path=str(managed / 'managed-settings.d' / '50-x.json'), helpers=[dict(path='bin/x', content=HELPER)]))
    assert result['helpers'][0]['path'] == str(managed / 'bin' / 'x')


def test_a_managed_files_relative_helper_goes_to_the_managed_folder(tmp_path):
    result = plan(params(scope='managed', managed_dir=str(tmp_path), helpers=[dict(path='bin/x', content=HELPER)]))
    assert result['helpers'][0]['path'] == str(tmp_path / 'bin' / 'x')


def test_a_user_files_relative_helper_stays_in_the_claude_folder(user_cfg):
    cfg, task = user_cfg
    assert plan(params(helpers=[dict(path='bin/x', content=HELPER)], **task))['helpers'][0]['path'] == str(cfg / 'bin' / 'x')


# ---------------------------------------------------------------------------------------------------------------
# _keep_models: the model keys of another provider go

VERTEX_KEEP = r'(?:default|opus|sonnet|haiku|opusplan)(?:\[1m\])?|(?!.*-[0-9]{8}\Z)claude-[a-z0-9]+(?:-[a-z0-9]+)*(?:@[0-9]{8})?'
BEDROCK_ID = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'


def test_foreign_models_names_the_model_keys_the_pattern_does_not_keep():
    doc = {'model': BEDROCK_ID, 'env': {'ANTHROPIC_MODEL': 'opus', 'ANTHROPIC_SMALL_FAST_MODEL': BEDROCK_ID},
           'modelOverrides': {'claude-opus-4-1': 'claude-opus-4-1@20250805'}}
    assert foreign_models(doc, VERTEX_KEEP) == [('model',), ('env', 'ANTHROPIC_SMALL_FAST_MODEL')]
    assert foreign_models(dict(doc, modelOverrides={'a': BEDROCK_ID}), VERTEX_KEEP)[-1] == ('modelOverrides',)
    assert foreign_models(doc, None) == []
    assert foreign_models({'model': 3, 'env': 'x'}, VERTEX_KEEP) == []  # not a model name: not ours to judge


def test_a_switch_drops_another_providers_model_keys_and_keeps_the_users_other_keys(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({
        'model': BEDROCK_ID, 'theme': 'dark', 'modelOverrides': {'claude-opus-4-1-20250805': BEDROCK_ID},
        'env': {'ANTHROPIC_MODEL': 'sonnet', 'ANTHROPIC_SMALL_FAST_MODEL': BEDROCK_ID, 'HTTPS_PROXY': 'http://p'}}))
    apply(params(path=path, settings={'env': {'CLAUDE_CODE_USE_VERTEX': '1'}}, _keep_models=VERTEX_KEEP))
    assert json.load(open(path)) == {'theme': 'dark', 'env': {'ANTHROPIC_MODEL': 'sonnet', 'HTTPS_PROXY': 'http://p',
                                                              'CLAUDE_CODE_USE_VERTEX': '1'}}


def test_a_model_key_the_task_sets_is_kept_even_if_the_pattern_does_not_match(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({'model': BEDROCK_ID}))
    apply(params(path=path, settings={'model': 'gw-sonnet'}, _keep_models=VERTEX_KEEP))
    assert json.load(open(path)) == {'model': 'gw-sonnet'}


def test_without_keep_models_every_model_key_stays(tmp_path):
    path = write(tmp_path / 'settings.json', json.dumps({'model': BEDROCK_ID}))
    assert plan(params(path=path, settings={'theme': 'dark'}))['after'] == {'model': BEDROCK_ID, 'theme': 'dark'}


# ---------------------------------------------------------------------------------------------------------------
# state: absent deletes a drop-in

def dropin_task(managed, **kw):
    return params(scope='managed_dropin', managed_dir=str(managed), dropin='50-bedrock.json', **kw)


def test_state_absent_plans_the_deletion_of_the_drop_in_and_its_helpers_and_deletes_them(tmp_path):
    managed = tmp_path / 'cc'
    apply(dropin_task(managed, settings={'env': {'CLAUDE_CODE_USE_BEDROCK': '1'}},
                      helpers=[dict(path='bin/refresh', content=HELPER, setting='awsAuthRefresh')]))
    other = write(managed / 'managed-settings.d' / '10-permissions.json', '{"permissions": {"deny": ["Read(./.env)"]}}', 0o644)
    leave = dropin_task(managed, state='absent', helpers=[dict(path='bin/refresh', setting='awsAuthRefresh', state='absent')])
    planned = plan(leave)
    assert (planned['delete'], planned['changed'], planned['content_changed']) == (True, True, True)
    assert planned['after'] == {}
    assert planned['helpers'][0]['state'] == 'absent' and planned['helpers'][0]['changed'] is True
    assert (managed / 'managed-settings.d' / '50-bedrock.json').exists()  # a plan writes nothing
    apply(dict(leave, expect_checksum=planned['checksum']))
    assert not (managed / 'managed-settings.d' / '50-bedrock.json').exists()
    assert not (managed / 'bin' / 'refresh').exists()
    assert read(other) == b'{"permissions": {"deny": ["Read(./.env)"]}}'
    again = plan(leave)
    assert (again['changed'], again['found']) == (False, 'absent')


def test_state_absent_on_a_missing_drop_in_changes_nothing(tmp_path):
    result = apply(dropin_task(tmp_path / 'cc', state='absent'))
    assert result['changed'] is False
    assert not (tmp_path / 'cc').exists()


def test_state_absent_does_not_delete_a_drop_in_changed_after_the_plan(tmp_path):
    managed = tmp_path / 'cc'
    apply(dropin_task(managed, settings={'model': 'opus'}))
    planned = plan(dropin_task(managed, state='absent'))
    write(managed / 'managed-settings.d' / '50-bedrock.json', '{"model": "sonnet"}', 0o644)
    with pytest.raises(safe_fs.ConcurrentChangeError):
        apply(dropin_task(managed, state='absent', expect_checksum=planned['checksum']))
    assert (managed / 'managed-settings.d' / '50-bedrock.json').exists()


# ---------------------------------------------------------------------------------------------------------------
# remove_users and missing accounts

def test_file_params_builds_one_removal_per_leaving_account_that_takes_every_accounts_own_keys_too():
    task = params(users=['alice'], remove_users=['bob'], remove=['env.ANTHROPIC_API_KEY'],
                  settings={'env': {'ANTHROPIC_BASE_URL': 'http://gw'}, 'model': 'opus'},
                  user_settings={'alice': {'env': {'ANTHROPIC_AUTH_TOKEN': 'a'}}},
                  helpers=[dict(path='bin/h', content=HELPER, setting='apiKeyHelper')])
    alice, bob = file_params(task)
    assert alice['user'] == 'alice' and not alice.get('_leaving')
    assert alice['settings'] == {'env': {'ANTHROPIC_BASE_URL': 'http://gw', 'ANTHROPIC_AUTH_TOKEN': 'a'}, 'model': 'opus'}
    assert (bob['user'], bob['users'], bob['remove_users'], bob['_leaving']) == ('bob', None, None, True)
    assert bob['settings'] == {} and bob['user_settings'] == {}
    # alice's personal key has the name bob's had: a leaving account loses every account's own keys
    assert bob['remove'] == ['env.ANTHROPIC_API_KEY', ['env', 'ANTHROPIC_AUTH_TOKEN'], ['env', 'ANTHROPIC_BASE_URL'], ['model']]
    assert [(h['path'], h['setting'], h['state']) for h in bob['helpers']] == [('bin/h', 'apiKeyHelper', 'absent')]
    assert task['helpers'][0]['state'] == 'present'  # the task's own helpers are not changed


def test_a_leaving_account_loses_the_tasks_keys_and_helpers_and_keeps_its_own(user_cfg):
    cfg, task = user_cfg
    shared = dict(settings={'env': {'ANTHROPIC_BASE_URL': 'http://gw'}},
                  helpers=[dict(path='bin/h', content=HELPER, setting='apiKeyHelper')])
    apply(params(**dict(task, **shared)))
    data = json.load(open(str(cfg / 'settings.json')))
    data['theme'] = 'dark'
    write(cfg / 'settings.json', json.dumps(data), 0o600, NOBODY)
    leaving = list(file_params(params(users=[], remove_users=[NOBODY_NAME], config_dir=str(cfg), **shared)))
    assert len(leaving) == 1
    apply(leaving[0])
    after = json.load(open(str(cfg / 'settings.json')))
    assert after.pop('env', {}) == {}
    assert after == {'theme': 'dark'}
    assert not (cfg / 'bin' / 'h').exists()


def test_an_account_that_does_not_exist_is_account_missing():
    with pytest.raises(AccountMissing, match="user: account 'no-such-user-4242' does not exist on this host"):
        plan(params(scope='user', user='no-such-user-4242', settings={'model': 'opus'}))


@pytest.mark.skipif(NOBODY_HOME is None or os.path.isdir(NOBODY_HOME or '/'), reason="needs an account whose home is missing")
def test_an_account_without_its_home_folder_is_account_missing_and_nothing_is_created():
    with pytest.raises(AccountMissing, match='home folder %s' % NOBODY_HOME):
        plan(params(scope='user', user=NOBODY_NAME, settings={'model': 'opus'}))
    assert not os.path.exists(NOBODY_HOME)


def test_account_missing_is_a_settings_error():
    assert issubclass(AccountMissing, SettingsError)
