# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of fleetcfg.claude_code.settings: validate, plan on the target, validate the plan, apply.

The task's input is checked before the target is touched. The target then computes the merge (``plan``) and
returns the would-be document with secrets redacted and the checksum of what it read; a file that does not exist
yet (or is empty) is written in that same call, since all it will hold is the already checked input. The
controller judges the other documents; only a plan that passes and changes something is carried out by a second
call (``apply``), which writes only if the file still has the checksum the plan saw.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.login_policy import login_policy_conflict
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_args import USER_SPEC, USER_SPEC_RULES
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import (
    dumps,
    format_key_path,
    mark_changed_secrets,
    parse_key_path,
)
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import SettingsError, parse_mode, tier_of_path
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import validation

MODULE = 'fleetcfg.claude_code.settings'

# The strategy imports this file in the main process before it forks a worker per host: load jsonschema and
# build the validator here, once, instead of once per host.
if validation.HAS_JSONSCHEMA:
    validation.prepare()
RESULT_KEYS = ('found', 'changed_keys', 'helpers', 'backup_file')
SCOPE_TIERS = dict(user='user', project='project', local='local', managed='managed', managed_dropin='managed')


def tier_of(args):
    """The settings tier a task writes to (None when an explicit path does not tell)."""
    if args.get('path'):
        return tier_of_path(args['path'])
    return SCOPE_TIERS[args.get('scope') or 'user']


def leaf_paths(value, prefix=()):
    if isinstance(value, dict) and value:
        paths = []
        for key, item in value.items():
            paths.extend(leaf_paths(item, prefix + (key,)))
        return paths
    return [prefix]


def check_versioned(helpers):
    """Errors of the versioned helpers: each set is the files of one folder of its own, holding versioned helpers only."""
    errors = []
    folders = {}
    for i, helper in enumerate(helpers):
        if not helper.get('versioned'):
            continue
        folder, name = posixpath.split(posixpath.normpath(helper['path']))
        if not folder.strip('./') or posixpath.dirname(folder) == '/':
            errors.append('helpers[%d].path: a versioned helper needs a folder of its own below another folder (such as '
                          'certs/client/cert.pem), which becomes a link to the current version; got %s' % (i, helper['path']))
            continue
        names = folders.setdefault(folder, {})
        if name in names:
            errors.append('helpers[%d].path: %s is already in this versioned set (helpers[%d])' % (i, helper['path'], names[name]))
        names.setdefault(name, i)
    for i, helper in enumerate(helpers):
        path = posixpath.normpath(helper['path'])
        for folder, names in sorted(folders.items()):
            first = min(names.values())
            if not (path == folder or path.startswith(folder + '/')):
                continue
            if not helper.get('versioned'):
                errors.append('helpers[%d]: %s is in the folder %s of the versioned helpers (helpers[%d]), which becomes a link '
                              'to the current version and holds versioned helpers only; make it versioned too, or move it'
                              % (i, helper['path'], folder, first))
            elif posixpath.dirname(path) != folder:
                errors.append('helpers[%d].path: %s is below the folder %s of another versioned set (helpers[%d]); a set is the '
                              'files of one folder' % (i, helper['path'], folder, first))
    return errors


def check_helpers(args):
    """Check the helpers of a task; return (errors, {settings key: helper}, {env variable: helper})."""
    errors = []
    helper_keys = {}
    helper_env = {}
    errors.extend(check_versioned(args['helpers']))
    for i, helper in enumerate(args['helpers']):
        where = 'helpers[%d]' % i
        if helper['state'] == 'present' and helper.get('content') is None:
            errors.append('%s.content: required when state is present (path %s)' % (where, helper['path']))
        try:
            parse_mode(helper.get('mode'), '%s.mode' % where)
        except SettingsError as e:
            errors.append(str(e))
        if helper['state'] == 'absent':
            continue  # removing a script (and its key) collides with nothing
        if helper.get('setting'):
            if helper['setting'] in helper_keys:
                errors.append('%s.setting: %s is already pointed at by %s' % (where, helper['setting'], helper_keys[helper['setting']]))
            helper_keys[helper['setting']] = where
            if helper['setting'] in args['settings']:
                errors.append('%s.setting: settings.%s is also given; set it in one place' % (where, helper['setting']))
        if helper.get('env'):
            if helper['env'] in helper_env:
                errors.append('%s.env: %s is already pointed at by %s' % (where, helper['env'], helper_env[helper['env']]))
            helper_env[helper['env']] = where
            if helper['env'] in (args['settings'].get('env') or {}):
                errors.append('%s.env: settings.env.%s is also given; set it in one place' % (where, helper['env']))
    return errors, helper_keys, helper_env


