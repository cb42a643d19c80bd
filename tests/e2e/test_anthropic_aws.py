"""The role fleetcfg.claude_code.anthropic_aws (Claude Platform on AWS), proven with the real client against a fake.

Each test applies the role (tests/e2e/playbooks/anthropic_aws.yml) and then runs `claude -p` with only the files the
role wrote (and the user's own keys); what the fake endpoint (fake_anthropic.FakeAnthropicAws: the Messages API,
every request required to carry `anthropic-workspace-id: <the workspace>`, serving only the pinned model names)
RECEIVED proves the deployment: `POST /v1/messages?beta=true`, the workspace header, and the credential of each mode
(the account's API key as x-api-key; SigV4 for the region and service aws-external-anthropic with a profile, SSO
included; no credential at all behind a gateway).

The client facts these rest on are proved with hand-written files in test_client_contract.py.
"""

from __future__ import annotations

import json
import pwd
import re
import shlex
import stat
import uuid

import pytest

from e2e_support import (
    E2E_DIR, create_accounts, delete_accounts, failure_message, module_calls, playbook_runner, recap, run_claude_in,
    write_helper,
)
from fake_anthropic import FakeAnthropicAws
from test_bedrock import claude_in, files_under, home_of, needs_root
from test_client_contract import refusing_proxy, tunnels
from test_foundry import ME, USER_DOC, assert_served, user_file
from test_settings_module import output

PLAYBOOK = E2E_DIR / "playbooks" / "anthropic_aws.yml"
WORKSPACE = "wrkspc_01fleetcfgawse2e"
REGION = "eu-west-3"
NAMES = {"opus": "claude-opus-4-5", "sonnet": "claude-sonnet-4-5-20250929", "haiku": "claude-haiku-4-5"}
MODELS = {**NAMES, "default": "sonnet"}
PINS = {f"ANTHROPIC_DEFAULT_{c.upper()}_MODEL": name for c, name in NAMES.items()}
SHARED_KEY = "aws-platform-key-shared-fleetcfg-e2e-6161"
AKID = "AKIDFLEETCFGAWSE2E01"
PATH = "/v1/messages?beta=true"
SIGV4 = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,")


@pytest.fixture(scope="module")
def play(tmp_path_factory):
    return playbook_runner(tmp_path_factory.mktemp("ansible-anthropic-aws"), PLAYBOOK)


@pytest.fixture(scope="module")
def accounts():
    names = create_accounts("fcaw", 2)
    yield names
    delete_accounts(names)


def fake_aws(key=None, key_header="x-api-key", reply="pong from fake claude platform on aws") -> FakeAnthropicAws:
    return FakeAnthropicAws(key=key, key_header=key_header, workspace_id=WORKSPACE, models=tuple(NAMES.values()),
                            reply_text=reply)


def base_env(url=None) -> dict:
    env = {"CLAUDE_CODE_USE_ANTHROPIC_AWS": "1", "ANTHROPIC_AWS_WORKSPACE_ID": WORKSPACE, "AWS_REGION": REGION, **PINS}
    if url:
        env["ANTHROPIC_AWS_BASE_URL"] = url
    return env


def signed_for(akid):
    def check(call):
        scope = SIGV4.match(call.headers.get("authorization", ""))
        assert scope and scope.group("akid", "region", "service") == (akid, REGION, "aws-external-anthropic"), call.headers
        assert "x-api-key" not in call.headers
    return check


def test_api_key_sends_the_workspace_and_the_key_keeps_user_keys_and_is_idempotent(play, claude_bin, tmp_path):
    home = tmp_path / "home"
    config_dir = home / ".claude"
    settings = user_file(config_dir)
    with fake_aws(key=SHARED_KEY) as aws:
        role = {"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION, "anthropic_aws_auth": "api_key",
                "anthropic_aws_api_key": SHARED_KEY, "anthropic_aws_base_url": aws.base_url,
                "anthropic_aws_users": [ME], "anthropic_aws_config_dir": str(config_dir), "anthropic_aws_models": MODELS}
        first = play(role)
        assert first.returncode == 0, output(first)
        assert recap(first)["changed"] == 1
        assert SHARED_KEY not in output(first)
        doc = json.loads(settings.read_text())
        assert doc == {**USER_DOC, "model": "sonnet", "env": {
            **USER_DOC["env"], **base_env(aws.base_url), "ANTHROPIC_AWS_API_KEY": SHARED_KEY}}, doc
        assert stat.S_IMODE(settings.stat().st_mode) == 0o600

        assert_served(aws, run_claude_in(claude_bin, home, config_dir), PATH, NAMES["sonnet"],
                      check=lambda c: c.credentials == [SHARED_KEY] and c.headers["anthropic-workspace-id"] == WORKSPACE)

        again = play(role, "-vvv")
        assert again.returncode == 0, output(again)
        assert recap(again)["changed"] == 0, output(again)
        assert module_calls(again) == 1, module_calls(again)
        assert SHARED_KEY not in output(again)


