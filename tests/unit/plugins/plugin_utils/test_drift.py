# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/drift.yml's knowledge (plugin_utils/drift.py): which configurations a host has, how one run's registered
results become the report, its summary, and the decision to end non-zero."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import drift

CFG = '/home/alice/.claude/settings.json'
HELPER = '/home/alice/.claude/bin/litellm-key-helper'
DROPIN = '/etc/claude-code/managed-settings.d/50-fleetcfg.json'


def plan_of(variables, selected=lambda pattern: True, become=None):
    return drift.host_plan(list(variables), lambda name: variables[name], selected, become)


# ---- which configurations a host has


def test_a_role_is_configured_by_any_of_its_variables_and_nothing_else_is():
    plan = plan_of(dict(litellm_base_url='https://gw', litellm_users=['alice'], inventory_hostname='dev-01'))
    assert plan['roles'] == ['litellm'] and plan['configurations'] == ['litellm'] and not plan['settings']
    assert plan['info'] == [dict(users=['alice'])]  # the options that are set, only
    assert plan['become']  # as the provider playbooks run


def test_a_host_without_any_configuration_is_not_contacted():
    plan = plan_of(dict(inventory_hostname='dev-01', claude_code_settings={'model': 'sonnet'}))
    assert plan['configurations'] == [] and plan['info'] == [] and not plan['become']


def test_the_role_hosts_variable_alone_configures_nothing_and_a_pattern_that_leaves_the_host_out_drops_the_role():
    assert plan_of(dict(bedrock_hosts='build_agents'))['roles'] == []
    plan = plan_of(dict(bedrock_region='us-east-1', bedrock_hosts='build_agents', vertex_project_id='p'),
                   selected=lambda pattern: pattern != 'build_agents')
    assert plan['roles'] == ['vertex'] and plan['left_out'] == {'bedrock': 'bedrock_hosts does not select this host'}


def test_settings_yml_applies_with_accounts_or_a_managed_policy_as_its_tasks_do():
    assert not plan_of(dict(claude_code_users=[], claude_code_managed={}))['settings']
    assert plan_of(dict(claude_code_managed={'permissions': {'deny': ['Read(./.env)']}}))['settings']
    plan = plan_of(dict(claude_code_users=['alice', {'name': 'bob', 'config_dir': '/srv/bob/.claude'}]))
    assert plan['configurations'] == ['settings'] and not plan['become']  # settings.yml runs without become
    assert plan['info'] == [dict(users=['alice']), dict(users=['bob'], config_dir='/srv/bob/.claude')]
    assert not plan_of(dict(claude_code_users=['alice'], claude_code_hosts='laptops'), selected=lambda p: False)['settings']


def test_one_settings_info_call_reads_every_account_of_one_folder_once_with_the_managed_folder_named():
    plan = plan_of(dict(litellm_users=['alice', 'bob'], litellm_managed_dir='/srv/managed',
                        bedrock_scope='managed', bedrock_region='us-east-1', claude_code_users=['bob', 'carol']))
    assert plan['configurations'] == ['bedrock', 'litellm', 'settings']
    assert plan['info'] == [dict(users=['alice', 'bob', 'carol'], managed_dir='/srv/managed')]


def test_a_managed_scope_role_reads_the_managed_folder_only_and_leaving_accounts_are_read_too():
    plan = plan_of(dict(vertex_scope='managed', vertex_project_id='p', vertex_managed_dir='/m'))
    assert plan['info'] == [dict(users=[], managed_dir='/m')]
    plan = plan_of(dict(vertex_users=['alice'], vertex_remove_users=['carol'], vertex_project_id='p'))
    assert plan['info'][0]['users'] == ['alice', 'carol']


def test_users_all_reads_every_human_account_by_the_role_s_rule_and_wrong_values_are_left_to_the_role():
    plan = plan_of(dict(litellm_users='all', litellm_human_uid_min=2000, claude_code_users=['alice']))
    assert plan['info'] == [dict(users=['all'], human_uid_min=2000)]
    assert plan_of(dict(litellm_users=['all']))['info'] == [dict(users=['all'])]
    assert plan_of(dict(litellm_users=5, litellm_base_url='x'))['info'] == [dict(users=[])]


def test_become_can_be_set_for_every_host():
    assert not plan_of(dict(litellm_users=['alice']), become=False)['become']
    assert plan_of(dict(claude_code_users=['alice']), become=True)['become']


# ---- registered results -> a host's entry


