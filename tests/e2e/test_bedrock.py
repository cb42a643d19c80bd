"""The role fleetcfg.claude_code.bedrock, proven with the real Claude Code client against a fake Bedrock.

Each test applies the role (tests/e2e/playbooks/bedrock.yml) and then runs `claude -p` with only the files the
role wrote; what the fake Bedrock endpoint (fake_bedrock.py) RECEIVED proves the deployment: the route and the
pinned model id, and the credential (none behind a gateway, SigV4 for the configured region with a profile or
a credential broker, the bearer token with a Bedrock API key).

Managed scope is tested without touching the real /etc: the role writes into a temporary managed_dir, and the
client runs inside `unshare -m` with an overlay that shows that folder as /etc/claude-code.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from e2e_support import (
    CLAUDE_TIMEOUT, E2E_DIR, TIMINGS, client_env, create_accounts, delete_accounts, failure_message, module_calls,
    playbook_runner, recap, run_claude_in,
)
from fake_bedrock import FakeBedrock
from test_settings_module import output

PLAYBOOK = E2E_DIR / "playbooks" / "bedrock.yml"
REGION = "eu-west-3"
HAIKU = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
OPUS_ARN = "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/fleet-opus"
MODELS = {"haiku": HAIKU, "sonnet": SONNET, "opus": OPUS_ARN, "default": "sonnet"}
AKID = "AKIDFLEETCFGTEST01"
BROKER_AKID = "ASIAFLEETCFGBROKER9"

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="needs root (accounts, unshare -m)")


@pytest.fixture(scope="module")
def play(tmp_path_factory):
    """play(role_vars, *args, inventory=...) -> CompletedProcess of ansible-playbook against localhost."""
    return playbook_runner(tmp_path_factory.mktemp("ansible-bedrock"), PLAYBOOK)


@pytest.fixture(scope="module")
def accounts():
    """Two real accounts (homes under a temporary folder), removed afterwards."""
    names = create_accounts("fcbd", 2)
    yield names
    delete_accounts(names)


def home_of(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def claude_in(claude_bin: str, home: Path, config_dir: Path, managed_etc: Path | None = None, env_extra=None):
    """claude -p as the deployment leaves it: its HOME and config folder, and (optionally) a managed folder seen as
    /etc/claude-code inside a private mount namespace."""
    if managed_etc is None:
        return run_claude_in(claude_bin, home, config_dir, env_extra)
    script = 'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc && cd "$3" && exec "$2" -p ping'
    start = time.monotonic()
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(managed_etc), claude_bin, str(home)],
                          env=client_env(home, config_dir, env_extra), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=CLAUDE_TIMEOUT, check=False)
    TIMINGS["claude -p"].append(time.monotonic() - start)
    return proc


def assert_reached(fake: FakeBedrock, result, model: str = SONNET, check=None):
    calls = fake.invocations()
    streamed = [c for c in calls if c.route.endswith("/invoke-with-response-stream")]
    assert streamed, (f"no model call reached the fake: {[(r.method, r.path, r.status) for r in fake.received()]}\n"
                      f"stdout: {result.stdout}\nstderr: {result.stderr}")
    assert all(c.model == model and c.status == 200 for c in streamed), [(c.path, c.status) for c in streamed]
    assert all(fake.accepts(c) for c in calls), [(c.path, c.authorization) for c in calls]
    for call in calls:
        if check:
            check(call)
    assert fake.reply_text in result.stdout
    fake.clear()


def files_under(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file()}


def test_profile_mode_signs_for_the_region_keeps_user_keys_and_is_idempotent(play, claude_bin, tmp_path):
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    (config_dir / "settings.json").write_text(json.dumps({"permissions": {"allow": ["Bash(ls:*)"]}, "theme": "dark"}))
    (config_dir / "settings.json").chmod(0o644)
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        f"[fleet-dev]\naws_access_key_id = {AKID}\naws_secret_access_key = test-secret-not-real\n")
    with FakeBedrock(auth="sigv4", access_key_id=AKID, region=REGION) as fake:
        role = {"bedrock_region": REGION, "bedrock_auth": "profile", "bedrock_profile": "fleet-dev",
                "bedrock_users": ["root"], "bedrock_config_dir": str(config_dir), "bedrock_models": MODELS,
                "bedrock_base_url": fake.url, "bedrock_disable_prompt_caching": True,
                "bedrock_env": {"ANTHROPIC_BEDROCK_SERVICE_TIER": "default"}}
        first = play(role)
        assert first.returncode == 0, output(first)
        assert recap(first)["changed"] == 1
        doc = json.loads((config_dir / "settings.json").read_text())
        assert doc["permissions"] == {"allow": ["Bash(ls:*)"]} and doc["theme"] == "dark", doc
        assert doc["env"]["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == HAIKU and doc["model"] == "sonnet"
        assert doc["env"]["DISABLE_PROMPT_CACHING"] == "1"
        assert stat.S_IMODE((config_dir / "settings.json").stat().st_mode) == 0o644, "an existing file keeps its mode"

        assert_reached(fake, claude_in(claude_bin, home, config_dir),
                       check=lambda c: c.sigv4["date"] and c.bearer is None)

        # No drift: nothing changes, and the module ran exactly once on the host.
        again = play(role, "-vvv")
        assert again.returncode == 0, output(again)
        assert recap(again)["changed"] == 0, output(again)
        assert module_calls(again) == 1, module_calls(again)

        # Drift (a user edited a managed key): check mode reports it and changes nothing; a run repairs it.
        doc["env"]["AWS_REGION"] = "us-east-1"
        (config_dir / "settings.json").write_text(json.dumps(doc))
        before = (config_dir / "settings.json").read_bytes()
        check = play(role, "--check")
        assert check.returncode == 0 and recap(check)["changed"] == 1, output(check)
        assert (config_dir / "settings.json").read_bytes() == before
        assert '"AWS_REGION": "us-east-1"' in check.stdout and f'"AWS_REGION": "{REGION}"' in check.stdout
        assert recap(play(role))["changed"] == 1
        assert_reached(fake, claude_in(claude_bin, home, config_dir))


@needs_root
def test_api_key_per_account_then_switch_to_credential_export_and_sso(play, claude_bin, accounts, tmp_path):
    keys = {user: f"bdrk-key-{user}-{uuid.uuid4().hex[:8]}" for user in accounts}
    broker = tmp_path / "broker"
    broker.write_text("#!/bin/sh\n"
                      f"printf '%s\\n' '{{\"Version\": 1, \"AccessKeyId\": \"{BROKER_AKID}\", "
                      "\"SecretAccessKey\": \"broker-secret\", \"SessionToken\": \"broker-session\", "
                      "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n")
    broker.chmod(0o755)
    (tmp_path / "bin").mkdir()
    base = {"bedrock_region": REGION, "bedrock_users": accounts, "bedrock_models": MODELS}

    with FakeBedrock(auth="bearer") as fake:
        proc = play({**base, "bedrock_auth": "api_key", "bedrock_api_key": keys, "bedrock_base_url": fake.url})
        assert proc.returncode == 0, output(proc)
        assert not any(k in output(proc) for k in keys.values()), "a key in the output"
        for user in accounts:
            settings = home_of(user) / ".claude" / "settings.json"
            st = settings.stat()
            assert (pwd.getpwuid(st.st_uid).pw_name, stat.S_IMODE(st.st_mode)) == (user, 0o600)
            assert json.loads(settings.read_text())["env"]["AWS_BEARER_TOKEN_BEDROCK"] == keys[user]
            fake.token = keys[user]
            assert_reached(fake, claude_in(claude_bin, home_of(user), home_of(user) / ".claude"),
                           check=lambda c, u=user: c.bearer == keys[u])

    with FakeBedrock(auth="sigv4", access_key_id=BROKER_AKID, region=REGION) as fake:
        export = {**base, "bedrock_auth": "credential_export", "bedrock_base_url": fake.url,
                  "bedrock_credential_export_command": [str(broker), "--role", "dev's role"]}
        proc = play(export)
        assert proc.returncode == 0, output(proc)
        user = accounts[0]
        config_dir = home_of(user) / ".claude"
        for name, content in files_under(config_dir).items():
            assert not any(k.encode() in content for k in keys.values()), f"a key left in {name}"
        doc = json.loads((config_dir / "settings.json").read_text())
        assert "AWS_BEARER_TOKEN_BEDROCK" not in doc["env"]
        helper = config_dir / "bin" / "bedrock-aws-credential-export"
        assert doc["awsCredentialExport"] == str(helper)
        assert "'dev'\"'\"'s role'" in helper.read_text(), "each broker argument quoted for the shell"
        assert_reached(fake, claude_in(claude_bin, home_of(user), config_dir))

    sso = {**base, "bedrock_auth": "sso", "bedrock_profile": "fleet-sso"}
    proc = play(sso)
    assert proc.returncode == 0, output(proc)
    for user in accounts:
        config_dir = home_of(user) / ".claude"
        doc = json.loads((config_dir / "settings.json").read_text())
        assert not (config_dir / "bin" / "bedrock-aws-credential-export").exists()
        assert "awsCredentialExport" not in doc and "ANTHROPIC_BEDROCK_BASE_URL" not in doc["env"]
        assert doc["env"]["AWS_PROFILE"] == "fleet-sso"
        refresh = Path(doc["awsAuthRefresh"])
        assert refresh.read_text().splitlines()[-1] == "exec aws sso login --profile fleet-sso"
        assert refresh.stat().st_uid == pwd.getpwnam(user).pw_uid
        assert not any(k.encode() in c for c in files_under(config_dir).values() for k in keys.values())


@needs_root
def test_gateway_as_managed_dropin_wins_over_a_conflicting_user_file(play, claude_bin, tmp_path):
    etc = tmp_path / "etc"
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    with FakeBedrock(auth="none") as gateway, FakeBedrock(auth="none", reply_text="user file won") as other:
        # The user's own file points at another endpoint and another model: the managed drop-in must win.
        (config_dir / "settings.json").write_text(json.dumps({"model": HAIKU, "env": {
            "CLAUDE_CODE_USE_BEDROCK": "1", "AWS_REGION": "us-east-1", "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1",
            "ANTHROPIC_BEDROCK_BASE_URL": other.url, "ANTHROPIC_DEFAULT_SONNET_MODEL": HAIKU}}))
        role = {"bedrock_region": REGION, "bedrock_auth": "gateway", "bedrock_scope": "managed",
                "bedrock_managed_dir": str(etc / "claude-code"), "bedrock_base_url": gateway.url,
                "bedrock_models": MODELS}
        proc = play(role)
        assert proc.returncode == 0, output(proc)
        dropin = etc / "claude-code" / "managed-settings.d" / "50-bedrock.json"
        assert stat.S_IMODE(dropin.stat().st_mode) == 0o644
        assert json.loads(dropin.read_text())["env"]["CLAUDE_CODE_SKIP_BEDROCK_AUTH"] == "1"

        result = claude_in(claude_bin, home, config_dir, managed_etc=etc)
        assert not other.invocations(), "the user file won over the managed drop-in"
        assert_reached(gateway, result, check=lambda c: c.authorization is None)
        assert not Path("/etc/claude-code/managed-settings.d/50-bedrock.json").exists()

        # Control: without the namespace the client follows the user file, so the overlay is what made the difference.
        result = claude_in(claude_bin, home, config_dir)
        assert other.invocations() and not gateway.invocations(), result.stderr


INVALID = {
    "region": ({"bedrock_region": "Frankfurt"}, "bedrock_region"),
    "model-id": ({"bedrock_models": {**MODELS, "sonnet": "claude-sonnet-4-5"}}, "bedrock_models.sonnet"),
    "bare-foundation-id": ({"bedrock_models": {**MODELS, "opus": "anthropic.claude-opus-4-1-20250805-v1:0"}},
                           "bedrock_models.opus"),
    "haiku-unpinned": ({"bedrock_models": {"sonnet": SONNET}}, "bedrock_models.haiku"),
    "override": ({"bedrock_models": {**MODELS, "overrides": {"claude-opus-4-6": "opus"}}},
                 "bedrock_models.overrides[claude-opus-4-6]"),
    "profile-missing": ({"bedrock_auth": "sso", "bedrock_profile": ""}, "bedrock_profile"),
    "profile-injection": ({"bedrock_profile": "dev; touch /tmp/pwned"}, "bedrock_profile"),
    "aws-cli-injection": ({"bedrock_aws_cli": "aws$(id)"}, "bedrock_aws_cli"),
    "api-key-managed": ({"bedrock_auth": "api_key", "bedrock_profile": "", "bedrock_scope": "managed",
                         "bedrock_api_key": "bdrk-secret-value"}, "bedrock_scope"),
    "api-key-missing-user": ({"bedrock_auth": "api_key", "bedrock_profile": "",
                              "bedrock_api_key": {"someoneelse": "bdrk-secret-value"}}, "bedrock_api_key"),
    "api-key-with-profile": ({"bedrock_auth": "api_key", "bedrock_api_key": "bdrk-secret-value"}, "bedrock_profile"),
    "gateway-without-url": ({"bedrock_auth": "gateway", "bedrock_profile": ""}, "bedrock_base_url"),
    "env-owned-by-role": ({"bedrock_env": {"AWS_REGION": "us-east-1"}}, "bedrock_env"),
    "env-boolean": ({"bedrock_env": {"DISABLE_TELEMETRY": True}}, "bedrock_env"),
    "auth-unknown": ({"bedrock_auth": "iam"}, "bedrock_auth"),
}


@pytest.mark.parametrize("change, name", INVALID.values(), ids=INVALID.keys())
def test_invalid_input_fails_before_any_host_is_contacted(play, tmp_path, change, name):
    """The inventory host is unreachable: a failure that names the variable proves no host was needed."""
    role = {"bedrock_region": REGION, "bedrock_auth": "profile", "bedrock_profile": "fleet-dev",
            "bedrock_users": ["root"], "bedrock_config_dir": str(tmp_path / "cfg"), "bedrock_models": MODELS, **change}
    proc = play(role, inventory=("-i", "unreachable.invalid,", "-c", "ssh", "-e", "ansible_port=1"))
    assert proc.returncode != 0
    text = output(proc)
    assert name in text, text
    assert "UNREACHABLE" not in text and "unreachable=0" in text, text
    assert "bdrk-secret-value" not in text
    assert not (tmp_path / "cfg").exists()
    # One line per problem, each naming a variable, under one header; a value that is no secret is shown.
    header, *problems = failure_message(proc, "unreachable.invalid").split("\n")
    assert header == "fleetcfg.claude_code.bedrock: invalid input, no host was changed:", header
    assert problems and all(line.startswith("  - bedrock_") for line in problems), problems
    assert any(line.startswith(f"  - {name}") for line in problems), (name, problems)
    if name in SHOWN:
        assert any(line.startswith(f"  - {name}: expected ") and line.endswith(", got " + SHOWN[name])
                   for line in problems), (SHOWN[name], problems)


# The value each of these problems must show (none of them is a secret).
SHOWN = {"bedrock_region": '"Frankfurt"', "bedrock_auth": '"iam"', "bedrock_models.sonnet": '"claude-sonnet-4-5"'}