@needs_root
def test_api_key_per_account_each_account_sends_its_own_key(play, claude_bin, accounts):
    keys = {user: f"aws-platform-key-{user}-{uuid.uuid4().hex[:8]}" for user in accounts}
    with fake_aws() as aws:
        proc = play({"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION,
                     "anthropic_aws_auth": "api_key", "anthropic_aws_api_key": keys, "anthropic_aws_base_url": aws.base_url,
                     "anthropic_aws_users": accounts, "anthropic_aws_models": MODELS})
        assert proc.returncode == 0, output(proc)
        assert not any(k in output(proc) for k in keys.values())
        for user in accounts:
            config_dir = home_of(user) / ".claude"
            st = (config_dir / "settings.json").stat()
            assert (pwd.getpwuid(st.st_uid).pw_name, stat.S_IMODE(st.st_mode)) == (user, 0o600)
            others = [k for u, k in keys.items() if u != user]
            assert not any(k.encode() in c for c in files_under(config_dir).values() for k in others)
            aws.key = keys[user]
            assert_served(aws, claude_in(claude_bin, home_of(user), config_dir), PATH, NAMES["sonnet"],
                          check=lambda c, u=user: c.credentials == [keys[u]])


def test_profile_signs_sigv4_for_the_region_and_writes_no_key(play, claude_bin, tmp_path):
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        f"[fleet-dev]\naws_access_key_id = {AKID}\naws_secret_access_key = test-secret-not-real\n")
    with fake_aws(key_header=None) as aws:
        proc = play({"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION,
                     "anthropic_aws_auth": "profile", "anthropic_aws_profile": "fleet-dev",
                     "anthropic_aws_base_url": aws.base_url, "anthropic_aws_users": [ME],
                     "anthropic_aws_config_dir": str(config_dir), "anthropic_aws_models": MODELS})
        assert proc.returncode == 0, output(proc)
        doc = json.loads((config_dir / "settings.json").read_text())
        assert doc["env"] == {**base_env(aws.base_url), "AWS_PROFILE": "fleet-dev"}, doc

        assert_served(aws, run_claude_in(claude_bin, home, config_dir), PATH, NAMES["sonnet"], check=signed_for(AKID))


def test_sso_runs_the_placed_login_script_whose_credentials_sign_the_request(play, claude_bin, tmp_path):
    """anthropic_aws_auth=sso: the placed awsAuthRefresh runs `<aws cli> sso login --profile <profile>` (the client
    runs it at startup); a fake AWS CLI records its arguments and writes the profile's credentials, which sign."""
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    calls = tmp_path / "aws-calls"
    fake_cli = write_helper(tmp_path / "bin" / "fake-aws", f'printf "%s\\n" "$*" >> {shlex.quote(str(calls))}\n'
                            'mkdir -p "$HOME/.aws"\n'
                            f'printf "[fleet-sso]\\naws_access_key_id = {AKID}\\naws_secret_access_key = s\\n" '
                            '> "$HOME/.aws/credentials"', mode=0o755)
    with fake_aws(key_header=None) as aws:
        proc = play({"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION, "anthropic_aws_auth": "sso",
                     "anthropic_aws_profile": "fleet-sso", "anthropic_aws_aws_cli": str(fake_cli),
                     "anthropic_aws_base_url": aws.base_url, "anthropic_aws_users": [ME],
                     "anthropic_aws_config_dir": str(config_dir), "anthropic_aws_models": MODELS})
        assert proc.returncode == 0, output(proc)
        doc = json.loads((config_dir / "settings.json").read_text())
        helper = config_dir / "bin" / "anthropic-aws-auth-refresh"
        assert doc["awsAuthRefresh"] == str(helper), doc
        assert doc["env"] == {**base_env(aws.base_url), "AWS_PROFILE": "fleet-sso"}, doc

        assert_served(aws, run_claude_in(claude_bin, home, config_dir), PATH, NAMES["sonnet"], check=signed_for(AKID))
        assert calls.read_text().splitlines() == ["sso login --profile fleet-sso"]


