# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target side of fleetcfg.claude_code.cli (module_utils/cli_target.py): versions, ranges, what a host needs, and
an install that never leaves the old client broken. npm is a fake here; tests/e2e/test_cli.py uses the real one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import cli_target as t


@pytest.mark.parametrize('version, spec, expected', [
    ((22, 0, 0), '>=22.0.0', True), ((20, 20, 2), '>=22.0.0', False), ((22, 11, 0), '>=22', True),
    ((20, 17, 0), '^20.17.0 || >=22', True), ((21, 0, 0), '^20.17.0 || >=22', False), ((18, 1, 0), '18.x', True),
    ((19, 0, 0), '18', False), ((20, 1, 0), '>= 20 < 21', True), ((20, 1, 0), '', True), ((20, 0, 0), 'lts', None),
])
def test_node_ranges_of_engines_fields(version, spec, expected):
    assert t.satisfies(version, spec) is expected


def test_exact_versions_and_their_order():
    assert t.parse_exact('2.1.332') == (2, 1, 332) and t.parse_exact('2.1') is None and t.parse_exact('v2.1.3') is None
    assert t.compare('2.1.100', '2.1.99') == 1 and t.compare('2.1.5', '2.1.5') == 0
    assert t.loose('v20.20.2\n') == (20, 20, 2)


@pytest.mark.parametrize('package, runs, expected', [
    (None, None, 'install'), ('2.1.332', '2.1.332', 'none'), ('2.1.331', '2.1.331', 'upgrade'),
    ('2.1.333', '2.1.333', 'downgrade'), ('2.1.332', None, 'repair'), ('2.1.332', '2.1.400', 'repair'),
])
def test_what_a_prefix_needs_to_reach_the_pin(package, runs, expected):
    assert t.decide('2.1.332', dict(package=package, runs=runs)) == expected


def test_platform_packages_by_system_cpu_and_libc():
    assert t.platform_key('Linux', 'x86_64', 'glibc') == 'linux-x64'
    assert t.platform_key('Linux', 'aarch64', 'musl') == 'linux-arm64-musl'
    assert t.platform_key('Darwin', 'arm64') == 'darwin-arm64'


def test_node_too_old_or_missing_names_both_versions():
    assert t.node_problem('v20.20.2', '>=22.0.0', 'its package.json engines.node') == (
        'Node.js v20.20.2 found, @anthropic-ai/claude-code needs Node.js >=22.0.0 (its package.json engines.node)')
    assert 'Node.js not found' in t.node_problem(None, '>=22.0.0', 'x')
    assert t.node_problem('v22.1.0', '>=22.0.0', 'x') is None


class FakeHost(object):
    """A fake npm and client: `npm install` makes the package folders of ``version`` (or fails), the client reports
    the version of its package.json unless ``stub``."""

    def __init__(self, tmp_path, npm_fails=False, stub=False, node='v22.3.0'):
        self.calls = []
        self.npm_fails, self.stub, self.node = npm_fails, stub, node
        self.bin = tmp_path / 'tools'
        self.bin.mkdir()
        for name in ('npm', 'node'):
            (self.bin / name).write_text('#!/bin/sh\n')
            (self.bin / name).chmod(0o755)

    def __call__(self, argv, timeout=None, env=None, cwd=None):
        self.calls.append(argv)
        name = os.path.basename(argv[0])
        if name == 'node':
            return 0, self.node + '\n', ''
        if name == 'npm' and argv[1] == 'install':
            if self.npm_fails:
                return 1, '', 'npm error code ENOTCACHED'
            stage = argv[argv.index('--prefix') + 1]
            version = argv[-1].rsplit('@', 1)[-1]
            pkg = os.path.join(stage, 'lib', 'node_modules', '@anthropic-ai', 'claude-code')
            os.makedirs(os.path.join(pkg, 'bin'))
            with open(os.path.join(pkg, 'package.json'), 'w') as f:
                json.dump(dict(name='@anthropic-ai/claude-code', version=version), f)
            open(os.path.join(pkg, 'bin', 'claude.exe'), 'w').close()
            return 0, 'added 2 packages', ''
        if name == 'npm' and argv[1] == 'view':
            return 0, json.dumps(dict(version=argv[3].rsplit('@', 1)[-1], engines=dict(node='>=22.0.0'))), ''
        if argv[-1] == '--version':  # the client
            if self.stub:
                return 1, '', 'Error: claude native binary not installed.'
            real = os.path.realpath(argv[0])
            with open(os.path.join(os.path.dirname(os.path.dirname(real)), 'package.json')) as f:
                return 0, '%s (Claude Code)\n' % json.load(f)['version'], ''
        raise AssertionError(argv)


def params(host, prefix, version='2.1.332', **extra):
    return dict(dict(version=version, prefix=str(prefix), npm=str(host.bin / 'npm'), registry=None, packages=[],
                     node_version=None, install_node=False), **extra)


