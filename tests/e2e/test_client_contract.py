"""What the real Claude Code client does with a user settings file: the contract the collection relies on.

Every test proves its point by what a local fake endpoint RECEIVED (path, headers), never by the exit code
alone: a dropped settings file still exits 0 when the environment offers another working endpoint.

Setting: the file is <CLAUDE_CONFIG_DIR>/settings.json with env.ANTHROPIC_BASE_URL = the ``fake`` endpoint and
apiKeyHelper = a script printing E2E_KEY. Where a test needs to tell "file dropped" from "client failed", the
client's environment also names ``shell_fake`` (ANTHROPIC_BASE_URL + ANTHROPIC_API_KEY): settings `env` wins
over the environment when the file applies, so a request at ``shell_fake`` means the file was not applied.

Measured with the pinned client (install-claude.sh); a test failing after a version bump means the client's
behaviour changed: read docs/testing-e2e.md before "fixing" the test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil

import pytest

from e2e_support import (
    E2E_KEY, FAKE_REPLY, SHELL_KEY, SHELL_REPLY, key_helper, run_claude_in, write_helper, write_settings,
)

# The client's stderr when it drops a settings file (2.1.332; older 2.1.x said nothing in -p mode).
DROPPED_MESSAGE = "These settings did not load"


def gateway_settings(config_dir, **extra):
    """A valid settings document: the fake as gateway, the key from a helper script (created unless it is
    there already); ``extra`` keys added."""
    helper = config_dir / "bin/api-key-helper"
    if not helper.exists():
        key_helper(config_dir)
    doc = {"env": {"ANTHROPIC_BASE_URL": "@FAKE@"}, "apiKeyHelper": str(helper)}
    doc.update(extra)
    return doc


def materialise(doc, fake):
    """The document with the fake's URL filled in, as JSON text."""
    return json.dumps(doc, indent=2).replace("@FAKE@", fake.url) + "\n"


def assert_reached_fake(fake, key=E2E_KEY):
    """The client sent its model call to the settings file's endpoint, authenticated with ``key``."""
    calls = fake.messages()
    assert calls, f"no POST /v1/messages reached the fake; it received {[(r.method, r.path) for r in fake.received()]}"
    for call in calls:
        assert key in call.credentials, (call.auth_scheme, call.credentials)
        assert call.status == 200
    return calls


def assert_file_dropped(fake, shell_fake, result):
    """Nothing reached the settings file's endpoint; the environment's endpoint got the call instead."""
    assert fake.received() == [], [(r.method, r.path) for r in fake.received()]
    calls = shell_fake.messages()
    assert calls and all(c.credential == SHELL_KEY for c in calls), [(c.path, c.credentials) for c in calls]
    assert SHELL_REPLY in result.stdout


# --- a. a valid file works ------------------------------------------------------------------------------------

def test_valid_settings_reach_the_gateway_with_the_helper_key(config_dir, fake, run_claude):
    settings = write_settings(config_dir, materialise(gateway_settings(config_dir), fake))
    before = settings.read_bytes()

    result = run_claude(config_dir)

    calls = assert_reached_fake(fake)
    call = calls[0]
    assert call.method == "POST"
    assert call.path == "/v1/messages?beta=true"
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert call.body["stream"] is True
    # apiKeyHelper alone: the key goes out in BOTH headers.
    assert call.auth_scheme == "both"
    assert call.headers["x-api-key"] == E2E_KEY
    assert call.headers["authorization"] == f"Bearer {E2E_KEY}"
    assert result.returncode == 0, result
    assert FAKE_REPLY in result.stdout
    assert result.stderr == ""
    # `claude -p` leaves settings.json alone: a deployed file does not drift by being used.
    assert settings.read_bytes() == before


def test_settings_env_wins_over_the_exported_environment(config_dir, fake, shell_fake, shell_env, run_claude):
    """The premise of the positive control used below: when the file applies, its env beats the shell's."""
    write_settings(config_dir, materialise(gateway_settings(config_dir), fake))

    result = run_claude(config_dir, env_extra=shell_env)

    assert shell_fake.received() == []
    calls = assert_reached_fake(fake)
    # The exported ANTHROPIC_API_KEY still goes out as x-api-key; the helper's key as the bearer token.
    assert calls[0].headers["x-api-key"] == SHELL_KEY
    assert calls[0].headers["authorization"] == f"Bearer {E2E_KEY}"
    assert FAKE_REPLY in result.stdout


