# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The knowledge of fleetcfg.claude_code.verify: what one ``claude -p`` run means, and the fleet's report.

- ``classify(run, view)``: one account's run (exit status and scrubbed output tails from plugins/module_utils/
  verify_target.py) together with settings_info's answer for the account (plugins/plugin_utils/effective.py
  ``account_view``: provider, endpoint, credential, dropped files) -> the entry of the report: ``ok``, ``cause``,
  ``message`` and, for ok, ``provider`` and ``endpoint``;
- ``host_entries``, ``build_report``, ``summary_lines``: every host's registered result -> the report of
  playbooks/verify.yml and whether the run must end non-zero (written by action/verify_report.py).

The client's messages below were measured with Claude Code 2.1.332 against the local fakes of tests/e2e (see
docs/verify.md, "What the client prints"). They are data: a new client version that words a message differently needs
a new line here, and tests/e2e/test_verify.py tells. Pure Python: unit-tested without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

FORMAT = 1
CLIENT_MEASURED = '2.1.332'

CAUSES = (
    'no_credentials', 'helper_failed', 'auth_rejected', 'unreachable', 'settings_invalid', 'model_rejected',
    'version_out_of_range', 'login_policy',
    # beyond the list
    'timeout', 'client_missing', 'client_failed', 'account_missing', 'not_permitted', 'start_failed',
    'host_unreachable', 'host_failed',
)

# Measured with Claude Code 2.1.332 (tests/e2e/test_verify.py). Each is (cause, regular expression on stdout + stderr).
# Order matters: the first that matches wins.
#   requiredMinimumVersion above the client (stderr, exit 1, nothing sent):
#     "Claude Code 2.1.332 is older than the minimum version required by your organization (2.1.400)."
#   requiredMaximumVersion below it:
#     "Claude Code 2.1.332 is newer than the maximum version allowed by your organization (2.1.300)."
#   a managed forceLoginMethod with a gateway credential (stderr, exit 1, nothing sent):
#     "This machine's managed settings require a first-party login: ..."
#   a key helper exiting 3 (stdout, exit 1; the request is still sent, with an empty credential, and refused):
#     "Your apiKeyHelper script is failing · This usually means you need to re-authenticate with your provider · ..."
#     stderr: "apiKeyHelper failed: exited 3: <the helper's stderr>" (cut off by the target's scrubbing)
#   a 401 for ANTHROPIC_API_KEY: "Invalid API key · Fix external API key"
#   a 401 for ANTHROPIC_AUTH_TOKEN: "Not logged in · Please run /login" (the same words as no credential at all)
#   a 403: "Failed to authenticate. API Error: 403 <the endpoint's message>"
#   Bedrock refusing the AWS credential: "AWS authentication failed · refresh your AWS credentials ... API Error: 403 ..."
#   no credential at all: "Not logged in · Please run /login"; Bedrock without AWS credentials:
#     "API Error: Could not load AWS credentials · Could not load credentials from any providers. ..."
#   connection refused: "API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)"
#   unknown host: "API Error: Can't reach the API server — check your internet or DNS (ENOTFOUND)"
#   an untrusted certificate: "API Error: Unable to connect to API: SSL certificate verification failed
#     (UNABLE_TO_VERIFY_LEAF_SIGNATURE). ..."
#   a model the endpoint does not serve (404 not_found_error):
#     "There's an issue with the selected model (claude-bad). It may not exist or you may not have access to it. ..."
#   a user settings file the client drops (stderr; the run then fails as without the file, often "Not logged in"):
#     "These settings did not load, so nothing in them is in effect, ...:\n  <path> (<key>): <problem>"
MEASURED = (
    ('version_out_of_range', r'is (?:older than the minimum version required|newer than the maximum version allowed) by your organization'),
    ('login_policy', r'managed settings require a first-party login'),
    ('helper_failed', r'apiKeyHelper script is failing|apiKeyHelper failed'),
    ('auth_rejected', r'Invalid API key|Failed to authenticate|AWS authentication failed|API Error: 40[13]\b|'
                      r'OAuth token has expired|authentication_error|permission_error'),
    ('no_credentials', r'Could not load AWS credentials|Could not load credentials from any providers|'
                       r'Could not load the default credentials|Not logged in'),
    ('unreachable', r'ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|'
                    r"Can't reach the API server|Unable to connect to API|Connection refused|certificate|"
                    r'SELF_SIGNED|UNABLE_TO_VERIFY|CERT_'),
    ('model_rejected', r'issue with the selected model|model[^\n]{0,80}(?:not found|not_found|does not exist|invalid)|'
                       r'invalid model|not_found_error'),
)
_MEASURED = tuple((cause, re.compile(pattern)) for cause, pattern in MEASURED)
DROPPED_BANNER = 'These settings did not load'
_HELPER_STATUS = re.compile(r'apiKeyHelper failed: exited (-?\d+)')
_VERSION = re.compile(r'Claude Code (\S+) is (older|newer) than the (?:minimum|maximum) version (?:required|allowed) '
                      r'by your organization \(([^)]+)\)')
