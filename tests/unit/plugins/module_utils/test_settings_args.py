# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec: the module's internal options, and agreement with the module's DOCUMENTATION."""

import copy
import os

import pytest
import yaml

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import settings_args as sa

MODULE_FILE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'modules', 'settings.py')


def documented_options():
    with open(MODULE_FILE) as f:
        src = f.read()
    start = src.index("DOCUMENTATION = r'''") + len("DOCUMENTATION = r'''")
    return yaml.safe_load(src[start:src.index("'''", start)])['options']


def test_module_spec_adds_internal_options_without_touching_the_user_spec():
    user_spec = copy.deepcopy(sa.USER_SPEC)
    spec = sa.module_spec()
    assert sa.USER_SPEC == user_spec
    assert set(spec) - set(sa.USER_SPEC) == {'_phase', '_apply_new', '_expect_checksums', '_keep_models', '_login_profile'}
    assert (spec['_phase']['type'], spec['_apply_new']['type'], spec['_keep_models']['type']) == ('str', 'bool', 'str')


def test_internal_options_have_no_default_choices_or_required_so_they_stay_hidden():
    # As ansible-core's own hidden options (_original_basename): a task that does not set them sees nothing of them.
    for name, option in sa.INTERNAL_SPEC.items():
        assert not set(option) & {'default', 'choices', 'required'}, name


def test_internal_options_are_prefixed_with_an_underscore_so_no_task_option_can_collide():
    assert set(sa.INTERNAL_SPEC) == {'_phase', '_apply_new', '_expect_checksums', '_keep_models', '_login_profile'}
    assert not [name for name in sa.USER_SPEC if name.startswith('_')]


def test_new_user_options_have_their_documented_defaults():
    remove_users = sa.USER_SPEC['remove_users']
    assert (remove_users['type'], remove_users['elements'], remove_users.get('default') or None) == ('list', 'str', None)
    assert sa.USER_SPEC['account_errors'] == dict(type='str', choices=['fail', 'skip'], default='fail')
    assert sa.USER_SPEC['state'] == dict(type='str', choices=['present', 'absent'], default='present')
    # Unset, the target decides (settings_target.default_managed_dir): no default on the controller.
    assert sa.USER_SPEC['managed_dir'] == dict(type='path')
    assert ('user', 'remove_users') in sa.USER_SPEC_RULES['mutually_exclusive']


def test_secrets_in_the_arguments_are_no_log():
    assert sa.HELPER_SPEC['content'].get('no_log') is True


def test_required_if_rules_name_existing_options():
    for _key, _value, required in sa.USER_SPEC_RULES['required_if']:
        assert set(required) <= set(sa.USER_SPEC)
    for group in sa.USER_SPEC_RULES['mutually_exclusive']:
        assert set(group) <= set(sa.USER_SPEC)


def _compare(spec, docs, where):
    assert set(spec) == set(docs), where
    for name, option in spec.items():
        doc = docs[name]
        assert doc.get('type', 'str') == option.get('type', 'str'), '%s%s: type' % (where, name)
        assert doc.get('default') == option.get('default'), '%s%s: default' % (where, name)
        assert doc.get('choices') == option.get('choices'), '%s%s: choices' % (where, name)
        assert bool(doc.get('required')) == bool(option.get('required')), '%s%s: required' % (where, name)
        if option.get('type') == 'list':
            assert doc.get('elements') == option.get('elements'), '%s%s: elements' % (where, name)
        if 'options' in option:
            _compare(option['options'], doc['suboptions'], '%s%s.' % (where, name))


@pytest.mark.skipif(not os.path.exists(MODULE_FILE), reason='module file not found')
def test_documentation_matches_the_module_spec():
    # Internal options (prefixed with _) are hidden parameters: ansible-test's validate-modules does not ask for
    # their documentation. Every task option is documented as the spec declares it.
    docs = documented_options()
    spec = sa.module_spec()
    internal = set(name for name in spec if name.startswith('_'))
    _compare(dict((k, o) for k, o in spec.items() if k not in internal),
             dict((k, o) for k, o in docs.items() if k not in internal), '')
    for name in internal & set(docs):
        _compare({name: spec[name]}, {name: docs[name]}, '')


@pytest.mark.skipif(not os.path.exists(MODULE_FILE), reason='module file not found')
def test_module_documentation_is_valid_yaml():
    with open(MODULE_FILE) as f:
        src = f.read()
    for block in ('DOCUMENTATION', 'EXAMPLES', 'RETURN'):
        start = src.index("%s = r'''" % block) + len("%s = r'''" % block)
        yaml.safe_load(src[start:src.index("'''", start)])
