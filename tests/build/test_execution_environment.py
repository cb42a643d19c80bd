"""The collection artifact and the execution environment (EE) that AWX / Automation Platform runs it in.

Run by the build stage of scripts/test with the ansible-core 2.19 environment (which has ansible-builder, from
requirements/ee.txt):

    .venv/ansible-2.19/bin/python -m pytest tests/build -q -p no:cacheprovider

The collection is built with ``ansible-galaxy collection build`` from a copy of this checkout in which the work
files of a developer's checkout are planted (a virtual environment, test and benchmark output, an old EE build
context and tarball), then ``ansible-builder create`` makes the build context of ee/execution-environment.yml with
that tarball. No container engine is needed: what the image build would do with the context up to the Python
packages is done here with the same tools, namely the galaxy stage's two ``ansible-galaxy`` commands (offline, with
an unreachable Galaxy server configured) and the builder stage's ``introspect.py`` from the context.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE_FILE = REPO / 'ee' / 'execution-environment.yml'
TIMEOUT = 120

# Files a developer's checkout holds that must never be in the artifact (path inside the checkout).
WORK_FILES = (
    '.venv/bin/python3',
    '.venv/lib/python3.11/site-packages/jsonschema/__init__.py',
    'tests/output/logs/units-2.19.log',
    'bench/output/run.json',
    'ee/context/Containerfile',
    'ee/collections/fleetcfg-claude_code-0.0.9.tar.gz',
    '.pytest_cache/README.md',
)
# The folders that hold them: none of their content belongs in the artifact.
LEFT_OUT = ('.venv', 'tests/output', 'bench', 'ee', '.pytest_cache')


def _tool(name: str) -> str:
    path = BIN / name
    if not os.access(path, os.X_OK):
        pytest.fail(f'{name} is not installed next to {sys.executable}; run scripts/setup '
                    f'(ansible-builder comes from requirements/ee.txt)', pytrace=False)
    return str(path)


def _run(args: list[str], cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=TIMEOUT,
                          env=None if env is None else {**os.environ, **env})
    assert proc.returncode == 0, f'{" ".join(args)} failed (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}'
    return proc.stdout


def _pins(path: Path) -> dict[str, str]:
    """name -> '==version' for each requirement line of a pip requirements file (includes not followed)."""
    pins = {}
    for line in path.read_text(encoding='utf-8').splitlines():
        line = line.split('#', 1)[0].strip()
        if not line or line.startswith('-'):
            continue
        req = Requirement(line)
        pins[canonicalize_name(req.name)] = str(req.specifier)
    return pins


def _galaxy_version() -> str:
    return yaml.safe_load((REPO / 'galaxy.yml').read_text(encoding='utf-8'))['version']


def _tarball_name() -> str:
    return f'fleetcfg-claude_code-{_galaxy_version()}.tar.gz'


@pytest.fixture(scope='module')
def ee_definition() -> dict:
    return yaml.safe_load(EE_FILE.read_text(encoding='utf-8'))


@pytest.fixture(scope='module')
def tarball(tmp_path_factory) -> Path:
    """The collection built from a copy of the checkout that holds a developer's work files."""
    base = tmp_path_factory.mktemp('artifact')
    src = base / 'checkout'
    skip_top = {'.git', '.venv', '.pytest_cache'}
    skip_nested = {REPO / 'tests' / 'output', REPO / 'bench' / 'output', REPO / 'ee' / 'context'}

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        return {n for n in names if (here == REPO and n in skip_top) or here / n in skip_nested
                or n.endswith('.tar.gz') or n == '__pycache__'}

    shutil.copytree(REPO, src, ignore=ignore, symlinks=True)
    for rel in WORK_FILES:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text('work file, not part of the collection\n', encoding='utf-8')
    _run([_tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(base / 'dist'), str(src)], cwd=base)
    built = list((base / 'dist').glob('*.tar.gz'))
    assert [p.name for p in built] == [_tarball_name()]
    return built[0]


@pytest.fixture(scope='module')
def members(tarball) -> set[str]:
    with tarfile.open(tarball) as tar:
        return {m.name for m in tar.getmembers()}