def test_gateway_sends_the_workspace_and_no_credential(play, claude_bin, tmp_path):
    home = tmp_path / "home"
    config_dir = home / ".claude"
    settings = user_file(config_dir)
    with fake_aws(key_header="none", reply="pong from the gateway") as gateway:
        proc = play({"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION,
                     "anthropic_aws_auth": "gateway", "anthropic_aws_base_url": gateway.base_url,
                     "anthropic_aws_users": [ME], "anthropic_aws_config_dir": str(config_dir),
                     "anthropic_aws_models": MODELS})
        assert proc.returncode == 0, output(proc)
        doc = json.loads(settings.read_text())
        assert doc["env"] == {**USER_DOC["env"], **base_env(gateway.base_url),
                              "CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH": "1"}, doc
        assert_served(gateway, run_claude_in(claude_bin, home, config_dir), PATH, NAMES["sonnet"],
                      check=lambda c: c.auth_scheme is None and c.headers["anthropic-workspace-id"] == WORKSPACE)


def test_without_a_base_url_the_client_goes_to_the_regions_endpoint(play, claude_bin, tmp_path):
    """No anthropic_aws_base_url: https://aws-external-anthropic.<anthropic_aws_region>.api.aws (the CONNECT target at
    a local proxy that refuses every tunnel)."""
    home = tmp_path / "home"
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    proc = play({"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION, "anthropic_aws_auth": "api_key",
                 "anthropic_aws_api_key": SHARED_KEY, "anthropic_aws_users": [ME],
                 "anthropic_aws_config_dir": str(config_dir), "anthropic_aws_models": MODELS})
    assert proc.returncode == 0, output(proc)
    assert "ANTHROPIC_AWS_BASE_URL" not in json.loads((config_dir / "settings.json").read_text())["env"]
    with refusing_proxy() as proxy:
        result = run_claude_in(claude_bin, home, config_dir, {"HTTPS_PROXY": f"http://{proxy.hostport}"})
        assert tunnels(proxy) and set(tunnels(proxy)) == {f"aws-external-anthropic.{REGION}.api.aws:443"}, \
            (tunnels(proxy), result.stdout)


INVALID = {
    "workspace-missing": ({"anthropic_aws_workspace_id": None}, "anthropic_aws_workspace_id"),
    "bedrock-id-as-model": ({"anthropic_aws_models": {**MODELS, "sonnet": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"}},
                            "anthropic_aws_models.sonnet"),
    "api-key-managed": ({"anthropic_aws_scope": "managed", "anthropic_aws_users": []}, "anthropic_aws_scope"),
}


@pytest.mark.parametrize("change, name", INVALID.values(), ids=INVALID.keys())
def test_invalid_input_fails_naming_the_variable_before_any_host_is_contacted(play, tmp_path, change, name):
    role = {"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION, "anthropic_aws_auth": "api_key",
            "anthropic_aws_api_key": "aws-secret-value", "anthropic_aws_users": ["root"],
            "anthropic_aws_config_dir": str(tmp_path / "cfg"), "anthropic_aws_models": MODELS, **change}
    proc = play(role, inventory=("-i", "unreachable.invalid,", "-c", "ssh", "-e", "ansible_port=1"))
    assert proc.returncode != 0
    text = output(proc)
    assert "UNREACHABLE" not in text and "unreachable=0" in text, text
    assert "aws-secret-value" not in text
    assert not (tmp_path / "cfg").exists()
    header, *problems = failure_message(proc, "unreachable.invalid").split("\n")
    assert header == "fleetcfg.claude_code.anthropic_aws: invalid input, no host was changed:", header
    assert any(line.startswith(f"  - {name}") for line in problems), (name, problems)
