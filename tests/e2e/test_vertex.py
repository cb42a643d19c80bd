"""The vertex role, proven with the real Claude Code client against local fakes of Vertex AI and Google auth.

Each test applies the role (tests/e2e/playbooks/vertex.yml, the role's own variables as extra vars), then runs
`claude -p` with nothing but the files the role wrote (its own HOME, CLAUDE_CONFIG_DIR = the folder the role
wrote) and checks what the fakes RECEIVED: the Vertex path (project, region, model), the Google token, the
metadata and token requests. The managed tier is tested inside a mount namespace (`unshare -m`) whose /etc is an
overlay holding the role's drop-in; the real /etc is never touched.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from e2e_support import (
    CLAUDE_TIMEOUT, E2E_DIR, FAKE_REPLY, REPO_ROOT, TIMINGS, ClaudeRun, client_env, failure_message, module_calls,
    playbook_runner, recap,
)
from fake_vertex import TOKEN_ROUTE, FakeGoogleAuth, FakeVertex


PLAYBOOK = E2E_DIR / "playbooks" / "vertex.yml"
PROJECT = "fleetcfg-e2e-42"
SONNET = "claude-sonnet-4-5@20250929"
HAIKU = "claude-haiku-4-5@20251001"
TOKEN = "ya29.fleetcfg-vertex-e2e-token"
ACCOUNT = "root" if os.geteuid() == 0 else os.environ.get("USER", "")


@pytest.fixture(scope="session")
def play(tmp_path_factory):
    """play(vars, *args) -> CompletedProcess of ansible-playbook running the vertex role on localhost."""
    return playbook_runner(tmp_path_factory.mktemp("ansible-vertex"), PLAYBOOK)


@pytest.fixture
def vertex():
    with FakeVertex(token=TOKEN, reply_text=FAKE_REPLY) as server:
        yield server


@pytest.fixture
def open_vertex():
    """A Vertex endpoint behind a gateway: it expects no Google credential at all."""
    with FakeVertex(token=None, reply_text=FAKE_REPLY) as server:
        yield server


@pytest.fixture
def google():
    with FakeGoogleAuth(token=TOKEN) as server:
        yield server


def claude(claude_bin, home: Path, config_dir: Path, env_extra=None, wrapper=()) -> ClaudeRun:
    """One `claude -p ping` with its own HOME, the given CLAUDE_CONFIG_DIR, optionally under a wrapper command."""
    home.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    proc = subprocess.run([*wrapper, claude_bin, "-p", "ping"], cwd=home, env=client_env(home, config_dir, env_extra),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLAUDE_TIMEOUT,
                          check=False)
    TIMINGS["claude -p"].append(time.monotonic() - start)
    return ClaudeRun(proc.returncode, proc.stdout, proc.stderr)


def ok(proc, changed=None):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if changed is not None:
        assert recap(proc)["changed"] == changed, proc.stdout
    return proc


def user_vars(config_dir: Path, **more):
    return {"vertex_project_id": PROJECT, "vertex_users": [ACCOUNT], "vertex_config_dir": str(config_dir), **more}


def settings_of(config_dir: Path) -> dict:
    return json.loads((config_dir / "settings.json").read_text())


def described(run: ClaudeRun, *fakes) -> str:
    got = "\n".join(f"  {r.method} {r.path} -> {r.status}" for f in fakes for r in f.received())
    return f"rc {run.returncode}\nstdout: {run.stdout}\nstderr: {run.stderr}\nreceived:\n{got}"


def main_prediction(fake: FakeVertex, run: ClaudeRun):
    """The streamed model call of the session (the answer the user sees)."""
    streamed = [p for p in fake.predictions() if p.method == "streamRawPredict"]
    assert streamed, described(run, fake)
    return streamed[-1]


# --- gateway mode, user scope: the path, no Google credential, a region override, idempotence and drift ----------

def test_gateway_user_scope(play, claude_bin, open_vertex, tmp_path):
    config_dir = tmp_path / "alice" / ".claude"
    config_dir.mkdir(parents=True)
    (config_dir / "settings.json").write_text(json.dumps(
        {"permissions": {"deny": ["Read(./.env)"]}, "env": {"MY_OWN_VAR": "kept"}}))
    variables = user_vars(config_dir, vertex_auth="gateway", vertex_base_url=open_vertex.base_url,
                          vertex_region="us-east5", vertex_region_overrides={SONNET: "europe-west1"},
                          vertex_models={"sonnet": SONNET, "haiku": HAIKU})
    ok(play(variables), changed=1)

    doc = settings_of(config_dir)
    assert doc["permissions"] == {"deny": ["Read(./.env)"]} and doc["env"]["MY_OWN_VAR"] == "kept"
    assert doc["env"]["CLAUDE_CODE_SKIP_VERTEX_AUTH"] == "1"

    run = claude(claude_bin, tmp_path / "home", config_dir)
    assert FAKE_REPLY in run.stdout, described(run, open_vertex)
    call = main_prediction(open_vertex, run)
    assert (call.project, call.model) == (PROJECT, SONNET), described(run, open_vertex)
    assert call.region == "europe-west1", "the per-model override must win over CLOUD_ML_REGION"
    for p in open_vertex.predictions():
        assert "authorization" not in p.request.headers, "gateway mode sends no Google credential"
        assert p.model != SONNET or p.region == "europe-west1"
        assert p.model == SONNET or p.region == "us-east5", p

    # No drift: one module call, nothing changed. Check mode shows drift without repairing it; a run repairs it.
    again = ok(play(variables, "-vvv"), changed=0)
    assert module_calls(again) == 1, again.stdout
    doc["env"]["CLOUD_ML_REGION"] = "asia-east1"
    (config_dir / "settings.json").write_text(json.dumps(doc))
    before = (config_dir / "settings.json").read_bytes()
    check = ok(play(variables, "--check"), changed=1)
    assert '"CLOUD_ML_REGION": "asia-east1"' in check.stdout and '"CLOUD_ML_REGION": "us-east5"' in check.stdout
    assert (config_dir / "settings.json").read_bytes() == before
    repaired = ok(play(variables, "-vvv"), changed=1)
    assert module_calls(repaired) == 2, repaired.stdout
    assert settings_of(config_dir)["env"]["CLOUD_ML_REGION"] == "us-east5"


# --- adc mode: a token from the metadata server, the default region, the refresh script -----------------------

def test_adc_token_from_metadata_server(play, claude_bin, vertex, google, tmp_path):
    config_dir = tmp_path / "bob" / ".claude"
    variables = user_vars(config_dir, vertex_auth="adc", vertex_base_url=vertex.base_url, vertex_region="us-east5",
                          vertex_models={"sonnet": SONNET, "haiku": HAIKU})
    config_dir.parent.mkdir(parents=True)
    ok(play(variables), changed=1)

    st = (config_dir / "settings.json").stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(), "a new user file is the user's, 0600"
    doc = settings_of(config_dir)
    assert "CLAUDE_CODE_SKIP_VERTEX_AUTH" not in doc["env"] and "GOOGLE_APPLICATION_CREDENTIALS" not in doc["env"]
    refresh = Path(doc["gcpAuthRefresh"])
    assert refresh.is_file() and os.access(refresh, os.X_OK)
    assert refresh.read_text().splitlines()[-1] == "exec gcloud auth application-default login"

    run = claude(claude_bin, tmp_path / "home", config_dir, {"GCE_METADATA_HOST": google.hostport})
    assert FAKE_REPLY in run.stdout, described(run, vertex, google)
    call = main_prediction(vertex, run)
    assert (call.project, call.region, call.model) == (PROJECT, "us-east5", SONNET)
    assert call.request.headers["authorization"] == f"Bearer {TOKEN}"
    asked = google.metadata_requests()
    assert any(r.route == TOKEN_ROUTE and r.status == 200 for r in asked), described(run, google)
    assert all(r.headers.get("metadata-flavor") == "Google" for r in asked)
    assert all(p.request.status == 200 for p in vertex.predictions()), described(run, vertex)

    # Without credentials the client runs gcpAuthRefresh: the placed script must run the gcloud login.
    marker = tmp_path / "gcloud-args"
    fake_gcloud = tmp_path / "bin" / "gcloud"
    fake_gcloud.parent.mkdir()
    fake_gcloud.write_text(f'#!/bin/sh\necho "$*" >> {marker}\n')
    fake_gcloud.chmod(0o755)
    ok(play(dict(variables, vertex_gcloud_command=str(fake_gcloud))), changed=1)
    vertex.clear()
    run = claude(claude_bin, tmp_path / "home2", config_dir, {"GCE_METADATA_HOST": "127.0.0.1:9"})
    assert marker.exists(), described(run, vertex)
    assert set(marker.read_text().splitlines()) == {"auth application-default login"}
    assert not vertex.received(), "no credential, no model call"


# --- service_account mode: the key file, a signed token request, then switching to gateway leaves nothing -------

def make_key(tmp_path: Path, token_uri: str) -> dict:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found: cannot make a test service account key")
    pem = tmp_path / "test-key.pem"
    subprocess.run([openssl, "genrsa", "-out", str(pem), "2048"], check=True, capture_output=True)
    return {"type": "service_account", "project_id": PROJECT, "private_key_id": "0123456789abcdef",
            "private_key": pem.read_text(), "client_email": f"claude-code@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "100000000000000000000", "token_uri": token_uri}


def jwt_claims(assertion: str) -> dict:
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_service_account_key_then_switch(play, claude_bin, vertex, google, tmp_path):
    config_dir = tmp_path / "carol" / ".claude"
    config_dir.parent.mkdir(parents=True)
    key = make_key(tmp_path, google.url + "/token")
    secret_line = key["private_key"].splitlines()[1]
    variables = user_vars(config_dir, vertex_auth="service_account", vertex_service_account_key=json.dumps(key),
                          vertex_base_url=vertex.base_url, vertex_region="europe-west1",
                          vertex_models={"sonnet": SONNET})
    proc = ok(play(variables, "-vvv"), changed=1)
    assert secret_line not in proc.stdout + proc.stderr, "the key leaked into the output"

    doc = settings_of(config_dir)
    key_file = Path(doc["env"]["GOOGLE_APPLICATION_CREDENTIALS"])
    assert key_file == config_dir / "gcp" / "vertex-service-account.json"
    assert json.loads(key_file.read_text()) == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.stat().st_uid == os.geteuid()
    assert "gcpAuthRefresh" not in doc

    # The client must take its credential from the key file: with no metadata server and no gcloud login, only
    # GOOGLE_APPLICATION_CREDENTIALS leads it to a service account token grant, which (2.1.332) goes to Google's
    # fixed token endpoint whatever the key's token_uri says, so offline it fails there. Control run: the same
    # without the key file is a different failure (no credentials found), and Vertex sees no request either way.
    run = claude(claude_bin, tmp_path / "home", config_dir, {"GCE_METADATA_HOST": "127.0.0.1:9"})
    assert "oauth2.googleapis.com" in run.stdout + run.stderr, described(run, vertex, google)
    assert not vertex.received(), described(run, vertex)
    control_dir = tmp_path / "control"
    control_dir.mkdir()
    control = dict(doc, env={k: v for k, v in doc["env"].items() if k != "GOOGLE_APPLICATION_CREDENTIALS"})
    (control_dir / "settings.json").write_text(json.dumps(control))
    run = claude(claude_bin, tmp_path / "home-control", control_dir, {"GCE_METADATA_HOST": "127.0.0.1:9"})
    assert "oauth2.googleapis.com" not in run.stdout + run.stderr and run.returncode != 0, described(run, vertex)
    assert not vertex.received(), described(run, vertex)

    # Switch to gateway: the key file and its variable go, nothing of service_account stays.
    switched = dict(variables, vertex_auth="gateway")
    del switched["vertex_service_account_key"]
    ok(play(switched), changed=1)
    assert not key_file.exists()
    doc = settings_of(config_dir)
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in doc["env"] and doc["env"]["CLAUDE_CODE_SKIP_VERTEX_AUTH"] == "1"

    # And removed altogether (vertex_state: absent): no variable, pin or helper of the role stays.
    ok(play(dict(user_vars(config_dir, vertex_auth="adc", vertex_state="absent"))), changed=1)
    doc = settings_of(config_dir)
    assert doc.get("env") in ({}, None) and "gcpAuthRefresh" not in doc, doc


# --- managed scope: the drop-in wins over a conflicting user file (inside a mount namespace) -----------------------

def can_overlay_etc(tmp_path: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    upper, work = tmp_path / "probe-upper", tmp_path / "probe-work"
    upper.mkdir()
    work.mkdir()
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            'mount -t overlay overlay -o lowerdir=/etc,upperdir="$1",workdir="$2" /etc', "sh",
                            str(upper), str(work)], capture_output=True, check=False)
    return probe.returncode == 0


def test_managed_dropin_wins_over_user_file(play, claude_bin, open_vertex, tmp_path):
    if not can_overlay_etc(tmp_path):
        pytest.skip("needs root and unshare -m with overlay mounts")
    with FakeVertex(token=None, reply_text="pong from the user's endpoint") as user_vertex:
        config_dir = tmp_path / "dave" / ".claude"
        config_dir.mkdir(parents=True)
        (config_dir / "settings.json").write_text(json.dumps({"env": {
            "CLAUDE_CODE_USE_VERTEX": "1", "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1", "ANTHROPIC_VERTEX_PROJECT_ID": "user-project",
            "CLOUD_ML_REGION": "us-central1", "ANTHROPIC_VERTEX_BASE_URL": user_vertex.base_url}}))
        upper, work = tmp_path / "etc-upper", tmp_path / "etc-work"
        work.mkdir()
        managed_dir = upper / "claude-code"
        ok(play({"vertex_project_id": PROJECT, "vertex_scope": "managed", "vertex_managed_dir": str(managed_dir),
                 "vertex_auth": "gateway", "vertex_base_url": open_vertex.base_url, "vertex_region": "europe-west4",
                 "vertex_models": {"sonnet": SONNET}}), changed=1)
        dropin = managed_dir / "managed-settings.d" / "50-vertex.json"
        assert stat.S_IMODE(dropin.stat().st_mode) == 0o644

        # Positive control: without the drop-in in /etc the user's file is what the client uses.
        run = claude(claude_bin, tmp_path / "home1", config_dir)
        assert main_prediction(user_vertex, run).project == "user-project"
        assert not open_vertex.received(), described(run, open_vertex)

        overlay = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount -t overlay overlay -o lowerdir=/etc,upperdir="$1",workdir="$2" /etc && shift 2 && exec "$@"',
                   "sh", str(upper), str(work)]
        user_vertex.clear()
        run = claude(claude_bin, tmp_path / "home2", config_dir, wrapper=overlay)
        assert FAKE_REPLY in run.stdout, described(run, open_vertex, user_vertex)
        call = main_prediction(open_vertex, run)
        assert (call.project, call.region, call.model) == (PROJECT, "europe-west4", SONNET)
        assert not user_vertex.received(), described(run, user_vertex)
    assert not Path("/etc/claude-code/managed-settings.d/50-vertex.json").exists()


# --- validation: before any host is touched, naming the variable ------------------------------------------------

INVALID_HEADER = "fleetcfg.claude_code.vertex: invalid input, no host was changed:"


@pytest.mark.parametrize("variables, expected", [
    ({"vertex_project_id": "My_Project", "vertex_region": "us-east", "vertex_auth": "gateway",
      "vertex_base_url": "https://proxy.example.com", "vertex_models": {"sonnet": "us.anthropic.claude-sonnet-4-5-v1:0"},
      "vertex_region_overrides": {"claude-sonnet-9": "us-east5"}},
     [("vertex_project_id: expected a Google Cloud project id", 'got "My_Project"'),
      ("vertex_region: expected a Vertex region", 'got "us-east"'),
      ("vertex_base_url: expected an http(s) URL ending in /v1", 'got "https://proxy.example.com"'),
      ("vertex_models.sonnet: expected a Vertex model id", 'got "us.anthropic.claude-sonnet-4-5-v1:0"'),
      ("vertex_region_overrides: expected a model the client has a region variable for", 'got "claude-sonnet-9"')]),
    ({"vertex_auth": "gateway"}, [("vertex_base_url: required with vertex_auth=gateway, expected", "")]),
    ({"vertex_auth": "service_account"}, [("vertex_service_account_key: required with vertex_auth=service_account", "")]),
    ({"vertex_auth": "adc", "vertex_service_account_key": {"type": "service_account"}},
     [("vertex_service_account_key: only with vertex_auth=service_account", "got a mapping (a secret, not shown)")]),
    ({"vertex_auth": "service_account", "vertex_scope": "managed", "vertex_users": [],
      "vertex_service_account_key": {"type": "service_account", "client_email": "a@b", "private_key": "k"}},
     [("vertex_auth: service_account needs vertex_scope=user", 'got "service_account"')]),
], ids=["shapes", "gateway-without-url", "key-missing", "key-in-adc", "key-in-managed"])
def test_invalid_input_fails_before_any_host(play, tmp_path, variables, expected):
    """Every problem at once, one line each naming the variable (and the value), before any host is contacted: the
    inventory host is unreachable, and nothing is created."""
    config_dir = tmp_path / ".claude"
    proc = play(user_vars(config_dir, **{"vertex_managed_dir": str(tmp_path / "etc"), **variables}),
                inventory=("-i", "unreachable.invalid,", "-c", "ssh", "-e", "ansible_port=1"))
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "UNREACHABLE" not in out and "unreachable=0" in out, out
    header, *problems = failure_message(proc, "unreachable.invalid").split("\n")
    assert header == INVALID_HEADER, header
    assert all(line.startswith("  - vertex_") for line in problems), problems
    assert len(problems) == len(expected), problems
    for start, value in expected:
        line = next((p for p in problems if p.startswith("  - " + start)), None)
        assert line is not None, (start, problems)
        assert line.endswith(value), (value, line)
    assert "private_key" not in out and '"k"' not in out
    assert not config_dir.exists() and not (tmp_path / "etc").exists()


def test_role_is_one_provider_task_and_calls_the_settings_module_once(play, open_vertex, tmp_path):
    """The role is one task of the action fleetcfg.claude_code.provider (the internal role provider_settings is gone),
    and a run puts the settings module on the host exactly once: for a new file, and again with nothing to change."""
    tasks = yaml.safe_load((REPO_ROOT / "roles/vertex/tasks/main.yml").read_text())
    assert len(tasks) == 1, tasks
    assert tasks[0]["fleetcfg.claude_code.provider"] == {"name": "vertex"}, tasks
    assert not (REPO_ROOT / "roles/provider_settings").exists()

    config_dir = tmp_path / "erin" / ".claude"
    config_dir.parent.mkdir(parents=True)
    variables = user_vars(config_dir, vertex_auth="gateway", vertex_base_url=open_vertex.base_url,
                          vertex_models={"sonnet": SONNET})
    first = ok(play(variables, "-vvv"), changed=1)
    assert module_calls(first) == 1, first.stdout
    again = ok(play(variables, "-vvv"), changed=0)
    assert module_calls(again) == 1, again.stdout
