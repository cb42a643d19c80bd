# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What fleetcfg.claude_code.settings does on the target: resolve the file, plan the merge, apply it.

Python standard library only: this file is shipped to every target.

A run has two phases, each one module call. ``plan`` reads the settings file and the helper scripts, computes
the merged document and reports it (secrets redacted) with the checksum of what it read; it writes nothing
(the module may ``apply`` a new file at once, see plugins/modules/settings.py).
The controller validates the plan; only then ``apply`` computes the same merge again, checks that the file
still has the checksum the plan saw, and writes: helpers first, then the settings file, each atomically.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import json
import os
import posixpath
import pwd
import re
import shlex
import stat
import sys

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts
from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils import settings_limits
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.login_policy import gateway_credentials, login_policy, login_policy_conflict
from ansible_collections.fleetcfg.claude_code.plugins.module_utils import versioned_helpers
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import (
    changed_key_paths,
    checksum,
    deep_merge,
    dumps,
    parse_key_path,
    parse_secret_keys,
    redact,
    remove_key_paths,
    secret_paths,
)

DROPIN_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*\.json\Z')
ABSENT = 'absent'
# Where Claude Code reads managed settings, by platform (sys.platform); every other POSIX system as Linux.
MANAGED_DIRS = {'darwin': '/Library/Application Support/ClaudeCode'}
LINUX_MANAGED_DIR = '/etc/claude-code'
# What useradd -m copies into the home folder of every account it creates: a settings file below it is a user file.
SKEL_DIR = '/etc/skel'
# Keys whose value names a model: a provider switch drops the ones the new provider cannot use (``_keep_models``).
MODEL_KEYS = (('model',), ('env', 'ANTHROPIC_MODEL'), ('env', 'ANTHROPIC_SMALL_FAST_MODEL'))


class SettingsError(Exception):
    """A problem the task's author can fix; the message says what and where."""


class AccountMissing(SettingsError):
    """The account, or its home folder, is not there (yet, or any more)."""


def default_managed_dir(platform=None):
    """The managed settings folder of this host's platform."""
    return MANAGED_DIRS.get(platform or sys.platform, LINUX_MANAGED_DIR)


class Target(object):
    """Where a settings file lives, who owns it, and the modes of what the module creates."""

    def __init__(self, path, tier, uid=None, gid=None, dir_mode=0o700, file_mode=0o600, helper_mode=0o700):
        self.path = path
        self.tier = tier
        self.uid = uid
        self.gid = gid
        self.dir_mode = dir_mode
        self.file_mode = file_mode
        self.helper_mode = helper_mode
        self.helper_base = posixpath.dirname(path)  # where relative helper paths start
        self.anchor = None  # (folder that must exist already, message when it does not)


def parse_mode(value, name='mode'):
    """An octal mode from a string ('0600', '600') or an int; None stays None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str) and re.match(r'^0?[0-7]{3,4}$', value.strip()):
        mode = int(value.strip(), 8)
    else:
        raise SettingsError('%s: expected an octal mode such as "0600", got %r' % (name, value))
    if mode > 0o7777:
        raise SettingsError('%s: %o is not a file mode' % (name, mode))
    return mode


def _uid(owner):
    try:
        return int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise SettingsError("owner: user '%s' does not exist on this host" % owner)


def _gid(group):
    try:
        return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise SettingsError("group: group '%s' does not exist on this host" % group)


def in_skel(path):
    """Whether a path is below /etc/skel: a template of every new account's home folder."""
    return posixpath.normpath(path).startswith(SKEL_DIR + '/')


def tier_of_path(path):
    """The settings tier an explicit path's name tells (None when it does not); a file below /etc/skel is a user file."""
    if in_skel(path):
        return 'user'
    name = posixpath.basename(path)
    if name == 'managed-settings.json' or posixpath.basename(posixpath.dirname(path)) == 'managed-settings.d':
        return 'managed'
    if name == 'settings.local.json':
        return 'local'
    return None


