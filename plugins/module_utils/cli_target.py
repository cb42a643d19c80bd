# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Target side of fleetcfg.claude_code.cli: which Claude Code is installed under a prefix, and installing the pin.

Standard library only (it runs on developer machines and golden images). The controller imports the version helpers
too (plugin_utils/cli.py), so exact versions and ranges are read the same way on both sides.

Measured with npm 11 and @anthropic-ai/claude-code 2.1.331/2.1.332 (docs/cli.md):
- the wrapper package (~32 KB) holds a placeholder bin/claude.exe; its postinstall copies the native binary out of the
  platform package (@anthropic-ai/claude-code-<platform>, ~185 MB packed, ~400 MB unpacked), an optional dependency;
- offline, the wrapper tarball alone installs "successfully" (exit 0) and leaves the placeholder, which only prints
  "claude native binary not installed": the wrapper and the platform tarball must be installed together;
- engines.node is ">=22.0.0", but npm only warns (EBADENGINE) and the postinstall runs on older Node too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import platform
import re
import shutil
import tempfile
import threading

from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import hide_url_passwords

WRAPPER = '@anthropic-ai/claude-code'
SCOPE, WRAPPER_NAME = WRAPPER.split('/')
EXACT = re.compile(r'^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z')
PLATFORMS = ('linux-x64', 'linux-arm64', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64')
# Distribution packages that bring Node.js and npm, by package manager (cli_install_node).
NODE_PACKAGES = (
    ('apt-get', ['apt-get', 'install', '-y', '-q', 'nodejs', 'npm'], {'DEBIAN_FRONTEND': 'noninteractive'}),
    ('dnf', ['dnf', 'install', '-y', 'nodejs', 'npm'], {}),
    ('yum', ['yum', 'install', '-y', 'nodejs', 'npm'], {}),
    ('zypper', ['zypper', '--non-interactive', 'install', 'nodejs', 'npm'], {}),
    ('apk', ['apk', 'add', '--no-progress', 'nodejs', 'npm'], {}),
    ('pacman', ['pacman', '-S', '--noconfirm', '--needed', 'nodejs', 'npm'], {}),
)
TIMEOUT = 60
INSTALL_TIMEOUT = 1800


class CliError(Exception):
    """A problem the user can act on, in plain words; the password of any URL in it (a registry given as
    https://user:password@host/, as npm may print it back) is hidden before it leaves the host."""

    def __init__(self, message):
        Exception.__init__(self, hide_url_passwords(message))


# ---- versions ------------------------------------------------------------------------------------------------------

def parse_exact(text):
    """'2.1.332' -> (2, 1, 332); None when it is not an exact version."""
    m = EXACT.match(text or '')
    return tuple(int(x) for x in m.groups()) if m else None


def loose(text):
    """A Node or npm version as it prints it ('v20.20.2', '22.1') -> a 3-tuple, or None."""
    m = re.match(r'^\s*v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?', text or '')
    return tuple(int(x or 0) for x in m.groups()) if m else None


_COMPARATOR = re.compile(r'^(>=|<=|>|<|=|\^|~)?v?([0-9]+)(?:\.([0-9x*]+))?(?:\.([0-9x*]+))?\Z')


def _part(version):
    m = _COMPARATOR.match(version)
    if not m:
        return None
    op = m.group(1) or '='
    nums = [m.group(i) for i in (2, 3, 4)]
    given = [n for n in nums if n is not None and n not in ('x', '*')]
    base = tuple(int(n) for n in given) + (0,) * (3 - len(given))
    if op == '^' or (op == '=' and len(given) < 3):  # ^22.1.0 and 22 / 22.x: the same major (or minor) line
        keep = 1 if op == '^' or len(given) <= 1 else 2
        top = base[:keep - 1] + (base[keep - 1] + 1,) + (0,) * (3 - keep)
        return [('>=', base), ('<', top)]
    if op == '~':
        top = (base[0] + 1, 0, 0) if len(given) == 1 else (base[0], base[1] + 1, 0)
        return [('>=', base), ('<', top)]
    return [(op, base)]


def satisfies(version, spec):
    """Whether a version tuple meets an engines-style range ('>=22.0.0', '^20.17 || >=22'); None when the range is
    written in a way this reader does not know (then nothing is claimed)."""
    spec = (spec or '').strip()
    if spec in ('', '*'):
        return True
    alternatives = []
    for alternative in spec.split('||'):
        comparators = []
        for word in re.sub(r'(>=|<=|>|<|=)\s+', r'\1', alternative.strip()).split():
            part = _part(word)
            if part is None:
                return None
            comparators.extend(part)
        alternatives.append(comparators)
    ops = {'>=': lambda a, b: a >= b, '<=': lambda a, b: a <= b, '>': lambda a, b: a > b,
           '<': lambda a, b: a < b, '=': lambda a, b: a == b}
    return any(all(ops[op](version, base) for op, base in comparators) for comparators in alternatives)


def compare(a, b):
    """-1, 0 or 1 for two exact version strings."""
    a, b = parse_exact(a), parse_exact(b)
    return (a > b) - (a < b)


# ---- what is installed ----------------------------------------------------------------------------------------------

def package_dir(prefix, name=WRAPPER):
    return os.path.join(prefix, 'lib', 'node_modules', name)


def claude_path(prefix):
    return os.path.join(prefix, 'bin', 'claude')


def command_runner(module):
    """run(argv, timeout, env, cwd) -> (exit status, stdout, stderr), on the module's run_command: 127 when the command
    cannot be started, 124 when it ran past ``timeout`` seconds (it is then killed)."""

    def run(argv, timeout=TIMEOUT, env=None, cwd='/'):
        watch = _Watch(timeout)
        try:
            rc, out, err = module.run_command(argv, cwd=cwd, environ_update=env or {}, expand_user_and_vars=False,
                                              before_communicate_callback=watch.start, handle_exceptions=False,
                                              errors='replace')
        except OSError as e:
            return 127, '', str(e)
        finally:
            watch.stop()
        if watch.fired:
            return 124, out, 'timed out after %d s%s' % (timeout, ': ' + _tail(err, 2) if err else '')
        return rc, out, err

    return run


class _Watch(object):
    """Kills a started command once ``timeout`` seconds have passed."""

    def __init__(self, timeout):
        self.timeout, self.timer, self.fired = timeout, None, False

    def start(self, proc):
        self.timer = threading.Timer(self.timeout, self._kill, (proc,))
        self.timer.daemon = True
        self.timer.start()

    def _kill(self, proc):
        self.fired = True
        try:
            proc.kill()
        except OSError:
            pass

    def stop(self):
        if self.timer is not None:
            self.timer.cancel()


def package_version(directory):
    """The version in <directory>/package.json, or None."""
    try:
        with open(os.path.join(directory, 'package.json')) as f:
            version = json.load(f).get('version')
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def client_version(claude, run):
    """What `claude --version` prints first ('2.1.332' of '2.1.332 (Claude Code)'), or None with the reason."""
    if not os.path.exists(claude):
        return None, 'no %s' % claude
    rc, out, err = run([claude, '--version'], env={'DISABLE_AUTOUPDATER': '1', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC': '1'})
    words = out.split()
    if rc == 0 and words and parse_exact(words[0]):
        return words[0], None
    text = (err or out).strip().splitlines()
    return None, '`%s --version` exited %d%s' % (claude, rc, ': ' + text[0] if text else '')


def installed(prefix, run):
    """What the prefix holds: the wrapper's package.json version and what the client itself reports."""
    claude = claude_path(prefix)
    package = package_version(package_dir(prefix))
    runs, problem = client_version(claude, run) if package else (None, None)
    return dict(package=package, runs=runs, problem=problem, claude=claude)


def decide(pin, found):
    """What bringing a prefix to the pin takes: none, install, upgrade, downgrade or repair."""
    package, runs = found['package'], found['runs']
    if package is None:
        return 'install'
    if package == pin and runs == pin:
        return 'none'
    if package == pin or parse_exact(package) is None:
        return 'repair'  # the right package, but the client does not start or reports another version
    return 'upgrade' if compare(pin, package) > 0 else 'downgrade'


# ---- the platform and Node.js ---------------------------------------------------------------------------------------

def platform_key(system=None, machine=None, libc=None):
    """The suffix of the platform package this host needs (linux-x64, linux-arm64-musl, darwin-arm64, ...)."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    cpu = {'x86_64': 'x64', 'amd64': 'x64', 'x64': 'x64', 'aarch64': 'arm64', 'arm64': 'arm64'}.get(machine, machine)
    if system == 'linux':
        if libc is None:
            try:
                libc = 'glibc' if os.confstr('CS_GNU_LIBC_VERSION') else 'musl'
            except (ValueError, OSError, AttributeError):
                libc = 'musl'
        return 'linux-%s%s' % (cpu, '-musl' if libc == 'musl' else '')
    return '%s-%s' % (system, cpu)


def find_tool(name, prefix, path=None):
    """A program by name (PATH, then the prefix's bin and the usual places), or an absolute path as given."""
    if os.path.isabs(name):
        return name if os.access(name, os.X_OK) else None
    dirs = (path if path is not None else os.environ.get('PATH', '')).split(os.pathsep)
    dirs += [os.path.join(prefix, 'bin'), '/usr/local/bin', '/usr/bin', '/opt/homebrew/bin', '/bin']
    return shutil.which(name, path=os.pathsep.join(d for d in dirs if d))


def node_problem(found, needed, source):
    """None when Node.js `found` (a version string or None) meets `needed` (a range), else what is wrong, in words."""
    if not needed:
        return None
    if found is None:
        return 'Node.js not found (no node on PATH or next to npm); %s needs Node.js %s (%s)' % (WRAPPER, needed, source)
    ok = satisfies(loose(found), needed)
    if ok is False:
        return 'Node.js %s found, %s needs Node.js %s (%s)' % (found, WRAPPER, needed, source)
    return None


def node_version(node, run):
    if not node:
        return None
    rc, out, dummy = run([node, '--version'])
    return out.strip() if rc == 0 and loose(out) else None


def install_node(run, which=shutil.which):
    """Install Node.js and npm from the distribution's packages; returns the command used."""
    for tool, argv, env in NODE_PACKAGES:
        if which(tool):
            rc, out, err = run(argv, timeout=INSTALL_TIMEOUT, env=env)
            if rc != 0:
                raise CliError('installing Node.js with `%s` failed (exit %d): %s' % (' '.join(argv), rc, _tail(err or out)))
            return ' '.join(argv)
    raise CliError('cli_install_node: no package manager found (looked for %s); install Node.js yourself'
                   % ', '.join(t for t, dummy, dummy2 in NODE_PACKAGES))


def _tail(text, lines=6):
    return ' | '.join(line.strip() for line in (text or '').strip().splitlines()[-lines:])


# ---- installing -----------------------------------------------------------------------------------------------------

def npm_command(npm, stage, sources):
    """The npm install of the pin (or the local tarballs) into a staging prefix. --include=optional: the native binary
    is an optional dependency a user's npm config must not skip; --engine-strict=false: Node's minimum is checked
    before, by this module, against what the team asked for."""
    argv = [npm, 'install', '--global', '--prefix', stage, '--no-audit', '--no-fund', '--no-update-notifier',
            '--include=optional', '--engine-strict=false', '--loglevel=warn', '--fetch-retries=0']
    return argv + list(sources)


def npm_env(registry, **more):
    """The environment of an npm run: the registry goes in npm_config_registry, not on the command line, where any
    account of the host could read a password in it (ps); npm ranks it above the user's and the global npmrc."""
    env = dict(more)
    if registry:
        env['npm_config_registry'] = registry
    return env


def npm_engines(npm, version, registry, run):
    """engines.node of the pinned version, from the registry (`npm view`); a version the registry lacks is an error."""
    argv = [npm, 'view', '--json', '%s@%s' % (WRAPPER, version), 'version', 'engines']
    rc, out, err = run(argv, timeout=120, env=npm_env(registry))
    try:
        answer = json.loads(out) if out.strip() else None
    except ValueError:
        answer = None
    if rc != 0 or not isinstance(answer, dict) or answer.get('version') != version:
        raise CliError('cli_version: %s %s not found in the registry%s (`npm view` exited %d: %s)'
                       % (WRAPPER, version, ' ' + registry if registry else '', rc, _tail(err or out, 2)))
    engines = answer.get('engines')
    return engines.get('node') if isinstance(engines, dict) else None


def install(prefix, version, npm, registry, packages, run):
    """Install the pin under `prefix`, so that a failure never leaves the previous client broken.

    npm installs into a staging prefix inside <prefix>/lib/node_modules (same file system; npm skips dot folders);
    only when the staged `claude --version` reports the pin are the package folders moved into place (the old ones
    are moved back if a move fails) and <prefix>/bin/claude pointed at the new binary (a symlink replaced by rename).
    """
    modules = os.path.join(prefix, 'lib', 'node_modules')
    scope = os.path.join(modules, SCOPE)
    bindir = os.path.join(prefix, 'bin')
    for folder in (scope, bindir):
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o755)
    stage = tempfile.mkdtemp(prefix='.fleetcfg-cli-', dir=modules)
    try:
        os.chmod(stage, 0o755)
        sources = list(packages) or ['%s@%s' % (WRAPPER, version)]
        argv = npm_command(npm, stage, sources)
        # npm 11 warns about install scripts not yet in allowScripts but runs them; the postinstall is needed.
        rc, out, err = run(argv, timeout=INSTALL_TIMEOUT, cwd=stage,
                           env=npm_env(registry, npm_config_update_notifier='false', npm_config_audit='false'))
        if rc != 0:
            raise CliError('npm could not install %s %s (exit %d): %s; the installed client is unchanged'
                           % (WRAPPER, version, rc, _tail(err or out)))
        staged = os.path.join(stage, 'lib', 'node_modules', SCOPE)
        runs, problem = client_version(os.path.join(staged, WRAPPER_NAME, 'bin', 'claude.exe'), run)
        if runs != version:
            hint = ''
            names = sorted(os.listdir(staged)) if os.path.isdir(staged) else []
            if packages and not [n for n in names if n.startswith(WRAPPER_NAME + '-')]:
                hint = ('; only the wrapper package was installed: add the platform package of this host (%s-%s-%s.tgz, '
                        'from `npm pack %s-%s@%s`) to cli_package_file'
                        % ('anthropic-ai-claude-code', platform_key(), version, WRAPPER, platform_key(), version))
            raise CliError('the freshly installed client does not report %s (%s)%s; the installed client is unchanged'
                           % (version, problem or 'it reports %s' % runs, hint))
        _switch(staged, scope, stage)
        _link(bindir, os.path.join('..', 'lib', 'node_modules', SCOPE, WRAPPER_NAME, 'bin', 'claude.exe'))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _switch(staged, scope, stage):
    """Move each staged package folder into `scope`, the old one aside first; on a failure put the old ones back."""
    old = os.path.join(stage, 'old')
    os.mkdir(old)
    moved = []
    try:
        for name in sorted(os.listdir(staged)):
            target = os.path.join(scope, name)
            aside = None
            if os.path.lexists(target):
                aside = os.path.join(old, name)
                os.rename(target, aside)
            moved.append((target, aside))
            os.rename(os.path.join(staged, name), target)
    except OSError:
        for target, aside in reversed(moved):
            if os.path.lexists(target) and aside:
                shutil.rmtree(target, ignore_errors=True)
            if aside and os.path.lexists(aside):
                os.rename(aside, target)
        raise


def _link(bindir, relative):
    link = os.path.join(bindir, 'claude')
    if os.path.islink(link) and os.readlink(link) == relative:
        return
    tmp = os.path.join(bindir, '.claude.fleetcfg-%d' % os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(relative, tmp)
    os.rename(tmp, link)


# ---- one module call ------------------------------------------------------------------------------------------------

def converge(params, run, check_mode=False, defer=False, which=shutil.which):
    """Bring params['prefix'] to params['version']: the whole module, testable without Ansible.

    ``defer``: the controller holds the tarballs and copies them only to a host that needs them; then a host that
    needs an install answers ``pending`` (after the Node.js check) and the controller calls again with ``packages``."""
    version, prefix = params['version'], params['prefix']
    if parse_exact(version) is None:
        raise CliError('version: expected an exact version such as 2.1.332, got %r' % version)
    found = installed(prefix, run)
    operation = decide(version, found)
    result = dict(changed=False, version=version, previous=found['package'], operation=operation,
                  claude=found['claude'], reports=found['runs'], platform=platform_key())
    if operation == 'none':
        return result
    result['changed'] = True
    if found['problem'] and found['package']:
        result['problem'] = found['problem']

    npm = find_tool(params.get('npm') or 'npm', prefix)
    node = find_tool(os.path.join(os.path.dirname(npm), 'node'), prefix) if npm else None
    node = node or find_tool('node', prefix)
    result['node'] = node_version(node, run)
    registry = params.get('registry')
    packages = params.get('packages') or []
    needed, source = params.get('node_version'), params.get('_node_source') or 'cli_node_version'
    if needed is None and not packages and not defer and npm and result['node']:
        needed, source = npm_engines(npm, version, registry, run), 'its package.json engines.node'
    problem = node_problem(result['node'], needed or '', source) if needed else (
        None if result['node'] else node_problem(None, 'any version', source))
    if not problem and not npm:
        problem = 'npm not found (%s); it comes with Node.js' % (params.get('npm') or 'npm')
    if problem:
        if not params.get('install_node'):
            raise CliError(problem + '; install it, or set cli_install_node: true to install it from the '
                           "distribution's packages")
        if check_mode:
            result['node_install'] = 'would install Node.js: ' + problem
            return result
        result['node_install'] = install_node(run, which)
        npm = find_tool(params.get('npm') or 'npm', prefix)
        node = find_tool('node', prefix)
        result['node'] = node_version(node, run)
        again = node_problem(result['node'], needed or '', source) if needed else None
        if again or not npm:
            raise CliError("after installing the distribution's Node.js: %s" % (again or 'npm still not found'))
    if check_mode:
        return result
    if defer and not packages:
        result['pending'] = True
        return result
    install(prefix, version, npm, registry, packages, run)
    result['reports'] = client_version(claude_path(prefix), run)[0]
    if result['reports'] != version:
        raise CliError('%s reports %s after the install, expected %s' % (claude_path(prefix), result['reports'], version))
    return result