def plan_result(configurations=('litellm',), users=('alice',)):
    return dict(changed=False, configurations=list(configurations), roles=[c for c in configurations if c != 'settings'],
                settings='settings' in configurations, info=[dict(users=list(users), config_dir=None, managed_dir=None)])


def info_result(dropped=(), managed_dropped=(), users=('alice',)):
    return dict(results=[dict(item=dict(users=list(users), config_dir=None, managed_dir=None), ansible_loop_var='item',
                              accounts=dict((u, dict(dropped=list(dropped) if u == users[0] else [])) for u in users),
                              managed=dict(dir='/etc/claude-code', files=[dict(path=DROPIN, state='present')],
                                           dropped=list(managed_dropped)))])


def users_file(changed=True, keys=('env.ANTHROPIC_BASE_URL',), helper_changed=False, user='alice', path=CFG):
    return dict(path=path, user=user, changed=changed, changed_keys=list(keys), found='present',
                settings={'env': {'ANTHROPIC_BASE_URL': 'https://secret-value.example'}},
                helpers=[dict(path=HELPER, state='present', changed=helper_changed)])


def provider_results(*items):
    return dict(results=[dict(item=name, ansible_loop_var='item', **result) for name, result in items])


def entry_of(check_mode=True, **registered):
    registered.setdefault(drift.PLAN, plan_result())
    registered.setdefault(drift.INFO, info_result())
    return drift.host_entry(registered, check_mode)


def test_a_host_whose_files_match_is_in_line():
    entry = entry_of(__drift_providers=provider_results(('litellm', dict(changed=False, files=[users_file(changed=False)]))))
    assert entry['status'] == 'in_line' and not entry['drift'] and not entry['alert'] and not entry['unreachable']
    assert entry['accounts'] == {} and entry['keys'] == [] and entry['files'] == []


def test_drift_lists_the_account_its_keys_its_files_and_changed_helpers_but_no_value():
    entry = entry_of(__drift_providers=provider_results(
        ('litellm', dict(changed=True, files=[users_file(keys=['env.ANTHROPIC_BASE_URL', 'apiKeyHelper'], helper_changed=True),
                                              users_file(changed=False, user='bob', path='/home/bob/.claude/settings.json')]))))
    assert entry['status'] == 'drift' and entry['drift'] and entry['alert'] and not entry['repaired']
    assert entry['accounts'] == {'alice': [dict(configuration='litellm', path=CFG, keys=['apiKeyHelper', 'env.ANTHROPIC_BASE_URL'],
                                                helpers=[HELPER], found='present')]}
    assert entry['keys'] == ['apiKeyHelper', 'env.ANTHROPIC_BASE_URL'] and entry['files'] == sorted([CFG, HELPER])
    assert 'secret-value' not in json.dumps(entry)


def test_in_repair_mode_the_same_results_say_repaired_and_do_not_alert():
    entry = entry_of(check_mode=False, __drift_providers=provider_results(('litellm', dict(changed=True, files=[users_file()]))))
    assert entry['status'] == 'repaired' and entry['drift'] and entry['repaired'] and not entry['alert']
    assert entry['mode'] == 'repair'


def test_a_managed_drop_in_and_settings_yml_accounts_with_their_own_folder_are_told_apart():
    registered = {
        drift.PLAN: plan_result(['settings']),
        '__claude_code_managed_result': dict(changed=True, path=DROPIN, changed_keys=['permissions.deny'], found='absent', helpers=[]),
        '__claude_code_users_result': dict(changed=False, skipped=True),
        '__claude_code_dirs_result': dict(results=[dict(item=dict(name='bob', config_dir='/srv/bob'), ansible_loop_var='item',
                                                        changed=True, path='/srv/bob/settings.json', changed_keys=['model'],
                                                        found='present', helpers=[])]),
    }
    entry = entry_of(**registered)
    assert entry['managed'] == [dict(configuration='settings', path=DROPIN, keys=['permissions.deny'], helpers=[], found='absent')]
    assert list(entry['accounts']) == ['bob'] and entry['accounts']['bob'][0]['keys'] == ['model']
    assert entry['keys'] == ['model', 'permissions.deny']


def test_an_unreachable_host_is_reported_with_the_connection_message_and_nothing_else():
    entry = entry_of(__drift_info=dict(results=[dict(item=dict(users=['alice']), unreachable=True,
                                                     msg='Failed to connect to the host via ssh: Connection refused')]))
    assert entry['unreachable'] and entry['status'] == 'unreachable' and entry['alert'] and not entry['drift']
    assert entry['errors'] == [dict(task='settings_info', message='Failed to connect to the host via ssh: Connection refused')]


