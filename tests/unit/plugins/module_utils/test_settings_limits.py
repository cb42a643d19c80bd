# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Claude Code cannot load whatever the keys (settings_limits), and how the target side refuses it: a file
over 2 MiB, before or after the merge, and a value nested more than 64 levels deep, also one too deep for Python.

Files are written under tmp_path, as root.
"""

import copy
import json
import os

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import HELPER_SPEC, module_spec
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_limits import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    show_deep_path,
    size_problem,
    too_deep,
)
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    SettingsError,
    apply,
    parse_document,
    plan,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='writes files as root for root-owned targets')


def params(**kw):
    """Module parameters as AnsibleModule hands them over (every option present, defaults filled in)."""
    p = dict((name, copy.deepcopy(option.get('default'))) for name, option in module_spec().items())
    p['expect_checksum'] = None
    p.update(kw)
    p['helpers'] = [dict(dict((n, o.get('default')) for n, o in HELPER_SPEC.items()), **h) for h in p['helpers']]
    return p


def nested(levels, leaf='x'):
    """``levels`` objects, one inside the other, the innermost holding ``leaf``: {'k': {'k': ... 'x'}}."""
    value = leaf
    for dummy in range(levels):
        value = {'k': value}
    return value


def deep_text(levels):
    """A settings file whose 'deep' key holds arrays nested so that the file has ``levels`` levels in all."""
    return ('{"model": "opus", "deep": ' + '[' * (levels - 1) + ']' * (levels - 1) + '}\n').encode('utf-8')


def padded(size):
    """A settings file of exactly ``size`` bytes."""
    head = b'{"model": "opus", "pad": "'
    tail = b'"}\n'
    return head + b'a' * (size - len(head) - len(tail)) + tail


def snapshot(path):
    with open(str(path), 'rb') as handle:
        data = handle.read()
    st = os.stat(str(path))
    return data, st.st_ino, st.st_mtime_ns


# ---------------------------------------------------------------------------------------------------------------
# the limits themselves

def test_the_limits_are_the_ones_measured_with_the_client():
    assert (MAX_FILE_BYTES, MAX_DEPTH) == (2097152, 64)


def test_a_document_of_64_levels_is_within_the_limit():
    assert too_deep(nested(63)) is None  # the top level and 63 objects inside it
    assert too_deep(nested(62, leaf={})) is None  # an empty object counts as a level too


def test_a_document_of_65_levels_is_too_deep_and_the_path_names_the_first_key():
    path = too_deep({'model': 'opus', 'permissions': {'allowX': nested(63)}})
    assert path is not None and path[:2] == ('permissions', 'allowX') and len(path) == 64


def test_arrays_count_as_levels_and_their_indexes_are_in_the_path():
    assert too_deep({'a': [[[]]]}, limit=4) is None
    assert too_deep({'a': [[[[]]]]}, limit=4) == ('a', 0, 0, 0)


def test_the_first_too_deep_value_in_document_order_is_named():
    assert too_deep({'first': nested(3), 'second': nested(3)}, limit=3)[0] == 'first'


def test_depth_is_judged_without_recursion_at_any_depth_python_can_build():
    doc = value = {}
    for dummy in range(50000):
        value['k'] = {}
        value = value['k']
    assert len(too_deep(doc)) == MAX_DEPTH


def test_a_deep_path_is_shown_cut_short():
    assert show_deep_path(('permissions', 'allowX', 0, 0, 0, 0, 0, 0), 'settings') == 'settings.permissions.allowX[0][0][0][0]...'
    assert show_deep_path(('a.b', 'c')) == 'a\\.b.c'


def test_a_file_of_exactly_2_mib_loads_and_one_byte_more_does_not():
    assert size_problem(MAX_FILE_BYTES) is None
    assert size_problem(MAX_FILE_BYTES + 1) == ('2097153 bytes, more than the 2097152 bytes (2 MiB) Claude Code reads; it drops a '
                                                'larger settings file whole')


# ---------------------------------------------------------------------------------------------------------------
# reading an existing file

def test_an_existing_file_of_exactly_2_mib_is_read():
    doc, state = parse_document(padded(MAX_FILE_BYTES), '/x/settings.json')
    assert state == 'present' and doc['model'] == 'opus'


def test_an_existing_file_over_2_mib_is_invalid_naming_its_size_and_the_limit():
    doc, state = parse_document(padded(MAX_FILE_BYTES + 1), '/x/settings.json')
    assert doc is None
    assert state == 'invalid: it is 2097153 bytes, more than the 2097152 bytes (2 MiB) Claude Code reads; it drops a larger settings file whole'


def test_an_existing_file_nested_65_levels_deep_is_invalid_naming_the_key_and_the_limit():
    assert parse_document(deep_text(64), '/x/settings.json')[1] == 'present'
    doc, state = parse_document(deep_text(65), '/x/settings.json')
    assert doc is None
    assert state.startswith("invalid: the value at 'deep[0][0][0][0][0]...' is nested more than 64 levels deep")
    assert 'Claude Code skips the value under "deep"' in state


@pytest.mark.parametrize('levels', [995, 100000])
def test_an_existing_file_too_deep_for_pythons_parser_is_invalid_not_a_crash(levels):
    doc, state = parse_document(deep_text(levels), '/x/settings.json')
    assert doc is None
    assert state.startswith('invalid: ') and 'more than 64 levels' in state


# ---------------------------------------------------------------------------------------------------------------
# the plan refuses, and nothing is written

@needs_root
def test_merging_into_a_file_over_2_mib_is_refused_naming_the_file_its_size_and_the_limit_and_the_file_is_left(tmp_path):
    path = tmp_path / 'settings.json'
    path.write_bytes(padded(MAX_FILE_BYTES + 10))
    before = snapshot(path)
    with pytest.raises(SettingsError) as info:
        apply(params(path=str(path), settings={'model': 'sonnet'}))
    message = str(info.value)
    assert message.startswith(str(path) + ': it is 2097162 bytes, more than the 2097152 bytes (2 MiB) Claude Code reads')
    assert 'It was left as it was' in message and 'replace_invalid' in message
    assert snapshot(path) == before
    assert os.listdir(str(tmp_path)) == ['settings.json']


@needs_root
def test_a_file_over_2_mib_is_replaced_with_replace_invalid_and_kept_as_a_backup(tmp_path):
    path = tmp_path / 'settings.json'
    big = padded(MAX_FILE_BYTES + 10)
    path.write_bytes(big)
    result = apply(params(path=str(path), settings={'model': 'sonnet'}, replace_invalid=True))
    assert result['found'] == 'invalid' and result['changed'] is True
    assert json.loads(path.read_bytes().decode('utf-8')) == {'model': 'sonnet'}
    with open(result['backup_file'], 'rb') as handle:
        assert handle.read() == big


@needs_root
def test_a_merge_that_would_push_the_file_past_2_mib_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / 'settings.json'
    path.write_bytes(padded(MAX_FILE_BYTES - 50))
    before = snapshot(path)
    with pytest.raises(SettingsError) as info:
        apply(params(path=str(path), settings={'env': {'ANTHROPIC_BASE_URL': 'https://gateway.example.com/with/a/long/path'}}))
    message = str(info.value)
    assert message.startswith(str(path) + ': the merged file would be ')
    assert 'more than the 2097152 bytes (2 MiB) Claude Code reads' in message and message.endswith('Nothing was written.')
    assert snapshot(path) == before


@needs_root
def test_a_new_file_that_would_be_over_2_mib_is_not_created(tmp_path):
    path = tmp_path / 'settings.json'
    with pytest.raises(SettingsError, match='the merged file would be 2097[0-9]{3} bytes'):
        apply(params(path=str(path), settings={'pad': 'a' * MAX_FILE_BYTES}))
    assert not path.exists()


@needs_root
def test_merging_into_a_file_nested_too_deeply_is_refused_naming_the_key_and_the_file_is_left(tmp_path):
    path = tmp_path / 'settings.json'
    path.write_bytes(deep_text(100000))
    before = snapshot(path)
    with pytest.raises(SettingsError) as info:
        apply(params(path=str(path), settings={'model': 'sonnet'}))
    assert str(info.value).startswith(str(path) + ': it is nested too deeply for Python to read')
    assert snapshot(path) == before
    path.write_bytes(deep_text(65))
    with pytest.raises(SettingsError, match=r"value at 'deep\[0\]\[0\]\[0\]\[0\]\[0\]\.\.\.' is nested more than 64 levels deep"):
        apply(params(path=str(path), settings={'model': 'sonnet'}))


@needs_root
def test_a_too_deep_drop_in_can_still_be_deleted(tmp_path):
    dropin = tmp_path / 'managed-settings.d' / '50-x.json'
    dropin.parent.mkdir()
    dropin.write_bytes(deep_text(100000))
    result = apply(params(scope='managed_dropin', managed_dir=str(tmp_path), dropin='50-x.json', state='absent'))
    assert result['changed'] is True and result['before'] is None and not dropin.exists()


@needs_root
def test_module_input_nested_too_deeply_is_refused_on_the_target_too(tmp_path):
    path = tmp_path / 'settings.json'
    with pytest.raises(SettingsError, match=r"merged document's value at 'permissions\.allowX\.k\.k\.k\.k\.\.\.' is nested more than 64"):
        plan(params(path=str(path), settings={'permissions': {'allowX': nested(70)}}, validate='none'))
    assert not path.exists()


@needs_root
def test_the_module_reports_a_file_too_deep_for_python_in_its_message_not_as_a_module_failure(tmp_path, capsys):
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.fleetcfg.claude_code.plugins.modules import settings as settings_module

    path = tmp_path / 'settings.json'
    path.write_bytes(deep_text(100000))
    with patch_module_args(dict(path=str(path), settings={'model': 'sonnet'}, _phase='plan', _apply_new=True)):
        with pytest.raises(SystemExit) as info:
            settings_module.main()
    result = json.loads(capsys.readouterr().out)
    assert info.value.code == 1
    assert result['msg'].startswith(str(path) + ': it is nested too deeply for Python to read (far more than 64 levels')
