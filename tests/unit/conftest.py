# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.fleetcfg.claude_code`` importable when pytest runs straight from a checkout.

ansible-test units runs from a copy under ansible_collections/fleetcfg/claude_code and sets up the import
path itself; then nothing happens here. Otherwise a temporary folder holding
ansible_collections/fleetcfg/claude_code -> <repository root> (a symlink) goes first on sys.path for the
session. This runs when the conftest is loaded, before any test module is imported.
"""

import os
import shutil
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_COLLECTION = ('ansible_collections', 'fleetcfg', 'claude_code')


def _inside_collection_tree(root):
    parts = os.path.normpath(root).split(os.sep)
    return tuple(parts[-3:]) == _COLLECTION


def _link_collection(root):
    top = tempfile.mkdtemp(prefix='fleetcfg-units-')
    parent = os.path.join(top, *_COLLECTION[:2])
    os.makedirs(parent)
    os.symlink(root, os.path.join(parent, _COLLECTION[2]))
    sys.path.insert(0, top)
    return top


_LINK_TOP = None if _inside_collection_tree(REPO_ROOT) else _link_collection(REPO_ROOT)


def pytest_unconfigure(config):
    if _LINK_TOP is not None:
        shutil.rmtree(_LINK_TOP, ignore_errors=True)
