# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target side of fleetcfg.claude_code.verify: one tiny ``claude -p`` as each account, and what it printed.

Python standard library only: this file is shipped to every target. For each account the client runs as that account
(its uid, gid and groups, set in the child before it starts), with its home folder as HOME and working folder, a
minimal environment built from scratch (nothing of Ansible's or root's environment leaks in: the account's settings
files are what is tested), no retries and no non-essential traffic (``CLAUDE_CODE_MAX_RETRIES=0``,
``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1``), and a timeout after which its whole process group is killed (key
helpers included). What it printed comes back as scrubbed tails: a key helper's own output is cut off, and whatever
looks like a credential is replaced by ``********``. The controller (plugins/plugin_utils/verify.py) says what the
answer means.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import posixpath
import pwd
import re
import signal
import subprocess
import time

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import accounts as accounts_mod
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import REDACTED, hide_url_passwords

# The module's options; the action plugin checks a task against them first.
ARGUMENT_SPEC = dict(
    users=dict(type='list', elements='raw'),
    timeout=dict(type='int', default=60),
    claude=dict(type='str'),
    cli_prefix=dict(type='str'),
    config_dir=dict(type='str'),
    managed_dir=dict(type='path'),
)
MAX_TIMEOUT = 600
# The request: as small as a request can be (one short prompt, no tools offered, the reply a few tokens), and no
# session left behind in the account's history (both options measured with Claude Code 2.1.332).
PROMPT = 'Reply with the single word OK.'
CLIENT_OPTIONS = ('-p', '--no-session-persistence', '--tools', '', '--')
TAIL = 2000  # characters kept of stdout and of stderr
SEARCH_PATH = ('/usr/local/bin', '/usr/bin', '/bin')  # after the account's own ~/.local/bin
HIDDEN = REDACTED
HELPER_OUTPUT_HIDDEN = '[the helper\'s output is not shown]'

# A key helper's output, which the client echoes after its exit status (measured with 2.1.332:
# "apiKeyHelper failed: exited 3: <whatever the helper printed on stderr>"), may hold anything: cut it off.
_HELPER_ECHO = re.compile(r'((?:apiKeyHelper|awsAuthRefresh|awsCredentialExport|gcpAuthRefresh|otelHeadersHelper)'
                          r'[^\n]*?(?:failed|error)[^\n]*?(?:exited|exit code|status) -?\d+)[^\n]*')
_SECRETS = (
    re.compile(r'(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}'),  # an Authorization header's value
    re.compile(r'(?i)\b((?:x-api-key|api[-_]?key|authorization|x-goog-api-key|token|password|secret)["\']?\s*[:=]\s*["\']?)[^\s"\',;]{4,}'),
    re.compile(r'\bsk-[A-Za-z0-9_-]{6,}'),  # Anthropic and OpenAI-style keys
    re.compile(r'\b(?:AKIA|ASIA)[0-9A-Z]{16}\b'),  # AWS access key ids
    re.compile(r'\bya29\.[A-Za-z0-9._-]+'),  # Google OAuth access tokens
    re.compile(r'\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9._-]+'),  # JWTs
    re.compile(r'(?<![A-Za-z0-9_./-])[A-Za-z0-9_+=-]{40,}(?![A-Za-z0-9_./-])'),  # any long token-like word
)


def scrub(text):
    """``text`` without a helper's own output and without anything that looks like a credential."""
    if not text:
        return ''
    text = hide_url_passwords(_HELPER_ECHO.sub(lambda m: m.group(1) + ': ' + HELPER_OUTPUT_HIDDEN, text))
    for pattern in _SECRETS:
        text = pattern.sub(_hide, text)
    return text


def _hide(match):
    if match.re.groups:
        return match.group(1) + (' ' if match.group(1)[-1:].isalpha() else '') + HIDDEN
    return HIDDEN


def tail(text, size=TAIL):
    """The last ``size`` characters of ``text``, scrubbed (scrubbed first, so a cut never splits a secret in two)."""
    text = scrub(text)
    return text[-size:] if len(text) > size else text


# The keys a ``users`` entry that is a mapping may have (the shape of playbooks/settings.yml's claude_code_users).
ENTRY_KEYS = ('name', 'config_dir', 'label')


def account_key(entry):
    """The name of a ``users`` entry in the answer and the report: a plain name is itself; a mapping
    {name, config_dir, label} is its ``label`` when it has one, else ``<name>:<config_dir>`` (``name`` without a
    config_dir), so that one account with several Claude Code folders gets one entry per folder."""
    if not isinstance(entry, dict):
        return entry
    if entry.get('label'):
        return entry['label']
    return '%s:%s' % (entry['name'], entry['config_dir']) if entry.get('config_dir') else entry['name']


