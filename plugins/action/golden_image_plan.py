# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.golden_image_plan: the first step of playbooks/golden_image.yml.

Runs on the controller only and never contacts the image: it templates the ``golden_image_*`` variables and the chosen
provider role's scope variable, and plugins/plugin_utils/golden_image.py checks them and says what the playbook does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import golden_image, validation
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        self.validate_argument_spec(argument_spec={})
        names = [name for name in task_vars if name.startswith(golden_image.PREFIX)]
        provider = task_vars.get('golden_image_provider')
        if isinstance(provider, str):
            provider = self._templar.template(provider)
            if provider in PROVIDERS:
                names.append(PROVIDERS[provider].PREFIX + 'scope')
        variables = dict((name, self._templar.template(task_vars[name])) for name in names if name in task_vars)
        try:
            result.update(golden_image.plan(variables))
        except (golden_image.GoldenImageError, validation.ValidationUnavailable) as e:
            raise AnsibleActionFail(str(e))
        result['changed'] = False
        return result
