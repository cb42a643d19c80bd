"""Shared pieces of the end-to-end tests: how the real client is run, and small file writers.

Imported by conftest.py and the test modules (tests/e2e is on sys.path, see conftest.py).
"""

from __future__ import annotations

import json
import re
import shutil
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]

# The key the settings file's helper prints and the fake expects, and the one only the outside environment has.
E2E_KEY = "sk-fleetcfg-e2e-0123456789"
SHELL_KEY = "sk-fleetcfg-shell-9876543210"
FAKE_REPLY = "pong from fake"
SHELL_REPLY = "pong from shell fake"

CLAUDE_TIMEOUT = float(os.environ.get("FLEETCFG_E2E_CLAUDE_TIMEOUT", "60"))

# Only these variables are taken from the outside environment; everything else the client sees is set here,
# so nothing ANTHROPIC_*, CLAUDE_*, AWS_*, GOOGLE_*, *_PROXY, NODE_* ... of the machine running the tests leaks in.
PASS_THROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")

# Wall-clock seconds, reported at the end of the session (conftest.pytest_terminal_summary).
TIMINGS: dict[str, list[float]] = {"install-claude.sh": [], "claude -p": [], "ansible-playbook": []}


class ClaudeRun(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def client_env(home: Path, config_dir: Path, env_extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of one client run: built from scratch, offline, no retries."""
    env = {k: v for k, v in os.environ.items() if k in PASS_THROUGH}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(
        HOME=str(home),
        CLAUDE_CONFIG_DIR=str(config_dir),
        # Any non-empty value counts as on: no telemetry, update checks or other connections.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        # A 401 would otherwise be retried for over a minute.
        CLAUDE_CODE_MAX_RETRIES="0",
    )
    env.update(env_extra or {})
    return env


def run_claude_in(claude_bin: str, home: Path, config_dir: Path, env_extra=None, prompt: str = "ping",
                  timeout: float = CLAUDE_TIMEOUT) -> ClaudeRun:
    """One ``claude -p <prompt>``; its cwd is its own empty HOME (no project settings, no git repository)."""
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [claude_bin, "-p", prompt],
        cwd=home, env=client_env(home, config_dir, env_extra),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # so a timeout ends the client and whatever it started (helpers)
    )
    start = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"claude -p did not finish within {timeout} s\nstdout: {out}\nstderr: {err}")
    TIMINGS["claude -p"].append(time.monotonic() - start)
    return ClaudeRun(proc.returncode, out, err)


def write_helper(path: Path, body: str, mode: int = 0o700) -> Path:
    """A helper script (the client runs it through /bin/sh)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(mode)
    return path


def key_helper(config_dir: Path, key: str = E2E_KEY, name: str = "bin/api-key-helper") -> Path:
    """A helper that prints ``key`` without a newline, like the one the module places."""
    return write_helper(config_dir / name, f"printf '%s' '{key}'")


def write_settings(config_dir: Path, content) -> Path:
    """Write <config_dir>/settings.json: a dict as JSON, a str as it is (for broken files)."""
    path = config_dir / "settings.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")
    return path


# --- ansible-playbook, with only this repository's collection --------------------------------------------------

ANSIBLE_TIMEOUT = 300


def find_ansible_playbook() -> str | None:
    candidates = [Path(os.sys.executable).parent / "ansible-playbook",
                  REPO_ROOT / ".venv/ansible-2.19/bin/ansible-playbook"]
    for path in candidates:
        if os.access(path, os.X_OK):
            return str(path)
    return shutil.which("ansible-playbook")


def target_python() -> str:
    """The target side must need nothing but Python: use the system's, with nothing installed into it.
    (Interpreter discovery may also pick a broken pyenv shim on a developer machine.)"""
    for path in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(path, os.X_OK):
            return path
    return os.sys.executable


def playbook_runner(base: Path, playbook: Path):
    """run(variables, *args) -> CompletedProcess of ansible-playbook running ``playbook`` on localhost.

    The collection is found through ANSIBLE_COLLECTIONS_PATH: a folder under ``base`` holding
    ansible_collections/fleetcfg/claude_code -> the repository root. Nothing of the outside ANSIBLE_*
    configuration, ~/.ansible or an installed copy of the collection is used. ``args`` are added to the
    command line (``--check``, ``-vvv``, another ``-i``...); the variables go in as an extra-vars file.
    """
    playbook_bin = find_ansible_playbook()
    if playbook_bin is None:
        pytest.skip("ansible-playbook not found (run scripts/setup)")
    namespace = base / "collections" / "ansible_collections" / "fleetcfg"
    namespace.mkdir(parents=True)
    (namespace / "claude_code").symlink_to(REPO_ROOT, target_is_directory=True)
    (base / "ansible.cfg").write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(base / "ansible.cfg"), ANSIBLE_HOME=str(base / "home"),
               ANSIBLE_LOCAL_TEMP=str(base / "tmp"), ANSIBLE_REMOTE_TEMP=str(base / "remote-tmp"),
               ANSIBLE_COLLECTIONS_PATH=str(base / "collections"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_PYTHON_INTERPRETER=target_python(), ANSIBLE_RETRY_FILES_ENABLED="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    counter = iter(range(1_000_000))

    def run(variables: dict, *args: str, inventory=("-i", "localhost,", "-c", "local")):
        vars_file = base / f"vars-{next(counter)}.json"
        vars_file.write_text(json.dumps(variables))
        start = time.monotonic()
        proc = subprocess.run([playbook_bin, *inventory, "--diff", str(playbook), "-e", f"@{vars_file}", *args],
                              cwd=base, env=env, capture_output=True, text=True, timeout=ANSIBLE_TIMEOUT, check=False)
        TIMINGS["ansible-playbook"].append(time.monotonic() - start)
        return proc

    return run


def recap(proc, host: str = "localhost") -> dict[str, int]:
    """The PLAY RECAP line of ``host`` as numbers: {'ok': 1, 'changed': 1, 'failed': 0, ...}."""
    match = re.search(rf"^{re.escape(host)}\s*:\s*(.*)$", proc.stdout, re.M)
    assert match, proc.stdout + proc.stderr
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def failure_message(proc, host: str = "localhost") -> str:
    """The ``msg`` of the task that failed on ``host`` (the JSON after ``fatal: [host]: FAILED! =>``), unescaped."""
    match = re.search(rf"^fatal: \[{re.escape(host)}\]: FAILED! => (\{{.*\}})$", proc.stdout, re.M)
    assert match, proc.stdout + proc.stderr
    return json.loads(match.group(1))["msg"]


def module_calls(proc) -> int:
    """How many times the settings module ran on the target in a -vvv run (each run puts its AnsiballZ file)."""
    return len(re.findall(r"PUT .* TO .*AnsiballZ_settings\.py", proc.stdout))


# --- real accounts ------------------------------------------------------------------------------------------------

def create_accounts(prefix: str, count: int) -> list[str]:
    """``count`` new accounts (homes /tmp/<name>-home, created); skips the test without root or useradd."""
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("needs root and useradd")
    tag = uuid.uuid4().hex[:6]
    names = [f"{prefix}{tag}{chr(ord('a') + i)}" for i in range(count)]
    for name in names:
        subprocess.run(["useradd", "--create-home", "--home-dir", f"/tmp/{name}-home", "--shell", "/bin/sh", name],
                       check=True, capture_output=True)
    return names


def delete_accounts(names) -> None:
    for name in names:
        subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)
        shutil.rmtree(f"/tmp/{name}-home", ignore_errors=True)