def test_a_failed_configuration_is_reported_with_its_message_and_the_others_still_count():
    entry = entry_of(check_mode=False, __drift_providers=provider_results(
        ('bedrock', dict(failed=True, msg='fleetcfg.claude_code.bedrock: invalid input, no host was changed:\n  - bedrock_region: required')),
        ('litellm', dict(changed=True, files=[users_file()]))))
    assert entry['failed'] and entry['status'] == 'failed' and entry['alert'] and entry['repaired']
    assert entry['errors'][0]['task'] == 'bedrock' and 'bedrock_region' in entry['errors'][0]['message']
    assert entry['keys'] == ['env.ANTHROPIC_BASE_URL']


def test_a_failed_plan_or_a_host_without_one_is_a_failure():
    assert entry_of(__drift_plan=dict(failed=True, msg="host pattern 'x[': bad"))['errors'] == [dict(task='plan', message="host pattern 'x[': bad")]
    entry = drift.host_entry({}, True)
    assert entry['failed'] and entry['alert'] and 'no plan' in entry['errors'][0]['message']


def test_a_host_without_configuration_is_reported_as_such_and_does_not_alert():
    plan = dict(plan_result([]), left_out={'litellm': 'litellm_hosts does not select this host'}, info=[])
    entry = entry_of(__drift_plan=plan, __drift_info=dict(skipped=True, results=[]))
    assert entry['status'] == 'not_configured' and not entry['alert'] and not entry['drift']
    assert entry['left_out'] == {'litellm': 'litellm_hosts does not select this host'}
    report = drift.build_report({'dev-01': entry}, True, 'now')
    assert report['summary']['not_configured'] == 1 and report['summary']['in_line'] == 0
    assert drift.summary_lines(report)[0].endswith('0 with drift, 0 unreachable, 0 failed, 0 in line, 1 not configured')


def test_skipped_configurations_and_skipped_accounts():
    entry = entry_of(__drift_providers=provider_results(
        ('litellm', dict(changed=False, files=[], skipped_accounts=[dict(user='newhire', reason='no home folder')]))),
        __claude_code_managed_result=dict(skipped=True, changed=False))
    assert entry['status'] == 'in_line' and not entry['alert']
    assert entry['skipped_accounts'] == [dict(configuration='litellm', account='newhire', reason='no home folder')]


def test_a_dropped_user_file_alerts_in_check_mode_and_is_repaired_when_a_configuration_writes_it():
    dropped = [dict(path=CFG, reason="existing key 'apiKeyHelper' is a number, expected a string")]
    results = provider_results(('litellm', dict(changed=True, files=[users_file(keys=['apiKeyHelper'])])))
    check = entry_of(__drift_info=info_result(dropped=dropped), __drift_providers=results)
    assert check['dropped'] == [dict(account='alice', path=CFG, reason=dropped[0]['reason'], repairable=True)] and check['alert']
    repair = entry_of(check_mode=False, __drift_info=info_result(dropped=dropped), __drift_providers=results)
    assert repair['dropped'][0]['repaired'] and not repair['alert']


def test_a_dropped_file_no_configuration_writes_alerts_in_repair_mode_too():
    dropped = [dict(path='/home/alice/.claude/settings.json', reason='not valid JSON')]
    entry = entry_of(check_mode=False, __drift_info=info_result(dropped=dropped),
                     __drift_providers=provider_results(('litellm', dict(changed=False, files=[users_file(changed=False)]))))
    assert entry['status'] == 'in_line' and entry['alert'] and not entry['dropped'][0]['repaired']


def test_managed_entries_the_client_drops_are_listed_once_without_an_account_and_other_accounts_are_left_out():
    managed = [dict(path=DROPIN, key='forceLoginMethod', reason='not one of claudeai, console, gateway')]
    info = info_result(users=('alice',))
    info['results'][0]['accounts']['root'] = dict(dropped=[dict(path='/root/.claude/settings.json', reason='x')])
    info['results'][0]['accounts']['alice']['dropped'] = list(managed)  # an account's view includes the managed files
    info['results'][0]['managed']['dropped'] = managed
    entry = entry_of(__drift_info=info)
    assert entry['dropped'] == [dict(account=None, path=DROPIN, key='forceLoginMethod', reason=managed[0]['reason'],
                                     repairable=False)]


# ---- the report, its summary, the exit decision