def resolve_target(params):
    """The settings file a task means, on this host."""
    scope = params.get('scope') or ('path' if params.get('path') else 'user')
    if scope == 'user':
        account = params.get('user') or pwd.getpwuid(os.geteuid()).pw_name
        try:
            pw = pwd.getpwnam(account)
        except KeyError:
            raise AccountMissing("user: account '%s' does not exist on this host" % account)
        config_dir = params.get('config_dir') or '.claude'
        if config_dir.startswith('~/'):
            config_dir = config_dir[2:]
        if not os.path.isabs(config_dir):
            config_dir = posixpath.join(pw.pw_dir, config_dir)
        target = Target(posixpath.join(config_dir, 'settings.json'), 'user', pw.pw_uid, pw.pw_gid)
        # Folders are created below the home (or below config_dir's parent), never the home itself: a home
        # that does not exist yet (an account that never logged in) must get its /etc/skel copy first.
        if config_dir.startswith(pw.pw_dir.rstrip('/') + '/'):
            target.anchor = (pw.pw_dir, "user: the home folder %s of account '%s' does not exist (not logged in yet?); "
                             "nothing was created" % (pw.pw_dir, account))
        else:
            parent = posixpath.dirname(config_dir.rstrip('/'))
            target.anchor = (parent, 'config_dir: the folder %s does not exist; nothing was created' % parent)
    elif scope in ('project', 'local'):
        project_dir = params['project_dir']
        try:
            fd, real = safe_fs.open_dir(project_dir)
        except OSError as e:
            raise SettingsError('project_dir: cannot open %s: %s' % (project_dir, e.strerror))
        except safe_fs.UnsafePathError as e:
            raise SettingsError('project_dir: %s' % e)
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        name = 'settings.json' if scope == 'project' else 'settings.local.json'
        shared = scope == 'project'
        target = Target(posixpath.join(project_dir, '.claude', name), scope, st.st_uid, st.st_gid,
                        dir_mode=0o755, file_mode=0o644 if shared else 0o600, helper_mode=0o755 if shared else 0o700)
    elif scope in ('managed', 'managed_dropin'):
        managed_dir = params.get('managed_dir') or default_managed_dir()
        if scope == 'managed':
            path = posixpath.join(managed_dir, 'managed-settings.json')
        else:
            dropin = params.get('dropin') or ''
            if not DROPIN_NAME.match(dropin):
                raise SettingsError("dropin: expected a file name ending in .json (letters, digits, '.', '_', '-'), got %r" % dropin)
            path = posixpath.join(managed_dir, 'managed-settings.d', dropin)
        target = Target(path, 'managed', 0, 0, dir_mode=0o755, file_mode=0o644, helper_mode=0o755)
        target.helper_base = managed_dir
    else:
        path = params['path']
        if not os.path.isabs(path):
            raise SettingsError('path: expected an absolute path, got %r' % path)
        tier = tier_of_path(path)
        if tier == 'managed':
            # Named as managed settings (and validated as such): every user must be able to read it.
            target = Target(path, tier, 0, 0, dir_mode=0o755, file_mode=0o644, helper_mode=0o755)
            if posixpath.basename(posixpath.dirname(path)) == 'managed-settings.d':
                target.helper_base = posixpath.dirname(posixpath.dirname(path))
        elif in_skel(path):
            # A home folder template (root's, copied to each new account): readable, no secrets (see plan).
            target = Target(path, tier, 0, 0, file_mode=0o644, helper_mode=0o755)
        else:
            target = Target(path, tier)
    if params.get('owner'):
        target.uid = _uid(params['owner'])
    if params.get('group'):
        target.gid = _gid(params['group'])
    mode = parse_mode(params.get('mode'))
    if mode is not None:
        target.file_mode = mode
    return target, mode is not None


def _reject_constant(name):
    raise ValueError('%s is not a JSON value' % name)


