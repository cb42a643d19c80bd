"""The role fleetcfg.claude_code.cli, proven with the real Claude Code client installed from local tarballs.

The tarballs (wrapper + linux-x64 platform package, two versions) come from tests/e2e/fetch-claude-tarballs.sh, cached
outside the repository. Every install runs with npm pointed at a dead registry and proxy and an empty npm cache, so the
client can only come from the tarballs the role copied. The managed version range is proven by the real client: run with
the managed folder the role wrote seen as /etc/claude-code (unshare -m + overlay), it refuses to start outside it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e_support import CLAUDE_TIMEOUT, E2E_DIR, failure_message, playbook_runner, recap
from test_settings_module import output

PLAYBOOK = E2E_DIR / "playbooks" / "cli.yml"
ROOT = os.geteuid() == 0
DEAD = "http://127.0.0.1:9"


def _tarballs():
    proc = subprocess.run([str(E2E_DIR / "fetch-claude-tarballs.sh")], capture_output=True, text=True, timeout=900,
                          check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot fetch the client's tarballs: {proc.stderr[-500:]}")
    lines = [line.split() for line in proc.stdout.splitlines() if line.strip()]
    return {version: [wrapper, native] for version, wrapper, native in lines}, [line[0] for line in lines]


@pytest.fixture(scope="module")
def tarballs():
    """{version: [wrapper tarball, platform tarball]} and the versions, the pin first, then the older one."""
    if shutil.which("npm") is None:
        pytest.skip("npm not found")
    return _tarballs()


@pytest.fixture(scope="module")
def play(tmp_path_factory):
    return playbook_runner(tmp_path_factory.mktemp("ansible-cli"), PLAYBOOK)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


def offline(work: Path) -> dict:
    cache = work / "npm-cache"
    shutil.rmtree(cache, ignore_errors=True)
    return {"npm_config_cache": str(cache), "npm_config_proxy": DEAD, "npm_config_https_proxy": DEAD,
            "https_proxy": DEAD, "http_proxy": DEAD, "npm_config_offline": "false"}


def version_of(claude: Path) -> str:
    proc = subprocess.run([str(claude), "--version"], capture_output=True, text=True, timeout=60, check=False, cwd="/")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()[0]


def started(claude: Path, managed: Path, home: Path):
    """`claude -p` with `managed` (a folder named claude-code) seen as /etc/claude-code: (exit status, output)."""
    assert managed.name == "claude-code", managed
    script = 'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc && cd "$3" && exec "$2" -p ping'
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
           "CLAUDE_CODE_MAX_RETRIES": "0", "DISABLE_AUTOUPDATER": "1"}
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(managed.parent), str(claude), str(home)], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLAUDE_TIMEOUT, check=False)
    return proc.returncode, proc.stderr + proc.stdout


def dropin(managed: Path) -> dict:
    return json.loads((managed / "managed-settings.d" / "40-fleetcfg-cli.json").read_text())


def test_node_older_than_the_package_needs_is_named_before_anything_is_copied(play, tarballs, work):
    files, (pin, _older) = tarballs
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if not node or int(node.lstrip("v").split(".")[0]) >= 22:
        pytest.skip(f"Node.js here ({node or 'none'}) meets the package's engines.node")
    prefix = work / "node-check"
    result = play({"cli_version": pin, "cli_package_file": files[pin], "cli_prefix": str(prefix),
                   "cli_registry": DEAD, "cli_managed_dir": str(work / "managed-node"), "e2e_env": offline(work)})
    assert result.returncode != 0, output(result)
    message = failure_message(result)
    assert f"Node.js {node} found, @anthropic-ai/claude-code needs Node.js >=22.0.0 (its package.json engines.node)" in message
    assert "cli_install_node: true" in message
    assert not (prefix / "lib").exists(), "nothing was installed"


@pytest.mark.skipif(not ROOT, reason="needs root (unshare -m for the managed folder)")
def test_pin_installs_offline_is_idempotent_upgrades_downgrades_and_the_range_is_enforced(play, tarballs, work):
    """Three installs, the fewest the proof takes (install, upgrade, downgrade), each writing the managed range into its
    own managed folder; the client installed by the next run is then outside the range of the run before it.
    (A failed install keeping the old client: tests/integration/targets/role_cli, with fake tarballs.)"""
    files, (pin, older) = tarballs
    prefix = work / "prefix"
    claude = prefix / "bin" / "claude"
    at_most_older, at_least_pin, blocked = (work / name / "claude-code" for name in ("max", "min", "blocked"))
    home = work / "home"
    home.mkdir()
    # Node.js here may be older than engines.node (>=22.0.0); npm and the postinstall work with it (docs/cli.md).
    common = {"cli_prefix": str(prefix), "cli_registry": DEAD, "cli_node_version": ">=18"}

    def role(version, managed, **extra):
        return dict(common, cli_version=version, cli_package_file=files[version], cli_managed_dir=str(managed),
                    e2e_env=offline(work), **extra)

    # A clean prefix with no client: installed from the tarballs, with no registry reachable; at most this version.
    first = play(role(older, at_most_older, cli_max_version=older), "-v")
    assert first.returncode == 0, output(first)
    assert recap(first)["changed"] == 2, output(first)  # the client, and the drop-in
    assert f"Claude Code {older} installed (was not installed)" in first.stdout, output(first)
    assert version_of(claude) == older
    assert dropin(at_most_older) == {"env": {"DISABLE_AUTOUPDATER": "1"}, "requiredMaximumVersion": older}

    # A second run changes nothing and installs nothing: one module call, no tarball copied.
    again = play(role(older, at_most_older, cli_max_version=older), "-vvv")
    assert again.returncode == 0, output(again)
    assert recap(again)["changed"] == 0, output(again)
    assert len(re.findall(r"PUT .*AnsiballZ_cli\.py", again.stdout)) == 1, output(again)
    assert not re.search(r"PUT .*anthropic-ai-claude-code", again.stdout), "no tarball is copied without drift"
    assert version_of(claude) == older

    # A newer pin upgrades, with a managed minimum at it: the client starts under that minimum, and refuses to start
    # under the maximum the first run wrote, naming both versions.
    up = play(role(pin, at_least_pin, cli_min_version=pin), "-v")
    assert up.returncode == 0, output(up)
    assert f"Claude Code {pin} upgraded (was {older})" in up.stdout, output(up)
    assert version_of(claude) == pin
    assert dropin(at_least_pin) == {"env": {"DISABLE_AUTOUPDATER": "1"}, "requiredMinimumVersion": pin}
    status, text = started(claude, at_least_pin, home)
    assert "organization" not in text and "Not logged in" in text, text
    status, text = started(claude, at_most_older, home)
    assert status == 1, text
    assert f"Claude Code {pin} is newer than the maximum version allowed by your organization ({older})" in text

    # Back to the older pin downgrades (updates blocked, no range): it refuses to start under the minimum, and starts
    # under the maximum again.
    down = play(role(older, blocked, cli_updates="blocked"), "-v")
    assert down.returncode == 0, output(down)
    assert f"Claude Code {older} downgraded (was {pin})" in down.stdout, output(down)
    assert version_of(claude) == older
    assert dropin(blocked) == {"env": {"DISABLE_UPDATES": "1"}}
    status, text = started(claude, at_least_pin, home)
    assert status == 1, text
    assert f"Claude Code {older} is older than the minimum version required by your organization ({pin})" in text
    status, text = started(claude, at_most_older, home)
    assert "organization" not in text and "Not logged in" in text, text
