# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic on Claude Code settings documents, shared by the target module and the controller.

Python standard library only: this file is shipped to every target.

One place for: key paths, deep merge, key removal, what changed, secret detection and redaction,
and the canonical serialization the module writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import re
from urllib.parse import unquote

REDACTED = '********'

# An env variable whose name contains one of these words holds a secret.
SECRET_NAME_WORDS = ('TOKEN', 'KEY', 'SECRET', 'PASSWORD', 'AUTH', 'CUSTOM_HEADERS')

_MISSING = object()


def parse_key_path(path):
    """Return a key path as a tuple of keys.

    A path is either a list of keys, or a string of keys joined by dots. A key that contains a dot
    can be given with the list form, or escaped in the string form as ``\\.``.
    """
    if isinstance(path, (list, tuple)):
        keys = tuple(path)
    elif isinstance(path, str):
        keys = tuple(k.replace('\0', '.') for k in path.replace('\\.', '\0').split('.'))
    else:
        raise ValueError('a key path must be a string or a list of strings, got %s' % type(path).__name__)
    if not keys or any(not isinstance(k, str) or k == '' for k in keys):
        raise ValueError('invalid key path %r: keys must be non-empty strings' % (path,))
    return keys


def format_key_path(keys):
    """The display form of a key path: keys joined by dots (dots inside a key escaped)."""
    return '.'.join(k.replace('.', '\\.') for k in keys)


def deep_merge(base, overlay, list_strategy='union'):
    """Merge ``overlay`` into a copy of ``base`` and return it.

    Objects merge key by key, recursively; keys of ``base`` that ``overlay`` does not name stay, in
    their order, and new keys are appended. Lists are replaced (``replace``) or extended by the
    items of ``overlay`` that are not already there, keeping order (``union``). Anything else is
    replaced by the overlay's value.
    """
    if list_strategy not in ('union', 'replace'):
        raise ValueError('list_strategy must be union or replace, got %r' % (list_strategy,))
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        current = result.get(key, _MISSING)
        if isinstance(value, dict) and isinstance(current, dict):
            result[key] = deep_merge(current, value, list_strategy)
        elif isinstance(value, list) and isinstance(current, list) and list_strategy == 'union':
            merged = list(current)
            seen = set(json.dumps(item, sort_keys=True) for item in merged)
            for item in value:
                marker = json.dumps(item, sort_keys=True)
                if marker not in seen:
                    seen.add(marker)
                    merged.append(copy.deepcopy(item))
            result[key] = merged
        else:
            result[key] = copy.deepcopy(value)
    return result


def remove_key_paths(doc, paths):
    """Return a copy of ``doc`` without the given key paths (tuples). Missing paths are ignored.

    An object left empty by a removal is kept (it may be the user's own).
    """
    result = copy.deepcopy(doc)
    for keys in paths:
        node = result
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    return result


def get_key_path(doc, keys, default=None):
    node = doc
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def changed_key_paths(before, after, prefix=()):
    """The key paths whose values differ between two documents, sorted, in display form.

    Objects are compared key by key (an object added or removed counts key by key too); any other value,
    lists included, is compared whole.
    """
    before_obj, after_obj = isinstance(before, dict), isinstance(after, dict)
    if (before_obj or after_obj) and (before_obj or before is _MISSING) and (after_obj or after is _MISSING):
        b = before if before_obj else {}
        a = after if after_obj else {}
        changed = []
        for key in list(b) + [k for k in a if k not in b]:
            changed.extend(changed_key_paths(b.get(key, _MISSING), a.get(key, _MISSING), prefix + (key,)))
        if not changed and before_obj != after_obj:
            changed = [format_key_path(prefix)]
        return changed if prefix else sorted(changed)
    if before != after or type(before) is not type(after):
        return [format_key_path(prefix)]
    return []


# Documented variables whose names contain a secret word but which hold a switch, a limit or a duration.
NOT_SECRET_NAMES = frozenset((
    'CLAUDE_CODE_API_KEY_HELPER_TTL_MS',
    'CLAUDE_CODE_CLIENT_KEY',  # the path of the mTLS key file, not the key
    'CLAUDE_CODE_FILE_READ_MAX_OUTPUT_TOKENS',
    'CLAUDE_CODE_MAX_OUTPUT_TOKENS',
    'MAX_THINKING_TOKENS',
))
_SKIP_AUTH_SWITCH = re.compile(r'^CLAUDE_CODE_SKIP_[A-Z_]*AUTH\Z')