# --- b. a file the client drops whole ----------------------------------------------------------------------------

@pytest.mark.parametrize("broken", [
    pytest.param(lambda cfg, fake: materialise(gateway_settings(cfg, apiKeyHelper=5), fake), id="apiKeyHelper-number"),
    pytest.param(lambda cfg, fake: materialise(gateway_settings(cfg), fake).rstrip()[:-1], id="invalid-json"),
])
def test_broken_file_sends_nothing_to_its_gateway(config_dir, fake, run_claude, broken):
    """No outside credentials at all: the dropped file's env and helper are gone, nothing is sent anywhere."""
    write_settings(config_dir, broken(config_dir, fake))

    result = run_claude(config_dir)

    assert fake.received() == []
    assert result.returncode == 1
    assert "Not logged in" in result.stdout


# One wrong value anywhere drops the whole file, its `env` included.
DROPPING = {
    "apiKeyHelper-number": {"apiKeyHelper": 5},
    "apiKeyHelper-null": {"apiKeyHelper": None},
    "awsAuthRefresh-number": {"awsAuthRefresh": 5},
    "cleanupPeriodDays-string": {"cleanupPeriodDays": "thirty"},
    "cleanupPeriodDays-numeric-string": {"cleanupPeriodDays": "30"},
    "cleanupPeriodDays-zero": {"cleanupPeriodDays": 0},
    "cleanupPeriodDays-float": {"cleanupPeriodDays": 1.5},
    "model-number": {"model": 5},
    "includeCoAuthoredBy-string": {"includeCoAuthoredBy": "yes"},
    "permissions-string": {"permissions": "allow"},
    "permissions.allow-string": {"permissions": {"allow": "Bash"}},
    "permissions.defaultMode-unknown": {"permissions": {"defaultMode": "bogus"}},
    # Allowed by SchemaStore's schema, rejected by the client (accepts acceptEdits auto bypassPermissions
    # default dontAsk plan, and manual).
    "permissions.defaultMode-delegate": {"permissions": {"defaultMode": "delegate"}},
    # SchemaStore's schema requires only `verbs`; the client requires `mode` too.
    "spinnerVerbs-without-mode": {"spinnerVerbs": {"verbs": ["Pondering"]}},
    "hooks-event-string": {"hooks": {"PreToolUse": "x"}},
    "statusLine-string": {"statusLine": "x"},
    "managed-only-key-wrong-type": {"allowManagedHooksOnly": "yes"},
}


@pytest.mark.parametrize("extra", DROPPING.values(), ids=DROPPING.keys())
def test_one_wrong_value_drops_the_whole_file(config_dir, fake, shell_fake, shell_env, run_claude, extra):
    write_settings(config_dir, materialise(gateway_settings(config_dir, **extra), fake))

    result = run_claude(config_dir, env_extra=shell_env)

    assert_file_dropped(fake, shell_fake, result)
    assert result.returncode == 0  # exits 0: only the endpoint's log shows the file was ignored


def test_env_as_a_list_drops_the_file(config_dir, fake, shell_fake, shell_env, run_claude):
    write_settings(config_dir, json.dumps({"env": [], "apiKeyHelper": str(key_helper(config_dir))}))

    result = run_claude(config_dir, env_extra=shell_env)

    assert_file_dropped(fake, shell_fake, result)


UNPARSABLE = {
    "truncated": lambda text: text.rstrip()[:-1],
    "trailing-comma": lambda text: text.rstrip()[:-1].rstrip() + ",\n}",
    "line-comment": lambda text: "// managed by fleetcfg\n" + text,
    "top-level-array": lambda text: "[" + text + "]",
    "null": lambda text: "null",
}


@pytest.mark.parametrize("mangle", UNPARSABLE.values(), ids=UNPARSABLE.keys())
def test_unparsable_or_non_object_file_is_dropped(config_dir, fake, shell_fake, shell_env, run_claude, mangle):
    """No JSONC: comments and trailing commas are invalid JSON to the client."""
    write_settings(config_dir, mangle(materialise(gateway_settings(config_dir), fake)))

    result = run_claude(config_dir, env_extra=shell_env)

    assert_file_dropped(fake, shell_fake, result)


