# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.drift_report: the report of a playbooks/drift.yml run.

Reads what drift.yml registered on every host it checked, builds the report, its summary and the exit decision
(plugins/plugin_utils/drift.py), writes the report on the controller (atomically: a temporary file in the same folder,
fsync, rename) with a short text summary next to it, prints the summary, and fails when the run must end non-zero.
Never contacts a host. The report is written in check mode too: it is the run's output, not a change to a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import drift

display = Display()
DEFAULT_PATH = 'claude-code-drift.json'
ARGS_SPEC = dict(
    hosts=dict(type='list', elements='str', required=True),
    path=dict(type='str', default=DEFAULT_PATH),
    mode=dict(type='raw', default='0644'),
    summary_file=dict(type='bool', default=True),
)


def plain(value):
    """A registered value as plain JSON types (Ansible may hand over its own subclasses of dict, list and str)."""
    if isinstance(value, dict):
        return dict((str(to_text(key)), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    return str(to_text(value))  # str() of a subclass of str is a plain str


def parse_mode(mode):
    """The report's mode: 0600 or 0644 (an octal string or number), nothing else (the report is not a secret, nor
    anyone's to change)."""
    text = '%o' % mode if isinstance(mode, int) else str(mode)
    text = text.lstrip('0o') or '0'
    if text not in ('600', '644'):
        raise AnsibleActionFail('mode: expected 0600 or 0644, got %s' % mode)
    return int(text, 8)


def write_atomic(path, text, mode):
    """Write ``text`` to ``path``: a temporary file in the same folder, fsync, chmod, rename over the old one."""
    folder = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.%s.' % os.path.basename(path), suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def report_target(args):
    """(absolute path, mode) of a report task's ``path`` and ``mode``; its folder must exist."""
    path = os.path.abspath(os.path.expanduser(args['path']))
    if not os.path.isdir(os.path.dirname(path)):
        raise AnsibleActionFail('path: the folder %s of the report does not exist' % os.path.dirname(path))
    return path, parse_mode(args['mode'])


def summary_path(path):
    """The text summary beside the report: claude-code-drift.json -> claude-code-drift.txt."""
    stem = path[:-len('.json')] if path.endswith('.json') else path
    return stem + '.txt'


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGS_SPEC)
        path, mode = report_target(args)
        check_mode = bool(self._task.check_mode)
        hostvars = task_vars['hostvars']
        entries = {}
        for host in args['hosts']:
            found = hostvars.raw_get(host) if hasattr(hostvars, 'raw_get') else hostvars[host]
            registered = dict((name, plain(found[name])) for name in drift.REGISTERED if name in found)
            entries[host] = drift.host_entry(registered, check_mode)
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        report = drift.build_report(entries, check_mode, now, path)
        lines = drift.summary_lines(report)
        failing, why = drift.alerts(report)
        try:
            write_atomic(path, json.dumps(report, indent=2, sort_keys=True) + '\n', mode)
            if args['summary_file']:
                write_atomic(summary_path(path), '\n'.join(lines + [why]) + '\n', mode)
        except (OSError, IOError) as e:
            raise AnsibleActionFail('%s: cannot write the report: %s' % (getattr(e, 'filename', None) or path, e.strerror or e))
        display.display('\n'.join(lines))
        # The summary was printed; the result carries the counts (a failure prints its whole result).
        counts = dict((key, value) for key, value in report['summary'].items() if key != 'top_keys')
        result.update(changed=False, path=path, summary=counts, alert=failing)
        if args['summary_file']:
            result['summary_path'] = summary_path(path)
        if failing:
            result['failed'] = True
            result['msg'] = '%s (report: %s)' % (why, path)
        else:
            result['msg'] = why
        return result
