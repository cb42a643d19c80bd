"""The role fleetcfg.claude_code.foundry, proven with the real Claude Code client against a fake Microsoft Foundry.

Each test applies the role (tests/e2e/playbooks/foundry.yml) and then runs `claude -p` with only the files the role
wrote (and the user's own keys); what the fake Foundry endpoint (fake_anthropic.FakeFoundry: the Messages API under
/anthropic, serving only the team's deployment names) RECEIVED proves the deployment: the path, the deployment the
picked class is pinned to, and the credential in the header each mode uses (x-api-key for an API key, the Azure CLI's
token as bearer for Entra ID, the placeholder `Bearer skip-foundry-auth` behind a gateway).

The client facts these rest on are proved with hand-written files in test_client_contract.py.
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import stat
import uuid
from pathlib import Path

import pytest

from e2e_support import (
    E2E_DIR, create_accounts, delete_accounts, failure_message, module_calls, playbook_runner, recap, run_claude_in,
    write_helper,
)
from fake_anthropic import FakeFoundry
from test_bedrock import claude_in, files_under, home_of, needs_root
from test_client_contract import refusing_proxy, tunnels
from test_settings_module import output

PLAYBOOK = E2E_DIR / "playbooks" / "foundry.yml"
DEPLOYMENTS = {"opus": "fleet-opus-deployment", "sonnet": "fleet-sonnet-deployment", "haiku": "fleet-haiku-deployment"}
MODELS = {**DEPLOYMENTS, "default": "opus"}  # the picker's default class opus: the client asks for its deployment
SHARED_KEY = "foundry-key-shared-fleetcfg-e2e-5151"
ENTRA_TOKEN = "entra-token-from-the-azure-cli-e2e"
ME = pwd.getpwuid(os.geteuid()).pw_name
USER_DOC = {"permissions": {"allow": ["Bash(ls:*)"]}, "theme": "dark", "env": {"MY_TEAM_VAR": "kept"}}
PINS = {f"ANTHROPIC_DEFAULT_{c.upper()}_MODEL": name for c, name in DEPLOYMENTS.items()}


@pytest.fixture(scope="module")
def play(tmp_path_factory):
    """play(role_vars, *args, inventory=...) -> CompletedProcess of ansible-playbook against localhost."""
    return playbook_runner(tmp_path_factory.mktemp("ansible-foundry"), PLAYBOOK)


@pytest.fixture(scope="module")
def accounts():
    """Two real accounts (homes under /tmp), removed afterwards."""
    names = create_accounts("fcfd", 2)
    yield names
    delete_accounts(names)


def fake_foundry(key=None, key_header="x-api-key", reply="pong from fake foundry") -> FakeFoundry:
    """Foundry serving exactly the team's deployments: any other model name is answered 404."""
    return FakeFoundry(key=key, key_header=key_header, models=tuple(DEPLOYMENTS.values()), reply_text=reply)


def assert_served(fake, result, path: str, model: str, check=None):
    """Every request reached ``fake`` as a model call at ``path`` for ``model``, answered 200 (so with the credential
    and headers the fake requires); ``check(call)`` asserts more; the fake's reply is what the client printed."""
    got = [(r.method, r.path, r.status, r.body.get("model") if isinstance(r.body, dict) else None,
            {k: v for k, v in r.headers.items() if k in ("x-api-key", "authorization", "anthropic-workspace-id")})
           for r in fake.received()]
    detail = f"received {got}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    calls = fake.messages()
    assert calls and len(calls) == len(got), detail
    assert all((c.path, c.status, c.body.get("model")) == (path, 200, model) for c in calls), detail
    for call in calls:
        if check:
            check(call)
    assert fake.reply_text in result.stdout, detail
    fake.clear()


def foundry_path() -> str:
    return "/anthropic/v1/messages?beta=true"


def user_file(config_dir: Path, doc=None, mode=0o644) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "settings.json"
    path.write_text(json.dumps(USER_DOC if doc is None else doc, indent=2) + "\n")
    path.chmod(mode)
    return path