def test_dropped_file_is_reported_on_stderr_with_the_key(config_dir, fake, shell_env, run_claude):
    """2.1.332 names the file and the key on stderr in -p mode (older 2.1.x said nothing); exit code stays 0."""
    settings = write_settings(config_dir, materialise(gateway_settings(config_dir, cleanupPeriodDays="thirty"), fake))

    result = run_claude(config_dir, env_extra=shell_env)

    assert DROPPED_MESSAGE in result.stderr
    assert f"{settings} (cleanupPeriodDays): Expected number, but received string" in result.stderr
    assert result.returncode == 0


@pytest.mark.parametrize("content", ["", "  \n"], ids=["empty", "whitespace"])
def test_empty_file_is_no_settings_and_no_error(config_dir, shell_fake, shell_env, run_claude, content):
    """An empty settings.json counts as {}: not reported, the environment applies (a module may treat it as {})."""
    write_settings(config_dir, content)

    result = run_claude(config_dir, env_extra=shell_env)

    assert shell_fake.messages()
    assert DROPPED_MESSAGE not in result.stderr
    assert result.stderr == ""


# --- c. what the client tolerates ----------------------------------------------------------------------------

TOLERATED = {
    "unknown-top-level-key": {"awsAuthRefersh": "typo of awsAuthRefresh"},
    "unknown-key-in-permissions": {"permissions": {"allowX": []}},
    "managed-only-key-in-user-file": {"allowManagedHooksOnly": True, "forceLoginGatewayUrl": "http://127.0.0.1:9"},
    "$schema": {"$schema": "https://json.schemastore.org/claude-code-settings.json"},
    "cleanupPeriodDays-1": {"cleanupPeriodDays": 1},
    "permissions.defaultMode-manual": {"permissions": {"defaultMode": "manual"}},
    "spinnerVerbs-with-mode": {"spinnerVerbs": {"verbs": ["Pondering"], "mode": "append"}},
}


@pytest.mark.parametrize("extra", TOLERATED.values(), ids=TOLERATED.keys())
def test_tolerated_content_keeps_the_file(config_dir, fake, shell_env, run_claude, extra):
    write_settings(config_dir, materialise(gateway_settings(config_dir, **extra), fake))

    result = run_claude(config_dir, env_extra=shell_env)

    assert_reached_fake(fake)
    assert FAKE_REPLY in result.stdout
    assert DROPPED_MESSAGE not in result.stderr


def test_non_string_env_values_are_tolerated_and_stringified(config_dir, fake, run_claude):
    """Numbers, booleans, null, lists and objects in `env` keep the file; the process sees them as text
    (5 -> "5", true -> "true", null -> "null"). The helper prints them into the key the fake sees."""
    doc = gateway_settings(config_dir)
    doc["env"].update(NUM=5, BOOL=True, NULL=None, LIST=["a"], OBJ={"a": 1})
    write_helper(config_dir / "bin/api-key-helper", "printf 'k|%s|%s|%s' \"$NUM\" \"$BOOL\" \"${NULL-unset}\"")
    fake.key = "k|5|true|null"
    write_settings(config_dir, materialise(doc, fake))

    result = run_claude(config_dir)

    assert_reached_fake(fake, key="k|5|true|null")
    assert DROPPED_MESSAGE not in result.stderr


def test_utf8_bom_is_accepted(config_dir, fake, run_claude):
    write_settings(config_dir, "\ufeff" + materialise(gateway_settings(config_dir), fake))

    run_claude(config_dir)

    assert_reached_fake(fake)


@pytest.mark.parametrize("last, applies", [("valid", True), ("invalid", False)])
def test_duplicate_keys_last_one_wins(config_dir, fake, shell_fake, shell_env, run_claude, last, applies):
    text = materialise(gateway_settings(config_dir), fake).rstrip()[:-1].rstrip()
    helper = json.dumps(str(config_dir / "bin/api-key-helper"))
    text += ',\n  "apiKeyHelper": 5,\n  "apiKeyHelper": ' + helper + "\n}" if last == "valid" \
        else ',\n  "apiKeyHelper": 5\n}'
    write_settings(config_dir, text)

    result = run_claude(config_dir, env_extra=shell_env)

    if applies:
        assert_reached_fake(fake)
    else:
        assert_file_dropped(fake, shell_fake, result)


