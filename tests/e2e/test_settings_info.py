"""settings_info's answer agrees with what the real client does.

For one real account, a managed file, a managed drop-in and the account's user file disagree about the gateway URL
and the credential. Each candidate URL is its own local fake endpoint and each file holds its own token, so what the
client sends, and where, shows which file won. settings_info must name that endpoint and that credential's file,
and the files the client drops.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from e2e_support import E2E_DIR, create_accounts, delete_accounts, playbook_runner, recap
from fake_anthropic import FakeAnthropic
from test_bedrock import claude_in, home_of, needs_root

pytestmark = needs_root

PLAYBOOK = E2E_DIR / "playbooks" / "settings_info.yml"
MANAGED_TOKEN = "sk-managed-dropin-token-1111"
USER_TOKEN = "sk-user-file-token-2222"
HELPER_TOKEN = "sk-helper-token-3333"


@pytest.fixture
def account():
    names = create_accounts("fcsi", 1)
    yield names[0]
    delete_accounts(names)


@pytest.fixture
def fakes():
    """One fake endpoint per file that names a gateway URL; each accepts any credential and records it."""
    with contextlib.ExitStack() as stack:
        yield dict((name, stack.enter_context(FakeAnthropic(key=None))) for name in ("managed", "dropin", "user"))


def write_json(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))


def settings_info(tmp_path: Path, user: str, managed_dir: Path) -> dict:
    out = tmp_path / "info.json"
    proc = playbook_runner(tmp_path / "ansible", PLAYBOOK)(
        {"e2e_users": [user], "e2e_managed_dir": str(managed_dir), "e2e_out": str(out)})
    assert recap(proc)["failed"] == 0, proc.stdout + proc.stderr
    for token in (MANAGED_TOKEN, USER_TOKEN, HELPER_TOKEN):
        assert token not in proc.stdout + out.read_text()
    return json.loads(out.read_text())["accounts"][user]


def bearer_tokens(fake: FakeAnthropic) -> list[str]:
    return [r.headers.get("authorization", "") for r in fake.messages()]


def test_the_endpoint_and_credential_it_reports_are_the_ones_the_client_uses(claude_bin, tmp_path, account, fakes):
    """The drop-in's URL beats managed-settings.json's and the user file's; the user file's static token beats its
    own key helper and is what the drop-in's endpoint receives."""
    etc = tmp_path / "etc"
    managed = etc / "claude-code"
    write_json(managed / "managed-settings.json", {"env": {"ANTHROPIC_BASE_URL": fakes["managed"].url}})
    write_json(managed / "managed-settings.d" / "50-team.json", {"env": {"ANTHROPIC_BASE_URL": fakes["dropin"].url}})
    config = home_of(account) / ".claude"
    helper = config / "bin" / "key"
    write_json(helper, f"#!/bin/sh\nprintf '%s' '{HELPER_TOKEN}'\n")
    helper.chmod(0o755)
    user_file = config / "settings.json"
    write_json(user_file, {"apiKeyHelper": str(helper),
                           "env": {"ANTHROPIC_BASE_URL": fakes["user"].url, "ANTHROPIC_AUTH_TOKEN": USER_TOKEN}})

    info = settings_info(tmp_path, account, managed)
    run = claude_in(claude_bin, home_of(account), config, managed_etc=etc)

    assert info["endpoint"] == {"key": "env.ANTHROPIC_BASE_URL", "value": fakes["dropin"].url,
                                "source": str(managed / "managed-settings.d" / "50-team.json")}
    assert info["credential"] == {"key": "env.ANTHROPIC_AUTH_TOKEN", "source": str(user_file)}
    assert info["provider"] == "litellm"
    assert info["dropped"] == []
    assert any("hides apiKeyHelper" in w for w in info["warnings"]), info["warnings"]
    assert {s["source"] for s in info["shadowed"] if s["key"] == "env.ANTHROPIC_BASE_URL"} == {
        str(user_file), str(managed / "managed-settings.json")}
    # What the client did:
    assert run.returncode == 0, run.stdout + run.stderr
    assert bearer_tokens(fakes["dropin"]) and set(bearer_tokens(fakes["dropin"])) == {f"Bearer {USER_TOKEN}"}
    assert fakes["managed"].messages() == [] and fakes["user"].messages() == []


def test_a_user_file_the_client_drops_is_reported_and_its_keys_are_not_effective(claude_bin, tmp_path, account, fakes):
    """One wrong type drops the whole user file: its URL and token are gone, the managed files' are used."""
    etc = tmp_path / "etc"
    managed = etc / "claude-code"
    write_json(managed / "managed-settings.json", {"env": {"ANTHROPIC_BASE_URL": fakes["managed"].url}})
    dropin = managed / "managed-settings.d" / "50-team.json"
    write_json(dropin, {"env": {"ANTHROPIC_AUTH_TOKEN": MANAGED_TOKEN}})
    config = home_of(account) / ".claude"
    user_file = config / "settings.json"
    write_json(user_file, {"apiKeyHelper": 5, "env": {"ANTHROPIC_BASE_URL": fakes["user"].url, "ANTHROPIC_AUTH_TOKEN": USER_TOKEN}})

    info = settings_info(tmp_path, account, managed)
    run = claude_in(claude_bin, home_of(account), config, managed_etc=etc)

    assert [d["path"] for d in info["dropped"]] == [str(user_file)]
    assert "apiKeyHelper" in info["dropped"][0]["reason"]
    assert info["endpoint"]["value"] == fakes["managed"].url
    assert info["credential"] == {"key": "env.ANTHROPIC_AUTH_TOKEN", "source": str(dropin)}
    assert "apiKeyHelper" not in info["effective"]
    # What the client did:
    assert run.returncode == 0, run.stdout + run.stderr
    assert set(bearer_tokens(fakes["managed"])) == {f"Bearer {MANAGED_TOKEN}"}
    assert fakes["user"].messages() == [] and fakes["dropin"].messages() == []