def test_api_key_reaches_foundry_under_anthropic_keeps_user_keys_and_is_idempotent(play, claude_bin, tmp_path):
    home = tmp_path / "home"
    config_dir = home / ".claude"
    settings = user_file(config_dir)
    with fake_foundry(key=SHARED_KEY) as foundry:
        role = {"foundry_base_url": foundry.base_url, "foundry_auth": "api_key", "foundry_api_key": SHARED_KEY,
                "foundry_users": [ME], "foundry_config_dir": str(config_dir), "foundry_models": MODELS}
        first = play(role)
        assert first.returncode == 0, output(first)
        assert recap(first)["changed"] == 1
        assert SHARED_KEY not in output(first), "the key in the output"
        doc = json.loads(settings.read_text())
        assert doc == {**USER_DOC, "model": "opus", "env": {
            **USER_DOC["env"], "CLAUDE_CODE_USE_FOUNDRY": "1", "ANTHROPIC_FOUNDRY_BASE_URL": foundry.base_url,
            "ANTHROPIC_FOUNDRY_API_KEY": SHARED_KEY, **PINS}}, doc
        assert stat.S_IMODE(settings.stat().st_mode) == 0o600, "a key in a file others can read"

        assert_served(foundry, run_claude_in(claude_bin, home, config_dir), foundry_path(), DEPLOYMENTS["opus"],
                      check=lambda c: c.credentials == [SHARED_KEY] and "authorization" not in c.headers)

        # No drift: nothing changes, the settings module ran once on the host, the key is in no output.
        again = play(role, "-vvv")
        assert again.returncode == 0, output(again)
        assert recap(again)["changed"] == 0, output(again)
        assert module_calls(again) == 1, module_calls(again)
        assert SHARED_KEY not in output(again)


@needs_root
def test_api_key_per_account_each_account_reaches_foundry_with_its_own_key(play, claude_bin, accounts):
    keys = {user: f"foundry-key-{user}-{uuid.uuid4().hex[:8]}" for user in accounts}
    with fake_foundry() as foundry:
        proc = play({"foundry_base_url": foundry.base_url, "foundry_auth": "api_key", "foundry_api_key": keys,
                     "foundry_users": accounts, "foundry_models": {**DEPLOYMENTS, "default": "sonnet"}})
        assert proc.returncode == 0, output(proc)
        assert not any(k in output(proc) for k in keys.values()), "a key in the output"
        for user in accounts:
            config_dir = home_of(user) / ".claude"
            st = (config_dir / "settings.json").stat()
            assert (pwd.getpwuid(st.st_uid).pw_name, stat.S_IMODE(st.st_mode)) == (user, 0o600)
            others = [k for u, k in keys.items() if u != user]
            assert not any(k.encode() in c for c in files_under(config_dir).values() for k in others), \
                f"another account's key in {user}'s files"
            foundry.key = keys[user]
            assert_served(foundry, claude_in(claude_bin, home_of(user), config_dir), foundry_path(),
                          DEPLOYMENTS["sonnet"], check=lambda c, u=user: c.credentials == [keys[u]])


