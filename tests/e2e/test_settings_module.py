"""Deploy with the collection's settings module, then prove the result with the real Claude Code client.

The playbook (playbooks/deploy.yml) merges env.ANTHROPIC_BASE_URL and places an apiKeyHelper script in a
CLAUDE_CONFIG_DIR; `claude -p` must then reach the fake endpoint with the helper's key. A task with a value
the client would reject must fail, name the key, and leave the previous file byte for byte as it was, so the
client keeps working with it.
"""

from __future__ import annotations

import json
import shlex
import stat
from pathlib import Path

import pytest

from e2e_support import E2E_DIR, E2E_KEY, FAKE_REPLY, module_calls, playbook_runner, recap

PLAYBOOK = E2E_DIR / "playbooks" / "deploy.yml"


@pytest.fixture(scope="session")
def ansible(tmp_path_factory):
    """deploy(config_dir, base_url, key=E2E_KEY, extra_settings=None) -> CompletedProcess of ansible-playbook."""
    run = playbook_runner(tmp_path_factory.mktemp("ansible"), PLAYBOOK)

    def deploy(config_dir, base_url, key=E2E_KEY, extra_settings=None, args=()):
        return run({"e2e_config_dir": str(config_dir), "e2e_base_url": base_url, "e2e_key": key,
                    "e2e_extra_settings": extra_settings or {}}, *args)

    return deploy


def output(proc) -> str:
    return proc.stdout + proc.stderr


def helper_command(settings: dict) -> list[str]:
    """apiKeyHelper as /bin/sh will split it (the module may quote the path for the shell)."""
    return shlex.split(settings["apiKeyHelper"])


