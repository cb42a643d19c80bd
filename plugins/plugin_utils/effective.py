# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Claude Code makes of an account's settings files: the controller side of fleetcfg.claude_code.settings_info.

``account_view(managed, files, remote)`` takes the entries the target read (plugins/module_utils/settings_info.py:
path, tier, state, reason, document with secrets already hidden) and answers as the client would read them
(reference/claude-code-behaviour.md):

- a user, project or local file with invalid JSON or one schema error is dropped whole; a managed file with invalid
  JSON is dropped whole, one with a bad entry loses that entry only; unknown top-level keys are ignored;
- the files that load merge in precedence order, lowest first: user, project, local, then the managed files
  (managed-settings.json, then managed-settings.d/*.json by name). A higher file wins key by key; lists combine;
- which provider of the collection that makes the account use, with which credential and endpoint, and plain
  warnings for what silently does nothing: a credential hidden by another, a gateway URL under a provider switch,
  managed-only keys in a user file, a cached server-managed policy, a login policy that stops the client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.login_policy import login_policy_conflict
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import REDACTED, deep_merge, format_key_path, parse_key_path
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import validation
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS, litellm

# Lowest precedence first.
TIER_ORDER = ('user', 'project', 'local', 'managed')
FIRST_PARTY = 'anthropic'  # the Anthropic API itself: not a provider role of this collection
FIRST_PARTY_HOSTS = ('api.anthropic.com',)
_OFF = ('', '0', 'false', 'no', 'off')


def judge_file(entry):
    """(document the client loads from this file, dropped entries): the document is {} when nothing loads."""
    state = entry.get('state')
    if state in ('absent', 'empty', 'unreadable'):
        return {}, []  # unreadable: by the module (a user's own symlink, no become); the client may well read it
    if state != 'present':
        return {}, [dict(path=entry['path'], reason=entry.get('reason') or state)]
    doc = entry['document']
    # The client does not check env values (tests/e2e/test_schema_vs_client.py): one outside the schema's enum or
    # pattern (CLAUDE_CODE_USE_BEDROCK: "true") drops nothing.
    errors = [(path, text) for path, text in validation.load_errors(doc, entry['tier'], path_label=entry['path'])
              if not (len(path) >= 2 and path[0] == 'env')]
    if not errors:
        return doc, []
    if entry['tier'] != 'managed':
        return {}, [dict(path=entry['path'], reason='; '.join(_problem(entry['path'], text) for dummy, text in errors))]
    # A managed file keeps its valid entries: each top-level key with an error is dropped alone.
    bad = {}
    for path, text in errors:
        bad.setdefault(path[0] if path else None, []).append(_problem(entry['path'], text))
    if None in bad:
        return {}, [dict(path=entry['path'], reason='; '.join(bad[None]))]
    kept = dict((key, value) for key, value in doc.items() if key not in bad)
    return kept, [dict(path=entry['path'], key=key, reason='; '.join(reasons)) for key, reasons in sorted(bad.items())]


def _problem(label, text):
    """A validation message without its leading file label and the advice meant for a task's author."""
    if text.startswith(label + ': '):
        text = text[len(label) + 2:]
    return text.split('; Claude Code would ignore the whole file')[0]


def leaves(value, prefix=()):
    """[(key path tuple, value)] of a document: every value that is not an object (lists are leaves). An empty object
    adds nothing: merged into what a lower file has there, it changes nothing."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found.extend(leaves(item, prefix + (key,)))
        return found
    return [(prefix, value)] if prefix else []


def layer(layers):
    """(effective, shadowed) of documents in precedence order, lowest first: ``layers`` is [(source, document)].

    ``effective``: {key path tuple: {'value', 'source'}}; a list combined from several files also has ``sources``.
    ``shadowed``: [{'key', 'value', 'source', 'by'}] for every value a higher file replaces.
    """
    effective = {}
    shadowed = []
    for source, doc in layers:
        for path, value in leaves(doc):
            current = effective.get(path)
            if isinstance(value, list) and current is not None and isinstance(current['value'], list):
                merged = current['value'] + [item for item in value if item not in current['value']]
                sources = current.get('sources', [current['source']]) + [source]
                effective[path] = dict(value=merged, source=source, sources=sources)
                continue
            # A value replaces the same key, any value under it, and any scalar above it.
            for other in [p for p in effective if p[:len(path)] == path or path[:len(p)] == p]:
                old = effective.pop(other)
                shadowed.append(dict(key=format_key_path(other), value=old['value'], source=old['source'], by=source))
            effective[path] = dict(value=value, source=source)
    return effective, shadowed


def _switch_on(value):
    if isinstance(value, bool):  # the client reads an env value that is not a string as its text
        value = 'true' if value else 'false'
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    elif isinstance(value, (int, float)):
        value = str(value)
    return isinstance(value, str) and value.strip().lower() not in _OFF


def _first_party_url(url):
    host = url.split('://', 1)[-1].split('/', 1)[0].rsplit('@', 1)[-1].split(':', 1)[0].lower()
    return host in FIRST_PARTY_HOSTS


def provider_of(env):
    """(provider, the provider modules whose switch is on): the role of this collection an effective env makes the
    client use (``anthropic`` for the Anthropic API itself, None when nothing selects one)."""
    on = [p for name, p in sorted(PROVIDERS.items()) if p.SWITCH and _switch_on(env.get(p.SWITCH))]
    if on:
        return (litellm.NAME if litellm.route_of(env, on[0].NAME) else on[0].NAME), on
    base = env.get(litellm.ENDPOINT)
    if isinstance(base, str) and base and not _first_party_url(base):
        return litellm.NAME, on
    return FIRST_PARTY, on


def account_view(managed, files, remote=None):
    """The answer of settings_info for one account (see the module's RETURN): effective, dropped, shadowed,
    warnings, provider, credential, endpoint, files."""
    dropped = []
    warnings = []
    layers = []
    by_tier = dict((tier, []) for tier in TIER_ORDER)
    for entry in list(files) + list(managed):
        by_tier[entry['tier']].append(entry)
    listed = []
    for tier in TIER_ORDER:
        for entry in by_tier[tier]:
            doc, lost = judge_file(entry)
            dropped.extend(lost)
            whole = any('key' not in item for item in lost)
            listed.append(dict(path=entry['path'], tier=tier, state='dropped' if whole else entry['state']))
            if entry['state'] == 'unreadable':
                warnings.append('%s: not read (%s), so this answer leaves it out; Claude Code, running as the account, may '
                                'read it' % (entry['path'], entry.get('reason') or 'unreadable'))
            for item in lost:
                if 'key' in item:
                    warnings.append("%s: Claude Code drops the entry '%s' of this managed file: %s" % (item['path'], item['key'], item['reason']))
                else:
                    warnings.append('%s: Claude Code drops this whole file, silently: %s' % (item['path'], item['reason']))
            if doc:
                layers.append((entry['path'], doc))
                if tier != 'managed':
                    warnings.extend("%s: '%s' %s" % (entry['path'], format_key_path(path), problem)
                                    for path, problem in validation.tier_problems(doc, tier))
    effective, shadowed = layer(layers)
    merged = {}
    for dummy, doc in layers:
        merged = deep_merge(merged, doc, 'union')
    env = merged.get('env') if isinstance(merged.get('env'), dict) else {}

    provider, switches = provider_of(env)
    if len(switches) > 1:
        warnings.append('several provider switches are on (%s): Claude Code uses only one of them' % ', '.join(
            '%s from %s' % (p.SWITCH, effective[('env', p.SWITCH)]['source']) for p in switches))
    module = PROVIDERS.get(provider)
    credential = _credential(effective, module.CREDENTIALS if module else litellm.CREDENTIALS, warnings, module is None or provider == litellm.NAME)
    if switches and provider != litellm.NAME:
        for key in (litellm.ENDPOINT,):
            found = effective.get(('env', key))
            if found:
                warnings.append('env.%s (from %s) is not used: env.%s (from %s) makes Claude Code use %s, which ignores it' % (
                    key, found['source'], switches[0].SWITCH, effective[('env', switches[0].SWITCH)]['source'], provider))
    endpoint = None
    if module is not None:
        name = litellm.ROUTE_ENDPOINTS.get(switches[0].NAME) if provider == litellm.NAME and switches else module.ENDPOINT
        found = effective.get(('env', name))
        if found:
            endpoint = dict(key='env.' + name, value=found['value'], source=found['source'])
    elif effective.get(('env', litellm.ENDPOINT)):
        found = effective[('env', litellm.ENDPOINT)]
        endpoint = dict(key='env.' + litellm.ENDPOINT, value=found['value'], source=found['source'])

    managed_doc = {}
    for entry in managed:
        doc, dummy = judge_file(entry)
        managed_doc = deep_merge(managed_doc, doc, 'union')
    conflict = login_policy_conflict(managed_doc, merged)
    if conflict:
        warnings.append(conflict[0].upper() + conflict[1:])
    if remote is not None and remote.get('state') == 'present':
        if switches or provider == litellm.NAME:
            warnings.append('%s: a cached server-managed policy from claude.ai; Claude Code skips it for this account, '
                            'which uses %s' % (remote['path'], provider))
        else:
            warnings.append('%s: a cached server-managed policy from claude.ai; for this account it overrides the '
                            'managed files (Claude Code uses the first managed source with a policy)' % remote['path'])
        listed.append(dict(path=remote['path'], tier='server-managed', state='present'))

    # The target hid the secrets it knows (strings secret by env name or by value); here also those only the schema
    # tells (a user-chosen name such as pluginConfigs.<p>.options.apiKey) and secrets that are not strings.
    for path, item in effective.items():
        item['value'] = _shown(path, item['value'])
    for item in shadowed:
        item['value'] = _shown(tuple(parse_key_path(item['key'])), item['value'])
    return dict(
        effective=dict((format_key_path(path), item) for path, item in sorted(effective.items(), key=lambda kv: format_key_path(kv[0]))),
        dropped=dropped,
        shadowed=shadowed,
        warnings=warnings,
        provider=provider if (provider != FIRST_PARTY or credential) else None,
        credential=credential,
        endpoint=endpoint,
        files=listed,
    )


def _shown(path, value):
    return REDACTED if value not in ('', None, [], {}) and validation.is_hidden(path, value) else value


def _credential(effective, order, warnings, gateway):
    """The credential the client uses ({key, source}) from ``order``; on a gateway (where the order is measured), a
    warning for each other credential it hides."""
    present = []
    for key in order:
        item = effective.get(tuple(parse_key_path(key)))
        if item is None or item['value'] in ('', None):
            continue
        if key.startswith('env.CLAUDE_CODE_SKIP_') and not _switch_on(item['value']):
            continue  # a skip-auth switch that is off
        present.append((key, item))
    if not present:
        return None
    key, item = present[0]
    if gateway:
        for other, hidden in present[1:]:
            warnings.append('%s (from %s) hides %s (from %s): Claude Code uses the first and never the other' % (
                key, item['source'], other, hidden['source']))
    return dict(key=key, source=item['source'])