_UNREACHABLE_KIND = (
    (r'ENOTFOUND|EAI_AGAIN|DNS', 'its host name does not resolve (DNS)'),
    (r'ECONNREFUSED|Connection refused', 'the connection was refused'),
    (r'certificate|SELF_SIGNED|UNABLE_TO_VERIFY|CERT_|SSL|TLS', 'its TLS certificate is not trusted '
     '(a private CA needs NODE_EXTRA_CA_CERTS)'),
    (r'ETIMEDOUT|EHOSTUNREACH|ENETUNREACH', 'it does not answer (a firewall, a proxy or a wrong address)'),
)
_MODEL = re.compile(r'selected model \(([^)]+)\)')


def _where(view):
    """The endpoint of a settings_info answer in words, and its value (None for the provider's default)."""
    endpoint = (view or {}).get('endpoint') or None
    if endpoint and endpoint.get('value'):
        return '%s (%s, from %s)' % (endpoint['value'], endpoint['key'], endpoint['source']), endpoint['value']
    return "the provider's default endpoint", None


def _first_line(text):
    for line in (text or '').splitlines():
        if line.strip() and not line.startswith('[claude-code:') and "doesn't recognize the model" not in line:
            return line.strip()[:300]
    return ''


def classify(run, view=None):
    """The report's entry for one account: {ok, cause, message, provider, endpoint}. ``run``: what the target returned
    for the account; ``view``: settings_info's answer for it (None when it has none)."""
    view = view or {}
    provider = view.get('provider')
    where, endpoint = _where(view)
    entry = dict(ok=False, cause=None, message='', provider=provider, endpoint=endpoint)
    if run.get('error'):
        entry.update(cause=run['error'], message=run.get('error_message') or run['error'])
        return entry
    out = (run.get('stdout') or '') + '\n' + (run.get('stderr') or '')
    if run.get('timed_out'):
        entry.update(cause='timeout', message='no answer within %s s: the client was stopped; the endpoint (%s) may hang '
                     'or a key helper may wait for input' % (run.get('timeout', '?'), where))
        return entry
    if run.get('exit_status') == 0:
        entry.update(ok=True, message='reached %s at %s' % (provider or 'the Anthropic API', where))
        return entry
    cause = None
    for name, pattern in _MEASURED:
        if pattern.search(out):
            cause = name
            break
    dropped = view.get('dropped') or []
    if dropped and cause not in ('version_out_of_range', 'login_policy'):
        cause = 'settings_invalid'
    elif DROPPED_BANNER in out and cause not in ('version_out_of_range', 'login_policy'):
        cause = 'settings_invalid'
    if cause == 'no_credentials' and view.get('credential') and 'Not logged in' in out:
        cause = 'auth_rejected'  # measured: a 401 for ANTHROPIC_AUTH_TOKEN prints "Not logged in" too
    entry.update(cause=cause or 'client_failed', message=_message(cause, out, view, where, run))
    return entry


