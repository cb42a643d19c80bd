# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role fleetcfg.claude_code.cli's input checks and version policy (plugin_utils/cli.py), without Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import tarfile

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils import cli
from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import InputError

DEFAULTS = dict(cli_package_file=[], cli_prefix='/usr/local', cli_npm='npm', cli_registry='', cli_min_version='',
                cli_max_version='', cli_updates='off', cli_updates_channel='', cli_install_node=False,
                cli_dropin='40-fleetcfg-cli.json')


def check(**variables):
    raw = dict(DEFAULTS, **variables)
    return cli.check(raw)


def problems(**variables):
    with pytest.raises(InputError) as e:
        check(**variables)
    return e.value.problems


def wrapper_tarball(folder, version='2.1.332', name='@anthropic-ai/claude-code', engines='>=22.0.0'):
    path = folder / ('anthropic-ai-claude-code-%s.tgz' % version)
    data = json.dumps(dict(name=name, version=version, engines=dict(node=engines))).encode()
    with tarfile.open(str(path), 'w:gz') as tar:
        info = tarfile.TarInfo('package/package.json')
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return str(path)


def test_an_exact_pin_from_the_registry_with_updates_off_by_default():
    args, tarballs, policy = check(cli_version='2.1.332')
    assert args == dict(version='2.1.332', prefix='/usr/local', npm='npm', install_node=False)
    assert tarballs == {}
    assert policy == dict(state='present', settings={'env': {'DISABLE_AUTOUPDATER': '1'}},
                          remove=['requiredMinimumVersion', 'requiredMaximumVersion', 'autoUpdatesChannel',
                                  'env.DISABLE_UPDATES'])


@pytest.mark.parametrize('value', ['2.1', '2.1.x', '>=2.1.332', 'latest', '2.1.332 ', 2.1, '02.1.332'])
def test_a_version_that_is_not_exact_is_refused_with_an_example(value):
    assert problems(cli_version=value) == ['cli_version: expected an exact version such as 2.1.332, got %s' % json.dumps(
        value if isinstance(value, str) else str(value))]


def test_the_pin_is_required():
    assert problems() == ['cli_version: required, expected an exact version such as 2.1.332']


def test_the_pin_must_lie_in_the_managed_range_and_the_range_must_be_ordered():
    assert problems(cli_version='2.1.300', cli_min_version='2.1.310') == [
        'cli_version: is below cli_min_version (2.1.310): the client would refuse to start, got "2.1.300"']
    assert problems(cli_version='2.1.332', cli_max_version='2.1.331') == [
        'cli_version: is above cli_max_version (2.1.331): the client would refuse to start, got "2.1.332"']
    assert problems(cli_version='2.1.332', cli_min_version='2.1.333', cli_max_version='2.1.330') == [
        'cli_min_version: must not be above cli_max_version (2.1.330), got "2.1.333"']
    assert problems(cli_version='2.1.332', cli_min_version='2.1') == [
        'cli_min_version: expected an exact version such as 2.1.332, or empty for no minimum, got "2.1"']


def test_versions_compare_as_numbers_not_text():
    args, dummy, policy = check(cli_version='2.1.100', cli_min_version='2.1.99', cli_max_version='2.1.100')
    assert policy['settings']['requiredMinimumVersion'] == '2.1.99'
    assert policy['settings']['requiredMaximumVersion'] == '2.1.100'


def test_updates_blocked_replaces_off_channel_is_written_and_auto_with_nothing_else_removes_the_dropin():
    dummy, dummy2, policy = check(cli_version='2.1.332', cli_updates='blocked', cli_updates_channel='stable')
    assert policy['settings'] == {'env': {'DISABLE_UPDATES': '1'}, 'autoUpdatesChannel': 'stable'}
    assert 'env.DISABLE_AUTOUPDATER' in policy['remove']
    assert check(cli_version='2.1.332', cli_updates='auto')[2] == dict(state='absent', settings={}, remove=[])