def check_accounts(args):
    """Errors of users: all and of the options that say what a human account is."""
    errors = []
    mixed = accounts.users_problem(args.get('users'))
    if mixed:
        errors.append(mixed)
    if accounts.ALL in (args.get('remove_users') or []):
        errors.append('remove_users: all is not accepted (it would take every account off); list the accounts to take off, '
                      'or use users: all with remove to take keys out of every human account\'s file')
    human = [name for name in ('human_uid_min', 'human_uid_max', 'human_shells') if args.get(name) is not None]
    if human and not accounts.every_account(args.get('users')):
        errors.extend('%s: only with users: all (it says which accounts are human accounts)' % name for name in human)
    errors.extend(accounts.criteria_problems(args.get('human_uid_min'), args.get('human_uid_max'), args.get('human_shells')))
    return errors


def check_task(args):
    """Check a task's own input; return (module args for the target, tier, task key paths). Raises on bad input."""
    tier = tier_of(args)
    errors, helper_keys, helper_env = check_helpers(args)
    try:
        parse_mode(args.get('mode'))
    except SettingsError as e:
        errors.append(str(e))

    if (args.get('users') or args.get('remove_users')) and tier != 'user':
        errors.append('users, remove_users: only for scope user')
    errors.extend(check_accounts(args))
    every = accounts.every_account(args.get('users'))
    both = [] if every else sorted(set(args.get('users') or []) & set(args.get('remove_users') or []))
    if both:
        errors.append('remove_users: %s also in users; an account is either configured or taken off' % ', '.join(both))
    if args.get('state') == 'absent' and (args.get('scope') != 'managed_dropin' or args['settings'] or args['remove']):
        errors.append('state: absent deletes a managed drop-in (scope managed_dropin, without settings or remove); to take keys '
                      'out of another file, list them in remove')
    # With users: all, the host decides which accounts there are: an entry for another one is reported there, skipped.
    unknown = [] if every else sorted(set(args['user_settings']) - set(args.get('users') or []))
    if unknown:
        errors.append('user_settings: %s not in users' % ', '.join(unknown))
    listed = []
    for i, raw in enumerate(args.get('secret_keys') or []):
        try:
            listed.append(parse_key_path(raw))
        except ValueError as e:
            errors.append('secret_keys[%d]: %s' % (i, e))

    # Validate the task's settings as they will be written, helper pointers included; each account's own keys too.
    probe = dict(args['settings'])
    for key, where in helper_keys.items():
        probe[key] = '/placeholder/for/%s' % where
    if helper_env and isinstance(probe.get('env', {}), dict):
        probe['env'] = dict(probe.get('env') or {}, **dict((name, '/placeholder/for/%s' % where) for name, where in helper_env.items()))
    normalized, problems = validation.check_input(probe, tier, args['validate'], secret_keys=listed)
    errors.extend(problems)
    conflict = login_policy_conflict(probe, probe) if tier == 'managed' else None
    if conflict:
        errors.append('settings: %s' % conflict)  # the client would not start on any machine this task reaches
    for key in helper_keys:
        normalized.pop(key, None)
    if helper_env and isinstance(normalized.get('env'), dict):
        for name in helper_env:
            normalized['env'].pop(name, None)
        if not normalized['env'] and 'env' not in args['settings']:
            del normalized['env']
    per_user = {}
    for user, own in args['user_settings'].items():
        per_user[user], problems = validation.check_input(own, tier, args['validate'], secret_keys=listed)
        errors.extend('user_settings.%s%s' % (user, problem[len('settings'):]) for problem in problems)
        errors.extend('user_settings.%s.%s: set by helpers[].setting; set it in one place' % (user, key)
                      for key in helper_keys if isinstance(own, dict) and key in own)
        errors.extend('user_settings.%s.env.%s: set by helpers[].env; set it in one place' % (user, name)
                      for name in helper_env if isinstance(own, dict) and isinstance(own.get('env'), dict) and name in own['env'])

    removals = []
    for i, raw in enumerate(args['remove']):
        try:
            removals.append(parse_key_path(raw))
        except ValueError as e:
            errors.append('remove[%d]: %s' % (i, e))
    task_paths = leaf_paths(normalized) if normalized else []
    for own in per_user.values():
        task_paths.extend(leaf_paths(own) if isinstance(own, dict) and own else [])
    task_paths.extend(('env', h['env']) for h in args['helpers'] if h.get('env') and h['state'] == 'present')
    for keys in removals:
        for path in task_paths:
            if path[:len(keys)] == keys or keys[:len(path)] == path:
                errors.append('remove: %s overlaps settings.%s; a key is either set or removed' % (format_key_path(keys), format_key_path(path)))
    if errors:
        raise AnsibleActionFail('Invalid input, nothing was changed:\n  - ' + '\n  - '.join(sorted(set(errors))))

    module_args = dict((key, value) for key, value in args.items() if value is not None)
    module_args['settings'] = normalized
    module_args['user_settings'] = per_user
    module_args['helpers'] = [dict((k, v) for k, v in h.items() if v is not None) for h in args['helpers']]
    task_paths = task_paths + removals + [(key,) for key in helper_keys] + [('env', name) for name in helper_env]
    return module_args, tier, task_paths


