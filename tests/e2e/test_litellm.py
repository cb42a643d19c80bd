"""The litellm role, proved with the real Claude Code client and a real LiteLLM proxy (tests/e2e/litellm/).

The proxy (pinned version, installed into its own cached venv by litellm/install-litellm.sh) runs once per
session on 127.0.0.1 and forwards every model to a fake Anthropic upstream; keys are checked offline by
litellm/fleetcfg_keys.py. The pass-through routes (anthropic, bedrock, vertex) are checked against a fake that
records the path the client builds. Everything is proved by what the proxy and the fakes received.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from e2e_support import E2E_DIR, REPO_ROOT, TIMINGS, playbook_runner, recap, run_claude_in
from fake_anthropic import FakeAnthropic

sys.path.insert(0, str(E2E_DIR / "litellm"))
from litellm_proxy import LiteLLMProxy  # noqa: E402

PLAYBOOK = E2E_DIR / "playbooks" / "litellm.yml"
UPSTREAM_KEY = "sk-upstream-provider-key-0000"
REPLY = "pong through litellm"
ALICE_KEY = "sk-litellm-alice-1111"
BOB_KEY = "sk-litellm-bob-2222"
SERVED = ["claude-e2e-sonnet", "claude-e2e-haiku"]
MODELS = {"sonnet": "claude-e2e-sonnet", "haiku": "claude-e2e-haiku", "opus": "claude-e2e-sonnet",
          "default": "claude-e2e-sonnet"}
OUTPUT = REPO_ROOT / "tests" / "output" / "litellm"


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def upstream():
    with FakeAnthropic(key=UPSTREAM_KEY, reply_text=REPLY) as server:
        yield server


@pytest.fixture(scope="session")
def litellm_bin():
    start = time.monotonic()
    proc = subprocess.run([str(E2E_DIR / "litellm" / "install-litellm.sh")], capture_output=True, text=True,
                          check=False, timeout=1200)
    TIMINGS.setdefault("install-litellm.sh", []).append(time.monotonic() - start)
    if proc.returncode != 0:
        pytest.fail(f"install-litellm.sh failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}", pytrace=False)
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def proxy(litellm_bin, upstream, tmp_path_factory):
    server = LiteLLMProxy(litellm_bin, upstream.url, UPSTREAM_KEY, tmp_path_factory.mktemp("litellm"), OUTPUT)
    start = time.monotonic()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    TIMINGS.setdefault("litellm start", []).append(time.monotonic() - start)
    yield server
    server.stop()


@pytest.fixture
def gateway(proxy, upstream):
    """The proxy with alice's and bob's keys valid, and clean request logs."""
    proxy.set_keys({ALICE_KEY: "alice", BOB_KEY: "bob"})
    proxy.clear()
    upstream.clear()
    return proxy


@pytest.fixture(scope="session")
def play(tmp_path_factory):
    """play(vars, check=False) -> CompletedProcess of ansible-playbook with the litellm role."""
    run = playbook_runner(tmp_path_factory.mktemp("ansible-litellm"), PLAYBOOK)
    return lambda variables, check=False: run(variables, *(["--check"] if check else []))


def out(proc) -> str:
    return proc.stdout + proc.stderr


def role_vars(config_dir: Path, base_url: str, **extra) -> dict:
    return {"litellm_base_url": base_url, "litellm_users": ["root"], "litellm_config_dir": str(config_dir),
            "litellm_models": MODELS, "litellm_served_models": SERVED, **extra}


def claude(claude_bin, home: Path, config_dir: Path):
    return run_claude_in(claude_bin, home, config_dir)


def settings(config_dir: Path) -> dict:
    return json.loads((config_dir / "settings.json").read_text())


def assert_reached_upstream(upstream, proxy, result, key):
    calls = upstream.messages()
    checks = [c for c in proxy.auth_checks() if c["route"] == "/v1/messages"]
    assert calls, (f"nothing reached the upstream; proxy saw {[(c['key'], c['accepted']) for c in checks]}\n"
                   f"stdout: {result.stdout}\nstderr: {result.stderr}")
    assert all(c.credential == UPSTREAM_KEY and c.status == 200 for c in calls)
    assert {c.body["model"] for c in calls} <= set(SERVED), [c.body["model"] for c in calls]
    assert checks and all(c["key"] == key and c["accepted"] for c in checks), checks
    assert REPLY in result.stdout, result.stdout + result.stderr


class _TokenEndpoint(BaseHTTPRequestHandler):
    """A team's token endpoint: answers {"key", "expires_in"} and records the Authorization header it got."""
    seen: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen.append(self.headers.get("Authorization", ""))
        payload = json.dumps({"key": "sk-from-http-3333", "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def run_helper(doc: dict, home: Path):
    return subprocess.run(["/bin/sh", "-c", doc["apiKeyHelper"]], env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=False, timeout=60)


def test_helper_command_and_http_sources(play, tmp_path):
    home = tmp_path / "home"
    config_dir = tmp_path / "claude"
    (home / ".config/litellm").mkdir(parents=True)

    proc = play(role_vars(config_dir, "http://127.0.0.1:9", litellm_auth="helper", litellm_helper_source="command",
                          litellm_helper_command="printf '%s\\n' sk-from-command-4444"))
    assert proc.returncode == 0, out(proc)
    result = run_helper(settings(config_dir), home)
    assert (result.returncode, result.stdout) == (0, "sk-from-command-4444"), result.stderr

    (home / ".config/litellm/credential").write_text("team-credential-5555\n")
    _TokenEndpoint.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = play(role_vars(config_dir, "http://127.0.0.1:9", litellm_auth="helper", litellm_helper_source="http",
                              litellm_helper_url=f"http://127.0.0.1:{server.server_address[1]}/token",
                              litellm_helper_url_credential_file=".config/litellm/credential"))
        assert proc.returncode == 0, out(proc)
        shutil.rmtree(home / ".cache", ignore_errors=True)  # the command source's key is cached; start afresh
        result = run_helper(settings(config_dir), home)
        assert (result.returncode, result.stdout) == (0, "sk-from-http-3333"), result.stderr
        assert _TokenEndpoint.seen == ["Bearer team-credential-5555"]
    finally:
        server.shutdown()
        server.server_close()
    # The endpoint's expires_in sets the cache's expiry, and the cached key answers with the endpoint gone.
    expiry, key = (home / ".cache/fleetcfg-litellm/key").read_text().splitlines()
    assert key == "sk-from-http-3333" and 500 < int(expiry) - time.time() <= 600
    result = run_helper(settings(config_dir), home)
    assert (result.returncode, result.stdout) == (0, "sk-from-http-3333"), result.stderr


# -- through the real proxy ----------------------------------------------------------------------------
def test_static_key_reaches_the_upstream_through_the_proxy(play, gateway, upstream, claude_bin, tmp_path):
    config_dir = tmp_path / "claude"
    config_dir.mkdir()
    (config_dir / "settings.json").write_text(json.dumps({"permissions": {"allow": ["Bash(ls:*)"]}}))
    variables = role_vars(config_dir, gateway.url, litellm_auth="static", litellm_static_keys={"root": ALICE_KEY})

    proc = play(variables)

    assert proc.returncode == 0, out(proc)
    assert ALICE_KEY not in out(proc), "the key is a secret"
    doc = settings(config_dir)
    assert doc["env"]["ANTHROPIC_BASE_URL"] == gateway.url
    assert doc["env"]["ANTHROPIC_AUTH_TOKEN"] == ALICE_KEY
    assert doc["env"]["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "claude-e2e-haiku" and doc["model"] == "claude-e2e-sonnet"
    assert doc["permissions"] == {"allow": ["Bash(ls:*)"]}, "the user's own keys survive"
    assert stat.S_IMODE((config_dir / "settings.json").stat().st_mode) == 0o600
    assert "apiKeyHelper" not in doc

    result = claude(claude_bin, tmp_path / "home", config_dir)
    assert_reached_upstream(upstream, gateway, result, ALICE_KEY)

    again = play(variables)
    assert again.returncode == 0 and recap(again)["changed"] == 0, out(again)

    # Drift: check mode reports it and writes nothing; a normal run repairs it.
    doc["env"]["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9"
    (config_dir / "settings.json").write_text(json.dumps(doc))
    drifted = (config_dir / "settings.json").read_bytes()
    checked = play(variables, check=True)
    assert checked.returncode == 0 and recap(checked)["changed"] == 1, out(checked)
    assert (config_dir / "settings.json").read_bytes() == drifted
    assert recap(play(variables))["changed"] == 1
    assert settings(config_dir)["env"]["ANTHROPIC_BASE_URL"] == gateway.url


def test_wrong_and_revoked_keys_are_rejected_before_the_upstream(play, gateway, upstream, claude_bin, tmp_path):
    config_dir = tmp_path / "claude"
    wrong = "sk-litellm-not-issued-9999"
    assert play(role_vars(config_dir, gateway.url, litellm_auth="static",
                          litellm_static_key=wrong)).returncode == 0

    result = claude(claude_bin, tmp_path / "home", config_dir)
    checks = [c for c in gateway.auth_checks() if c["route"] == "/v1/messages"]
    assert checks and all(c["key"] == wrong and not c["accepted"] for c in checks), checks
    assert upstream.messages() == [], "a rejected key must not reach the upstream"
    assert REPLY not in result.stdout

    # A key that worked, then revoked on the proxy.
    assert play(role_vars(config_dir, gateway.url, litellm_auth="static",
                          litellm_static_key=BOB_KEY)).returncode == 0
    gateway.set_keys({ALICE_KEY: "alice"})
    gateway.clear()
    result = claude(claude_bin, tmp_path / "home", config_dir)
    checks = [c for c in gateway.auth_checks() if c["route"] == "/v1/messages"]
    assert checks and all(c["key"] == BOB_KEY and not c["accepted"] for c in checks), checks
    assert upstream.messages() == []
    assert REPLY not in result.stdout


def test_helper_fetches_caches_and_switching_auth_removes_leftovers(play, gateway, upstream, claude_bin, tmp_path):
    config_dir = tmp_path / "claude"
    home = tmp_path / "home"
    key_file = home / ".config/litellm/key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(ALICE_KEY + "\n")
    variables = role_vars(config_dir, gateway.url, litellm_auth="helper", litellm_helper_ttl_ms=60000)

    # Start from a static setup: switching must remove its token (which would shadow the helper).
    assert play(role_vars(config_dir, gateway.url, litellm_auth="static",
                          litellm_static_key=BOB_KEY)).returncode == 0
    proc = play(variables)
    assert proc.returncode == 0, out(proc)
    doc = settings(config_dir)
    assert "ANTHROPIC_AUTH_TOKEN" not in doc["env"]
    assert doc["env"]["CLAUDE_CODE_API_KEY_HELPER_TTL_MS"] == "60000"
    helper = config_dir / "bin/litellm-key-helper"
    assert shlex.split(doc["apiKeyHelper"]) == [str(helper)]
    assert stat.S_IMODE(helper.stat().st_mode) == 0o700

    result = claude(claude_bin, home, config_dir)
    assert_reached_upstream(upstream, gateway, result, ALICE_KEY)
    cache = home / ".cache/fleetcfg-litellm/key"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert cache.read_text().splitlines()[1] == ALICE_KEY

    # The cache answers while fresh: with the key file gone, the helper still prints the cached key.
    key_file.unlink()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    cached = subprocess.run(["/bin/sh", "-c", doc["apiKeyHelper"]], env=env, capture_output=True, text=True,
                            check=False)
    assert (cached.returncode, cached.stdout) == (0, ALICE_KEY)
    # Expired cache and no source: non-zero, a message on stderr, nothing on stdout.
    cache.write_text(f"1\n{ALICE_KEY}\n")
    failed = subprocess.run(["/bin/sh", "-c", doc["apiKeyHelper"]], env=env, capture_output=True, text=True,
                            check=False)
    assert failed.returncode != 0 and failed.stdout == "" and "litellm-key-helper" in failed.stderr
    # A refreshed key file is picked up once the cache is due.
    key_file.write_text(BOB_KEY + "\n")
    refreshed = subprocess.run(["/bin/sh", "-c", doc["apiKeyHelper"]], env=env, capture_output=True, text=True,
                               check=False)
    assert (refreshed.returncode, refreshed.stdout) == (0, BOB_KEY)

    assert recap(play(variables))["changed"] == 0

    # And back to static: the helper and its settings go.
    assert play(role_vars(config_dir, gateway.url, litellm_auth="static",
                          litellm_static_key=BOB_KEY)).returncode == 0
    doc = settings(config_dir)
    assert "apiKeyHelper" not in doc and "CLAUDE_CODE_API_KEY_HELPER_TTL_MS" not in doc["env"]
    assert not helper.exists()


def test_key_header_and_attribution_headers_arrive(play, gateway, upstream, claude_bin, tmp_path):
    """The proxy reads the key from general_settings.litellm_key_header_name (x-fleet-key)."""
    config_dir = tmp_path / "claude"
    proc = play(role_vars(config_dir, gateway.url, litellm_auth="static", litellm_static_key=ALICE_KEY,
                          litellm_key_header="x-fleet-key", litellm_headers={"x-litellm-tags": "team-a"},
                          litellm_user_headers={"root": {"x-litellm-customer-id": "cust-root"}},
                          litellm_disable_experimental_betas=True))
    assert proc.returncode == 0, out(proc)
    assert settings(config_dir)["env"]["CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS"] == "1"

    result = claude(claude_bin, tmp_path / "home", config_dir)
    assert_reached_upstream(upstream, gateway, result, ALICE_KEY)
    checks = [c for c in gateway.auth_checks() if c["route"] == "/v1/messages"]
    for check in checks:
        assert check["headers"]["x-fleet-key"] == "Bearer " + ALICE_KEY
        assert check["headers"]["x-litellm-tags"] == "team-a"
        assert check["headers"]["x-litellm-customer-id"] == "cust-root"


# -- pass-through routes, against a fake (no proxy needed) ---------------------------------------------
ROUTES = {
    "anthropic": ({}, r"^/anthropic/v1/messages$"),
    "bedrock": ({"litellm_aws_region": "us-east-1"},
                r"^/bedrock/model/[^/]*claude-e2e-sonnet[^/]*/invoke-with-response-stream$"),
    "vertex": ({"litellm_vertex_project_id": "fleet-proj-1", "litellm_vertex_region": "us-east5"},
               r"^/vertex_ai/v1/projects/fleet-proj-1/locations/us-east5/publishers/anthropic/models/"
               r"claude-e2e-sonnet:streamRawPredict$"),
}


@pytest.mark.parametrize("route", ROUTES)
def test_pass_through_route_paths(play, claude_bin, tmp_path, route):
    extra, pattern = ROUTES[route]
    config_dir = tmp_path / "claude"
    with FakeAnthropic(key=None) as fake:
        proc = play(role_vars(config_dir, fake.url, litellm_route=route, litellm_auth="static",
                              litellm_static_key=ALICE_KEY, litellm_key_header="x-litellm-api-key", **extra))
        assert proc.returncode == 0, out(proc)
        claude(claude_bin, tmp_path / "home", config_dir)
        posts = [r for r in fake.received() if r.method == "POST"]
    assert posts, [(r.method, r.path) for r in fake.received()]
    assert any(re.match(pattern, r.route) for r in posts), [r.path for r in posts]
    assert all(r.headers.get("x-litellm-api-key") == "Bearer " + ALICE_KEY for r in posts)


# -- validation: nothing is touched --------------------------------------------------------------------
INVALID = {
    "url-shape": ({"litellm_base_url": "llm-gateway.example.com"}, "litellm_base_url"),
    "url-with-route": ({"litellm_base_url": "https://gw.example.com/anthropic"}, "litellm_base_url"),
    "static-and-helper": ({"litellm_auth": "helper", "litellm_static_key": ALICE_KEY}, "shadows the helper"),
    "static-managed": ({"litellm_auth": "static", "litellm_static_key": ALICE_KEY, "litellm_scope": "managed"},
                       "managed"),
    "model-not-served": ({"litellm_models": {"sonnet": "claude-sonnet-4-5"}}, "litellm_models.sonnet"),
    "helper-bedrock": ({"litellm_route": "bedrock", "litellm_aws_region": "us-east-1"}, "litellm_auth"),
    "bedrock-no-region": ({"litellm_route": "bedrock", "litellm_auth": "static", "litellm_static_key": ALICE_KEY,
                           "litellm_key_header": "x-litellm-api-key"}, "litellm_aws_region"),
    "bad-route": ({"litellm_route": "openai"}, "litellm_route"),
    "header-newline": ({"litellm_headers": {"x-litellm-tags": "a\nInjected: 1"}}, "litellm_headers"),
    "env-managed-by-role": ({"litellm_env": {"ANTHROPIC_AUTH_TOKEN": "x"}}, "litellm_env"),
    "helper-url-shell": ({"litellm_helper_source": "http", "litellm_helper_url": "https://tokens.example.com/$(id)"},
                         "litellm_helper_url"),
}


@pytest.mark.parametrize("extra, named", INVALID.values(), ids=INVALID.keys())
def test_invalid_input_fails_naming_the_variable_and_touches_nothing(play, tmp_path, extra, named):
    config_dir = tmp_path / "claude"
    proc = play({**role_vars(config_dir, "https://gw.example.com"), **extra})
    assert proc.returncode != 0, out(proc)
    assert named in out(proc)
    assert ALICE_KEY not in out(proc)
    assert not config_dir.exists()


# -- two real accounts ---------------------------------------------------------------------------------
USERS = ("fleetcfg-lt-a", "fleetcfg-lt-b")


@pytest.fixture
def accounts():
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd")
    for name in USERS:
        subprocess.run(["userdel", "-r", name], capture_output=True, check=False)
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True)
    yield {name: Path(pwd.getpwnam(name).pw_dir) for name in USERS}
    for name in USERS:
        subprocess.run(["userdel", "-r", name], capture_output=True, check=False)


def su(user: str, command: str):
    return subprocess.run(["su", "-s", "/bin/sh", user, "-c", command], capture_output=True, text=True,
                          check=False, timeout=60)


def test_users_cannot_read_each_others_key_or_cache(play, accounts):
    a, b = USERS
    base = {"litellm_base_url": "https://gw.example.com", "litellm_users": list(USERS),
            "litellm_models": MODELS, "litellm_served_models": SERVED}
    proc = play({**base, "litellm_auth": "static", "litellm_static_keys": {a: ALICE_KEY, b: BOB_KEY}})
    assert proc.returncode == 0, out(proc)
    assert recap(proc)["changed"] == 1
    for name, key in ((a, ALICE_KEY), (b, BOB_KEY)):
        path = accounts[name] / ".claude/settings.json"
        info = path.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, pwd.getpwnam(name).pw_uid)
        assert json.loads(path.read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == key
    denied = su(b, f"cat {shlex.quote(str(accounts[a] / '.claude/settings.json'))}")
    assert denied.returncode != 0 and ALICE_KEY not in denied.stdout
    assert su(a, f"cat {shlex.quote(str(accounts[a] / '.claude/settings.json'))}").stdout.count(ALICE_KEY) == 1

    # The helper, run as each user, keeps the key in that user's own cache.
    proc = play({**base, "litellm_auth": "helper"})
    assert proc.returncode == 0, out(proc)
    for name, key in ((a, ALICE_KEY), (b, BOB_KEY)):
        assert su(name, f"mkdir -p ~/.config/litellm && printf '%s\\n' {key} > ~/.config/litellm/key").returncode == 0
        helper = accounts[name] / ".claude/bin/litellm-key-helper"
        assert (helper.stat().st_uid, stat.S_IMODE(helper.stat().st_mode)) == (pwd.getpwnam(name).pw_uid, 0o700)
        got = su(name, shlex.quote(str(helper)))
        assert (got.returncode, got.stdout) == (0, key), got.stderr
        cache = accounts[name] / ".cache/fleetcfg-litellm/key"
        assert (cache.stat().st_uid, stat.S_IMODE(cache.stat().st_mode)) == (pwd.getpwnam(name).pw_uid, 0o600)
    for path in (accounts[a] / ".cache/fleetcfg-litellm/key", accounts[a] / ".claude/bin/litellm-key-helper"):
        denied = su(b, f"cat {shlex.quote(str(path))}")
        assert denied.returncode != 0 and ALICE_KEY not in denied.stdout
    assert recap(play({**base, "litellm_auth": "helper"}))["changed"] == 0
