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
