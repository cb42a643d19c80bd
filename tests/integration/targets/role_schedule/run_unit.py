# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an installed systemd service once as systemd would start it, where systemd is not PID 1 (this test host).

    run_unit.py /etc/systemd/system/<name>.service [STATUS_FILE]

The words of ExecStart= and the Environment= assignments are parsed from the unit file (double quotes, backslash
escapes, %% for %, and in ExecStart= $$ for $), and the command runs with nothing but them and systemd's default PATH in
its environment, from /. Its output passes through, then the line ``exit status: N``, and with STATUS_FILE the line
``status: <the file's content on one line>`` (none when there is no file); the script exits 0.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shlex
import subprocess
import sys

SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'


def unit_values(path, key):
    with open(path) as f:
        return [line.rstrip('\n').split('=', 1)[1] for line in f if line.startswith(key + '=')]


def main():
    service = sys.argv[1]
    [exec_start] = unit_values(service, 'ExecStart')
    argv = [word.replace('%%', '%').replace('$$', '$') for word in shlex.split(exec_start)]
    env = dict(PATH=SYSTEMD_PATH)
    for value in unit_values(service, 'Environment'):
        for assignment in shlex.split(value):
            name, dummy, text = assignment.replace('%%', '%').partition('=')
            env[name] = text
    sys.stdout.write('run_unit.py: %s\n' % ' '.join(shlex.quote(word) for word in argv))
    sys.stdout.flush()
    rc = subprocess.call(argv, env=env, cwd='/')
    sys.stdout.write('exit status: %d\n' % rc)
    if len(sys.argv) > 2:
        status = None
        if os.path.exists(sys.argv[2]):
            with open(sys.argv[2]) as f:
                status = json.load(f)
        sys.stdout.write('status: %s\n' % json.dumps(status, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
