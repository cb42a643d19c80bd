# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.cli on the controller: its variables checked, the mirrored tarballs read, the policy.

Pure Python (unit-tested without Ansible). Every problem of the input is one line naming the variable, gathered
before any host is touched; the managed version policy (requiredMinimumVersion / requiredMaximumVersion,
autoUpdatesChannel, DISABLE_AUTOUPDATER / DISABLE_UPDATES) is decided here and written by the settings module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import tarfile

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import cli_target
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError, Inputs, Var

ROLE = 'cli'
PREFIX = 'cli_'
UPDATES = ('off', 'blocked', 'auto')
CHANNELS = ('latest', 'stable')
EXAMPLE = '2.1.332'
# npm pack's file names: anthropic-ai-claude-code-2.1.332.tgz and anthropic-ai-claude-code-linux-x64-2.1.332.tgz.
TARBALL = re.compile(r'^anthropic-ai-claude-code(?:-(?P<platform>(?:linux|darwin|win32)-[a-z0-9]+(?:-musl)?))?'
                     r'-(?P<version>[0-9]+\.[0-9]+\.[0-9]+)\.tgz\Z')
# The env switch each cli_updates value writes into the managed drop-in, and the ones it takes out.
UPDATE_ENV = {'off': 'DISABLE_AUTOUPDATER', 'blocked': 'DISABLE_UPDATES'}

VARIABLES = {
    'cli_version': Var(required=True, expected='an exact version such as %s' % EXAMPLE),
    'cli_package_file': Var('raw'),
    'cli_prefix': Var(),
    'cli_npm': Var(),
    'cli_registry': Var(secret=True),  # https://user:password@npm.example.com/ holds a password
    'cli_min_version': Var(),
    'cli_max_version': Var(),
    'cli_updates': Var('raw'),  # an unquoted YAML off is false
    'cli_updates_channel': Var(),
    'cli_install_node': Var('bool'),
    'cli_node_version': Var(),
    'cli_managed_dir': Var(),
    'cli_dropin': Var(),
    'cli_hosts': Var(),  # read by playbooks/cli.yml, not by the role
}


def check(raw, read_tarball=None):
    """The role's variables -> (module arguments, tarballs by kind, policy); InputError lists every problem."""
    v = Inputs(ROLE, PREFIX, VARIABLES, raw)
    version = v.get('version')
    if version is not None and cli_target.parse_exact(version) is None:
        v.expect('cli_version', 'an exact version such as %s' % EXAMPLE)
        version = None
    bounds = {}
    for end in ('min', 'max'):
        name = 'cli_%s_version' % end
        value = v.get('%s_version' % end)
        if value and cli_target.parse_exact(value) is None:
            v.expect(name, 'an exact version such as %s, or empty for no %simum' % (EXAMPLE, end))
        elif value:
            bounds[end] = value
    if 'min' in bounds and 'max' in bounds and cli_target.compare(bounds['min'], bounds['max']) > 0:
        v.refuse('cli_min_version', 'must not be above cli_max_version (%s)' % bounds['max'])
    elif version:
        if 'min' in bounds and cli_target.compare(version, bounds['min']) < 0:
            v.refuse('cli_version', 'is below cli_min_version (%s): the client would refuse to start' % bounds['min'])
        if 'max' in bounds and cli_target.compare(version, bounds['max']) > 0:
            v.refuse('cli_version', 'is above cli_max_version (%s): the client would refuse to start' % bounds['max'])
    updates = v.values.get('cli_updates')
    updates = 'off' if updates is False or updates is None else updates
    if updates not in UPDATES:
        v.expect('cli_updates', 'one of %s' % ', '.join(UPDATES))
    channel = v.get('updates_channel')
    if channel and channel not in CHANNELS:
        v.expect('cli_updates_channel', 'one of %s, or empty to leave the client\'s default' % ', '.join(CHANNELS))
    prefix = v.get('prefix') or '/usr/local'
    if not prefix.startswith('/'):
        v.expect('cli_prefix', 'an absolute path such as /usr/local')
    for name in ('cli_managed_dir',):
        value = v.values.get(name)
        if value and not value.startswith('/'):
            v.expect(name, 'an absolute path such as /etc/claude-code')
    dropin = v.get('dropin') or '40-fleetcfg-cli.json'
    if not re.match(r'^[A-Za-z0-9._-]+\.json\Z', dropin) or dropin.startswith('.'):
        v.expect('cli_dropin', 'a file name ending in .json, such as 40-fleetcfg-cli.json')
    registry = v.get('registry')
    if registry and not re.match(r'^https?://[^\s]+\Z', registry):
        v.expect('cli_registry', 'an http(s) URL such as https://npm.example.com/')
    node = v.get('node_version')
    if node and cli_target.satisfies((0, 0, 0), node) is None:
        v.expect('cli_node_version', 'a Node.js version range such as >=22.0.0 or 20')
    tarballs = _package_files(v, version, read_tarball or read_package_json)
    if v.problems:
        raise InputError(ROLE, v.problems)
    args = dict(version=version, prefix=prefix, npm=v.get('npm') or 'npm', install_node=bool(v.get('install_node')))
    if registry:
        args['registry'] = registry
    if node is not None:
        args['node_version'] = node
    elif tarballs:
        args['node_version'] = tarballs['engines']
        args['_node_source'] = 'its package.json engines.node'
    return args, tarballs, policy(bounds, updates, channel)