def test_entra_id_writes_no_credential_and_the_client_takes_the_azure_cli_token(play, claude_bin, tmp_path):
    """Entra ID: the role writes the endpoint and the pins only; the client's default Azure credential chain finds the
    developer's `az login` (a fake `az` on PATH; AZURE_TOKEN_CREDENTIALS=dev keeps managed identity and IMDS out)."""
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    calls = tmp_path / "az-calls"
    azbin = tmp_path / "azbin"
    write_helper(azbin / "az", f'printf "%s\\n" "$*" >> {shlex.quote(str(calls))}\n'
                 "printf '%s\\n' '{\"accessToken\": \"" + ENTRA_TOKEN + "\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", "
                 "\"expires_on\": 4070908800, \"tokenType\": \"Bearer\"}'", mode=0o755)
    with fake_foundry(key=ENTRA_TOKEN, key_header="authorization") as foundry:
        proc = play({"foundry_base_url": foundry.base_url, "foundry_auth": "entra_id", "foundry_users": [ME],
                     "foundry_config_dir": str(config_dir), "foundry_models": MODELS})
        assert proc.returncode == 0, output(proc)
        doc = json.loads((config_dir / "settings.json").read_text())
        assert doc["env"] == {"CLAUDE_CODE_USE_FOUNDRY": "1", "ANTHROPIC_FOUNDRY_BASE_URL": foundry.base_url, **PINS}, doc
        assert files_under(config_dir).keys() == {config_dir / "settings.json"}

        result = run_claude_in(claude_bin, home, config_dir, {
            "AZURE_TOKEN_CREDENTIALS": "dev", "PATH": f"{azbin}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
        assert_served(foundry, result, foundry_path(), DEPLOYMENTS["opus"],
                      check=lambda c: c.credentials == [ENTRA_TOKEN] and "x-api-key" not in c.headers)
        assert "--resource https://cognitiveservices.azure.com" in calls.read_text()


@needs_root
def test_gateway_as_managed_dropin_sends_the_placeholder_and_no_key(play, claude_bin, tmp_path):
    """foundry_scope=managed, foundry_auth=gateway: a 0644 drop-in with no secret; the client (seeing the drop-in as
    /etc/claude-code inside a private mount namespace) sends `Authorization: Bearer skip-foundry-auth` and no key."""
    etc = tmp_path / "etc"
    home = tmp_path / "home"
    config_dir = home / ".claude"
    user_file(config_dir)
    with fake_foundry(key="skip-foundry-auth", key_header="authorization", reply="pong from the gateway") as gateway:
        proc = play({"foundry_base_url": gateway.base_url, "foundry_auth": "gateway", "foundry_scope": "managed",
                     "foundry_managed_dir": str(etc / "claude-code"), "foundry_models": MODELS})
        assert proc.returncode == 0, output(proc)
        dropin = etc / "claude-code" / "managed-settings.d" / "50-foundry.json"
        assert stat.S_IMODE(dropin.stat().st_mode) == 0o644
        doc = json.loads(dropin.read_text())
        assert doc["env"] == {"CLAUDE_CODE_USE_FOUNDRY": "1", "ANTHROPIC_FOUNDRY_BASE_URL": gateway.base_url,
                              "CLAUDE_CODE_SKIP_FOUNDRY_AUTH": "1", **PINS}, doc
        assert json.loads((config_dir / "settings.json").read_text()) == USER_DOC, "the user file was touched"

        assert_served(gateway, claude_in(claude_bin, home, config_dir, managed_etc=etc), foundry_path(),
                      DEPLOYMENTS["opus"], check=lambda c: c.credentials == ["skip-foundry-auth"]
                      and "x-api-key" not in c.headers)
        assert not Path("/etc/claude-code/managed-settings.d/50-foundry.json").exists()


def test_resource_sends_the_client_to_the_resources_azure_host(play, claude_bin, tmp_path):
    """foundry_resource: the client goes to https://<resource>.services.ai.azure.com (the CONNECT target at a local
    proxy that refuses every tunnel: nothing leaves the machine)."""
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    proc = play({"foundry_resource": "fleet-res-e2e", "foundry_auth": "api_key", "foundry_api_key": SHARED_KEY,
                 "foundry_users": [ME], "foundry_config_dir": str(config_dir), "foundry_models": MODELS})
    assert proc.returncode == 0, output(proc)
    env = json.loads((config_dir / "settings.json").read_text())["env"]
    assert env["ANTHROPIC_FOUNDRY_RESOURCE"] == "fleet-res-e2e" and "ANTHROPIC_FOUNDRY_BASE_URL" not in env, env
    with refusing_proxy() as proxy:
        result = run_claude_in(claude_bin, home, config_dir, {"HTTPS_PROXY": f"http://{proxy.hostport}"})
        assert tunnels(proxy) and set(tunnels(proxy)) == {"fleet-res-e2e.services.ai.azure.com:443"}, \
            (tunnels(proxy), result.stdout)


INVALID = {
    # The errors users meet (docs/foundry.md): each names its variable, and no host is contacted.
    "base-url-without-anthropic": ({"foundry_base_url": "https://fleet-res.services.ai.azure.com"}, "foundry_base_url"),
    "sonnet-unpinned": ({"foundry_models": {"haiku": "fleet-haiku-deployment"}}, "foundry_models.sonnet"),
    "api-key-managed": ({"foundry_scope": "managed", "foundry_users": []}, "foundry_scope"),
}


@pytest.mark.parametrize("change, name", INVALID.values(), ids=INVALID.keys())
def test_invalid_input_fails_naming_the_variable_before_any_host_is_contacted(play, tmp_path, change, name):
    role = {"foundry_base_url": "https://fleet-res.services.ai.azure.com/anthropic", "foundry_auth": "api_key",
            "foundry_api_key": "foundry-secret-value", "foundry_users": ["root"],
            "foundry_config_dir": str(tmp_path / "cfg"), "foundry_models": MODELS, **change}
    proc = play(role, inventory=("-i", "unreachable.invalid,", "-c", "ssh", "-e", "ansible_port=1"))
    assert proc.returncode != 0
    text = output(proc)
    assert "UNREACHABLE" not in text and "unreachable=0" in text, text
    assert "foundry-secret-value" not in text
    assert not (tmp_path / "cfg").exists()
    header, *problems = failure_message(proc, "unreachable.invalid").split("\n")
    assert header == "fleetcfg.claude_code.foundry: invalid input, no host was changed:", header
    assert any(line.startswith(f"  - {name}") for line in problems), (name, problems)