def test_an_unquoted_yaml_off_reads_as_off_and_other_values_are_named():
    assert check(cli_version='2.1.332', cli_updates=False)[2]['settings'] == {'env': {'DISABLE_AUTOUPDATER': '1'}}
    assert problems(cli_version='2.1.332', cli_updates='never', cli_updates_channel='beta') == [
        'cli_updates: expected one of off, blocked, auto, got "never"',
        'cli_updates_channel: expected one of latest, stable, or empty to leave the client\'s default, got "beta"']


def test_unknown_variables_and_relative_paths_are_named():
    assert problems(cli_version='2.1.332', cli_versoin='x', cli_prefix='usr/local') == [
        'cli_versoin: not a variable of role cli; did you mean cli_version?',
        'cli_prefix: expected an absolute path such as /usr/local, got "usr/local"']


def test_a_registry_is_a_secret_never_shown_in_an_input_error():
    assert problems(cli_version='2.1.332', cli_registry='ftp://fleet:s3cr3t-pw@npm.example.com/') == [
        'cli_registry: expected an http(s) URL such as https://npm.example.com/, got a string (a secret, not shown)']
    assert check(cli_version='2.1.332', cli_registry='https://fleet:pw@npm.example.com/')[0]['registry'] == (
        'https://fleet:pw@npm.example.com/')


def test_the_wrapper_tarball_gives_the_node_requirement_and_platform_tarballs_are_known_by_name(tmp_path):
    wrapper = wrapper_tarball(tmp_path)
    native = tmp_path / 'anthropic-ai-claude-code-linux-x64-2.1.332.tgz'
    native.write_bytes(b'not read: 185 MB')
    args, tarballs, dummy = check(cli_version='2.1.332', cli_package_file=[wrapper, str(native)])
    assert args['node_version'] == '>=22.0.0' and args['_node_source'] == 'its package.json engines.node'
    assert tarballs == dict(wrapper=wrapper, engines='>=22.0.0', platforms={'linux-x64': str(native)})
    assert cli.pick_tarballs(tarballs, 'linux-x64') == [wrapper, str(native)]
    assert cli.pick_tarballs(tarballs, 'linux-arm64') == [wrapper]
    # The team's own Node.js range wins over engines.node.
    assert check(cli_version='2.1.332', cli_package_file=wrapper, cli_node_version='>=20')[0]['node_version'] == '>=20'


def test_a_tarball_of_another_version_a_missing_file_or_no_wrapper_is_refused(tmp_path):
    wrapper = wrapper_tarball(tmp_path, '2.1.331')
    assert problems(cli_version='2.1.332', cli_package_file=[wrapper, str(tmp_path / 'anthropic-ai-claude-code-linux-x64-2.1.332.tgz')]) == [
        'cli_package_file[0]: expected a tarball of cli_version (2.1.332), by its file name, got "%s"' % wrapper,
        'cli_package_file[1]: expected a file on the controller, got "%s"' % (tmp_path / 'anthropic-ai-claude-code-linux-x64-2.1.332.tgz')]
    native = tmp_path / 'anthropic-ai-claude-code-linux-x64-2.1.332.tgz'
    native.write_bytes(b'x')
    found = problems(cli_version='2.1.332', cli_package_file=[str(native)])
    assert len(found) == 1 and found[0].startswith(
        'cli_package_file: expected the wrapper package tarball among them (anthropic-ai-claude-code-2.1.332.tgz, '
        'from `npm pack @anthropic-ai/claude-code@2.1.332`)')
    assert problems(cli_version='2.1.332', cli_package_file='/tmp/claude.tgz') == [
        'cli_package_file: expected an npm pack file name such as anthropic-ai-claude-code-2.1.332.tgz or '
        'anthropic-ai-claude-code-linux-x64-2.1.332.tgz, got "/tmp/claude.tgz"']


def test_a_wrapper_tarball_that_holds_another_package_is_refused(tmp_path):
    wrapper = wrapper_tarball(tmp_path, name='left-pad')
    assert problems(cli_version='2.1.332', cli_package_file=wrapper) == [
        'cli_package_file: expected the package @anthropic-ai/claude-code 2.1.332, as its file name says, '
        'got "left-pad 2.1.332"']
