# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target side of fleetcfg.claude_code.settings_info: read every settings file Claude Code reads for some accounts.

Python standard library only. Nothing is written. Each file is read once, without following a symlink that an
untrusted user planted (safe_fs), and comes back as an entry: its path, tier, state (absent, empty, present, invalid,
unreadable), the reason when it cannot be loaded, and its document with every secret replaced by ``********`` (the
types stay, so the controller can judge the document as the client would). The controller (plugins/action/
settings_info.py with plugins/plugin_utils/effective.py) decides what the client makes of them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import posixpath
import pwd

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts, safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.schedule_runner import RESULTS as SCHEDULE_RESULTS
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.schedule_target import default_status_file
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import REDACTED, is_secret, redact, url_has_password
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_target import (
    AccountMissing,
    SettingsError,
    _locate_existing,
    default_managed_dir,
    parse_document,
    resolve_target,
)

# The module's options; the action plugin checks a task against them first.
ARGUMENT_SPEC = dict(
    users=dict(type='list', elements='str'),
    config_dir=dict(type='str'),
    project_dir=dict(type='path'),
    managed_dir=dict(type='path'),
    human_uid_min=dict(type='int'),
    human_uid_max=dict(type='int'),
    human_shells=dict(type='list', elements='str'),
    status_file=dict(type='path'),
)
# The server-managed policy from claude.ai, cached in the account's Claude Code folder.
REMOTE_SETTINGS = 'remote-settings.json'


def _read(entry):
    """The bytes of the file at ``entry['path']``, or None: absent (the entry as it is) or unreadable (the entry says
    why, with its state)."""
    try:
        loc = _locate_existing(entry['path'])
        if loc is None:
            return None
        with loc:
            raw, dummy = safe_fs.read(loc)
    except (OSError, IOError) as e:
        entry.update(state='unreadable', reason='cannot read it: %s' % (e.strerror or e))
        return None
    except (safe_fs.UnsafePathError, safe_fs.ConcurrentChangeError) as e:
        entry.update(state='unreadable', reason=str(e))
        return None
    return raw


def read_entry(path, tier):
    """One settings file as an entry (see the module docstring)."""
    entry = dict(path=path, tier=tier, state='absent', reason=None, document=None)
    raw = _read(entry)
    if raw is None:
        return entry
    doc, state = parse_document(raw, path)
    if state.startswith('invalid'):
        entry.update(state='invalid', reason=state[len('invalid: '):])
    else:
        entry.update(state=state, document=hide_secrets(doc))
    return entry


def hide_secrets(doc):
    """``doc`` with secrets replaced by ``********``: env values secret by name or value (settings_doc.redact; here
    numbers and booleans too, which the client reads as text), and any string anywhere that holds a URL with a
    password. The controller hides what only the schema tells (effective.py)."""
    doc = _hide_urls(redact(doc))
    env = doc.get('env')
    if isinstance(env, dict):
        for name, value in env.items():
            if isinstance(value, (int, float)) and is_secret(name, value):
                env[name] = REDACTED
    return doc


def _hide_urls(value):
    if isinstance(value, dict):
        return dict((key, _hide_urls(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_hide_urls(item) for item in value]
    return REDACTED if url_has_password(value) else value


def read_status(path):
    """The status file of fleetcfg.claude_code.schedule: {path, state (absent, present, invalid, unreadable), status (the
    parsed document when present), reason}."""
    entry = dict(path=path, state='absent', status=None, reason=None)
    raw = _read(entry)
    if raw is None:
        return entry
    try:
        doc = json.loads(raw.decode('utf-8'))
    except ValueError as e:
        entry.update(state='invalid', reason='not JSON: %s' % e)
        return entry
    if not isinstance(doc, dict) or doc.get('result') not in SCHEDULE_RESULTS:
        entry.update(state='invalid', reason='not a status file of fleetcfg.claude_code.schedule (no result %s)'
                     % '/'.join(SCHEDULE_RESULTS))
        return entry
    entry.update(state='present', status=_hide_urls(doc))
    return entry


def managed_entries(managed_dir):
    """The managed files in the client's order: managed-settings.json, then managed-settings.d/*.json by name."""
    entries = [read_entry(posixpath.join(managed_dir, 'managed-settings.json'), 'managed')]
    dropins = posixpath.join(managed_dir, 'managed-settings.d')
    try:
        names = sorted(name for name in os.listdir(dropins) if name.endswith('.json') and not name.startswith('.'))
    except OSError:
        names = []
    entries.extend(read_entry(posixpath.join(dropins, name), 'managed') for name in names)
    return entries


def account_entries(user, config_dir=None, project_dir=None):
    """What Claude Code reads for one account: {'files': [user, project, local entries], 'remote': entry}, or
    {'error': why} when the account or its home folder is missing."""
    try:
        target, dummy = resolve_target(dict(scope='user', user=user, config_dir=config_dir))
    except AccountMissing as e:
        return dict(error=str(e))
    home = pwd.getpwnam(user).pw_dir
    if not os.path.isdir(home):
        return dict(error="user: the home folder %s of account '%s' does not exist" % (home, user))
    files = [read_entry(target.path, 'user')]
    if project_dir:
        files.append(read_entry(posixpath.join(project_dir, '.claude', 'settings.json'), 'project'))
        files.append(read_entry(posixpath.join(project_dir, '.claude', 'settings.local.json'), 'local'))
    remote = read_entry(posixpath.join(posixpath.dirname(target.path), REMOTE_SETTINGS), 'server-managed')
    return dict(files=files, remote=remote)


def collect(params, users, left_out=()):
    """Everything settings_info reads on this host: {'managed_dir', 'managed': [entries], 'accounts': {name: ...}};
    ``left_out``: accounts not read, with why ({'user', 'reason'}), reported as missing ones are."""
    managed_dir = params.get('managed_dir') or default_managed_dir()
    if params.get('project_dir') and not posixpath.isabs(params['project_dir']):
        raise SettingsError('project_dir: expected an absolute path, got %r' % params['project_dir'])
    found = dict((user, account_entries(user, params.get('config_dir'), params.get('project_dir'))) for user in users)
    for item in left_out:
        found[item['user']] = dict(error=item['reason'])
    return dict(managed_dir=managed_dir, managed=managed_entries(managed_dir), accounts=found,
                schedule=read_status(params.get('status_file') or default_status_file()))


def select_users(params):
    """(the accounts to read, the human accounts left out with why): ``users``, every human account of the host for
    ``users: all`` (accounts.human_accounts with the task's rule), or the account the module runs as."""
    if not accounts.every_account(params.get('users')):
        return params.get('users') or [pwd.getpwuid(os.geteuid()).pw_name], []
    skipped = []
    found = accounts.human_accounts(params.get('human_uid_min'), params.get('human_uid_max'), params.get('human_shells'),
                                    skipped=skipped)
    return [account.name for account in found], [dict(user=item.name, reason=item.reason) for item in skipped if item.human]