def helper_text(helper, side):
    """What a diff shows of a helper on one side ('before' or 'after'): never its content, but whether it changed
    (so a changed file makes a diff), its attributes to fix, and for a versioned one the version folder it is in."""
    if (side == 'before' and not helper['existed']) or (side == 'after' and helper['state'] == 'absent'):
        return '(absent)\n'
    version = helper.get('version_before' if side == 'before' else 'version')
    name = '%s/%s' % (version, posixpath.basename(helper['path'])) if helper.get('versioned') and version else 'file'
    words = ['%s content not shown' % ('old' if side == 'before' else 'new')] if helper.get('content_changed') else \
        ['content not shown']
    if helper.get('attributes_changed'):
        words.append('%s %s' % (', '.join(helper['attributes_changed']), 'to fix' if side == 'before' else 'fixed'))
    return '(%s, %s)\n' % (name, '; '.join(words))


def diff_of(plan):
    diffs = []
    if plan['content_changed']:
        # A secret that changed reads '******** (old)' and '******** (new)': changed, no part of either value shown.
        old, new = mark_changed_secrets(plan['before'], plan['after'], plan['changed_keys'])
        before = {'absent': '', 'invalid': '(not valid JSON; kept as a backup)\n'}.get(plan['found'])
        if before is None:
            before = dumps(old)
        after = '' if plan.get('delete') else dumps(new)
        diffs.append(dict(before_header=plan['file'], after_header=plan['file'], before=before, after=after))
    for helper in plan['helpers']:
        if helper['changed']:
            before, after = helper_text(helper, 'before'), helper_text(helper, 'after')
            diffs.append(dict(before_header=helper['path'], after_header=helper['path'], before=before, after=after))
    return diffs


def profile_diffs(profile):
    """The diff of a login-shell profile (non-secret by construction) and of the macOS startup files that source it."""
    diffs = [dict(before_header=profile['path'], after_header=profile['path'], before=profile['before'] or '',
                  after=profile['after'] or '')]
    return diffs + [dict(before_header=hook['path'], after_header=hook['path'], before=hook['before'] or '', after=hook['after'])
                    for hook in profile.get('hook_texts', ())]