def _read_member(tarball: Path, name: str) -> str:
    with tarfile.open(tarball) as tar:
        member = tar.extractfile(name)
        assert member is not None, name
        return member.read().decode('utf-8')


@pytest.fixture(scope='module')
def context(tmp_path_factory, tarball) -> Path:
    """`ansible-builder create` on ee/execution-environment.yml, next to the tarball as the docs lay it out."""
    ee_dir = tmp_path_factory.mktemp('ee')
    shutil.copy2(EE_FILE, ee_dir / 'execution-environment.yml')
    (ee_dir / 'collections').mkdir()
    shutil.copy2(tarball, ee_dir / 'collections' / tarball.name)
    out = _run([_tool('ansible-builder'), 'create', '-f', str(ee_dir / 'execution-environment.yml'),
                '-c', str(ee_dir / 'context'), '--output-filename', 'Containerfile', '-v3'], cwd=ee_dir)
    assert 'No matches' not in out and 'does not exist' not in out, \
        f'ansible-builder found no file for additional_build_files of ee/execution-environment.yml:\n{out}'
    return ee_dir / 'context'


@pytest.fixture(scope='module')
def image_collections(tmp_path_factory, context) -> Path:
    """What the galaxy stage of the image build installs: its commands, run in _build/ as in /build."""
    share = tmp_path_factory.mktemp('usr-share-ansible')
    build = context / '_build'
    # A Galaxy server that cannot answer: any attempt to download fails the install.
    env = {'ANSIBLE_GALAXY_SERVER': 'http://127.0.0.1:9/', 'ANSIBLE_GALAXY_DISABLE_GPG_VERIFY': '1'}
    opts = _build_arg(context, 'ANSIBLE_GALAXY_CLI_COLLECTION_OPTS').split()
    galaxy = _tool('ansible-galaxy')
    _run([galaxy, 'role', 'install', '-r', 'requirements.yml', '--roles-path', str(share / 'roles')], cwd=build,
         env=env)
    _run([galaxy, 'collection', 'install', *opts, '-r', 'requirements.yml', '--collections-path',
          str(share / 'collections')], cwd=build, env=env)
    return share / 'collections'


def _build_arg(context: Path, name: str) -> str:
    prefix = f'ARG {name}="'
    for line in (context / 'Containerfile').read_text(encoding='utf-8').splitlines():
        if line.startswith(prefix) and line.endswith('"'):
            return line[len(prefix):-1]
    raise AssertionError(f'the Containerfile sets no default for {name}')


# The artifact


def test_artifact_holds_the_execution_environment_metadata(members):
    for name in ('meta/execution-environment.yml', 'meta/ee-requirements.txt', 'meta/runtime.yml',
                 'plugins/modules/settings.py', 'plugins/plugin_utils/settings_schema.json', 'MANIFEST.json'):
        assert name in members, f'{name} is missing from the built collection'


def test_artifact_metadata_points_ansible_builder_at_the_python_requirements(tarball):
    meta = yaml.safe_load(_read_member(tarball, 'meta/execution-environment.yml'))
    assert meta == {'version': 1, 'dependencies': {'python': 'meta/ee-requirements.txt'}}


def test_artifact_leaves_out_the_work_files_of_a_checkout(members):
    for folder in LEFT_OUT:
        leaked = sorted(m for m in members if m == folder or m.startswith(folder + '/'))
        assert not leaked, f'the built collection holds {folder}/ (see galaxy.yml build_ignore): {leaked[:5]}'
    assert not [m for m in members if m.endswith('.tar.gz')]


def test_artifact_depends_on_no_other_collection(tarball):
    manifest = json.loads(_read_member(tarball, 'MANIFEST.json'))
    assert manifest['collection_info']['dependencies'] == {}