def package_files(value):
    """cli_package_file as a list: one path, or a list of paths."""
    if value in (None, '', []):
        return []
    return [value] if isinstance(value, str) else value


def _bad(v, name, expected, path):
    """A problem with a tarball path, the path in full (a path is never a secret)."""
    v.problems.append('%s: expected %s, got %s' % (name, expected, json.dumps(path)))


def _package_files(v, version, read_tarball):
    """The wrapper and platform tarballs of cli_package_file, checked; {} when the registry is used."""
    value = v.values.get('cli_package_file')
    if value not in (None, '', []) and not isinstance(value, (str, list)):
        v.expect('cli_package_file', 'a path of an npm pack tarball, or a list of them (the wrapper and the platform packages)')
        return {}
    files = package_files(value)
    wrapper, platforms = None, {}
    for i, path in enumerate(files):
        name = 'cli_package_file' if isinstance(value, str) else 'cli_package_file[%d]' % i
        if not isinstance(path, str) or not path:
            v.expect(name, 'a path of an npm pack tarball', path)
            continue
        m = TARBALL.match(os.path.basename(path))
        if not m:
            _bad(v, name, 'an npm pack file name such as anthropic-ai-claude-code-%s.tgz or '
                 'anthropic-ai-claude-code-linux-x64-%s.tgz' % (EXAMPLE, EXAMPLE), path)
            continue
        if version and m.group('version') != version:
            _bad(v, name, 'a tarball of cli_version (%s), by its file name' % version, path)
            continue
        if not os.path.isfile(path):
            _bad(v, name, 'a file on the controller', path)
            continue
        if m.group('platform'):
            platforms[m.group('platform')] = path
            continue
        try:
            manifest = read_tarball(path)
        except (OSError, ValueError, tarfile.TarError, KeyError) as e:
            _bad(v, name, 'an npm pack tarball with a package/package.json (%s)' % e, path)
            continue
        if manifest.get('name') != cli_target.WRAPPER or manifest.get('version') != m.group('version'):
            _bad(v, name, 'the package %s %s, as its file name says' % (cli_target.WRAPPER, m.group('version')),
                 '%s %s' % (manifest.get('name'), manifest.get('version')))
            continue
        engines = manifest.get('engines') if isinstance(manifest.get('engines'), dict) else {}
        wrapper = dict(path=path, engines=engines.get('node') or '')
    if files and wrapper is None and not [p for p in v.problems if p.startswith('cli_package_file')]:
        v.expect('cli_package_file', 'the wrapper package tarball among them (anthropic-ai-claude-code-%s.tgz, from '
                 '`npm pack %s@%s`)' % (version or EXAMPLE, cli_target.WRAPPER, version or EXAMPLE), value)
    if wrapper is None:
        return {}
    return dict(wrapper=wrapper['path'], engines=wrapper['engines'], platforms=platforms)


_MANIFESTS = {}


def read_package_json(path):
    """package/package.json of a (small) npm pack tarball, cached by path, size and mtime for the whole run."""
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime)
    if key not in _MANIFESTS:
        with tarfile.open(path, 'r:gz') as tar:
            member = tar.extractfile('package/package.json')
            if member is None:
                raise KeyError('package/package.json is not a file')
            _MANIFESTS[key] = json.loads(member.read().decode('utf-8'))
        if not isinstance(_MANIFESTS[key], dict):
            raise ValueError('package.json is not a JSON object')
    return _MANIFESTS[key]


def policy(bounds, updates, channel):
    """The managed drop-in: keys to set and keys to take out (each owned by this role), and whether a file remains."""
    settings, remove = {}, []
    for end, key in (('min', 'requiredMinimumVersion'), ('max', 'requiredMaximumVersion')):
        if end in bounds:
            settings[key] = bounds[end]
        else:
            remove.append(key)
    if channel:
        settings['autoUpdatesChannel'] = channel
    else:
        remove.append('autoUpdatesChannel')
    for value, env in sorted(UPDATE_ENV.items()):
        if updates == value:
            settings.setdefault('env', {})[env] = '1'
        else:
            remove.append('env.' + env)
    if not settings:
        return dict(state='absent', settings={}, remove=[])
    return dict(state='present', settings=settings, remove=remove)


def pick_tarballs(tarballs, platform):
    """The tarballs a host of `platform` needs: the wrapper, and its platform package when the team mirrors it."""
    files = [tarballs['wrapper']]
    if platform in tarballs['platforms']:
        files.append(tarballs['platforms'][platform])
    return files