def test_install_then_nothing_then_downgrade_each_reported(tmp_path):
    host = FakeHost(tmp_path)
    prefix = tmp_path / 'prefix'
    first = t.converge(params(host, prefix), run=host)
    assert (first['changed'], first['operation'], first['previous'], first['reports']) == (True, 'install', None, '2.1.332')
    assert os.readlink(str(prefix / 'bin' / 'claude')) == '../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe'
    host.calls[:] = []
    again = t.converge(params(host, prefix), run=host)
    assert (again['changed'], again['operation']) == (False, 'none')
    assert [os.path.basename(c[0]) for c in host.calls] == ['claude'], 'no npm and no Node.js without drift'
    down = t.converge(params(host, prefix, '2.1.331'), run=host)
    assert (down['operation'], down['previous'], down['reports']) == ('downgrade', '2.1.332', '2.1.331')
    assert not [n for n in os.listdir(str(prefix / 'lib' / 'node_modules')) if n.startswith('.')], 'no staging left'


def test_check_mode_says_what_would_change_and_touches_nothing(tmp_path):
    host = FakeHost(tmp_path)
    prefix = tmp_path / 'prefix'
    result = t.converge(params(host, prefix), check_mode=True, run=host)
    assert (result['changed'], result['operation']) == (True, 'install')
    assert not prefix.exists()


def test_a_failed_or_broken_install_keeps_the_old_client(tmp_path):
    host = FakeHost(tmp_path)
    prefix = tmp_path / 'prefix'
    t.converge(params(host, prefix, '2.1.331'), run=host)
    host.npm_fails = True
    with pytest.raises(t.CliError, match=r'npm could not install .* 2\.1\.332 \(exit 1\): npm error code ENOTCACHED; '
                                         r'the installed client is unchanged'):
        t.converge(params(host, prefix), run=host)
    host.npm_fails, host.stub = False, True
    with pytest.raises(t.CliError, match='add the platform package of this host'):
        t.converge(params(host, prefix, packages=['/tmp/anthropic-ai-claude-code-2.1.332.tgz']), run=host)
    host.stub = False
    assert t.installed(str(prefix), host)['runs'] == '2.1.331'


def test_a_registry_password_is_not_on_the_command_line_and_never_leaves_the_host(tmp_path):
    registry = 'https://fleet:s3cr3t-pw@npm.example.com/'

    def run(argv, timeout=None, env=None, cwd=None):
        if os.path.basename(argv[0]) == 'node':
            return 0, 'v22.3.0\n', ''
        assert registry not in ' '.join(argv), 'no password on the command line, which every account can read'
        assert env['npm_config_registry'] == registry
        return 1, '', 'npm error request to %s@anthropic-ai%%2fclaude-code failed, reason: ECONNREFUSED' % registry

    host = FakeHost(tmp_path)
    for call in (lambda: t.converge(params(host, tmp_path / 'prefix', registry=registry), run=run),
                 lambda: t.converge(params(host, tmp_path / 'prefix', registry=registry, node_version=''), run=run)):
        with pytest.raises(t.CliError) as e:
            call()
        assert 's3cr3t-pw' not in str(e.value)
        assert 'https://fleet:********@npm.example.com/' in str(e.value)


def test_node_older_than_the_registry_says_fails_before_npm_installs(tmp_path):
    host = FakeHost(tmp_path, node='v20.20.2')
    with pytest.raises(t.CliError) as e:
        t.converge(params(host, tmp_path / 'prefix'), run=host)
    assert str(e.value).startswith('Node.js v20.20.2 found, @anthropic-ai/claude-code needs Node.js >=22.0.0 '
                                   '(its package.json engines.node); install it, or set cli_install_node: true')
    assert not [c for c in host.calls if c[1:2] == ['install']]


def test_install_node_uses_the_distribution_package_manager(tmp_path):
    ran = []

    def run(argv, timeout=None, env=None, cwd=None):
        ran.append(argv)
        return 0, '', ''

    assert t.install_node(run, which=lambda tool: tool == 'dnf') == 'dnf install -y nodejs npm'
    with pytest.raises(t.CliError, match='no package manager found'):
        t.install_node(run, which=lambda tool: None)


def test_deferred_hosts_wait_for_the_tarballs_after_the_node_check(tmp_path):
    host = FakeHost(tmp_path)
    result = t.converge(params(host, tmp_path / 'prefix', node_version='>=22.0.0'), defer=True, run=host)
    assert result['pending'] and result['operation'] == 'install' and result['platform']
    assert not [c for c in host.calls if os.path.basename(c[0]) == 'npm'], 'no npm view: the tarball gave engines.node'


def test_commands_run_through_the_module_with_a_timeout_and_a_missing_program_is_127():
    with patch_module_args({}):
        run = t.command_runner(AnsibleModule(argument_spec={}))
    assert run(['sh', '-c', 'echo "$FLEETCFG_X"; echo err >&2; exit 3'], env={'FLEETCFG_X': 'out'}) == (3, 'out\n', 'err\n')
    rc, out, err = run(['sh', '-c', 'echo started >&2; sleep 30'], timeout=1)
    assert (rc, err) == (124, 'timed out after 1 s: started')
    assert run(['/nonexistent/npm', 'install'])[0] == 127
