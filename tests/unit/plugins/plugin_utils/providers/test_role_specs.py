# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each provider role agrees with its provider file: the documented options are the provider's variables, the
defaults are the documented ones, the spec cannot fail before the collection's own checks, and the role is the one
task of the provider action."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import COLLECTION_ROOT, PROVIDERS, role_defaults

ROLES = sorted(PROVIDERS)


def role_file(role, *parts):
    return os.path.join(COLLECTION_ROOT, 'roles', role, *parts)


def spec_options(role):
    with open(role_file(role, 'meta', 'argument_specs.yml')) as f:
        spec = yaml.safe_load(f)
    assert list(spec['argument_specs']) == ['main']
    return spec['argument_specs']['main'].get('options') or {}


@pytest.mark.parametrize('role', ROLES)
def test_the_documented_options_are_exactly_the_variables_of_the_provider(role):
    provider = PROVIDERS[role]
    variables = set(provider.VARIABLES) | set(getattr(provider, 'RENAMED', {}))
    options = set(spec_options(role))
    assert sorted(options - variables) == [], 'documented but not read by plugins/plugin_utils/providers/%s.py' % role
    assert sorted(variables - options) == [], 'read by the provider but not documented in meta/argument_specs.yml'


@pytest.mark.parametrize('role', ROLES)
def test_every_default_is_the_documented_default(role):
    options = spec_options(role)
    for name, value in sorted(role_defaults(role).items()):
        if 'default' in options.get(name, {}):
            assert options[name]['default'] == value, '%s: defaults/main.yml has %r, the spec documents %r' % (
                name, value, options[name]['default'])


@pytest.mark.parametrize('role', ROLES)
def test_every_documented_default_is_in_the_roles_defaults(role):
    defaults = role_defaults(role)
    missing = [name for name, option in sorted(spec_options(role).items()) if 'default' in option and name not in defaults]
    assert missing == []


@pytest.mark.parametrize('role', ROLES)
def test_the_spec_cannot_fail_before_the_collections_own_checks(role):
    # Ansible validates a role's argument spec in an implicit task before the role's first task; a type, a choice or a
    # required option there would fail with ansible's message style instead of the collection's one error of every
    # problem. Only types that accept any value of their kind, and no required, choices or suboptions.
    for name, option in sorted(spec_options(role).items()):
        assert option.get('type', 'str') in ('str', 'path', 'raw'), '%s: type %s' % (name, option.get('type'))
        assert not set(option) & {'required', 'choices', 'options', 'elements', 'required_if', 'mutually_exclusive'}, name


@pytest.mark.parametrize('role', ROLES)
def test_a_str_option_has_no_default_that_is_not_a_string(role):
    for name, option in sorted(spec_options(role).items()):
        if option.get('type', 'str') in ('str', 'path') and option.get('default') is not None:
            assert isinstance(option['default'], str), '%s: a %s default for a str option' % (name, type(option['default']))


@pytest.mark.parametrize('role', ROLES)
def test_every_variable_in_the_defaults_is_a_variable_of_the_role(role):
    assert sorted(set(role_defaults(role)) - set(PROVIDERS[role].VARIABLES)) == []


@pytest.mark.parametrize('role', ROLES)
def test_the_secrets_of_the_provider_are_no_log_in_the_spec(role):
    options = spec_options(role)
    secret = sorted(name for name, var in PROVIDERS[role].VARIABLES.items() if var.secret)
    assert sorted(name for name, option in options.items() if option.get('no_log')) == secret


@pytest.mark.parametrize('role', ROLES)
def test_the_defaults_alone_name_every_required_variable_as_missing(role):
    # The defaults leave the required variables unset (a play must set them), and nothing else is wrong with them.
    from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import InputError, module_args
    provider = PROVIDERS[role]
    required = sorted(name for name, var in provider.VARIABLES.items() if var.required)
    raw = dict(role_defaults(role), **{provider.PREFIX + 'users': ['alice']})
    with pytest.raises(InputError) as info:
        module_args(role, raw)
    named = [problem.split(':')[0] for problem in info.value.problems]
    assert set(required) <= set(named)
    # Besides the required variables, only a choice between two (foundry: a resource or a base URL) may be missing.
    assert all(': required' in problem for problem in info.value.problems)
    assert all(name not in role_defaults(role) for name in required)


@pytest.mark.parametrize('role', ROLES)
def test_the_role_is_one_task_of_the_provider_action(role):
    with open(role_file(role, 'tasks', 'main.yml')) as f:
        tasks = yaml.safe_load(f)
    assert len(tasks) == 1
    task = dict(tasks[0])
    task.pop('name', None)
    assert task == {'fleetcfg.claude_code.provider': {'name': role}}


@pytest.mark.parametrize('role', ROLES)
def test_every_template_a_provider_names_is_in_the_role(role):
    for helper in PROVIDERS[role].HELPERS.values():
        if helper.template:
            assert os.path.isfile(role_file(role, 'templates', helper.template)), helper.template


@pytest.mark.parametrize('role', ROLES)
def test_every_helper_path_variable_has_a_default(role):
    for helper in PROVIDERS[role].HELPERS.values():
        assert helper.path or role_defaults(role).get(helper.path_var)
