# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Claude Code cannot load, whatever the keys: the size of a settings file and the nesting of its values.

Python standard library only: this file is shipped to every target, and the controller uses it too.

Measured with client 2.1.332 (docs/settings.md, "Limits"):

- a settings file of more than MAX_FILE_BYTES bytes is dropped whole, every key of it ("These settings did not
  load ... Settings file could not be read: File exceeds maxBytes limit"); a file of exactly MAX_FILE_BYTES loads;
- a value nested in more than MAX_DEPTH objects and arrays, the file's top-level object counted as the first, is
  skipped with the top-level entry it sits under ('A value under "permissions" is nested more than 64 levels
  deep, so Claude Code ignores it, and leaves it out if it saves a setting to this file'). The client parses any
  depth; Python's json module gives up near 1000 levels and copy.deepcopy near 500, so MAX_DEPTH also keeps
  every part of the collection clear of Python's recursion limit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64

# How many keys of a deep key path a message shows before it cuts the path short.
_SHOWN_KEYS = 6


def too_deep(value, limit=MAX_DEPTH):
    """The key path (a tuple of keys and list indexes) of the first object or array in ``value`` that sits deeper than
    ``limit`` levels, ``value`` itself counted as level 1 when it is an object or an array; None when there is none.

    Iterative, so that any depth Python's json module can parse is judged without a RecursionError.
    """
    pending = [(value, (), 1)]
    while pending:
        node, path, level = pending.pop()
        if isinstance(node, dict):
            items = node.items()
        elif isinstance(node, (list, tuple)):
            items = enumerate(node)
        else:
            continue
        if level > limit:
            return path
        children = [(item, path + (key,), level + 1) for key, item in items if isinstance(item, (dict, list, tuple))]
        pending.extend(reversed(children))  # the first one in document order is looked at first
    return None


def show_deep_path(path, prefix=''):
    """A key path from too_deep for a message, cut short after a few keys: ``permissions.allowX[0][0]...``."""
    text = prefix
    for key in path[:_SHOWN_KEYS]:
        text += '[%d]' % key if isinstance(key, int) else ('.' if text else '') + str(key).replace('.', '\\.')
    if len(path) > _SHOWN_KEYS:
        text += '...'
    return text or '(top level)'


def depth_problem(path):
    """Why a value at ``path`` (from too_deep) cannot be loaded, to follow the value's name in a message."""
    where = ' under "%s"' % path[0] if path else ''
    return ('is nested more than %d levels deep (objects and arrays, the top level of the file counted); Claude Code '
            'skips the value%s and leaves it out when it saves the file' % (MAX_DEPTH, where))


def size_problem(size):
    """Why a settings file of ``size`` bytes cannot be loaded, or None when it can."""
    if size <= MAX_FILE_BYTES:
        return None
    return ('%d bytes, more than the %d bytes (2 MiB) Claude Code reads; it drops a larger settings file whole'
            % (size, MAX_FILE_BYTES))