def _message(cause, out, view, where, run):
    credential = view.get('credential') or {}
    named = '%s (from %s)' % (credential['key'], credential['source']) if credential else None
    if cause == 'version_out_of_range':
        found = _VERSION.search(out)
        if found:
            bound = 'minimum' if found.group(2) == 'older' else 'maximum'
            return ('the installed Claude Code %s is outside the managed range (%s %s): the client refuses to start; '
                    'install a version inside the range (role fleetcfg.claude_code.cli) or change the range'
                    % (found.group(1), bound, found.group(3)))
        return 'the installed Claude Code is outside the managed version range: the client refuses to start'
    if cause == 'login_policy':
        return ('the managed settings ask for a first-party login (forceLoginMethod or forceLoginOrgUUID) and a gateway '
                'credential is set%s: the client refuses to start; leave the credential out or use the gateway sign-in'
                % ((' (%s)' % named) if named else ''))
    if cause == 'settings_invalid':
        dropped = view.get('dropped') or []
        if dropped:
            return 'Claude Code drops %s, so nothing in it is in effect' % '; '.join(
                '%s (%s)' % (item['path'], item.get('reason') or 'invalid') for item in dropped)
        return 'Claude Code drops a settings file, so nothing in it is in effect: %s' % _first_line(
            out[out.index(DROPPED_BANNER):].split('\n', 1)[-1] if DROPPED_BANNER in out else out)
    if cause == 'helper_failed':
        status = _HELPER_STATUS.search(out)
        helper = view.get('effective', {}).get('apiKeyHelper', {}).get('value') if view.get('effective') else None
        return 'the key helper %sfailed%s: the request went out without a credential and was refused; run it as the account to see why' % (
            (helper + ' ') if isinstance(helper, str) else '', (' (exit status %s)' % status.group(1)) if status else '')
    if cause == 'auth_rejected':
        return 'the endpoint %s refused the credential %s (401/403): %s' % (where, named or '', _first_line(out))
    if cause == 'no_credentials':
        return 'no credential is configured for %s: %s' % (view.get('provider') or 'the client', _first_line(out))
    if cause == 'unreachable':
        kind = next((words for pattern, words in _UNREACHABLE_KIND if re.search(pattern, out)), 'it cannot be reached')
        return 'the endpoint %s is unreachable: %s' % (where, kind)
    if cause == 'model_rejected':
        model = _MODEL.search(out)
        return 'the endpoint %s rejected the model%s: it does not serve it, or the account may not use it' % (
            where, (' ' + model.group(1)) if model else '')
    return 'the client ended with exit status %s: %s' % (run.get('exit_status'), _first_line(out) or 'it printed nothing')


# --- the report --------------------------------------------------------------------------------------------------

def account_entries(result, views, timeout=None):
    """{account: entry} of one host's module result (``runs``) and settings_info's answers (``views``)."""
    entries = {}
    for user, run in sorted(result.get('runs', {}).items()):
        if timeout is not None:
            run = dict(run, timeout=timeout)
        entry = classify(run, views.get(user))
        view = views.get(user) or {}
        if view.get('warnings'):
            entry['warnings'] = list(view['warnings'])
        for key in ('exit_status', 'seconds', 'client'):
            if run.get(key) is not None:
                entry[key] = run[key]
        entries[user] = entry
    return entries


def host_entries(registered, users):
    """{account: entry} of what the role registered on a host: the verify task's result, or the host's failure.

    ``users``: the accounts the task was given (a list, or ``all``), for the entries of a host that gave none."""
    names = users if isinstance(users, list) and users else ['all']
    if registered is None:
        return dict((user, dict(ok=False, cause='host_failed', message='the verify task did not run on this host',
                                provider=None, endpoint=None)) for user in names)
    if registered.get('unreachable'):
        message = 'the host is unreachable: %s' % (registered.get('msg') or 'no connection')
        return dict((user, dict(ok=False, cause='host_unreachable', message=message, provider=None, endpoint=None))
                    for user in names)
    if registered.get('failed') and not registered.get('accounts'):
        message = 'the verify task failed on this host: %s' % (registered.get('msg') or 'no message')
        return dict((user, dict(ok=False, cause='host_failed', message=message, provider=None, endpoint=None))
                    for user in names)
    return dict(registered.get('accounts') or {})


def build_report(hosts, generated, path):
    """The report: {format, generated, client_measured, summary, hosts}; ``hosts``: {host: {account: entry}}."""
    causes = {}
    accounts = ok = 0
    failing = []
    for host, entries in sorted(hosts.items()):
        for user, entry in sorted(entries.items()):
            accounts += 1
            if entry.get('ok'):
                ok += 1
            else:
                causes[entry.get('cause')] = causes.get(entry.get('cause'), 0) + 1
                failing.append('%s/%s' % (host, user))
    summary = dict(hosts=len(hosts), accounts=accounts, ok=ok, failed=accounts - ok, causes=causes,
                   failing=failing[:20])
    return dict(format=FORMAT, generated=generated, path=path, summary=summary, hosts=hosts)


def summary_lines(report):
    """A few lines for a person: the counts, then one line per failing account (at most 20)."""
    s = report['summary']
    lines = ['Claude Code verify: %d account(s) on %d host(s): %d ok, %d failed' % (s['accounts'], s['hosts'], s['ok'], s['failed'])]
    if s['causes']:
        lines.append('causes: ' + ', '.join('%s %d' % (cause, n) for cause, n in sorted(s['causes'].items())))
    shown = 0
    for host, entries in sorted(report['hosts'].items()):
        for user, entry in sorted(entries.items()):
            if not entry.get('ok') and shown < 20:
                lines.append('  %s %s: %s: %s' % (host, user, entry.get('cause'), entry.get('message')))
                shown += 1
    return lines