def parse_document(raw, path):
    """(document, state) of a file's bytes; state is absent, empty, present or invalid (document None).

    A file Claude Code cannot load is invalid too: more than settings_limits.MAX_FILE_BYTES, or a value nested deeper
    than settings_limits.MAX_DEPTH (also one too deep for Python's own parser)."""
    if raw is None:
        return {}, ABSENT
    too_big = settings_limits.size_problem(len(raw))
    if too_big:
        return None, 'invalid: it is %s' % too_big
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        return None, 'invalid: not UTF-8 text (%s)' % e
    if not text.strip():
        return {}, 'empty'
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        return None, 'invalid: not valid JSON (%s)' % e
    except RecursionError:
        return None, ('invalid: it is nested too deeply for Python to read (far more than %d levels of objects and arrays); '
                      'Claude Code skips any value nested more than %d levels deep' % (settings_limits.MAX_DEPTH, settings_limits.MAX_DEPTH))
    if not isinstance(doc, dict):
        return None, 'invalid: its top level is a JSON %s, not an object' % type(doc).__name__.replace('list', 'array').replace(
            'str', 'string').replace('NoneType', 'null')
    deep = settings_limits.too_deep(doc)
    if deep is not None:
        return None, "invalid: the value at '%s' %s" % (settings_limits.show_deep_path(deep), settings_limits.depth_problem(deep))
    return doc, 'present'


def helper_path(target, spec):
    path = spec['path']
    if not posixpath.isabs(path):
        path = posixpath.join(target.helper_base, path)
    return posixpath.normpath(path)


def foreign_models(doc, pattern):
    """The model keys of ``doc`` whose values do not fully match ``pattern`` (another provider's model ids)."""
    if not pattern:
        return []
    keep = re.compile(r'(?:%s)\Z' % pattern)
    found = []
    for keys in MODEL_KEYS:
        node = doc
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and not keep.match(node):
            found.append(keys)
    overrides = doc.get('modelOverrides')
    if isinstance(overrides, dict) and any(isinstance(v, str) and not keep.match(v) for v in overrides.values()):
        found.append(('modelOverrides',))
    return found


def desired_document(base, params, target):
    """The merged document: foreign model keys dropped, the task's settings merged in, its removals done, helper
    pointers set."""
    base = remove_key_paths(base, foreign_models(base, params.get('_keep_models')))
    doc = deep_merge(base, params.get('settings') or {}, params.get('list_strategy') or 'union')
    removals = [parse_key_path(p) for p in params.get('remove') or []]
    pointers = {}
    absent = []
    for spec in params.get('helpers') or []:
        present = spec.get('state', 'present') == 'present'
        if spec.get('setting'):
            if present:
                pointers[spec['setting']] = shlex.quote(helper_path(target, spec))
            else:
                absent.append((spec['setting'],))
        if spec.get('env'):
            # A file the client reads through an env variable (a credentials file): its absolute path, not a command.
            if present:
                pointers.setdefault('env', {})[spec['env']] = helper_path(target, spec)
            else:
                absent.append(('env', spec['env']))
    removals.extend(keys for keys in absent if keys[-1] not in (pointers.get('env', {}) if len(keys) == 2 else pointers))
    doc = remove_key_paths(deep_merge(doc, pointers, 'replace'), removals)
    if doc.get('env') == {} and base.get('env'):
        del doc['env']  # emptied by this task's removals: nothing of the user's was in it
    return doc


def _locate_existing(path):
    """A Location for ``path`` if its directory exists, else None (nothing is created)."""
    try:
        return safe_fs.locate(path)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise


def _locate_name(path):
    """A Location of the name itself (a symlink there is not resolved), or None when its folder is missing."""
    try:
        fd, real = safe_fs.open_dir(posixpath.dirname(path))
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise
    return safe_fs.Location(fd, real, posixpath.basename(path))


def _lexists(loc):
    try:
        os.stat(loc.name, dir_fd=loc.dir_fd, follow_symlinks=False)
        return True
    except OSError:
        return False


def _attr_changes(st, uid, gid, mode):
    if st is None:
        return []
    changes = []
    if uid is not None and st.st_uid != uid:
        changes.append('owner')
    if gid is not None and st.st_gid != gid:
        changes.append('group')
    if mode is not None and stat.S_IMODE(st.st_mode) != mode:
        changes.append('mode')
    return changes