def test_read_only_and_symlinked_settings_file_is_read(config_dir, fake, run_claude, tmp_path):
    real = tmp_path / "elsewhere.json"
    real.write_text(materialise(gateway_settings(config_dir), fake))
    real.chmod(0o444)
    (config_dir / "settings.json").symlink_to(real)

    run_claude(config_dir)

    assert_reached_fake(fake)


# --- the apiKeyHelper contract -----------------------------------------------------------------------------

def test_helper_output_newline_is_trimmed(config_dir, fake, run_claude):
    doc = gateway_settings(config_dir)
    write_helper(config_dir / "bin/api-key-helper", f"echo '{E2E_KEY}'")
    write_settings(config_dir, materialise(doc, fake))

    run_claude(config_dir)

    assert_reached_fake(fake)


def test_helper_path_is_a_shell_command(tmp_path, fake, run_claude):
    """apiKeyHelper is run by /bin/sh: a path with a space works only when quoted for the shell."""
    config_dir = tmp_path / "claude config"
    config_dir.mkdir()
    helper = key_helper(config_dir)
    write_settings(config_dir, materialise(gateway_settings(config_dir, apiKeyHelper=shlex.quote(str(helper))), fake))

    run_claude(config_dir)

    assert_reached_fake(fake)


HELPER_FAILURES = {
    # name: (apiKeyHelper value or None for the helper's absolute path, helper mode, expected stderr)
    "unquoted-path-with-space": ("@SPACE@", 0o700, "not found"),
    "relative-path": ("bin/api-key-helper", 0o700, "exited 127"),
    "not-executable": (None, 0o600, "exited 126"),
    "exits-non-zero": ("@FAIL@", 0o700, "apiKeyHelper failed: exited 3"),
}


@pytest.mark.parametrize("value, mode, stderr", HELPER_FAILURES.values(), ids=HELPER_FAILURES.keys())
def test_failing_helper_sends_an_empty_key(tmp_path, fake, run_claude, value, mode, stderr):
    """The request still goes out, with an empty credential; only a server that checks the key notices.
    The file is not dropped (the fake at its URL is reached). A relative path is relative to the client's
    working directory, not to the settings file."""
    config_dir = tmp_path / "claude config"
    config_dir.mkdir()
    helper = key_helper(config_dir)
    helper.chmod(mode)
    if value == "@SPACE@":
        value = str(helper)
    elif value == "@FAIL@":
        value = shlex.quote(str(write_helper(config_dir / "bin/failing", "echo oops >&2; exit 3")))
    elif value is None:
        value = shlex.quote(str(helper))
    write_settings(config_dir, materialise(gateway_settings(config_dir, apiKeyHelper=value), fake))

    result = run_claude(config_dir)

    calls = fake.messages()
    assert calls, "the file was applied: its URL is used"
    assert all(c.credentials == [""] and c.auth_scheme == "x-api-key" and c.status == 401 for c in calls), \
        [(c.auth_scheme, c.credentials, c.status) for c in calls]
    assert stderr in result.stderr
    assert result.returncode == 1


# --- static credentials in env next to a helper ------------------------------------------------------------

@pytest.mark.parametrize("name, header", [("ANTHROPIC_API_KEY", "x-api-key"), ("ANTHROPIC_AUTH_TOKEN", "authorization")])
def test_static_credential_in_env_shadows_the_helper_in_its_header(config_dir, run_claude, name, header):
    """A static key in settings env replaces the helper's output in that key's header; the other header keeps
    the helper's key. A gateway reading only that header never sees the helper's key."""
    from fake_anthropic import FakeAnthropic

    with FakeAnthropic(key=None) as anyone:
        doc = gateway_settings(config_dir)
        doc["env"][name] = "static-credential"
        write_settings(config_dir, materialise(doc, anyone))

        run_claude(config_dir)

        calls = anyone.messages()
        assert calls
        value = calls[0].headers[header]
        assert value in ("static-credential", "Bearer static-credential")
        other = "authorization" if header == "x-api-key" else "x-api-key"
        assert calls[0].headers[other] in (E2E_KEY, f"Bearer {E2E_KEY}")