def snapshot(config_dir: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mode of what the module manages."""
    files = [config_dir / "settings.json", config_dir / "bin/api-key-helper"]
    return {f.name: (f.read_bytes(), stat.S_IMODE(f.stat().st_mode)) for f in files if f.exists()}


def assert_client_uses(fake, run_claude, config_dir, key=E2E_KEY):
    result = run_claude(config_dir)
    calls = fake.messages()
    assert calls, (f"nothing reached the fake: {[(r.method, r.path) for r in fake.received()]}\n"
                   f"stdout: {result.stdout}\nstderr: {result.stderr}")
    assert all(c.route == "/v1/messages" and key in c.credentials and c.status == 200 for c in calls), \
        [(c.path, c.auth_scheme, c.credentials, c.status) for c in calls]
    assert FAKE_REPLY in result.stdout
    fake.clear()
    return result


def test_deploy_merges_into_an_existing_file_and_the_client_uses_it(ansible, fake, run_claude, config_dir):
    settings_file = config_dir / "settings.json"
    settings_file.write_text(json.dumps({"permissions": {"allow": ["Bash(ls:*)"]}, "includeCoAuthoredBy": False}))

    proc = ansible(config_dir, fake.url)

    assert proc.returncode == 0, output(proc)
    assert recap(proc)["changed"] == 1
    assert E2E_KEY not in output(proc), "the helper's content is a secret: not in output or diff"
    doc = json.loads(settings_file.read_text())
    assert doc["env"] == {"ANTHROPIC_BASE_URL": fake.url}
    helper = config_dir / "bin/api-key-helper"
    assert helper_command(doc) == [str(helper)]
    assert stat.S_IMODE(helper.stat().st_mode) == 0o700
    assert doc["permissions"] == {"allow": ["Bash(ls:*)"]} and doc["includeCoAuthoredBy"] is False

    assert_client_uses(fake, run_claude, config_dir)

    # Using the client leaves the file alone: the same play again changes nothing.
    again = ansible(config_dir, fake.url)
    assert again.returncode == 0, output(again)
    assert recap(again)["changed"] == 0, output(again)


def test_deploy_into_a_new_config_dir_with_a_space(ansible, fake, run_claude, tmp_path):
    """The client runs apiKeyHelper through /bin/sh: the module must quote a path with a space."""
    config_dir = tmp_path / "claude config"

    proc = ansible(config_dir, fake.url)

    assert proc.returncode == 0, output(proc)
    settings_file = config_dir / "settings.json"
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
    assert helper_command(json.loads(settings_file.read_text())) == [str(config_dir / "bin/api-key-helper")]
    assert_client_uses(fake, run_claude, config_dir)


INVALID = {
    "cleanupPeriodDays-string": ({"cleanupPeriodDays": "thirty"}, "cleanupPeriodDays"),
    "cleanupPeriodDays-zero": ({"cleanupPeriodDays": 0}, "cleanupPeriodDays"),
    "model-number": ({"model": 5}, "model"),
    "apiKeyHelper-number": ({"apiKeyHelper": 5}, "apiKeyHelper"),
    "permissions.defaultMode-unknown": ({"permissions": {"defaultMode": "bogus"}}, "defaultMode"),
}


@pytest.mark.parametrize("extra, key", INVALID.values(), ids=INVALID.keys())
def test_invalid_value_fails_and_leaves_the_working_file(ansible, fake, run_claude, config_dir, extra, key):
    assert ansible(config_dir, fake.url).returncode == 0
    before = snapshot(config_dir)
    assert set(before) == {"settings.json", "api-key-helper"}

    proc = ansible(config_dir, fake.url, key="sk-another-key", extra_settings=extra)

    assert proc.returncode != 0, output(proc)
    assert key in output(proc)
    assert snapshot(config_dir) == before
    assert_client_uses(fake, run_claude, config_dir)


EXISTING_BROKEN = {
    "wrong-type": ('{"cleanupPeriodDays": "thirty"}\n', "cleanupPeriodDays"),
    "invalid-json": ('{"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"},\n', "JSON"),
    # Both allowed by SchemaStore's schema, both make the client drop the file (test_client_contract.py).
    "defaultMode-delegate": ('{"permissions": {"defaultMode": "delegate"}}\n', "defaultMode"),
    "spinnerVerbs-without-mode": ('{"spinnerVerbs": {"verbs": ["Pondering"]}}\n', "spinnerVerbs"),
}


@pytest.mark.parametrize("content, named", EXISTING_BROKEN.values(), ids=EXISTING_BROKEN.keys())
def test_existing_file_the_client_drops_is_reported_not_overwritten(ansible, fake, config_dir, content, named):
    """Merging into a file the client ignores would leave the deployment silently dead: fail, touch nothing."""
    (config_dir / "settings.json").write_text(content)

    proc = ansible(config_dir, fake.url)

    assert proc.returncode != 0, output(proc)
    assert named in output(proc)
    assert (config_dir / "settings.json").read_text() == content
    assert not (config_dir / "bin/api-key-helper").exists()


def test_existing_content_the_client_tolerates_is_kept(ansible, fake, run_claude, config_dir):
    """Oddities the client accepts (a number as env value, an unknown key) do not block the deployment."""
    existing = {"env": {"API_TIMEOUT_MS": 600000}, "awsAuthRefersh": "typo", "model": "sonnet"}
    (config_dir / "settings.json").write_text(json.dumps(existing))

    proc = ansible(config_dir, fake.url)

    assert proc.returncode == 0, output(proc)
    doc = json.loads((config_dir / "settings.json").read_text())
    assert doc["env"]["ANTHROPIC_BASE_URL"] == fake.url
    assert doc["awsAuthRefersh"] == "typo" and doc["model"] == "sonnet"
    assert doc["env"]["API_TIMEOUT_MS"] in (600000, "600000")
    assert_client_uses(fake, run_claude, config_dir)


def test_module_calls_new_file_one_no_drift_one_drift_two(ansible, fake, config_dir):
    """The cost the design promises: a new file is written by the first (plan) call; an existing file that
    drifted needs the second (apply) call, after the controller judged the plan; no drift, one call."""
    new = ansible(config_dir, fake.url, args=("-vvv",))
    assert (recap(new)["changed"], module_calls(new)) == (1, 1), output(new)
    same = ansible(config_dir, fake.url, args=("-vvv",))
    assert (recap(same)["changed"], module_calls(same)) == (0, 1), output(same)
    drift = ansible(config_dir, fake.url, key="sk-rotated-key", args=("-vvv",))
    assert (recap(drift)["changed"], module_calls(drift)) == (1, 2), output(drift)
    assert "sk-rotated-key" in (config_dir / "bin" / "api-key-helper").read_text()