def _plan_versioned(target, specs):
    """The plans of the versioned helpers (``versioned: true``), by their index in ``specs``; see versioned_helpers."""
    members = []
    for i, spec in enumerate(specs):
        if spec.get('versioned'):
            mode = parse_mode(spec.get('mode'), 'helpers[%s].mode' % spec['path'])
            members.append(versioned_helpers.Member(i, helper_path(target, spec), spec, target.helper_mode if mode is None else mode))
    if not members:
        return {}
    others = [(helper_path(target, spec), spec['path']) for spec in specs if not spec.get('versioned')]
    plans = {}
    try:
        for one in versioned_helpers.group(members, others, target.path):
            plans.update(versioned_helpers.plan_set(one, target.uid, target.gid, target.dir_mode))
    except versioned_helpers.SetError as e:
        raise SettingsError(str(e))
    return plans


def _plan_helpers(target, params):
    plans = []
    versioned = _plan_versioned(target, params.get('helpers') or [])
    for i, spec in enumerate(params.get('helpers') or []):
        if i in versioned:
            plans.append(versioned[i])
            continue
        path = helper_path(target, spec)
        mode = parse_mode(spec.get('mode'), 'helpers[%s].mode' % spec['path'])
        mode = target.helper_mode if mode is None else mode
        present = spec.get('state', 'present') == 'present'
        loc = _locate_existing(path) if present else _locate_name(path)
        try:
            if present:
                raw, st = safe_fs.read(loc) if loc else (None, None)
            else:
                raw, st = (b'', None) if loc and _lexists(loc) else (None, None)
        finally:
            if loc:
                loc.close()
        if present:
            if spec.get('content') is None:
                raise SettingsError('helpers[%s]: content is required when state is present' % spec['path'])
            want = checksum(spec['content'])
            content_changed = raw is None or checksum(raw) != want
            attrs = _attr_changes(st, target.uid, target.gid, mode)
            changed = content_changed or bool(attrs)
        else:
            content_changed, attrs, changed = raw is not None, [], raw is not None
        plans.append(dict(path=path, state='present' if present else 'absent', changed=changed, existed=raw is not None,
                          content_changed=content_changed, attributes_changed=attrs, mode='%04o' % mode, spec=spec))
    return plans


def secret_keys(params):
    """The task's ``secret_keys`` as key path tuples."""
    try:
        return parse_secret_keys(params.get('secret_keys'))
    except ValueError as e:
        raise SettingsError('secret_keys: %s' % e)


def _readable_secrets(secrets, target, mode):
    """The refusal of secrets (secret_paths) in a file other users can read: where, which, why; never a value."""
    named = ', '.join(path if reason == 'a secret by its name' else '%s: %s' % (path, reason) for path, reason in secrets)
    if in_skel(target.path):
        return ('refusing to write secrets (%s) into %s: useradd -m copies it into the home folder of every account created '
                'later, so each would get the same secret. Keep secrets out of a home folder template: give each account '
                'its own (a per-user file written for that account, or a helper such as apiKeyHelper that reads it).'
                % (named, target.path))
    if target.tier == 'managed':
        advice = ('Managed settings must stay readable by every user: put the secret into each user\'s own file (scope user), '
                  'or have a helper fetch it (apiKeyHelper, otelHeadersHelper).')
    else:
        advice = 'Use mode 0600, or keep the secret out of this file (an apiKeyHelper, or a per-user file).'
    return 'refusing to write secrets (%s) into %s with mode %04o: other users could read them. %s' % (named, target.path, mode, advice)


