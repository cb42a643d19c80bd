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


def is_secret_path(keys):
    """Whether a settings key path holds a secret: an ``env`` entry whose name looks secret."""
    return len(keys) >= 2 and keys[0] == 'env' and is_secret_name(keys[1])


def redact(doc):
    """A copy of a settings document with every secret value replaced by ``REDACTED``.

    Only string values are replaced, so the redacted document has the same types as the original and
    can be validated in its place.
    """
    result = copy.deepcopy(doc)
    env = result.get('env') if isinstance(result, dict) else None
    if isinstance(env, dict):
        for name, value in env.items():
            if is_secret_name(name) and isinstance(value, str) and value:
                env[name] = REDACTED
    return result


def secret_env_names(doc):
    """The names of the secret env variables a document sets (non-empty values), sorted."""
    env = doc.get('env') if isinstance(doc, dict) else None
    if not isinstance(env, dict):
        return []
    return sorted(name for name, value in env.items() if is_secret_name(name) and value not in ('', None))


def dumps(doc):
    """The canonical text the module writes: two-space indent, key order kept, final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + '\n'


def checksum(data):
    """sha256 hex digest of bytes or text (text is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    return hashlib.sha256(data).hexdigest()