def is_secret_name(name):
    """Whether a value stored under this name (an env variable, or a key such as a header name) is a secret:
    the name contains one of SECRET_NAME_WORDS, in any case, and is not a documented switch or limit."""
    upper = str(name).upper()
    if upper in NOT_SECRET_NAMES or _SKIP_AUTH_SWITCH.match(upper):
        return False
    return any(word in upper for word in SECRET_NAME_WORDS)


def is_secret_path(keys, value=None, listed=()):
    """Whether a settings key path holds a secret: an ``env`` entry that is secret by name or by value (see is_secret),
    or a path at or under one of the ``listed`` key paths (the task's ``secret_keys``)."""
    return secret_reason(keys, value, listed) is not None


# A URL with a password in its user info (scheme://user:password@host), anywhere in a value; user@host is no secret.
_URL_PASSWORD = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)[^/?#@\s]+@')
# Env variables that hold a list of HTTP headers, and how: item separator, name/value separator.
HEADER_LISTS = {
    'ANTHROPIC_CUSTOM_HEADERS': ('\n', ':'),
    'OTEL_EXPORTER_OTLP_HEADERS': (',', '='),
    'OTEL_EXPORTER_OTLP_LOGS_HEADERS': (',', '='),
    'OTEL_EXPORTER_OTLP_METRICS_HEADERS': (',', '='),
    'OTEL_EXPORTER_OTLP_TRACES_HEADERS': (',', '='),
}
# A header whose name contains one of these words (any case), or is one of SECRET_HEADER_NAMES, carries a credential:
# Authorization, Proxy-Authorization, x-api-key, api-key, X-SF-Token, Cookie, ...
SECRET_HEADER_WORDS = ('AUTH', 'TOKEN', 'KEY', 'SECRET', 'PASSWORD', 'PASSWD', 'COOKIE', 'CREDENTIAL', 'SIGNATURE', 'DSN')
SECRET_HEADER_NAMES = frozenset(('x-honeycomb-team',))
# A header value that starts with an authorization scheme is a credential whatever the header's name.
_AUTH_SCHEME = re.compile(r'(?i)\s*(?:bearer|basic|digest|negotiate|token|api-?token|api-?key)\s+\S')


def url_has_password(value):
    """Whether a string holds a URL with a password in its user info (``https://user:pass@proxy:3128``, any scheme)."""
    return isinstance(value, str) and _URL_PASSWORD.search(value) is not None


def hide_url_passwords(text):
    """``text`` with the password of every URL in it replaced (``https://user:********@proxy:3128``)."""
    return _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + '@', text) if isinstance(text, str) else text


def is_secret_header(name, value=''):
    """Whether an HTTP header (in a header list such as OTEL_EXPORTER_OTLP_HEADERS) carries a credential."""
    upper = str(name).strip().upper()
    return (upper.lower() in SECRET_HEADER_NAMES or any(word in upper for word in SECRET_HEADER_WORDS)
            or _AUTH_SCHEME.match(str(value)) is not None)


def header_list_has_secret(name, value):
    """Whether the env variable ``name`` is a header list (HEADER_LISTS) whose ``value`` has a credential header:
    comma-separated ``name=value`` (OpenTelemetry, percent-encoded) or newline-separated ``Name: value``."""
    form = HEADER_LISTS.get(str(name).upper())
    if form is None or not isinstance(value, str):
        return False
    for item in value.split(form[0]):
        header, sep, content = item.partition(form[1])
        if sep and header.strip():
            if form[1] == '=':
                header, content = unquote(header), unquote(content)
            if is_secret_header(header, content):
                return True
    return False


def is_secret(name, value=None, listed=()):
    """Whether the value of env variable ``name`` is a secret: by its name (is_secret_name), by what it holds (a URL
    with a password, a header list with a credential header), or because ``env.<name>`` is ``listed`` (secret_keys).
    ``value`` None judges by the name alone."""
    return secret_reason(('env', name), value, listed) is not None


def parse_secret_keys(listed):
    """The key paths of a ``secret_keys`` list as tuples (each a string in key-path syntax or a list of keys)."""
    return tuple(parse_key_path(path) for path in listed or ())


