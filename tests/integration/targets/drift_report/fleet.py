#!/usr/bin/env python
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet of inventory.yml under $DRIFT_IT_ROOT, for runme.sh: prepare it, edit it by hand, snapshot it, and check
each drift report (its hosts' entries, the exit status, the summary) against what the step did.

    fleet.py prepare | edit | snapshot | unchanged
    fleet.py report STEP REPORT EXIT_STATUS LOG
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import sys

ROOT = os.environ['DRIFT_IT_ROOT']
REACHABLE = ('dev-01', 'dev-02', 'dev-03', 'dev-04')
HOSTS = REACHABLE + ('dev-05',)
OWN = {'theme': 'dark'}  # the user's own key, on every host
# Values of the inventory and of the hand edits: never in a report.
VALUES = ('llm-gateway.example.com', 'elsewhere.invalid', 'eu-central-1', 'Read(./secrets/**)', 'echo stolen')


def path(host, *parts):
    return os.path.join(ROOT, host, *parts)


def settings(host):
    return path(host, 'claude', 'settings.json')


def helper(host):
    return path(host, 'claude', 'bin', 'litellm-key-helper')


def dropin(host, name):
    return path(host, 'managed', 'managed-settings.d', name)


def read_json(name):
    with open(name) as f:
        return json.load(f)


def write_json(name, doc):
    with open(name, 'w') as f:
        json.dump(doc, f, indent=2)


def prepare():
    """Each reachable host's folder, and the user's own settings file with a key no configuration owns."""
    os.makedirs(os.path.join(ROOT, 'reports'))
    for host in REACHABLE:
        os.makedirs(path(host, 'claude'), mode=0o700)
        write_json(settings(host), OWN)
        os.chmod(settings(host), 0o600)


def edit():
    """dev-01 and dev-03 edited by hand; dev-02's user file made one the client drops (a wrong type)."""
    doc = read_json(settings('dev-01'))
    doc['env']['ANTHROPIC_BASE_URL'] = 'https://elsewhere.invalid'
    write_json(settings('dev-01'), doc)
    with open(helper('dev-01'), 'a') as f:
        f.write('echo stolen\n')
    doc = read_json(settings('dev-02'))
    doc['apiKeyHelper'] = 5
    write_json(settings('dev-02'), doc)
    doc = read_json(settings('dev-03'))
    doc['model'] = 'opus'
    write_json(settings('dev-03'), doc)
    write_json(dropin('dev-03', '50-fleetcfg.json'), {})


def files():
    found = {}
    for top, dummy, names in os.walk(ROOT):
        if top.startswith(os.path.join(ROOT, 'reports')):
            continue
        for name in names:
            full = os.path.join(top, name)
            if name.endswith('.log') or full == os.path.join(ROOT, 'snapshot.json'):
                continue
            st = os.lstat(full)
            with open(full, 'rb') as f:
                found[full] = [hashlib.sha256(f.read()).hexdigest(), st.st_mtime_ns, stat.S_IMODE(st.st_mode)]
    return found


def snapshot():
    write_json(os.path.join(ROOT, 'snapshot.json'), files())


def unchanged():
    before = read_json(os.path.join(ROOT, 'snapshot.json'))
    after = files()
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    assert not changed, 'check mode changed files: %s' % changed
    print('check mode changed no file (%d files)' % len(after))


# ---- the reports


def in_line(entry):
    assert entry['status'] == 'in_line' and not entry['drift'] and not entry['alert'], entry
    assert not entry['unreachable'] and not entry['failed'] and not entry['dropped'] and not entry['keys'], entry


def unreachable(entry):
    assert entry['unreachable'] and entry['status'] == 'unreachable' and entry['alert'], entry
    assert not entry['drift'] and entry['errors'], entry


def set_up(entry, host):
    """A host's first repair: every file its configurations write, listed as repaired."""
    assert entry['status'] == 'repaired' and entry['drift'] and entry['repaired'] and not entry['alert'], entry
    assert settings(host) in entry['files'], entry


def step_setup(hosts, report):
    for host in REACHABLE:
        set_up(hosts[host], host)
    assert helper('dev-01') in hosts['dev-01']['files'] and helper('dev-02') in hosts['dev-02']['files']
    assert hosts['dev-04']['configurations'] == ['bedrock', 'settings'], hosts['dev-04']
    assert dropin('dev-04', '50-bedrock.json') in hosts['dev-04']['files']
    assert dropin('dev-04', '50-fleetcfg.json') in hosts['dev-04']['files']
    unreachable(hosts['dev-05'])
    return 2


def step_steady(hosts, report):
    for host in REACHABLE:
        in_line(hosts[host])
    unreachable(hosts['dev-05'])
    return 2


def step_check(hosts, report):
    one, two, three = hosts['dev-01'], hosts['dev-02'], hosts['dev-03']
    # dev-01: the gateway URL changed by hand, and the key helper script
    assert one['status'] == 'drift' and one['alert'] and not one['repaired'], one
    assert one['keys'] == ['env.ANTHROPIC_BASE_URL'], one
    assert one['files'] == sorted([settings('dev-01'), helper('dev-01')]), one
    [file_entry] = one['accounts']['root']
    assert file_entry['configuration'] == 'litellm' and file_entry['helpers'] == [helper('dev-01')], file_entry
    # dev-02: the user file the client drops, which the LiteLLM role's apiKeyHelper repairs
    assert two['status'] == 'drift' and two['keys'] == ['apiKeyHelper'], two
    [dropped] = two['dropped']
    assert dropped['account'] == 'root' and dropped['path'] == settings('dev-02'), dropped
    assert 'apiKeyHelper' in dropped['reason'] and dropped['repairable'], dropped
    # dev-03: a team key in the user file, and the managed drop-in emptied by hand
    assert three['status'] == 'drift' and three['keys'] == ['model', 'permissions.deny'], three
    assert [m['path'] for m in three['managed']] == [dropin('dev-03', '50-fleetcfg.json')], three
    assert three['accounts']['root'][0]['keys'] == ['model'], three
    in_line(hosts['dev-04'])
    unreachable(hosts['dev-05'])
    assert report['summary']['drift'] == 3 and report['summary']['dropped_files'] == 1, report['summary']
    return 2


def step_repair(hosts, report):
    for host in ('dev-01', 'dev-02', 'dev-03'):
        entry = hosts[host]
        assert entry['status'] == 'repaired' and entry['repaired'] and not entry['alert'], entry
    assert hosts['dev-01']['keys'] == ['env.ANTHROPIC_BASE_URL'] and hosts['dev-02']['keys'] == ['apiKeyHelper']
    [dropped] = hosts['dev-02']['dropped']
    assert dropped['repaired'], dropped
    assert read_json(settings('dev-02'))['apiKeyHelper'] == helper('dev-02')
    for host in REACHABLE:
        assert read_json(settings(host))['theme'] == 'dark', host  # the user's own key stays
    in_line(hosts['dev-04'])
    unreachable(hosts['dev-05'])
    return 2  # the unreachable host was not repaired


def step_reachable(hosts, report):
    assert sorted(hosts) == list(REACHABLE), sorted(hosts)
    for host in REACHABLE:
        in_line(hosts[host])
    assert not report['summary']['alert'], report['summary']
    return 0


def step_selected(hosts, report):
    """litellm_hosts (given with -e, as playbooks/litellm.yml reads it) leaves dev-05 out: it is not contacted."""
    for host in REACHABLE:
        in_line(hosts[host])
    entry = hosts['dev-05']
    assert entry['status'] == 'not_configured' and not entry['unreachable'] and not entry['alert'], entry
    assert entry['left_out'] == {'litellm': 'litellm_hosts does not select this host'}, entry
    assert hosts['dev-03']['configurations'] == ['settings'], hosts['dev-03']  # litellm_hosts alone configures nothing
    return 0


def step_failing(hosts, report):
    for host in ('dev-03', 'dev-04'):
        entry = hosts[host]
        assert entry['failed'] and entry['status'] == 'failed' and entry['alert'], entry
        assert [e['task'] for e in entry['errors']] == ['settings'], entry  # the task of the user files
        assert all('model' in e['message'] for e in entry['errors']), entry
    in_line(hosts['dev-01'])
    assert report['summary']['failed'] == 2, report['summary']
    return 2


STEPS = dict(setup=step_setup, steady=step_steady, check=step_check, repair=step_repair, after=step_steady,
             reachable=step_reachable, selected=step_selected, failing=step_failing)


def report(step, name, status, log):
    with open(name) as f:
        text = f.read()
    doc = json.loads(text)
    assert doc['mode'] == ('repair' if step in ('setup', 'repair') else 'check'), doc['mode']
    hosts = doc['hosts']
    if step != 'reachable':
        assert sorted(hosts) == list(HOSTS), sorted(hosts)
    for entry in hosts.values():
        assert isinstance(entry['drift'], bool) and isinstance(entry['unreachable'], bool), entry
    leaked = [value for value in VALUES if value in text]
    assert not leaked, 'the report shows settings values: %s' % leaked
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o644
    folder = os.path.dirname(name)
    assert sorted(os.listdir(folder)) == ['claude-code-drift.json', 'claude-code-drift.txt'], os.listdir(folder)
    with open(os.path.join(folder, 'claude-code-drift.txt')) as f:
        summary = f.read()
    with open(log) as f:
        output = f.read()
    assert summary.splitlines()[0] in output, 'the summary is not printed'
    assert summary.startswith('Claude Code drift (%s mode' % doc['mode']), summary
    wanted = STEPS[step](hosts, doc)
    assert int(status) == wanted, 'exit status %s, expected %d' % (status, wanted)
    print('%s: exit status %s, %s' % (step, status, summary.splitlines()[0]))


if __name__ == '__main__':
    command = sys.argv[1]
    if command == 'report':
        report(*sys.argv[2:])
    else:
        dict(prepare=prepare, edit=edit, snapshot=snapshot, unchanged=unchanged)[command]()