def select_accounts(users, skipped, config_dir=None):
    """What to verify, as (key, account name, config_dir) triples: each entry of ``users`` (a name, or a mapping
    {name, config_dir, label}; ``config_dir`` is the default folder of the entries that give none), every human
    account for ``all``, or the account the module runs as."""
    if accounts_mod.every_account(users):
        found = []
        accounts_mod.human_accounts(skipped=found)
        skipped.extend(dict(user=item.name, reason=item.reason) for item in found if item.human)
        names = [account.name for account in accounts_mod.human_accounts()]
    else:
        names = list(users) if users else [pwd.getpwuid(os.geteuid()).pw_name]
    return [(account_key(entry), entry['name'], entry.get('config_dir') or config_dir) if isinstance(entry, dict)
            else (entry, entry, config_dir) for entry in names]


def _executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def client_path(account, claude=None, cli_prefix=None):
    """(the client to run for ``account``, the folders searched): ``claude`` as given (a path, or a name looked up
    like the rest), else ``claude`` in ``<cli_prefix>/bin``, the account's ``~/.local/bin`` (the native
    installer's), then the system's folders. The path is None when there is none."""
    folders = []
    if cli_prefix:
        folders.append(posixpath.join(cli_prefix, 'bin'))
    folders.append(posixpath.join(account.pw_dir, '.local', 'bin'))
    folders.extend(SEARCH_PATH)
    if claude and '/' in claude:
        return (claude if _executable(claude) else None), folders
    name = claude or 'claude'
    for folder in folders:
        candidate = posixpath.join(folder, name)
        if _executable(candidate):
            return candidate, folders
    return None, folders


def account_env(account, folders, config_dir=None):
    """The client's whole environment: the account's identity, a PATH, a UTF-8 locale, and the switches that make one
    run cheap and quiet (no retries, no telemetry or update checks)."""
    env = dict(
        HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name, SHELL=account.pw_shell or '/bin/sh',
        PATH=':'.join(folders), LANG='C.UTF-8', TERM='dumb', NO_COLOR='1',
        CLAUDE_CODE_MAX_RETRIES='0',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC='1',
    )
    if config_dir:
        env['CLAUDE_CONFIG_DIR'] = config_dir if posixpath.isabs(config_dir) else posixpath.join(account.pw_dir, config_dir)
    return env


def _as_account(account):
    """A preexec function that drops to ``account`` (groups, gid, then uid) in the child, before the client starts."""
    groups = sorted(set([account.pw_gid] + [g.gr_gid for g in grp.getgrall() if account.pw_name in g.gr_mem]))

    def drop():
        os.setgroups(groups)
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
    return drop


def run_one(user, timeout, claude=None, cli_prefix=None, config_dir=None):
    """One ``claude -p`` as ``user``: {user, client, exit_status, timed_out, seconds, stdout, stderr} (the outputs
    scrubbed tails), or {user, error, error_message} when it cannot run (account_missing, not_permitted,
    client_missing, start_failed)."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return dict(user=user, error='account_missing', error_message="there is no account '%s' on this host" % user)
    if not os.path.isdir(account.pw_dir):
        return dict(user=user, error='account_missing',
                    error_message="the home folder %s of '%s' does not exist" % (account.pw_dir, user))
    me = os.geteuid()
    if me != 0 and me != account.pw_uid:
        return dict(user=user, error='not_permitted',
                    error_message="cannot run the client as '%s' without root: run the task with become" % user)
    path, folders = client_path(account, claude, cli_prefix)
    if path is None:
        where = claude if claude and '/' in claude else 'claude in ' + ', '.join(folders)
        return dict(user=user, error='client_missing', error_message='no Claude Code client found (%s)' % where)
    folders = [posixpath.dirname(path)] + [f for f in folders if f != posixpath.dirname(path)]
    start = time.time()
    try:
        # Not run_command: the child drops to the account (preexec_fn) in a session of its own, so that a timeout
        # kills the client and every helper it started.
        proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
            [path] + list(CLIENT_OPTIONS) + [PROMPT], cwd=account.pw_dir, env=account_env(account, folders, config_dir),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=_as_account(account) if me == 0 else None, start_new_session=True, close_fds=True)
    except (OSError, subprocess.SubprocessError) as e:
        return dict(user=user, error='start_failed', client=path,
                    error_message='the client %s did not start as %s: %s (the account needs to reach and run it)'
                    % (path, user, getattr(e, 'strerror', None) or e))
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        out, err = proc.communicate()
    _kill_group(proc.pid)  # what the client left behind (a key helper still running)
    return dict(user=user, client=path, exit_status=proc.returncode, timed_out=timed_out,
                seconds=round(time.time() - start, 1),
                stdout=tail(out.decode('utf-8', 'replace')), stderr=tail(err.decode('utf-8', 'replace')))


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def timeout_problem(timeout):
    """The error of a ``timeout`` value (None when it is good)."""
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
        return 'timeout: expected a number of seconds from 1 to %d, got %r' % (MAX_TIMEOUT, timeout)
    return None
