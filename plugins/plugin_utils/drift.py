# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The knowledge of playbooks/drift.yml: which of the collection's configurations the inventory gives a host, and how
the results of one run become the drift report, its summary and the decision to end non-zero.

Two steps, each an action plugin that only passes values to the functions here:

- ``host_plan`` (action fleetcfg.claude_code.drift_plan, once per host, on the controller): the provider roles the
  inventory configures for the host (a role is configured when the host's variables set any of its variables), whether
  playbooks/settings.yml writes something there, and the settings_info calls that read the accounts they target;
- ``host_entry``, ``build_report``, ``summary_lines``, ``alerts`` (action fleetcfg.claude_code.drift_report, once, on the
  controller): every host's registered results -> one entry per host, the report, a few lines for a person, and
  whether the run must end non-zero.

The report holds key names, file paths, account names and the collection's own messages (which never show a secret);
never a settings value. Pure Python: unit-tested without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS, role_defaults

FORMAT = 1
# playbooks/settings.yml's configuration, by the name of its playbook; it runs after the provider roles.
SETTINGS = 'settings'
SETTINGS_HOSTS = 'claude_code_hosts'
ALL = 'all'
# With users: all, what a human account is (the options of the settings module, settings_info and every role).
HUMAN = ('human_uid_min', 'human_uid_max', 'human_shells')

# What drift.yml registers on each host, by role in the report (the names are drift.yml's; the report action reads them).
PLAN = '__drift_plan'
INFO = '__drift_info'
PROVIDER_RESULTS = '__drift_providers'
# playbooks/tasks/settings.yml, shared with playbooks/settings.yml.
SETTINGS_RESULTS = ('__claude_code_managed_result', '__claude_code_users_result', '__claude_code_dirs_result')
REGISTERED = (PLAN, INFO, PROVIDER_RESULTS) + SETTINGS_RESULTS

STATUSES = ('in_line', 'drift', 'repaired', 'failed', 'unreachable', 'not_configured')
TOP_KEYS = 10  # in the report
TOP_KEYS_SHOWN = 5  # in the summary's lines
LISTED_HOSTS = 10
# A host's scheduled run (fleetcfg.claude_code.schedule) is stale when its last one finished longer ago than this many
# of its intervals (the random delay is at most one; a run may have been skipped while another held the lock).
STALE_INTERVALS = 3
TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def _names(users):
    """The account names of a users value (a list of names, or all); anything else is the configuration's own error."""
    if users == ALL:
        return [ALL]
    if isinstance(users, (list, tuple)):
        return [user for user in users if isinstance(user, str) and user]
    return []


def _text(value):
    return value if isinstance(value, str) and value else None


def configured_roles(names, value, matches):
    """The provider roles the inventory configures for a host, and why the others that it names are left out.

    ``names``: the variables the host sees; ``value(name)``: a variable's templated value; ``matches(pattern)``:
    whether the host is in an Ansible host pattern. A role is configured when the host sets any variable with its
    prefix (``<role>_hosts`` aside, which says which hosts the role's playbook runs on): when that is set too, the host
    must be in it. Returns (roles in the collection's order, {role: reason it is left out}).
    """
    roles, left_out = [], {}
    for name in sorted(PROVIDERS):
        prefix = PROVIDERS[name].PREFIX
        hosts_var = prefix + 'hosts'
        if not any(var.startswith(prefix) and var != hosts_var for var in names):
            continue
        if hosts_var in names and not matches(value(hosts_var)):
            left_out[name] = '%s does not select this host' % hosts_var
            continue
        roles.append(name)
    return roles, left_out


def _role_targets(name, names, value):
    """([(config_dir, account)] a configured provider role writes for, the managed folder it names (or None), and with
    ``<role>_users: all`` the role's rule of a human account ({human_uid_min, ...}, the ones set))."""
    prefix = PROVIDERS[name].PREFIX
    defaults = role_defaults(name)

    def get(suffix):
        var = prefix + suffix
        return value(var) if var in names else defaults.get(var)

    accounts = [] if get('scope') == 'managed' else _names(get('users')) + _names(get('remove_users'))
    human = dict((option, get(option)) for option in HUMAN if ALL in accounts and get(option) is not None)
    return [(_text(get('config_dir')), account) for account in accounts], _text(get('managed_dir')), human


def settings_configured(names, value, matches):
    """Whether playbooks/settings.yml writes something on the host (the conditions of its tasks), and its targets."""
    if SETTINGS_HOSTS in names and not matches(value(SETTINGS_HOSTS)):
        return False, [], None
    users = value('claude_code_users') if 'claude_code_users' in names else []
    managed = value('claude_code_managed') if 'claude_code_managed' in names else {}
    users = users if isinstance(users, list) else []
    targets = []
    for user in users:
        if isinstance(user, dict):
            if _text(user.get('name')):
                targets.append((_text(user.get('config_dir')), user['name']))
        elif _text(user):
            targets.append((None, user))
    configured = bool(users) or bool(managed)
    managed_dir = _text(value('claude_code_managed_dir')) if 'claude_code_managed_dir' in names else None
    return configured, targets, managed_dir


def info_calls(targets, managed_dir, human=None):
    """The settings_info calls that read every targeted account: one per Claude Code folder (``config_dir``: one per
    call), usually one. [{users[, config_dir][, managed_dir][, human_uid_min, ...]}]: the options that are set only;
    accounts are listed once per folder, in order; ``human`` goes with ``users: [all]``."""
    calls = []
    by_dir = {}
    for config_dir, account in targets:
        if config_dir not in by_dir:
            by_dir[config_dir] = dict(users=[], config_dir=config_dir, managed_dir=managed_dir)
            calls.append(by_dir[config_dir])
        if account not in by_dir[config_dir]['users']:
            by_dir[config_dir]['users'].append(account)
    calls = calls or [dict(users=[], config_dir=None, managed_dir=managed_dir)]
    for call in calls:
        if ALL in call['users']:
            call['users'] = [ALL]  # every human account of the host, the names listed with it among them
            call.update(human or {})
    return [dict((key, item) for key, item in call.items() if item is not None) for call in calls]


def host_plan(names, value, matches, become=None):
    """What drift.yml checks on one host (see ``configured_roles`` for the arguments).

    Returns {configurations, roles, settings, left_out, info, become}: ``info`` is [] when nothing is configured
    (the host is not contacted); ``become`` is ``become`` when given, else whether a provider role is configured (the
    provider playbooks run with become, playbooks/settings.yml without).
    """
    names = set(names)
    roles, left_out = configured_roles(names, value, matches)
    targets, managed_dirs, human = [], [], {}
    for name in roles:
        found, managed_dir, rule = _role_targets(name, names, value)
        targets.extend(found)
        managed_dirs.append(managed_dir)
        human = human or rule  # the first role's rule (roles that target all accounts should agree on it)
    settings, found, managed_dir = settings_configured(names, value, matches)
    if settings:
        targets.extend(found)
        managed_dirs.append(managed_dir)
    configurations = roles + ([SETTINGS] if settings else [])
    named = [d for d in managed_dirs if d]
    return dict(
        configurations=configurations,
        roles=roles,
        settings=settings,
        left_out=left_out,
        info=info_calls(targets, named[0] if named else None, human) if configurations else [],
        become=bool(roles) if become is None else bool(become),
    )


# ---- from the registered results to the report


def results_of(registered):
    """The results of one registered task: each item of a loop, or the task's own result; [] for none."""
    if not isinstance(registered, dict):
        return []
    if isinstance(registered.get('results'), list):
        return [item for item in registered['results'] if isinstance(item, dict)]
    return [registered]


def _item(result):
    return result.get(result.get('ansible_loop_var') or 'item')


def _message(result):
    msg = result.get('msg')
    return str(msg) if msg else 'failed without a message'


def _file_entries(configuration, result, account=None):
    """The files of one configuration result that differ (check mode) or were written (repair): [(account, entry)];
    account None for a managed file."""
    found = []
    files = result.get('files') if isinstance(result.get('files'), list) else None
    for item in files if files is not None else ([result] if result.get('path') else []):
        if not isinstance(item, dict) or not item.get('changed'):
            continue
        owner = item.get('user') or account
        if owner is None and files is not None:
            owner = '(unknown account)'  # a users result names every file's account; an older one may not
        helpers = sorted(str(h['path']) for h in item.get('helpers') or [] if isinstance(h, dict) and h.get('changed') and h.get('path'))
        entry = dict(configuration=configuration, path=str(item['path']), keys=sorted(str(k) for k in item.get('changed_keys') or []),
                     helpers=helpers, found=item.get('found'))
        found.append((owner, entry))
    return found


def configuration_results(registered):
    """[(configuration, result, account)] of one host, in run order: the provider roles, then settings.yml's tasks
    (an account only for settings.yml's accounts with their own config_dir, whose results are single files)."""
    found = []
    for result in results_of(registered.get(PROVIDER_RESULTS)):
        found.append((str(_item(result) or 'provider'), result, None))
    for name in SETTINGS_RESULTS:
        for result in results_of(registered.get(name)):
            item = _item(result)
            account = item.get('name') if isinstance(item, dict) else None
            found.append((SETTINGS, result, account))
    return found


def _new_entry(check_mode):
    return dict(status='in_line', alert=False, drift=False, repaired=False, unreachable=False, failed=False,
                configurations=[], left_out={}, accounts={}, managed=[], keys=[], files=[], dropped=[], skipped_accounts=[],
                errors=[], mode='check' if check_mode else 'repair')


def _dropped(info_results, asked):
    """The files (or managed entries) the client drops, from settings_info results: [{account, path, reason[, key]}],
    the managed ones once, with account None. ``asked``: per call, the accounts asked about (others are left out)."""
    dropped, seen = [], set()

    def add(account, item):
        if not isinstance(item, dict) or not item.get('path'):
            return
        entry = dict(account=account, path=str(item['path']), reason=str(item.get('reason') or 'dropped'))
        if item.get('key'):
            entry['key'] = str(item['key'])
        mark = (account, entry['path'], entry.get('key'))
        if mark not in seen:
            seen.add(mark)
            dropped.append(entry)

    for result, users in zip(info_results, asked):
        managed = result.get('managed') if isinstance(result.get('managed'), dict) else {}
        managed_paths = set(str(f.get('path')) for f in managed.get('files') or [] if isinstance(f, dict))
        for item in managed.get('dropped') or []:
            add(None, item)
        accounts = result.get('accounts') if isinstance(result.get('accounts'), dict) else {}
        for account in sorted(accounts):
            if users != [ALL] and account not in users:
                continue
            for item in accounts[account].get('dropped') or []:
                if isinstance(item, dict) and str(item.get('path')) not in managed_paths:
                    add(str(account), item)
    return dropped


def host_entry(registered, check_mode):
    """One host's report entry from what drift.yml registered there (``registered``: {variable name: result}).

    drift: a file the inventory configures differs (check mode) or differed and was written (repair mode, then
    repaired). failed: a configuration or settings_info failed (its message in errors); unreachable: the host could
    not be reached (nothing else was checked). alert: the host makes the run end non-zero (see ``alerts``).
    """
    entry = _new_entry(check_mode)
    plan = registered.get(PLAN)
    if not isinstance(plan, dict):
        entry.update(failed=True, errors=[dict(task='plan', message='drift.yml did not reach this host (no plan was made)')])
        return _finish(entry, check_mode)
    if plan.get('unreachable'):
        entry.update(unreachable=True, errors=[dict(task='plan', message=_message(plan))])
        return _finish(entry, check_mode)
    if plan.get('failed'):
        entry.update(failed=True, errors=[dict(task='plan', message=_message(plan))])
        return _finish(entry, check_mode)
    entry['configurations'] = list(plan.get('configurations') or [])
    entry['left_out'] = dict(plan.get('left_out') or {})
    if not entry['configurations']:
        entry['status'] = 'not_configured'  # nothing to check: the host was not contacted
        return _finish(entry, check_mode)
    info = [r for r in results_of(registered.get(INFO)) if not r.get('skipped')]
    asked = [list((_item(r) or {}).get('users') or []) if isinstance(_item(r), dict) else [] for r in info]
    for result in info:
        if result.get('unreachable'):
            entry['unreachable'] = True
            entry['errors'].append(dict(task='settings_info', message=_message(result)))
            return _finish(entry, check_mode)
        if result.get('failed'):
            entry['failed'] = True
            entry['errors'].append(dict(task='settings_info', message=_message(result)))
    good = [(r, users) for r, users in zip(info, asked) if not r.get('failed')]
    entry['dropped'] = _dropped([r for r, dummy in good], [users for dummy, users in good])
    statuses = [r['schedule'] for r, dummy in good if isinstance(r.get('schedule'), dict)]
    if statuses:
        entry['schedule'] = statuses[0]  # the host's last scheduled run (settings_info's status_file), when it has one

    keys, files, written = set(), set(), set()
    for configuration, result, account in configuration_results(registered):
        if result.get('skipped'):
            continue
        if result.get('unreachable'):
            entry['unreachable'] = True
            entry['errors'].append(dict(task=configuration, message=_message(result)))
            continue
        if result.get('failed'):
            entry['failed'] = True
            entry['errors'].append(dict(task=configuration, message=_message(result)))
            continue
        for owner, item in _file_entries(configuration, result, account):
            if owner is None:
                entry['managed'].append(item)
            else:
                entry['accounts'].setdefault(str(owner), []).append(item)
            keys.update(item['keys'])
            files.add(item['path'])
            files.update(item['helpers'])
            written.add(item['path'])
        for skipped in result.get('skipped_accounts') or []:
            if isinstance(skipped, dict):
                entry['skipped_accounts'].append(dict(configuration=configuration, account=str(skipped.get('user')),
                                                      reason=str(skipped.get('reason') or 'skipped')))
    entry['keys'] = sorted(keys)
    entry['files'] = sorted(files)
    entry['drift'] = bool(files)
    for item in entry['dropped']:
        # A configuration that writes a file writes one the client loads (the settings action refuses anything else).
        item['repaired' if not check_mode else 'repairable'] = item['path'] in written
    return _finish(entry, check_mode)


def _finish(entry, check_mode):
    entry['repaired'] = entry['drift'] and not check_mode
    if entry['unreachable']:
        entry['status'] = 'unreachable'
    elif entry['failed']:
        entry['status'] = 'failed'
    elif entry['drift']:
        entry['status'] = 'drift' if check_mode else 'repaired'
    entry['alert'] = _alert(entry, check_mode)
    return entry


def _alert(entry, check_mode):
    """Whether a host makes the run end non-zero: in check mode drift, a failure, an unreachable host or a file the
    client drops; in repair mode the same less what the run repaired (an unreachable host was not repaired: it alerts)."""
    if entry['unreachable'] or entry['failed']:
        return True
    if check_mode:
        return entry['drift'] or bool(entry['dropped'])
    return any(not item.get('repaired') for item in entry['dropped'])


def build_report(entries, check_mode, generated_at, path=None):
    """The report: {format, mode, generated_at, summary, hosts}; ``entries``: {inventory name: host_entry}."""
    hosts = dict((str(name), entries[name]) for name in sorted(entries))
    counts = dict((status, 0) for status in STATUSES)
    key_hosts = {}
    for entry in hosts.values():
        counts[entry['status']] += 1
        for key in entry['keys']:
            key_hosts[key] = key_hosts.get(key, 0) + 1
    top = sorted(key_hosts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_KEYS]
    summary = dict(
        hosts=len(hosts),
        in_line=counts['in_line'],
        not_configured=counts['not_configured'],
        drift=sum(1 for e in hosts.values() if e['drift']),
        repaired=counts['repaired'],
        failed=sum(1 for e in hosts.values() if e['failed'] and not e['unreachable']),
        unreachable=counts['unreachable'],
        dropped_files=sum(len(e['dropped']) for e in hosts.values()),
        skipped_accounts=sum(len(e['skipped_accounts']) for e in hosts.values()),
        alert=any(e['alert'] for e in hosts.values()),
        top_keys=[dict(key=key, hosts=count) for key, count in top],
    )
    report = dict(format=FORMAT, mode='check' if check_mode else 'repair', generated_at=generated_at, summary=summary,
                  hosts=hosts)
    if path:
        report['path'] = path
    return report


def _listed(names, more_word='more'):
    names = list(names)
    shown = ', '.join(names[:LISTED_HOSTS])
    return shown + (' and %d %s' % (len(names) - LISTED_HOSTS, more_word) if len(names) > LISTED_HOSTS else '')


def _plural(count, word, words=None):
    return '%d %s' % (count, word if count == 1 else (words or word + 's'))


def _first_line(text):
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ''
    first = lines[0] if len(lines) == 1 or not lines[0].endswith(':') else '%s %s' % (lines[0], lines[1].lstrip('- '))
    return first if len(first) <= 160 else first[:157] + '...'


def _time(text):
    try:
        return datetime.datetime.strptime(str(text), TIME_FORMAT)
    except ValueError:
        return None


def schedule_problem(status, now):
    """What is wrong with a host's last scheduled run, in words, or None: it failed, or it is stale (finished more than
    STALE_INTERVALS intervals before ``now``, the report's time)."""
    if status.get('result') == 'failed':
        return 'last run failed (%s): %s' % (status.get('finished'), _first_line(status.get('reason') or 'no reason given'))
    finished, now = _time(status.get('finished')), _time(now)
    interval = status.get('interval')
    if finished and now and isinstance(interval, int) and interval > 0:
        age = (now - finished).total_seconds()
        if age > STALE_INTERVALS * interval:
            return 'stale: last run %s, %d h ago (every %d min)' % (status.get('finished'), age // 3600, interval // 60)
    return None


def summary_lines(report):
    """A few lines for a person: the counts, the hosts by what is wrong, the files the client drops, the top keys."""
    s = report['summary']
    hosts = report['hosts']
    check = report['mode'] == 'check'
    head = 'Claude Code drift (%s mode, %s): %s checked' % (report['mode'], report['generated_at'], _plural(s['hosts'], 'host'))
    parts = ['%d with drift' % s['drift'] if check else '%d repaired' % s['repaired'],
             '%d unreachable' % s['unreachable'], '%d failed' % s['failed'], '%d in line' % s['in_line']]
    if s['not_configured']:
        parts.append('%d not configured' % s['not_configured'])
    lines = [head + ': ' + ', '.join(parts)]
    drifted = [(name, e) for name, e in hosts.items() if e['drift']]
    if drifted:
        lines.append('  %-12s %s' % ('drift:' if check else 'repaired:', _listed(
            '%s (%s in %s)' % (name, _plural(len(e['keys']), 'key'), _plural(len(e['files']), 'file')) for name, e in drifted)))
    unreachable = [name for name, e in hosts.items() if e['unreachable']]
    if unreachable:
        lines.append('  %-12s %s' % ('unreachable:', _listed(unreachable)))
    failed = [(name, e) for name, e in hosts.items() if e['failed'] and not e['unreachable']]
    for name, e in failed[:LISTED_HOSTS]:
        lines.append('  %-12s %s: %s' % ('failed:', name, '; '.join(
            '%s: %s' % (err['task'], _first_line(err['message'])) for err in e['errors'])))
    if len(failed) > LISTED_HOSTS:
        lines.append('  %-12s and %d more hosts' % ('failed:', len(failed) - LISTED_HOSTS))
    dropped = [(name, item) for name, e in hosts.items() for item in e['dropped']]
    for name, item in dropped[:LISTED_HOSTS]:
        fixed = ' (repaired)' if item.get('repaired') else (' (a repair run fixes it)' if item.get('repairable') else '')
        what = '%s entry %s' % (item['path'], item['key']) if item.get('key') else item['path']
        lines.append('  %-12s %s %s%s: %s%s' % ('dropped:', name, '%s ' % item['account'] if item['account'] else '', what,
                                                _first_line(item['reason']), fixed))
    if len(dropped) > LISTED_HOSTS:
        lines.append('  %-12s and %d more files' % ('dropped:', len(dropped) - LISTED_HOSTS))
    if s['skipped_accounts']:
        lines.append('  %-12s %s (account_errors: skip; see skipped_accounts)' % ('skipped:', _plural(s['skipped_accounts'], 'account')))
    scheduled = [(name, schedule_problem(e['schedule'], report['generated_at'])) for name, e in hosts.items() if e.get('schedule')]
    scheduled = [(name, problem) for name, problem in scheduled if problem]
    for name, problem in scheduled[:LISTED_HOSTS]:
        lines.append('  %-12s %s: %s' % ('schedule:', name, problem))
    if len(scheduled) > LISTED_HOSTS:
        lines.append('  %-12s and %d more hosts' % ('schedule:', len(scheduled) - LISTED_HOSTS))
    if s['top_keys']:
        shown = s['top_keys'][:TOP_KEYS_SHOWN]
        lines.append('  %-12s %s' % ('top keys:', ', '.join('%s (%s)' % (k['key'], _plural(k['hosts'], 'host')) for k in shown)))
    if report.get('path'):
        lines.append('  %-12s %s' % ('report:', report['path']))
    return lines


def alerts(report):
    """(end non-zero?, one line saying why): check mode: drift, a failed or unreachable host, a file the client drops;
    repair mode: a failed or unreachable host, or a dropped file the run did not repair."""
    s = report['summary']
    hosts = report['hosts']
    if not s['alert']:
        return False, ('no drift: every host is in line' if report['mode'] == 'check'
                       else 'every host is in line (%s repaired)' % _plural(s['repaired'], 'host'))
    why = []
    if report['mode'] == 'check' and s['drift']:
        why.append('drift on %s' % _plural(s['drift'], 'host'))
    if s['unreachable']:
        why.append('%s unreachable' % _plural(s['unreachable'], 'host'))
    if s['failed']:
        why.append('%s failed' % _plural(s['failed'], 'host'))
    dropped = sum(1 for e in hosts.values() if not e['unreachable'] and not e['failed'] for item in e['dropped']
                  if report['mode'] == 'check' or not item.get('repaired'))
    if dropped:
        why.append('%s the client drops' % _plural(dropped, 'file'))
    return True, '; '.join(why)
