"""verify against local fake endpoints, with the real client, as real accounts (issue 12's Proof).

playbooks/verify.yml runs on localhost (become as root, the client dropped to each account) and writes its report. One
account per setup. The two good ones are configured by the provider roles themselves, both in one ansible-playbook run
(tests/e2e/playbooks/litellm_bedrock.yml): the litellm role (a key helper whose source is a command) against
FakeAnthropic, and the bedrock role in gateway mode (a gateway that holds the AWS credentials, skip-auth) against
fake_bedrock. Each deliberately broken account has its settings written by hand, as no role would leave them, one
per named cause. The managed version range and login policy are seen only inside a private mount namespace (a
managed folder overlaid on /etc), as test_bedrock.py's claude_in does, for a second run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from e2e_support import E2E_DIR, E2E_KEY, REPO_ROOT, create_accounts, delete_accounts, playbook_runner
from fake_anthropic import FakeAnthropic
from fake_bedrock import FakeBedrock

PLAYBOOK = REPO_ROOT / "playbooks" / "verify.yml"
PROVIDERS = E2E_DIR / "playbooks" / "litellm_bedrock.yml"
MODEL = "claude-fleet-sonnet"
BEDROCK_REGION = "eu-west-3"
BEDROCK_MODELS = {"haiku": "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
                  "sonnet": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "default": "sonnet"}
WRONG_KEY = "sk-fleetcfg-wrong-5555555555"
HELPER_SECRET = "sk-helper-stderr-7777777777"


@pytest.fixture
def client(claude_bin):
    """The client where every account can run it (the cache under /root is not theirs to read)."""
    folder = Path(tempfile.mkdtemp(prefix="fcver-client-"))
    folder.chmod(0o755)
    path = folder / "claude"
    try:
        os.link(claude_bin, path)
    except OSError:
        shutil.copy2(claude_bin, path)
    yield str(path)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def accounts():
    names = create_accounts("fcver", 9)
    yield names
    delete_accounts(names)


def home(user: str) -> Path:
    return Path(f"/tmp/{user}-home")


def provider_roles(good_gw: str, good_bedrock: str, gateway: FakeAnthropic, bedrock: FakeBedrock) -> dict:
    """The variables of litellm_bedrock.yml: the litellm role for one account, the bedrock role for the other."""
    return {
        "litellm_users": [good_gw], "litellm_base_url": gateway.url, "litellm_auth": "helper",
        "litellm_helper_source": "command", "litellm_helper_command": f"printf '%s\\n' '{E2E_KEY}'",
        "litellm_served_models": [MODEL], "litellm_models": {"default": MODEL, "opus": MODEL, "sonnet": MODEL,
                                                             "haiku": MODEL},
        "bedrock_users": [good_bedrock], "bedrock_region": BEDROCK_REGION, "bedrock_auth": "gateway",
        "bedrock_base_url": bedrock.url, "bedrock_models": BEDROCK_MODELS,
    }


def configure(user: str, settings, helper: str | None = None) -> None:
    """The account's own settings file (and key helper), owned by it, written by hand (a broken setup)."""
    config = home(user) / ".claude"
    config.mkdir(parents=True, exist_ok=True)
    if helper is not None:
        script = config / "bin" / "key-helper"
        script.parent.mkdir(exist_ok=True)
        script.write_text("#!/bin/sh\n" + helper + "\n")
        script.chmod(0o700)
        settings = dict(settings, apiKeyHelper=str(script))
    (config / "settings.json").write_text(settings if isinstance(settings, str) else json.dumps(settings))
    subprocess.run(["chown", "-R", f"{user}:{user}", str(config)], check=True)


def report_of(proc, path: Path) -> dict:
    assert path.exists(), proc.stdout + proc.stderr
    return json.loads(path.read_text())["hosts"]["localhost"]