def test_environment_is_scrubbed(config_dir, fake, run_claude, monkeypatch):
    """Variables of the machine running the tests do not reach the client."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "leaked")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    write_settings(config_dir, materialise(gateway_settings(config_dir), fake))

    run_claude(config_dir)

    calls = assert_reached_fake(fake)
    assert "leaked" not in calls[0].credentials
    assert os.environ["ANTHROPIC_API_KEY"] == "leaked"


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_the_only_connection_is_the_model_call(config_dir, fake, claude_bin, tmp_path):
    """With CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 the client opens exactly one network connection: to the
    gateway of its settings file. (No telemetry, update check or other endpoint: the suite is offline.)"""
    write_settings(config_dir, materialise(gateway_settings(config_dir), fake))
    trace = tmp_path / "connect.trace"
    wrapper = write_helper(tmp_path / "traced-claude",
                           f'exec strace -f -qq -e trace=connect -o {shlex.quote(str(trace))} '
                           f'{shlex.quote(claude_bin)} "$@"')

    result = run_claude_in(str(wrapper), tmp_path / "home", config_dir)

    if not trace.exists():
        pytest.skip(f"strace cannot trace here: {result.stderr[:200]}")
    assert_reached_fake(fake)
    inet = [line for line in trace.read_text().splitlines() if re.search(r"AF_INET6?\b", line)]
    assert inet and all(f"htons({fake.port})" in line and "127.0.0.1" in line for line in inet), inet


# --- Microsoft Foundry and Claude Platform on AWS (hand-written files; the roles are proved in test_foundry.py and
# test_anthropic_aws.py) -------------------------------------------------------------------------------------------

FOUNDRY_KEY = "foundry-key-fleetcfg-e2e-0001"
FOUNDRY_TOKEN = "foundry-token-fleetcfg-e2e-0002"
ENTRA_TOKEN = "entra-token-from-the-azure-cli"
DEPLOYMENTS = {"opus": "fleet-opus-deployment", "sonnet": "fleet-sonnet-deployment", "haiku": "fleet-haiku-deployment"}
WORKSPACE = "wrkspc_01fleetcfge2e"
AWS_KEY = "aws-platform-key-fleetcfg-e2e-0003"
AKID = "AKIDFLEETCFGCONTRACT1"


def refusing_proxy():
    """A proxy that lets nothing through and records where the client wanted to go: fake_network.LoggingProxy wanting
    credentials the client is not given (``HTTPS_PROXY=http://<hostport>``), so every ``CONNECT host:443`` is
    answered 407 and nothing leaves 127.0.0.1. For endpoints the client derives itself."""
    from fake_network import LoggingProxy

    return LoggingProxy(user="nobody", password="refuses-every-tunnel")


def tunnels(proxy) -> list[str]:
    """The ``host:port`` of every CONNECT the proxy refused."""
    return [r.target for r in proxy.received() if r.method == "CONNECT" and r.status == 407]


def provider_env(**env):
    """A settings document with just these env variables (``@FAKE@`` filled in by ``materialise_at``)."""
    return {"env": env}


def materialise_at(doc, url):
    return json.dumps(doc, indent=2).replace("@FAKE@", url) + "\n"


def pins(**extra):
    return {f"ANTHROPIC_DEFAULT_{c.upper()}_MODEL": name for c, name in DEPLOYMENTS.items()} | extra


def model_calls(fake):
    """(path, status, model) of every model call, for assertion messages and model sequences."""
    return [(c.path, c.status, c.body.get("model")) for c in fake.messages()]


def assert_only_model_calls(fake, result):
    """Every request the fake received was a model call it answered 200, and the reply reached stdout."""
    got = [(r.method, r.path, r.status) for r in fake.received()]
    assert fake.messages() and len(fake.messages()) == len(got), f"{got}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert all(status == 200 for _m, _p, status in got), got
    assert fake.reply_text in result.stdout, result.stdout


FOUNDRY_AUTH = {
    # name: (env of the file besides the switch and the URL, the header the credential must arrive in, credential)
    "api-key-as-x-api-key": ({"ANTHROPIC_FOUNDRY_API_KEY": FOUNDRY_KEY}, "x-api-key", FOUNDRY_KEY),
    "auth-token-as-bearer": ({"ANTHROPIC_FOUNDRY_AUTH_TOKEN": FOUNDRY_TOKEN}, "authorization", FOUNDRY_TOKEN),
    "skip-auth-sends-a-placeholder-bearer": ({"CLAUDE_CODE_SKIP_FOUNDRY_AUTH": "1"}, "authorization", "skip-foundry-auth"),
}


@pytest.mark.parametrize("auth, header, credential", FOUNDRY_AUTH.values(), ids=FOUNDRY_AUTH.keys())
def test_foundry_posts_under_anthropic_with_its_credential_in_one_header(config_dir, run_claude, auth, header, credential):
    """ANTHROPIC_FOUNDRY_BASE_URL=<base>/anthropic: POST <base>/anthropic/v1/messages?beta=true, Anthropic's stream
    format in reply; the credential in exactly one header (the other one absent)."""
    from fake_anthropic import FakeFoundry

    with FakeFoundry(key=credential, key_header=header, models=tuple(DEPLOYMENTS.values())) as foundry:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_BASE_URL="@FAKE@", **pins(**auth)), foundry.base_url))

        result = run_claude(config_dir)

        assert_only_model_calls(foundry, result)
        for call in foundry.messages():
            assert call.path == "/anthropic/v1/messages?beta=true"
            assert call.body["stream"] is True and call.body["model"] == DEPLOYMENTS["sonnet"]
            assert call.headers["anthropic-version"] == "2023-06-01"
            assert call.credentials == [credential], (call.auth_scheme, call.credentials)
            other = "x-api-key" if header == "authorization" else "authorization"
            assert other not in call.headers, call.headers
        assert result.returncode == 0


def test_foundry_without_a_key_takes_a_token_from_the_azure_credential_chain(config_dir, run_claude, tmp_path):
    """No key, no token, no skip: Entra ID through Azure's default credential chain. Offline, the chain's developer
    credentials (AZURE_TOKEN_CREDENTIALS=dev: no managed identity, no IMDS) find a fake `az` on PATH; the client runs
    `az account get-access-token --output json --resource https://cognitiveservices.azure.com` and sends the token
    as the bearer."""
    from fake_anthropic import FakeFoundry

    calls = tmp_path / "az-calls"
    write_helper(tmp_path / "azbin" / "az", f'printf "%s\\n" "$*" >> {shlex.quote(str(calls))}\n'
                 "printf '%s\\n' '{\"accessToken\": \"" + ENTRA_TOKEN + "\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", "
                 "\"expires_on\": 4070908800, \"tokenType\": \"Bearer\"}'", mode=0o755)
    with FakeFoundry(key=ENTRA_TOKEN, key_header="authorization") as foundry:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_BASE_URL="@FAKE@", **pins()), foundry.base_url))

        result = run_claude(config_dir, env_extra={"AZURE_TOKEN_CREDENTIALS": "dev",
                                                   "PATH": f"{tmp_path / 'azbin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"})

        assert_only_model_calls(foundry, result)
        assert all(c.headers["authorization"] == f"Bearer {ENTRA_TOKEN}" and "x-api-key" not in c.headers
                   for c in foundry.messages())
        assert calls.read_text().splitlines()[0] == \
            "account get-access-token --output json --resource https://cognitiveservices.azure.com"


def test_foundry_without_any_azure_credential_sends_nothing(config_dir, run_claude):
    from fake_anthropic import FakeFoundry

    with FakeFoundry() as foundry:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_BASE_URL="@FAKE@", **pins()), foundry.base_url))

        result = run_claude(config_dir, env_extra={"AZURE_TOKEN_CREDENTIALS": "dev", "PATH": "/usr/bin:/bin"})

        assert foundry.received() == []
        assert "Could not load Azure credentials" in result.stdout
        assert result.returncode == 1


@pytest.mark.parametrize("model, deployment", [(None, "sonnet"), ("opus", "opus"), ("haiku", "haiku")])
def test_foundry_model_classes_ask_for_the_pinned_deployment_names(config_dir, run_claude, model, deployment):
    """The picker's class (the file's `model`, else the default class sonnet) becomes its pinned deployment."""
    from fake_anthropic import FakeFoundry

    with FakeFoundry(key=FOUNDRY_KEY, models=tuple(DEPLOYMENTS.values())) as foundry:
        doc = provider_env(CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_BASE_URL="@FAKE@",
                           ANTHROPIC_FOUNDRY_API_KEY=FOUNDRY_KEY, **pins())
        if model:
            doc["model"] = model
        write_settings(config_dir, materialise_at(doc, foundry.base_url))

        result = run_claude(config_dir)

        assert_only_model_calls(foundry, result)
        assert {c.body["model"] for c in foundry.messages()} == {DEPLOYMENTS[deployment]}, model_calls(foundry)


def test_foundry_unpinned_asks_for_model_names_of_its_release_and_falls_back_on_404(config_dir, run_claude):
    """Without pins the sonnet class asks for claude-sonnet-5-5; each 404 (no such deployment) makes the client try
    an older name (claude-sonnet-5, then claude-sonnet-4-6), twice each, and fail: no deployment name is guessed."""
    from fake_anthropic import FakeFoundry

    with FakeFoundry(key=FOUNDRY_KEY, models=tuple(DEPLOYMENTS.values())) as foundry:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_BASE_URL="@FAKE@", ANTHROPIC_FOUNDRY_API_KEY=FOUNDRY_KEY),
            foundry.base_url))

        result = run_claude(config_dir)

        asked = [model for _path, _status, model in model_calls(foundry)]
        assert asked[0] == "claude-sonnet-5-5", model_calls(foundry)
        assert list(dict.fromkeys(asked)) == ["claude-sonnet-5-5", "claude-sonnet-5", "claude-sonnet-4-6"], asked
        assert all(status == 404 for _path, status, _model in model_calls(foundry))
        assert "issue with the selected model" in result.stdout and result.returncode == 1


def test_foundry_base_url_without_anthropic_posts_to_v1_messages_at_its_root(config_dir, run_claude):
    """The client appends /v1/messages to the base URL as it is: a resource URL without /anthropic misses Foundry's
    Anthropic endpoint (the role refuses such a URL)."""
    from fake_anthropic import FakeFoundry

    with FakeFoundry(key=FOUNDRY_KEY) as foundry:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_BASE_URL="@FAKE@", ANTHROPIC_FOUNDRY_API_KEY=FOUNDRY_KEY,
            **pins()), foundry.url))

        result = run_claude(config_dir)

        got = [(r.method, r.route, r.status) for r in foundry.received()]
        assert got and all(item == ("POST", "/v1/messages", 404) for item in got), got
        assert result.returncode == 1


def test_foundry_resource_names_the_azure_host(config_dir, run_claude):
    """ANTHROPIC_FOUNDRY_RESOURCE=<resource>: the client goes to https://<resource>.services.ai.azure.com (seen as
    the CONNECT target at a proxy that refuses every tunnel: nothing leaves the machine)."""
    with refusing_proxy() as proxy:
        write_settings(config_dir, provider_env(CLAUDE_CODE_USE_FOUNDRY="1", ANTHROPIC_FOUNDRY_RESOURCE="fleet-res-e2e",
                                                ANTHROPIC_FOUNDRY_API_KEY=FOUNDRY_KEY, **pins()))

        result = run_claude(config_dir, env_extra={"HTTPS_PROXY": f"http://{proxy.hostport}"})

        assert tunnels(proxy) and set(tunnels(proxy)) == {"fleet-res-e2e.services.ai.azure.com:443"}, \
            (tunnels(proxy), result.stdout)


AWS_AUTH = {
    # name: (env of the file besides switch, workspace, region and URL; the credential expected; fake's key_header)
    "api-key-as-x-api-key": ({"ANTHROPIC_AWS_API_KEY": AWS_KEY}, AWS_KEY, "x-api-key"),
    "skip-auth-sends-no-credential": ({"CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH": "1"}, None, "none"),
}


@pytest.mark.parametrize("auth, credential, header", AWS_AUTH.values(), ids=AWS_AUTH.keys())
def test_anthropic_aws_posts_v1_messages_with_the_workspace_header(config_dir, run_claude, auth, credential, header):
    """ANTHROPIC_AWS_BASE_URL + ANTHROPIC_AWS_WORKSPACE_ID: POST /v1/messages?beta=true with anthropic-workspace-id;
    the API key as x-api-key, and with skip auth no credential header at all."""
    from fake_anthropic import FakeAnthropicAws

    with FakeAnthropicAws(key=credential, key_header=header, workspace_id=WORKSPACE) as aws:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_ANTHROPIC_AWS="1", ANTHROPIC_AWS_BASE_URL="@FAKE@", ANTHROPIC_AWS_WORKSPACE_ID=WORKSPACE,
            AWS_REGION="eu-west-3", **auth), aws.base_url))

        result = run_claude(config_dir)

        assert_only_model_calls(aws, result)
        for call in aws.messages():
            assert call.path == "/v1/messages?beta=true" and call.body["stream"] is True
            assert call.headers["anthropic-workspace-id"] == WORKSPACE
            assert call.credentials == ([credential] if credential else []), call.headers
            assert "authorization" not in call.headers
        assert result.returncode == 0


def test_anthropic_aws_with_a_profile_signs_sigv4_for_aws_external_anthropic(config_dir, claude_bin, tmp_path):
    """AWS_PROFILE (no API key): the request is signed with SigV4, scope <akid>/<date>/<AWS_REGION>/aws-external-anthropic,
    the workspace header among the signed ones."""
    from fake_anthropic import FakeAnthropicAws

    home = tmp_path / "aws-home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[fleet-dev]\naws_access_key_id = {AKID}\naws_secret_access_key = test-secret-not-real\n")
    with FakeAnthropicAws(key_header=None, workspace_id=WORKSPACE) as aws:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_ANTHROPIC_AWS="1", ANTHROPIC_AWS_BASE_URL="@FAKE@", ANTHROPIC_AWS_WORKSPACE_ID=WORKSPACE,
            AWS_REGION="eu-west-3", AWS_PROFILE="fleet-dev"), aws.base_url))

        result = run_claude_in(claude_bin, home, config_dir)  # HOME holds ~/.aws

        assert_only_model_calls(aws, result)
        for call in aws.messages():
            match = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request, "
                             r"SignedHeaders=([^,]+),", call.headers["authorization"])
            assert match and match.groups()[:3] == (AKID, "eu-west-3", "aws-external-anthropic"), call.headers
            assert "anthropic-workspace-id" in match.group(4).split(";") and "x-api-key" not in call.headers


def test_anthropic_aws_without_a_workspace_id_sends_nothing(config_dir, run_claude):
    from fake_anthropic import FakeAnthropicAws

    with FakeAnthropicAws(key=AWS_KEY, workspace_id=WORKSPACE) as aws:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_ANTHROPIC_AWS="1", ANTHROPIC_AWS_BASE_URL="@FAKE@", ANTHROPIC_AWS_API_KEY=AWS_KEY,
            AWS_REGION="eu-west-3"), aws.base_url))

        result = run_claude(config_dir)

        assert aws.received() == []
        assert "No workspace ID found" in result.stdout and result.returncode == 1


def test_anthropic_aws_unpinned_asks_for_the_opus_class(config_dir, run_claude):
    """Unlike Foundry (sonnet), the default class on Claude Platform on AWS is opus: claude-opus-5-5 in 2.1.332."""
    from fake_anthropic import FakeAnthropicAws

    with FakeAnthropicAws(key=AWS_KEY, workspace_id=WORKSPACE) as aws:
        write_settings(config_dir, materialise_at(provider_env(
            CLAUDE_CODE_USE_ANTHROPIC_AWS="1", ANTHROPIC_AWS_BASE_URL="@FAKE@", ANTHROPIC_AWS_WORKSPACE_ID=WORKSPACE,
            ANTHROPIC_AWS_API_KEY=AWS_KEY, AWS_REGION="eu-west-3"), aws.base_url))

        result = run_claude(config_dir)

        assert_only_model_calls(aws, result)
        assert {c.body["model"] for c in aws.messages()} == {"claude-opus-5-5"}, model_calls(aws)


def test_anthropic_aws_endpoint_without_a_base_url_follows_the_region(config_dir, run_claude):
    """No ANTHROPIC_AWS_BASE_URL: the client goes to https://aws-external-anthropic.<AWS_REGION>.api.aws."""
    with refusing_proxy() as proxy:
        write_settings(config_dir, provider_env(CLAUDE_CODE_USE_ANTHROPIC_AWS="1", ANTHROPIC_AWS_WORKSPACE_ID=WORKSPACE,
                                                ANTHROPIC_AWS_API_KEY=AWS_KEY, AWS_REGION="eu-west-3"))

        result = run_claude(config_dir, env_extra={"HTTPS_PROXY": f"http://{proxy.hostport}"})

        assert tunnels(proxy) and set(tunnels(proxy)) == {"aws-external-anthropic.eu-west-3.api.aws:443"}, \
            (tunnels(proxy), result.stdout)