def plan(params):
    """Read and compute; write nothing. Returns a dict (secrets redacted) plus private entries starting with '_'."""
    target, explicit_mode = resolve_target(params)
    if target.anchor and not os.path.isdir(target.anchor[0]):
        raise AccountMissing(target.anchor[1])
    loc = _locate_existing(target.path)
    try:
        raw, st = safe_fs.read(loc) if loc else (None, None)
    finally:
        if loc:
            loc.close()
    # A trusted symlink (root's) to an existing file elsewhere does not make that file the account's: it keeps its
    # owner and group unless the task names them. Helpers and created folders still get the target's owner.
    file_owner = (target.uid, target.gid)
    if loc is not None and loc.via_link and st is not None:
        file_owner = (_uid(params['owner']) if params.get('owner') else None,
                      _gid(params['group']) if params.get('group') else None)
    base, state = parse_document(raw, target.path)
    if params.get('state') == 'absent':
        return _plan_delete(params, target, raw, st, base, state)
    if base is None:
        if not params.get('replace_invalid'):
            raise SettingsError('%s: %s. It was left as it was. Fix it by hand, or set replace_invalid: true to keep it as a '
                                'backup and write a new file.' % (target.path, state[len('invalid: '):]))
        base = {}
    doc = desired_document(base, params, target)
    _refuse_unloadable(target, doc)
    _refuse_login_conflict(target, doc, params)
    mode = target.file_mode if (st is None or explicit_mode) else stat.S_IMODE(st.st_mode)
    listed = secret_keys(params)
    secrets = secret_paths(doc if (st is None or explicit_mode) else (params.get('settings') or {}), listed)
    if secrets and (mode & 0o077 or in_skel(target.path)):
        raise SettingsError(_readable_secrets(secrets, target, mode))
    before = None if state.startswith('invalid') else base
    content_changed = state.startswith('invalid') or dumps(before) != dumps(doc)
    attrs = _attr_changes(st, file_owner[0], file_owner[1], mode)
    helpers = _plan_helpers(target, params)
    return dict(
        file=target.path,
        tier=target.tier,
        user=params.get('user') if target.tier == 'user' else None,
        found=state.split(':')[0],
        checksum=checksum(raw) if raw is not None else ABSENT,
        before=redact(before, listed) if before is not None else None,
        after=redact(doc, listed),
        changed_keys=changed_key_paths(before or {}, doc),
        content_changed=content_changed,
        attributes_changed=attrs,
        mode='%04o' % mode,
        helpers=[dict((k, v) for k, v in h.items() if k != 'spec') for h in helpers],
        changed=content_changed or bool(attrs) or any(h['changed'] for h in helpers),
        _target=target,
        _file_owner=file_owner,
        _doc=doc,
        _mode=mode,
        _helpers=helpers,
    )


def _refuse_unloadable(target, doc):
    """Refuse a merged document Claude Code could not load: a value nested too deeply, or a file too big."""
    deep = settings_limits.too_deep(doc)
    if deep is not None:
        raise SettingsError("%s: the merged document's value at '%s' %s. Nothing was written." % (
            target.path, settings_limits.show_deep_path(deep), settings_limits.depth_problem(deep)))
    too_big = settings_limits.size_problem(len(dumps(doc).encode('utf-8')))
    if too_big:
        raise SettingsError('%s: the merged file would be %s. Nothing was written.' % (target.path, too_big))


def read_managed_settings(managed_dir, replace=None):
    """The managed settings Claude Code reads from the files under ``managed_dir``, merged as the client merges them:
    ``managed-settings.json``, then ``managed-settings.d/*.json`` in name order (scalars last wins, lists union,
    objects deep merge). ``replace``: (path, document) of a file about to be written, read as that document.

    A file the client would drop whole (unreadable, not JSON, not an object, too big) adds nothing; an entry nested
    too deeply is left out, as the client leaves it out. Returns {} when there are none.
    """
    paths = [posixpath.join(managed_dir, 'managed-settings.json')]
    dropins = posixpath.join(managed_dir, 'managed-settings.d')
    try:
        names = sorted(name for name in os.listdir(dropins) if name.endswith('.json') and not name.startswith('.'))
    except OSError:
        names = []
    paths.extend(posixpath.join(dropins, name) for name in names)
    if replace is not None and replace[0] not in paths:
        paths.append(replace[0])
        paths = paths[:1] + sorted(paths[1:])
    merged = {}
    for path in paths:
        if replace is not None and path == replace[0]:
            doc = replace[1]
        else:
            doc = _read_managed_file(path)
        if doc:
            merged = deep_merge(merged, doc, 'union')
    return merged