def secret_reason(keys, value=None, listed=()):
    """Why the value at key path ``keys`` is a secret, in a few words, or None when it is not one.

    ``listed``: key paths (tuples, or strings in key-path syntax) the task declares secret, with everything under them.
    """
    keys = tuple(keys)
    for path in listed or ():
        path = parse_key_path(path) if not isinstance(path, tuple) else path
        if keys[:len(path)] == path:
            return 'listed in secret_keys'
    if len(keys) < 2 or keys[0] != 'env':
        return None
    if is_secret_name(keys[1]):
        return 'a secret by its name'
    if url_has_password(value):
        return 'a URL with a password'
    if header_list_has_secret(keys[1], value):
        return 'an auth header'
    return None


def _secret_leaves(value, keys, listed, found):
    """Collect (key path, value) of every secret in ``value`` at ``keys`` (env entries and listed paths), outermost."""
    if secret_reason(keys, value, listed) is not None:
        found.append((keys, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _secret_leaves(item, keys + (key,), listed, found)


def redact(doc, listed=()):
    """A copy of a settings document with every secret value replaced by ``REDACTED``: env values secret by name or by
    value (is_secret), and the string values at or under the ``listed`` key paths.

    Only non-empty strings are replaced (those inside a secret list or object too), so the redacted document has the
    same types as the original and can be validated in its place.
    """
    result = copy.deepcopy(doc)
    if not isinstance(result, dict):
        return result
    listed = parse_secret_keys(listed)
    found = []
    for key in ('env',) if not listed else list(result):
        if key in result:
            _secret_leaves(result[key], (key,), listed, found)
    for keys, value in found:
        _set_key_path(result, keys, _redact_value(value))
    return result


def _redact_value(value, marker=REDACTED):
    if isinstance(value, str):
        return marker if value else value
    if isinstance(value, list):
        return [_redact_value(item, marker) for item in value]
    if isinstance(value, dict):
        return dict((key, _redact_value(item, marker)) for key, item in value.items())
    return value


def _set_key_path(doc, keys, value):
    node = doc
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


def secret_paths(doc, listed=()):
    """The secrets a document sets (non-empty values), sorted: [(display key path, reason)] (see secret_reason)."""
    if not isinstance(doc, dict):
        return []
    listed = parse_secret_keys(listed)
    found = []
    for key in ('env',) if not listed else list(doc):
        if key in doc:
            _secret_leaves(doc[key], (key,), listed, found)
    return sorted((format_key_path(keys), secret_reason(keys, value, listed)) for keys, value in found
                  if value not in ('', None, [], {}))


def secret_env_names(doc):
    """The names of the secret env variables a document sets (non-empty values), sorted."""
    return [path[len('env.'):] for path, _reason in secret_paths(doc) if path.startswith('env.')]


CHANGED_SECRET = (REDACTED + ' (old)', REDACTED + ' (new)')


def mark_changed_secrets(before, after, changed_keys):
    """Copies of two redacted documents in which each secret that changed reads ``******** (old)`` before and
    ``******** (new)`` after, so a diff shows the change without any part of either value.

    ``changed_keys``: the display key paths whose real values differ (changed_key_paths of the unredacted documents).
    A path whose redacted values look the same on both sides is a secret that changed; nothing else is touched.
    """
    before, after = copy.deepcopy(before), copy.deepcopy(after)
    for path in changed_keys or ():
        try:
            keys = parse_key_path(path)
        except ValueError:
            continue
        old, new = get_key_path(before, keys, _MISSING), get_key_path(after, keys, _MISSING)
        if old is _MISSING or new is _MISSING or old != new or REDACTED not in json.dumps(old):
            continue
        _set_key_path(before, keys, _mark(old, CHANGED_SECRET[0]))
        _set_key_path(after, keys, _mark(new, CHANGED_SECRET[1]))
    return before, after


def _mark(value, marker):
    if value == REDACTED:
        return marker
    if isinstance(value, list):
        return [_mark(item, marker) for item in value]
    if isinstance(value, dict):
        return dict((key, _mark(item, marker)) for key, item in value.items())
    return value


def dumps(doc):
    """The canonical text the module writes: two-space indent, key order kept, final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + '\n'


def checksum(data):
    """sha256 hex digest of bytes or text (text is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    return hashlib.sha256(data).hexdigest()
