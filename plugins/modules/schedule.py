#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: schedule
short_description: Install the timer that runs the team's Claude Code playbook on each machine by itself
version_added: 0.6.0
description:
  - The target side of the role M(fleetcfg.claude_code.schedule) (see its documentation and the collection's
    docs/self-healing.md). Used through the role, whose action reads the C(schedule_*) variables, checks them before any
    host is touched and renders every file. A task of this name takes no options of its own; the options below are what
    the action sends to the target.
  - On Linux writes the runner C(/usr/local/libexec/<name>.py), the service C(/etc/systemd/system/<name>.service) and
    the timer C(/etc/systemd/system/<name>.timer), root-owned, each atomically and only when it differs. With systemd
    running it then runs C(systemctl daemon-reload) and C(systemctl enable --now <name>.timer); without (an image build,
    a chroot, a container) it makes the link C(systemctl enable) makes, C(timers.target.wants/<name>.timer), and the timer
    starts at the next boot.
  - On macOS writes the runner and the launchd job C(/Library/LaunchDaemons/<name>.plist) and loads it with
    C(launchctl bootstrap system).
  - With O(state=absent) stops and removes the timer, the service (or the job) and the runner, and the status file.
  - Check mode reports what would change; diff mode shows the files' differences.
author:
  - fleetcfg maintainers (@fleetcfg)
options:
  state:
    description:
      - Whether the schedule is installed.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The schedule's name, the unit name C(<name>.timer) or the launchd label.
    type: str
    required: true
  runner:
    description:
      - The runner's text (the collection's C(plugins/module_utils/schedule_runner.py)); its first line is set to the
        Python the module runs with.
    type: str
  ansible:
    description:
      - The program the runner starts (C(ansible-pull) or C(ansible-playbook), a name or a path); a warning says when the
        host does not have it.
    type: str
  systemd:
    description:
      - The Linux files, rendered by the action, C(service) and C(timer), the C(status_file) path and the runner's
        C(command) line (returned).
    type: dict
    default: {}
  launchd:
    description:
      - The macOS files, rendered by the action, C(plist), the C(status_file) path and the runner's C(command) line.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Reports what would be written and which systemctl or launchctl commands would run; changes nothing.
  diff_mode:
    support: full
    description: Shows the differences of the runner, the unit files or the plist.
notes:
  - Runs as root (become). The files are root's, mode C(0644), the runner C(0755).
'''

EXAMPLES = r'''
- name: Correct the Bedrock configuration every hour, by itself (through the role)
  ansible.builtin.include_role:
    name: fleetcfg.claude_code.schedule
  vars:
    schedule_playbook: fleetcfg.claude_code.bedrock
    schedule_interval: 1h
'''

RETURN = r'''
unit:
  description: The timer's unit name (Linux) or the launchd label (macOS).
  returned: always
  type: str
  sample: fleetcfg-claude-code.timer
platform:
  description: V(systemd) or V(launchd).
  returned: always
  type: str
  sample: systemd
files:
  description: Every file (and folder) the schedule owns on the host, with C(path), C(state) (V(created), V(updated),
    V(unchanged), V(removed) or V(absent)) and C(changed).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/systemd/system/fleetcfg-claude-code.timer, state: created, changed: true}]
enabled:
  description: Whether the timer is enabled (or the job loaded) after the task.
  returned: always
  type: bool
  sample: true
started:
  description: Whether the timer runs now (false when systemd is not running on the host; it starts at the next boot).
  returned: always
  type: bool
  sample: true
systemd:
  description: On Linux, V(running) or V(offline) (no running systemd, such as an image build or a container).
  returned: on Linux
  type: str
  sample: running
status_file:
  description: Where each run writes its status (read it with M(fleetcfg.claude_code.settings_info)).
  returned: always
  type: str
  sample: /var/lib/fleetcfg-claude-code/status.json
command:
  description: The runner's command line, shell-quoted, to run the schedule once by hand (as root).
  returned: when state is present
  type: str
  sample: /usr/local/libexec/fleetcfg-claude-code.py --name fleetcfg-claude-code ... -- ansible-playbook -c local ...
commands:
  description: The systemctl or launchctl commands run (in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: [systemctl daemon-reload, systemctl enable --now fleetcfg-claude-code.timer]
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs, schedule_target

ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    name=dict(type='str', required=True),
    runner=dict(type='str'),
    ansible=dict(type='str'),
    systemd=dict(type='dict', default={}),
    launchd=dict(type='dict', default={}),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[('state', 'present', ('runner',))])
    if os.geteuid() != 0:
        module.fail_json(msg='fleetcfg.claude_code.schedule installs root\'s files (a system timer): run it with become: true')

    def run(argv):
        return module.run_command(argv, expand_user_and_vars=False, errors='replace')

    try:
        result = schedule_target.converge(module.params, run, check_mode=module.check_mode)
    except (schedule_target.ScheduleError, safe_fs.UnsafePathError, safe_fs.ConcurrentChangeError) as e:
        module.fail_json(msg=str(e))
    except (OSError, IOError) as e:
        module.fail_json(msg='%s: %s' % (getattr(e, 'filename', None) or 'schedule', e.strerror or e))
    for warning in result.pop('warnings'):
        module.warn(warning)
    diff = result.pop('diff')
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