def test_verify_says_ok_for_two_providers_and_names_each_cause(tmp_path, client, accounts):
    good_gw, good_bedrock, wrong_key, bad_helper, invalid, unreachable, bad_model, old_range, login = accounts
    play = playbook_runner(tmp_path, PLAYBOOK)
    with FakeAnthropic(key=E2E_KEY, models=(MODEL,)) as gateway, FakeBedrock(auth="none") as bedrock:
        roles = playbook_runner(tmp_path / "roles", PROVIDERS)(provider_roles(good_gw, good_bedrock, gateway, bedrock))
        assert roles.returncode == 0, roles.stdout + roles.stderr
        assert E2E_KEY not in roles.stdout + roles.stderr
        gw = {"ANTHROPIC_BASE_URL": gateway.url, "ANTHROPIC_MODEL": MODEL}
        configure(wrong_key, {"env": dict(gw, ANTHROPIC_API_KEY=WRONG_KEY)})
        configure(bad_helper, {"env": gw}, helper=f"echo 'cannot reach the vault, token {HELPER_SECRET}' >&2; exit 3")
        configure(invalid, json.dumps({"env": dict(gw, ANTHROPIC_API_KEY=E2E_KEY), "apiKeyHelper": 5}))
        configure(unreachable, {"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": E2E_KEY}})
        configure(bad_model, {"env": dict(gw, ANTHROPIC_MODEL="claude-not-served")}, helper=f"printf '%s' '{E2E_KEY}'")
        for user in (old_range, login):
            configure(user, {"env": gw}, helper=f"printf '%s' '{E2E_KEY}'")

        report = tmp_path / "verify.json"
        users = [good_gw, good_bedrock, wrong_key, bad_helper, invalid, unreachable, bad_model]
        proc = play({"verify_users": users, "verify_claude": client, "verify_timeout": 30, "verify_report": str(report)})
        entries = report_of(proc, report)
        out = proc.stdout + proc.stderr + report.read_text()

        assert proc.returncode == 2, out  # some accounts fail: the run ends non-zero
        assert sorted(entries) == sorted(users)
        assert entries[good_gw]["ok"] is True, entries[good_gw]
        assert (entries[good_gw]["provider"], entries[good_gw]["endpoint"]) == ("litellm", gateway.url)
        assert entries[good_bedrock]["ok"] is True, entries[good_bedrock]
        assert (entries[good_bedrock]["provider"], entries[good_bedrock]["endpoint"]) == ("bedrock", bedrock.url)
        assert [(r.model, r.authorization) for r in bedrock.invocations()] == [(BEDROCK_MODELS["sonnet"], None)], \
            "the Bedrock account's one request reached the fake, for the pinned model, unsigned"
        reached = [(r.credential, r.status, r.body["model"]) for r in gateway.messages() if r.credential == E2E_KEY]
        assert (E2E_KEY, 200, MODEL) in reached, "the gateway account's request reached the fake with the helper's key"
        causes = {user: entries[user]["cause"] for user in users[2:]}
        assert causes == {wrong_key: "auth_rejected", bad_helper: "helper_failed", invalid: "settings_invalid",
                          unreachable: "unreachable", bad_model: "model_rejected"}, json.dumps(entries, indent=1)
        assert "exit status 3" in entries[bad_helper]["message"]
        assert "refused" in entries[unreachable]["message"]
        assert "claude-not-served" in entries[bad_model]["message"]
        # No retries of a refused request (CLAUDE_CODE_MAX_RETRIES=0). Measured with 2.1.332: 1 good + 1 wrong key,
        # a failing helper is asked 3 times (each request sent without a credential, 401), a rejected model is tried
        # streaming, then once more without streaming (404).
        assert len(gateway.messages()) <= 7, [(r.path, r.status) for r in gateway.messages()]
        # Never a secret in the report or the output.
        for secret in (E2E_KEY, WRONG_KEY, HELPER_SECRET):
            assert secret not in out

        # The managed version range and login policy, in a private mount namespace where /etc/claude-code has them.
        gateway.clear()
        for user, managed in ((old_range, {"requiredMinimumVersion": "99.0.0"}), (login, {"forceLoginMethod": "console"})):
            etc = tmp_path / f"etc-{user}" / "claude-code"
            etc.mkdir(parents=True)
            (etc / "managed-settings.json").write_text(json.dumps(managed))
            report = tmp_path / f"verify-{user}.json"
            variables = {"verify_users": [user], "verify_claude": client, "verify_timeout": 30, "verify_report": str(report)}
            vars_file = tmp_path / f"inner-{user}.json"
            vars_file.write_text(json.dumps(variables))
            proc = _in_namespace(tmp_path, etc.parent, vars_file)
            entry = report_of(proc, report)[user]
            expected = "version_out_of_range" if user == old_range else "login_policy"
            assert entry["cause"] == expected, (entry, proc.stdout[-3000:])
            assert E2E_KEY not in proc.stdout + report.read_text()
        assert "99.0.0" in json.loads((tmp_path / f"verify-{old_range}.json").read_text())["hosts"]["localhost"][old_range]["message"]
        assert not gateway.messages(), "a client outside the range, or under the login policy, sends nothing"


def _in_namespace(tmp_path: Path, lower: Path, vars_file: Path):
    """ansible-playbook inside ``unshare -m`` with ``lower`` overlaid on /etc (the playbook_runner's environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_REMOTE_TEMP=str(tmp_path / "remote-tmp"),
               ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3", ANSIBLE_NOCOLOR="1")
    playbook_bin = str(Path(os.sys.executable).parent / "ansible-playbook")
    script = 'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc && shift && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(lower), playbook_bin, "-i", "localhost,",
                           "-c", "local", str(PLAYBOOK), "-e", f"@{vars_file}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