def test_ee_requirements_pin_what_the_controller_needs_as_requirements_do():
    ee_pins = _pins(REPO / 'meta' / 'ee-requirements.txt')
    runtime = _pins(REPO / 'requirements' / 'runtime.txt')
    core_requires = {canonicalize_name(Requirement(r).name) for r in importlib.metadata.requires('ansible-core') or []}
    assert ee_pins.get('jsonschema') == runtime['jsonschema'], ee_pins
    for name, pin in ee_pins.items():
        assert runtime.get(name) == pin, f'meta/ee-requirements.txt: {name}{pin}, requirements/runtime.txt: ' \
                                         f'{name}{runtime.get(name, " (absent)")}'
    missing = sorted(set(runtime) - set(ee_pins) - core_requires)
    assert not missing, f'requirements/runtime.txt needs {missing} on the controller; meta/ee-requirements.txt lacks them'


# The EE definition


def test_ee_definition_pins_ansible_core_as_the_tested_environment(ee_definition):
    core = _pins(REPO / 'requirements' / 'ansible-2.19.txt')['ansible-core']
    deps = ee_definition['dependencies']
    assert deps['ansible_core'] == {'package_pip': f'ansible-core{core}'}
    # requirements/ansible-2.19.txt is the environment scripts/setup builds on Python 3.11.
    assert deps['python_interpreter']['python_path'] == '/usr/bin/python3.11'
    assert Requirement(deps['ansible_runner']['package_pip']).specifier, 'ansible-runner is not pinned'


def test_ee_definition_installs_the_tarball_of_galaxy_yml_version(ee_definition):
    name = _tarball_name()
    files = ee_definition['additional_build_files']
    assert [f['src'] for f in files] == [f'collections/{name}'], \
        f'ee/execution-environment.yml copies {files}, galaxy.yml builds {name}'
    assert ee_definition['dependencies']['galaxy'] == {'collections': [{'name': f'collections/{name}',
                                                                        'type': 'file'}]}


# The build context that `ansible-builder create` makes


def test_context_has_a_containerfile_for_the_pinned_python_and_ansible(context, ee_definition):
    assert (context / 'Containerfile').is_file()
    deps = ee_definition['dependencies']
    assert _build_arg(context, 'EE_BASE_IMAGE') == ee_definition['images']['base_image']['name']
    assert _build_arg(context, 'PYCMD') == deps['python_interpreter']['python_path']
    assert _build_arg(context, 'ANSIBLE_INSTALL_REFS').split() == [deps['ansible_core']['package_pip'],
                                                                   deps['ansible_runner']['package_pip']]


def test_context_carries_the_built_collection(context, tarball):
    copied = context / '_build' / 'collections' / tarball.name
    assert copied.read_bytes() == tarball.read_bytes()
    requirements = yaml.safe_load((context / '_build' / 'requirements.yml').read_text(encoding='utf-8'))
    assert requirements == {'collections': [{'name': f'collections/{tarball.name}', 'type': 'file'}]}


def test_context_installs_collections_offline(context):
    assert _build_arg(context, 'ANSIBLE_GALAXY_CLI_COLLECTION_OPTS') == '--offline'
    steps = (context / 'Containerfile').read_text(encoding='utf-8')
    assert 'ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml' in steps


def test_image_build_installs_the_collection_without_galaxy(image_collections):
    installed = image_collections / 'ansible_collections'
    assert sorted(str(p.relative_to(installed)) for p in installed.glob('*/*')) == ['fleetcfg/claude_code']
    manifest = json.loads((installed / 'fleetcfg' / 'claude_code' / 'MANIFEST.json').read_text(encoding='utf-8'))
    assert manifest['collection_info']['version'] == _galaxy_version()


def test_image_build_adds_jsonschema_with_its_pin(context, image_collections, tmp_path):
    pip_out = tmp_path / 'requirements.txt'
    _run([sys.executable, str(context / '_build' / 'scripts' / 'introspect.py'), 'introspect', str(image_collections),
          f'--write-pip={pip_out}', f'--write-bindep={tmp_path / "bindep.txt"}'], cwd=tmp_path)
    pins = _pins(pip_out)
    assert pins == {'jsonschema': _pins(REPO / 'requirements' / 'runtime.txt')['jsonschema']}, pip_out.read_text()
    assert not (tmp_path / 'bindep.txt').exists(), 'the collection asks for system packages'
