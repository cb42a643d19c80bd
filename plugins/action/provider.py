# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.provider: a provider role's variables -> one settings module run.

Reads the role's variables (every variable with its prefix, role defaults included) from the task's variables,
has the provider's Python file check them and say what to write (plugin_utils/providers), renders the helper
scripts from the role's templates, and hands the result to the settings action (plan, validate, apply): one module
call per host when nothing drifted. Nothing is templated per host but the role's own variables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.template import trust_as_template
from ansible.utils.display import Display

from ansible_collections.fleetcfg.claude_code.plugins.action.settings import ActionModule as SettingsAction
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import INTERNAL_SPEC, USER_SPEC, USER_SPEC_RULES
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import (
    COLLECTION_ROOT,
    PROVIDERS,
    InputError,
    module_args,
    role_defaults,
    role_variables,
)

display = Display()
ARGS_SPEC = dict(name=dict(type='str', required=True, choices=sorted(PROVIDERS)))


def _load_templates():
    """Every provider role's helper templates, by (role, file name)."""
    templates = {}
    for name, provider in PROVIDERS.items():
        for helper in provider.HELPERS.values():
            if helper.template:
                with open(os.path.join(COLLECTION_ROOT, 'roles', name, 'templates', helper.template)) as f:
                    templates[(name, helper.template)] = f.read()
    return templates


# The strategy imports this file in the main process before it forks a worker per host: read the templates and the
# roles' defaults (for the helper paths of the other providers) here, once, not once per host.
TEMPLATES = _load_templates()
for _name in PROVIDERS:
    role_defaults(_name)


class ActionModule(SettingsAction):

    def _run(self, result, task_vars):
        _validation, own = self.validate_argument_spec(argument_spec=ARGS_SPEC)
        name = own['name']
        prefix = PROVIDERS[name].PREFIX
        raw = role_variables(name, prefix, task_vars, self._templar.template)

        def lookup(var):
            return self._templar.template(task_vars[var]) if var in task_vars else None

        try:
            args, warnings = module_args(name, raw, lookup)
        except InputError as e:
            raise AnsibleActionFail(str(e))
        for warning in warnings:
            display.deprecated(warning, version='2.0.0', collection_name='fleetcfg.claude_code')

        if any('template' in entry for entry in args['helpers']):
            templar = self._templar.copy_with_new_env(available_variables=raw)
            for entry in args['helpers']:
                if 'template' in entry:
                    entry['content'] = templar.template(trust_as_template(TEMPLATES[(name, entry.pop('template'))]),
                                                        escape_backslashes=False)
        internal = dict((key, args.pop(key)) for key in list(args) if key in INTERNAL_SPEC)
        checked = ArgumentSpecValidator(USER_SPEC, **USER_SPEC_RULES).validate(args)
        if checked.error_messages:  # a defect of the provider file, not of the user's input
            raise AnsibleActionFail('fleetcfg.claude_code.%s: internal error: %s' % (name, '; '.join(checked.error_messages)))
        result['provider'] = name
        try:
            result = self._settings(checked.validated_parameters, result, task_vars, internal)
        except AnsibleActionFail as e:
            raise AnsibleActionFail(role_words(prefix, str(e)))
        if result.get('warnings'):
            result['warnings'] = [role_words(prefix, w) for w in result['warnings']]
        return result


def role_words(prefix, message):
    """A settings module message in the role's words: its options are the role's variables here."""
    return re.sub(r'(?<![\w.])(replace_invalid|account_errors|login_profile)\b', prefix + r'\1', message)
