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
    assert set(spec) - set(sa.USER_SPEC) == {'phase', 'apply_new', 'expect_checksums'}
    assert spec['phase'] == dict(type='str', choices=['plan', 'apply'], default='plan')
    assert spec['apply_new'] == dict(type='bool', default=False)


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
    _compare(sa.module_spec(), documented_options(), '')
