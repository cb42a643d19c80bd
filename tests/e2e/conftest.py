"""Fixtures for the end-to-end tests: the real Claude Code client, run offline against local fake endpoints.

- ``claude_bin``: the pinned client, installed once per session by install-claude.sh (cached outside the repo).
  FLEETCFG_E2E=0 skips the whole e2e suite; any failure to install fails it.
- ``fake``: the fake Anthropic endpoint a settings file under test points the client at; expects E2E_KEY.
- ``shell_fake`` + ``shell_env``: a second endpoint that only the client's *environment* names (with its own
  key). A request arriving there proves the client ran without the settings file: a positive control for
  "the file was dropped", which an empty request log alone cannot tell from "the client failed early".
- ``run_claude(config_dir, env_extra=None, prompt='ping')``: one ``claude -p`` with its own HOME and
  CLAUDE_CONFIG_DIR, a scrubbed environment, no retries, no non-essential traffic and a timeout.
  Returns (returncode, stdout, stderr).

Prove behaviour by what the fakes received, never by the exit code alone.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_support import (  # noqa: E402
    E2E_DIR, E2E_KEY, FAKE_REPLY, SHELL_KEY, SHELL_REPLY, TIMINGS, CLAUDE_TIMEOUT, run_claude_in,
)
from fake_anthropic import FakeAnthropic  # noqa: E402

INSTALL_TIMEOUT = 900


SWITCHED_OFF = os.environ.get("FLEETCFG_E2E") == "0"


@pytest.fixture(autouse=True)
def _e2e_switch():
    if SWITCHED_OFF:
        pytest.skip("FLEETCFG_E2E=0: the end-to-end tests are switched off")


@pytest.fixture(scope="session")
def claude_bin() -> str:
    if SWITCHED_OFF:
        pytest.skip("FLEETCFG_E2E=0: the end-to-end tests are switched off")
    start = time.monotonic()
    proc = subprocess.run([str(E2E_DIR / "install-claude.sh")], capture_output=True, text=True, check=False,
                          timeout=INSTALL_TIMEOUT)
    TIMINGS["install-claude.sh"].append(time.monotonic() - start)
    if proc.returncode != 0:
        pytest.fail(f"install-claude.sh failed (rc {proc.returncode}):\n{proc.stderr}", pytrace=False)
    path = proc.stdout.strip().splitlines()[-1]
    assert os.access(path, os.X_OK), path
    return path


@pytest.fixture
def fake():
    with FakeAnthropic(key=E2E_KEY, reply_text=FAKE_REPLY) as server:
        yield server


@pytest.fixture
def shell_fake():
    with FakeAnthropic(key=SHELL_KEY, reply_text=SHELL_REPLY) as server:
        yield server


@pytest.fixture
def shell_env(shell_fake) -> dict[str, str]:
    """Exported variables that send the client to ``shell_fake`` whenever the settings file is not applied."""
    return {"ANTHROPIC_BASE_URL": shell_fake.url, "ANTHROPIC_API_KEY": SHELL_KEY}


@pytest.fixture
def run_claude(claude_bin, tmp_path_factory):
    """run_claude(config_dir, env_extra=None, prompt='ping') -> (returncode, stdout, stderr)."""

    def run(config_dir, env_extra=None, prompt="ping", timeout=CLAUDE_TIMEOUT):
        home = tmp_path_factory.mktemp("home")
        return run_claude_in(claude_bin, home, Path(config_dir), env_extra, prompt, timeout)

    return run


@pytest.fixture
def config_dir(tmp_path) -> Path:
    """An empty CLAUDE_CONFIG_DIR."""
    path = tmp_path / "claude-config"
    path.mkdir()
    return path


def pytest_terminal_summary(terminalreporter):
    lines = [f"{name}: {len(v)} run(s), min {min(v):.2f} s, median {statistics.median(v):.2f} s, max {max(v):.2f} s"
             for name, v in TIMINGS.items() if v]
    if lines:
        terminalreporter.write_sep("-", "e2e timings (wall clock)")
        for line in lines:
            terminalreporter.write_line(line)