def fleet(check_mode=True):
    drifted = provider_results(('litellm', dict(changed=True, files=[users_file(keys=['env.ANTHROPIC_BASE_URL', 'model'])])))
    in_line = provider_results(('litellm', dict(changed=False, files=[users_file(changed=False)])))
    other = provider_results(('litellm', dict(changed=True, files=[users_file(keys=['model'])])))
    entries = {
        'dev-01': entry_of(check_mode, __drift_providers=drifted),
        'dev-02': entry_of(check_mode, __drift_providers=in_line),
        'dev-03': entry_of(check_mode, __drift_providers=other),
        'dev-05': entry_of(check_mode, __drift_info=dict(results=[dict(unreachable=True, msg='Connection refused')])),
    }
    return drift.build_report(entries, check_mode, '2026-12-01T10:00:00Z', '/srv/reports/claude-code-drift.json')


def test_the_report_maps_every_inventory_name_to_its_entry_with_counts_and_the_top_keys():
    report = fleet()
    assert report['format'] == 1 and report['mode'] == 'check' and sorted(report['hosts']) == ['dev-01', 'dev-02', 'dev-03', 'dev-05']
    assert all(isinstance(e['drift'], bool) and isinstance(e['unreachable'], bool) for e in report['hosts'].values())
    s = report['summary']
    assert (s['hosts'], s['in_line'], s['drift'], s['unreachable'], s['failed'], s['alert']) == (4, 1, 2, 1, 0, True)
    assert s['top_keys'] == [dict(key='model', hosts=2), dict(key='env.ANTHROPIC_BASE_URL', hosts=1)]
    json.dumps(report)  # plain JSON


def test_the_summary_names_the_hosts_by_what_is_wrong_and_the_report():
    lines = drift.summary_lines(fleet())
    assert lines[0] == ('Claude Code drift (check mode, 2026-12-01T10:00:00Z): 4 hosts checked: 2 with drift, 1 unreachable, '
                        '0 failed, 1 in line')
    assert '  drift:       dev-01 (2 keys in 1 file), dev-03 (1 key in 1 file)' in lines
    assert '  unreachable: dev-05' in lines
    assert '  top keys:    model (2 hosts), env.ANTHROPIC_BASE_URL (1 host)' in lines
    assert lines[-1] == '  report:      /srv/reports/claude-code-drift.json'


def test_long_lists_are_cut_short():
    entries = dict(('dev-%02d' % i, entry_of(__drift_info=dict(results=[dict(unreachable=True, msg='x')]))) for i in range(25))
    lines = drift.summary_lines(drift.build_report(entries, True, 'now'))
    assert [line for line in lines if 'unreachable:' in line][0].endswith('dev-09 and 15 more')


def test_a_failed_host_shows_the_first_problem_of_its_message():
    entry = entry_of(__drift_providers=provider_results(
        ('bedrock', dict(failed=True, msg='fleetcfg.claude_code.bedrock: invalid input, no host was changed:\n  - bedrock_region: required\n  - x'))))
    lines = drift.summary_lines(drift.build_report({'dev-01': entry}, True, 'now'))
    assert '  failed:      dev-01: bedrock: fleetcfg.claude_code.bedrock: invalid input, no host was changed: bedrock_region: required' in lines


def test_check_mode_ends_non_zero_on_drift_and_says_why():
    assert drift.alerts(fleet()) == (True, 'drift on 2 hosts; 1 host unreachable')


def test_repair_mode_ends_non_zero_only_for_what_it_could_not_repair():
    report = fleet(check_mode=False)
    assert report['summary']['repaired'] == 2
    assert drift.alerts(report) == (True, '1 host unreachable')  # an unreachable host was not repaired
    del report['hosts']['dev-05']
    report = drift.build_report(report['hosts'], False, 'now')
    assert drift.alerts(report) == (False, 'every host is in line (2 hosts repaired)')


def test_a_fleet_in_line_ends_zero():
    report = drift.build_report({'dev-02': entry_of(__drift_providers=provider_results(
        ('litellm', dict(changed=False, files=[users_file(changed=False)]))))}, True, 'now')
    assert drift.alerts(report) == (False, 'no drift: every host is in line')
    assert drift.summary_lines(report)[0].endswith('1 host checked: 0 with drift, 0 unreachable, 0 failed, 1 in line')


def test_a_dropped_file_alone_ends_non_zero_in_check_mode():
    entry = entry_of(__drift_info=info_result(dropped=[dict(path=CFG, reason='not valid JSON')]))
    report = drift.build_report({'dev-01': entry}, True, 'now')
    assert drift.alerts(report) == (True, '1 file the client drops')
    assert '  dropped:     dev-01 alice %s: not valid JSON' % CFG in drift.summary_lines(report)