def _read_managed_file(path):
    try:
        with open(path, 'rb') as handle:
            raw = handle.read(settings_limits.MAX_FILE_BYTES + 1)
        if len(raw) > settings_limits.MAX_FILE_BYTES:
            return None
        doc = json.loads(raw.decode('utf-8-sig'), parse_constant=_reject_constant)
    except (OSError, IOError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    return dict((key, value) for key, value in doc.items() if settings_limits.too_deep(value, settings_limits.MAX_DEPTH - 1) is None)


def _refuse_login_conflict(target, doc, params):
    """Refuse a document that, with the managed settings of this machine, would keep Claude Code from starting: a
    gateway credential in an account's file under a managed first-party login policy (login_policy), or both in the
    managed settings once this managed file is written."""
    if target.tier == 'managed':
        if not (login_policy(doc) or gateway_credentials(doc)):
            return
        merged = read_managed_settings(target.helper_base, replace=(target.path, doc))
        problem = login_policy_conflict(merged, merged)
    else:
        if not gateway_credentials(doc):
            return
        managed = read_managed_settings(params.get('managed_dir') or default_managed_dir())
        problem = login_policy_conflict(managed, doc)
    if problem:
        raise SettingsError('%s: %s Nothing was written.' % (target.path, problem[0].upper() + problem[1:]))


def _plan_delete(params, target, raw, st, base, state):
    """The plan of ``state: absent``: the drop-in goes, with the helpers the task lists."""
    helpers = _plan_helpers(target, params)
    exists = raw is not None
    return dict(file=target.path, tier=target.tier, user=None, found=state.split(':')[0],
                checksum=checksum(raw) if exists else ABSENT, before=redact(base, secret_keys(params)) if base is not None else None, after={},
                delete=True, changed_keys=changed_key_paths(base or {}, {}), content_changed=exists, attributes_changed=[],
                mode='%04o' % stat.S_IMODE(st.st_mode) if st else None,
                helpers=[dict((k, v) for k, v in h.items() if k != 'spec') for h in helpers],
                changed=exists or any(h['changed'] for h in helpers), _target=target, _helpers=helpers)


def _leaf_paths(value, prefix=()):
    if isinstance(value, dict) and value:
        return [path for key, item in value.items() for path in _leaf_paths(item, prefix + (key,))]
    return [prefix] if prefix else []


def every_human_account(params, **host):
    """``users: all`` made concrete on this host: (params, accounts, left out); params unchanged without it.

    ``params['users']`` becomes the names of the host's human accounts (accounts.human_accounts, with the task's
    ``human_uid_min``, ``human_uid_max`` and ``human_shells``), by name, without the ones in ``remove_users``, which
    are taken off instead. ``accounts`` is that list (None without ``all``). ``left out`` names, with a reason, the
    human accounts skipped for a missing home folder, and every account of ``user_settings`` that is not configured
    (not a human account of this host, or in ``remove_users``): [dict(user, reason)], by name. ``host``: stand-ins
    for the host's account database (accounts.human_accounts' ``passwd``, ``login_defs``, ``shells_file``, ...).
    """
    if not accounts.every_account(params.get('users')):
        return params, None, []
    skipped = []
    found = accounts.human_accounts(params.get('human_uid_min'), params.get('human_uid_max'), params.get('human_shells'),
                                    skipped=skipped, **host)
    leaving = set(params.get('remove_users') or [])
    names = [account.name for account in found if account.name not in leaving]
    left_out = dict((item.name, item.reason) for item in skipped if item.human and item.name not in leaving)
    reasons = dict((item.name, item.reason) for item in skipped)
    for name in sorted(set(params.get('user_settings') or {}) - set(names) - set(left_out)):
        if name in leaving:
            left_out[name] = 'user_settings names it, but it is in remove_users: its file loses the keys instead'
        else:
            left_out[name] = 'user_settings names it, but %s' % reasons.get(name, 'no account of that name is on this host')
    return dict(params, users=names), names, [dict(user=name, reason=left_out[name]) for name in sorted(left_out)]


def file_params(params):
    """One set of parameters per settings file a task names: the task's own, or one per account in ``users``
    (each with ``settings`` merged with that account's ``user_settings``) and in ``remove_users`` (each losing the
    task's keys, every account's own keys and the helpers; ``_leaving`` set)."""
    users = params.get('users') or []
    leaving = params.get('remove_users') or []
    if not users and not leaving:
        return [params]
    shared = params.get('settings') or {}
    own = params.get('user_settings') or {}
    strategy = params.get('list_strategy') or 'union'
    files = [dict(params, user=user, users=None, remove_users=None, settings=deep_merge(shared, own.get(user) or {}, strategy))
             for user in users]
    # A leaving account loses every key the task sets for any account (its personal key has the name of the others').
    named = set(_leaf_paths(shared))
    for settings in own.values():
        named.update(_leaf_paths(settings))
    keys = [list(path) for path in sorted(named)]
    for user in leaving:
        helpers = [dict(h, state='absent') for h in params.get('helpers') or []]
        files.append(dict(params, user=user, users=None, remove_users=None, settings={}, user_settings={},
                          remove=list(params.get('remove') or []) + keys, helpers=helpers, _leaving=True))
    return files


def _checksum_now(loc):
    raw, _st = safe_fs.read(loc)
    return checksum(raw) if raw is not None else ABSENT


def apply(params):
    """Compute the plan again and carry it out, if the file is still what the controller's plan saw."""
    result = plan(params)
    expect = params.get('expect_checksum')
    if expect and result['checksum'] != expect:
        raise safe_fs.ConcurrentChangeError('%s was changed by someone else after the module read it; nothing was written. '
                                            'Run the task again.' % result['file'])
    backup_file = None
    if result['changed']:
        target = result['_target']
        create = safe_fs.dir_creator(target.uid, target.gid, target.dir_mode)
        if result.get('delete'):
            _delete(result, target, create, params.get('backup'))
            result['backup_file'] = None
            return result
        for h in result['_helpers']:
            if h['changed']:
                try:
                    _write_helper(h, target, create)
                except OSError as e:
                    raise SettingsError('cannot write helper %s: %s' % (h['path'], e.strerror or e))
        try:
            backup_file = _write_settings(result, target, create, params.get('backup'))
        except OSError as e:
            raise SettingsError('cannot write %s: %s' % (result['file'], e.strerror or e))
    result['backup_file'] = backup_file
    return result


def _delete(result, target, create, backup):
    """Remove a drop-in and its helpers (helpers first: a pointer is never left without its script)."""
    for h in result['_helpers']:
        if h['changed']:
            _write_helper(h, target, create)
    loc = _locate_name(target.path)
    if loc is None:
        return
    with loc:
        if _lexists(loc):
            if _checksum_now(loc) != result['checksum']:
                raise safe_fs.ConcurrentChangeError('%s was changed by someone else after the module read it; nothing was '
                                                    'deleted. Run the task again.' % target.path)
            if backup:
                safe_fs.backup(loc)
            safe_fs.remove(loc)


def _write_helper(h, target, create):
    vset = h['spec'].get('_versioned_set')
    if vset is not None:
        try:
            versioned_helpers.apply_set(vset, target.uid, target.gid, target.dir_mode, create)  # once for the whole set
        except versioned_helpers.SetError as e:
            raise SettingsError(str(e))
        return
    with (safe_fs.locate(h['path'], create=create) if h['state'] == 'present' else _locate_name(h['path'])) as loc:
        if h['state'] == 'absent':
            safe_fs.remove(loc)
        elif h['content_changed']:
            content = h['spec'].get('content')
            if content is None:
                raise SettingsError('helpers[%s]: content is required when state is present' % h['spec']['path'])
            safe_fs.atomic_write(loc, content.encode('utf-8'), target.uid, target.gid, int(h['mode'], 8))
        else:
            safe_fs.set_attributes(loc, target.uid, target.gid, int(h['mode'], 8))


def _write_settings(result, target, create, backup):
    """Write the planned document (or fix attributes only); return the backup file, if one was made."""
    backup_file = None
    with safe_fs.locate(target.path, create=create) as loc:
        if result['content_changed']:
            _raw, st = safe_fs.read(loc)
            if st is not None and (backup or result['found'] == 'invalid'):
                backup_file = safe_fs.backup(loc)
            uid, gid = result['_file_owner']
            safe_fs.atomic_write(loc, dumps(result['_doc']).encode('utf-8'), uid, gid, result['_mode'],
                                 expect=lambda: _checksum_now(loc) == result['checksum'], current=st)
        elif result['attributes_changed']:
            safe_fs.set_attributes(loc, result['_file_owner'][0], result['_file_owner'][1], result['_mode'])
    return backup_file


def public(result):
    """The part of a plan or apply result that may leave the target (no private entries)."""
    return dict((k, v) for k, v in result.items() if not k.startswith('_'))