def file_result(plan, final):
    """What a task reports about one settings file."""
    result = dict((key, final.get(key)) for key in RESULT_KEYS)
    result['path'] = final['file']
    result['settings'] = final['after']
    result['changed'] = final['changed']
    return result


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def _update_module_args(self, module_name, module_args, task_vars, *args, **kwargs):
        super(ActionModule, self)._update_module_args(module_name, module_args, task_vars, *args, **kwargs)
        # The arguments hold secrets (env values, helper scripts): never log them to the target's syslog.
        module_args['_ansible_no_log'] = True

    def _call(self, module_args, task_vars):
        result = self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        result.pop('invocation', None)
        if result.get('failed'):
            raise AnsibleActionFail(result.get('msg', 'the settings module failed'))
        return result

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            return self._run(result, task_vars)
        except validation.ValidationUnavailable as e:
            raise AnsibleActionFail(str(e))

    def _run(self, result, task_vars):
        _validation, args = self.validate_argument_spec(argument_spec=USER_SPEC, **USER_SPEC_RULES)
        return self._settings(args, result, task_vars)

    def _settings(self, args, result, task_vars, internal=None):
        """Check a task's arguments, plan every file, judge the plans, apply; return the task result.

        ``internal``: protocol options for the module (such as ``_keep_models``) that a task cannot set itself.
        """
        module_args, tier, task_paths = check_task(args)
        module_args.update(internal or {})
        skip = args.get('account_errors') == 'skip'

        # The first call plans every file and writes the new ones (nothing in them but the task's own, checked
        # above); the rest are judged here and written by a second call.
        planned = self._call(dict(module_args, _phase='plan', _apply_new=True), task_vars)
        plans, found = planned['files'], planned.get('accounts')
        errors, warnings, skipped = [], [], []
        for plan in plans:
            if plan.get('skipped'):
                skipped.append(plan)
                continue
            if plan.get('delete'):
                continue
            problems, remarks = validation.check_result(plan['after'], task_paths, plan.get('tier') or tier, args['validate'],
                                                        path_label=plan['file'], secret_keys=args.get('secret_keys'))
            warnings.extend(plan.get('warnings', []) + remarks)
            if problems and skip and plan.get('user') and not plan['changed']:
                # A file the client would drop, in one account: that account is skipped, the others are configured.
                plan.update(skipped=True, reason='; '.join(problems))
                skipped.append(plan)
            else:
                errors.extend(problems)
        if errors:
            written = [plan['file'] for plan in plans if plan['changed']]
            raise AnsibleActionFail('Refusing to write, %s:\n  - %s' % (
                'only the new files %s were written' % ', '.join(written) if written else 'nothing was changed', '\n  - '.join(errors)))
        warnings.extend('account %s skipped: %s' % (plan['user'], plan['reason']) for plan in skipped if not plan.get('leaving'))
        if warnings:
            result['warnings'] = warnings

        pending = [plan['would_change'] and not plan['changed'] and not plan.get('skipped') for plan in plans]
        profile = planned.get('login_profile')  # a provider role's login-shell profile, written in the apply phase
        finals = plans
        if self._task.check_mode:
            finals = [dict(plan, changed=plan['would_change'] and not plan.get('skipped')) for plan in plans]
            if profile:
                profile['changed'] = profile['would_change']
        elif any(pending) or (profile and profile['would_change']):
            expect = [plan['checksum'] if waiting else '' for plan, waiting in zip(plans, pending)]
            again = dict(module_args, _phase='apply', _expect_checksums=expect)
            if found is not None:
                again['users'] = found  # the accounts the plan found, file for file (not a new look at the host)
            applied = self._call(again, task_vars)
            finals = [done if waiting else plan for plan, done, waiting in zip(plans, applied['files'], pending)]
            profile = applied.get('login_profile', profile)
        done = [(plan, final) for plan, final in zip(plans, finals) if not plan.get('skipped')]
        files = [file_result(plan, final) for plan, final in done]
        result['changed'] = any(item['changed'] for item in files)
        if args.get('users') or args.get('remove_users'):
            for item, (plan, _final) in zip(files, done):
                item['user'] = plan.get('user')
            result['files'] = files
            # The files of users come first, then those of remove_users: the accounts that got this configuration.
            configured = plans[:len(plans) - len(args.get('remove_users') or [])]
            result['accounts'] = [plan['user'] for plan in configured if not plan.get('skipped')]
            # users: all also reports the human accounts without a home folder and the user_settings entries it did not use.
            result['skipped_accounts'] = [dict(user=plan['user'], reason=plan['reason']) for plan in skipped] + planned.get('left_out', [])
        elif files:
            result.update(files[0])
        diffs = [diff for plan, _final in done if plan['would_change'] for diff in diff_of(plan)]
        if profile:
            result['login_profile'] = dict((key, profile[key]) for key in ('path', 'state', 'changed', 'hooks'))
            result['changed'] = result['changed'] or profile['changed']
            if profile['would_change']:
                diffs.extend(profile_diffs(planned['login_profile']))
        if self._task.diff and diffs:
            result['diff'] = diffs
        return result
