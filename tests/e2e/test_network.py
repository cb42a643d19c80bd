"""Corporate network options, proved with the real Claude Code client against local endpoints.

A proxy (fake_network.LoggingProxy: CONNECT tunnels for https, absolute-URI requests for http, records what passed,
checks Proxy-Authorization when it has a user), a private CA (fake_network.TestCA, one per session, never in the OS
store) and HTTPS fakes (FakeAnthropic(tls=...)) with and without a required client certificate.

Two halves:

- the client's contract, with settings files written by hand (``env``: HTTPS_PROXY/HTTP_PROXY/NO_PROXY,
  NODE_EXTRA_CA_CERTS, CLAUDE_CODE_CLIENT_CERT/_KEY/_KEY_PASSPHRASE): what the collection must write;
- the role variable ``<role>_network`` (litellm role, unified route, a static key, the base URL at the local
  endpoint): what the role writes makes the client go through the proxy or around it, trust the CA, present the
  client certificate; and its secrets (a proxy password, a key passphrase, an OTLP auth header given in
  ``litellm_env``) are in no output of ``ansible-playbook -vvv --diff`` and in no file other accounts can read.

Everything is proved by what the fakes and the proxy recorded (and the TLS handshakes the fakes saw), not by exit
codes alone.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from e2e_support import E2E_DIR, E2E_KEY, FAKE_REPLY, playbook_runner, recap, run_claude_in
from fake_anthropic import FakeAnthropic
from fake_network import LoggingProxy, TestCA

PLAYBOOK = E2E_DIR / "playbooks" / "litellm.yml"
PROXY_USER = "fleet-user"
# Decoded; in the URL it is percent-encoded (a%40S3cretProxyPw9). The core is what a leak check looks for.
PROXY_SECRET_CORE = "S3cretProxyPw"
PROXY_PASSWORD = f"a@{PROXY_SECRET_CORE}9"
PASSPHRASE = "Key-Pass-Phrase-77 with spaces"
OTLP_TOKEN = "otlp-Tok3n-9f8e7d6c5b"
OTLP_HEADERS = f"Authorization=Bearer {OTLP_TOKEN}"


# -- fixtures ------------------------------------------------------------------------------------------------
class PKI:
    """The session's CA and what it issued, plus a foreign CA's client certificate."""

    def __init__(self, folder: Path):
        self.ca = TestCA(folder / "ca")
        self.server = self.ca.server()
        self.client = self.ca.client()
        self.client_enc = self.ca.client("client-enc", passphrase=PASSPHRASE)
        self.client_enc_traditional = self.ca.client("client-enc-trad", passphrase=PASSPHRASE,
                                                     key_format="traditional")
        self.rotated = self.ca.client("rotated", common_name="fleetcfg-e2e-rotated", passphrase=PASSPHRASE)
        self.foreign = TestCA(folder / "foreign", name="some other CA").client("foreign")


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def https_fake(pki):
    with FakeAnthropic(key=E2E_KEY, reply_text=FAKE_REPLY, tls=pki.ca.server_context(pki.server)) as server:
        yield server


@pytest.fixture
def mtls_fake(pki):
    context = pki.ca.server_context(pki.server, require_client_cert=True)
    with FakeAnthropic(key=E2E_KEY, reply_text=FAKE_REPLY, tls=context) as server:
        yield server


@pytest.fixture
def http_fake():
    with FakeAnthropic(key=E2E_KEY, reply_text=FAKE_REPLY) as server:
        yield server


@pytest.fixture
def proxy():
    with LoggingProxy() as server:
        yield server


@pytest.fixture
def auth_proxy():
    with LoggingProxy(user=PROXY_USER, password=PROXY_PASSWORD) as server:
        yield server


def hand_written(config_dir: Path, base_url: str, **env) -> None:
    """A settings file as the collection should write it: the endpoint, a static token, the network env."""
    config_dir.mkdir(parents=True, exist_ok=True)
    doc = {"env": {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_AUTH_TOKEN": E2E_KEY, **env}}
    (config_dir / "settings.json").write_text(json.dumps(doc, indent=2))


def proxy_env(url: str) -> dict[str, str]:
    return {"HTTPS_PROXY": url, "HTTP_PROXY": url}


def seen(fake, result, proxy=None) -> str:
    """What happened, for an assertion message."""
    lines = [f"fake: {[(r.method, r.path, r.status) for r in fake.received()]}",
             f"handshakes: {fake.tls_handshakes()}"]
    if proxy is not None:
        lines.append(f"proxy: {[(r.method, r.target, r.credentials, r.status) for r in proxy.received()]}")
    lines += [f"stdout: {result.stdout.strip()}", f"stderr: {result.stderr.strip()}"]
    return "\n".join(lines)


def assert_reached(fake, result, proxy=None):
    calls = fake.messages()
    assert calls, "nothing reached the endpoint\n" + seen(fake, result, proxy)
    assert all(c.credential == E2E_KEY and c.status == 200 for c in calls), seen(fake, result, proxy)
    assert FAKE_REPLY in result.stdout, seen(fake, result, proxy)


def assert_never_reached_the_handler(fake, result, error: str | None = None):
    """The TLS handshake failed (with OpenSSL's reason ``error``, when given): no request was handled."""
    assert fake.received() == [], seen(fake, result)
    shakes = fake.tls_handshakes()
    assert shakes and not any(s.ok for s in shakes), seen(fake, result)
    if error is not None:
        assert {s.error for s in shakes} == {error}, seen(fake, result)
    assert FAKE_REPLY not in result.stdout


@pytest.fixture
def claude(run_claude, tmp_path):
    """claude(name, base_url, **env) -> ClaudeRun with a hand-written settings file in its own config folder."""

    def run(name: str, base_url: str, **env):
        config_dir = tmp_path / name
        hand_written(config_dir, base_url, **env)
        return run_claude(config_dir)

    return run


# -- the client's contract: proxy ----------------------------------------------------------------------------
def test_client_tunnels_https_through_https_proxy_with_connect(claude, pki, https_fake, proxy):
    result = claude("via-proxy", https_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **proxy_env(proxy.url))

    assert_reached(https_fake, result, proxy)
    tunnels = {(r.method, r.target) for r in proxy.received()}
    assert tunnels == {("CONNECT", https_fake.hostport)}, seen(https_fake, result, proxy)
    assert len(proxy.passed(https_fake.hostport)) >= len(https_fake.tls_handshakes()), "every connection was tunnelled"


def test_client_sends_http_requests_to_http_proxy_as_absolute_uris(claude, http_fake, proxy):
    result = claude("via-proxy", http_fake.url, **proxy_env(proxy.url))

    assert_reached(http_fake, result, proxy)
    forwarded = proxy.passed(http_fake.hostport)
    assert forwarded and all(r.method == "POST" for r in forwarded), seen(http_fake, result, proxy)
    assert {r.target for r in forwarded} >= {f"{http_fake.url}/v1/messages?beta=true"}
    assert len(forwarded) == len(http_fake.received()), "every request went through the proxy"


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_client_sends_the_proxy_urls_user_and_password_as_proxy_authorization(claude, pki, https_fake, http_fake,
                                                                              auth_proxy, scheme):
    fake = https_fake if scheme == "https" else http_fake
    assert "%40" in auth_proxy.url, "the password is percent-encoded in the URL"
    result = claude("via-proxy", fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **proxy_env(auth_proxy.url))

    assert_reached(fake, result, auth_proxy)
    assert auth_proxy.received() and all(r.credentials == f"{PROXY_USER}:{PROXY_PASSWORD}" and r.status == 200
                                         for r in auth_proxy.received()), seen(fake, result, auth_proxy)


def test_client_stops_when_the_proxy_refuses_its_credentials(claude, pki, https_fake, auth_proxy):
    """The proxy's check is real: a wrong password (and no password at all) gets 407 and nothing passes."""
    wrong = auth_proxy.url.replace(PROXY_SECRET_CORE, "Wrong")
    result = claude("wrong", https_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **proxy_env(wrong))

    assert https_fake.received() == [] and https_fake.tls_handshakes() == [], seen(https_fake, result, auth_proxy)
    assert auth_proxy.received() and all(r.status == 407 for r in auth_proxy.received())
    assert "ERR_PROXY_TUNNEL" in result.stdout, result.stdout


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "example.com, 127.0.0.1", "127.0.0.1:{port}", "*"],
                         ids=["host", "list-with-space", "host-and-port", "star"])
def test_client_goes_around_the_proxy_for_a_host_in_no_proxy(claude, pki, https_fake, proxy, no_proxy):
    result = claude("no-proxy", https_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **proxy_env(proxy.url),
                    NO_PROXY=no_proxy.format(port=https_fake.port))

    assert_reached(https_fake, result, proxy)
    assert proxy.received() == [], seen(https_fake, result, proxy)


def test_client_keeps_the_proxy_when_no_proxy_names_other_hosts(claude, pki, https_fake, proxy):
    """NO_PROXY is a list of exceptions, not an off switch; and ``localhost`` does not cover 127.0.0.1."""
    result = claude("other-hosts", https_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **proxy_env(proxy.url),
                    NO_PROXY="example.com,.corp.example,localhost")

    assert_reached(https_fake, result, proxy)
    assert proxy.passed(https_fake.hostport), seen(https_fake, result, proxy)


def test_client_stops_at_startup_on_a_proxy_url_without_scheme(claude, pki, https_fake, proxy):
    result = claude("no-scheme", https_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **proxy_env(proxy.hostport))

    assert result.returncode != 0
    assert "Invalid proxy URL in HTTPS_PROXY" in result.stderr, result.stderr
    assert proxy.received() == [] and https_fake.received() == [] and https_fake.tls_handshakes() == []


# -- the client's contract: CA -------------------------------------------------------------------------------
def test_client_rejects_an_endpoint_certificate_of_a_private_ca_without_a_bundle(claude, https_fake):
    """The test CA is in no OS store, and nothing points the client at it: the handshake fails."""
    result = claude("no-bundle", https_fake.url)

    assert_never_reached_the_handler(https_fake, result)
    assert "certificate" in result.stdout.lower(), result.stdout


def test_client_trusts_a_private_ca_from_node_extra_ca_certs(claude, pki, https_fake):
    result = claude("bundle", https_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file))

    assert_reached(https_fake, result)
    assert all(s.ok for s in https_fake.tls_handshakes())


# -- the client's contract: mTLS -----------------------------------------------------------------------------
def _client_env(issued, passphrase=None, key=True) -> dict[str, str]:
    env = {"CLAUDE_CODE_CLIENT_CERT": str(issued.cert_file)}
    if key:
        env["CLAUDE_CODE_CLIENT_KEY"] = str(issued.key_file)
    if passphrase is not None:
        env["CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"] = passphrase
    return env


ACCEPTED = {
    "plain-key": lambda pki: _client_env(pki.client),
    "encrypted-pkcs8-key-and-passphrase": lambda pki: _client_env(pki.client_enc, PASSPHRASE),
    "encrypted-traditional-key-and-passphrase": lambda pki: _client_env(pki.client_enc_traditional, PASSPHRASE),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_mtls_endpoint_accepts_the_client_certificate_and_key(claude, pki, mtls_fake, case):
    result = claude(case, mtls_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **ACCEPTED[case](pki))

    assert_reached(mtls_fake, result)
    assert {s.client_cn for s in mtls_fake.tls_handshakes()} == {"fleetcfg-e2e-client"}, seen(mtls_fake, result)


# (env, the handshake error the fake sees; None: the client opens no connection at all)
REFUSED = {
    "no-certificate": (lambda pki: {}, "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
    "certificate-without-key": (lambda pki: _client_env(pki.client, key=False), "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
    "certificate-of-another-ca": (lambda pki: _client_env(pki.foreign), "CERTIFICATE_VERIFY_FAILED"),
    "encrypted-key-without-passphrase": (lambda pki: _client_env(pki.client_enc), None),
    "encrypted-key-wrong-passphrase": (lambda pki: _client_env(pki.client_enc, "not it"), None),
}


@pytest.mark.parametrize("case", REFUSED)
def test_mtls_endpoint_never_hands_a_request_to_the_handler_without_a_valid_client_certificate(
        claude, pki, mtls_fake, case):
    make_env, error = REFUSED[case]
    result = claude(case, mtls_fake.url, NODE_EXTRA_CA_CERTS=str(pki.ca.file), **make_env(pki))

    assert mtls_fake.received() == [], seen(mtls_fake, result)
    assert FAKE_REPLY not in result.stdout
    if error is None:
        # The key cannot be decrypted: no handshake at all (the client says "Can't reach the API server").
        assert mtls_fake.tls_handshakes() == [], seen(mtls_fake, result)
    else:
        assert_never_reached_the_handler(mtls_fake, result, error)


# -- the role: <role>_network ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    base = tmp_path_factory.mktemp("ansible-network")
    return base, playbook_runner(base, PLAYBOOK)


@pytest.fixture
def play(runner):
    """play(vars, *args) -> CompletedProcess of ansible-playbook (--diff) with the litellm role."""
    return runner[1]


def role_vars(config_dir: Path, base_url: str, network: dict | None = None, **extra) -> dict:
    return {"litellm_base_url": base_url, "litellm_route": "unified", "litellm_users": ["root"],
            "litellm_config_dir": str(config_dir), "litellm_auth": "static", "litellm_static_keys": {"root": E2E_KEY},
            "litellm_network": network or {}, **extra}


def out(proc) -> str:
    return proc.stdout + proc.stderr


def settings_env(config_dir: Path) -> dict:
    return json.loads((config_dir / "settings.json").read_text()).get("env", {})


def deployed(claude_bin, tmp_path, config_dir):
    """The client with nothing but what the role wrote."""
    return run_claude_in(claude_bin, tmp_path / "home", config_dir)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_file_env(env: dict, name: str, config_dir: Path, content: str, file_mode: int | None = None) -> Path:
    """env[name] names a file in the account's Claude Code folder holding ``content``."""
    assert name in env, f"{name} not written; env: {sorted(env)}"
    path = Path(env[name])
    assert path.is_absolute(), f"{name}={env[name]}: the client resolves a relative path against its working directory"
    assert path.resolve().is_relative_to(config_dir.resolve()), f"{name}={path}: not in {config_dir}"
    assert path.read_text().strip() == content.strip(), f"{name}={path}: not the given PEM"
    if file_mode is not None:
        assert mode(path) == file_mode, f"{path}: mode {oct(mode(path))}, expected {oct(file_mode)}"
    return path


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_role_proxy_carries_the_client_through_the_proxy_and_no_proxy_endpoint_takes_it_around(
        play, claude_bin, pki, https_fake, http_fake, auth_proxy, tmp_path, scheme):
    fake = https_fake if scheme == "https" else http_fake
    config_dir = tmp_path / "claude"
    network = {"proxy": auth_proxy.url, "no_proxy": ["example.com"]}
    if scheme == "https":
        network["ca_bundle"] = pki.ca.pem

    proc = play(role_vars(config_dir, fake.url, network))
    assert proc.returncode == 0, out(proc)
    env = settings_env(config_dir)
    assert env.get("HTTPS_PROXY") == env.get("HTTP_PROXY") == auth_proxy.url, env
    assert env.get("NO_PROXY") == "example.com", env
    assert mode(config_dir / "settings.json") == 0o600, "the proxy URL carries a password"
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_reached(fake, result, auth_proxy)
    passed = auth_proxy.passed(fake.hostport)
    assert passed and all(r.credentials == f"{PROXY_USER}:{PROXY_PASSWORD}" for r in passed), \
        seen(fake, result, auth_proxy)
    assert {r.method for r in passed} == ({"CONNECT"} if scheme == "https" else {"POST"})

    # no_proxy_endpoint: the endpoint's host joins NO_PROXY; the client goes straight to it.
    fake.clear()
    auth_proxy.clear()
    proc = play(role_vars(config_dir, fake.url, {**network, "no_proxy_endpoint": True}))
    assert proc.returncode == 0, out(proc)
    env = settings_env(config_dir)
    assert env.get("NO_PROXY", "").split(",") == ["example.com", "127.0.0.1"], env
    assert env.get("HTTPS_PROXY") == auth_proxy.url, "the proxy stays for every other host"
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_reached(fake, result, auth_proxy)
    assert auth_proxy.received() == [], seen(fake, result, auth_proxy)

    # Without the proxy options (a mapping that still names the network), the role
    # takes them off again.
    proc = play(role_vars(config_dir, fake.url, {"ca_bundle": pki.ca.pem} if scheme == "https" else {"proxy": None}))
    assert proc.returncode == 0, out(proc)
    env = settings_env(config_dir)
    assert not {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"} & set(env), env


def test_role_ca_bundle_makes_the_client_trust_the_private_ca(play, claude_bin, pki, https_fake, tmp_path):
    config_dir = tmp_path / "claude"
    proc = play(role_vars(config_dir, https_fake.url))
    assert proc.returncode == 0, out(proc)
    assert "NODE_EXTRA_CA_CERTS" not in settings_env(config_dir)
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_never_reached_the_handler(https_fake, result)

    https_fake.clear()
    variables = role_vars(config_dir, https_fake.url, {"ca_bundle": pki.ca.pem})
    proc = play(variables)
    assert proc.returncode == 0, out(proc)
    bundle = assert_file_env(settings_env(config_dir), "NODE_EXTRA_CA_CERTS", config_dir, pki.ca.pem)
    assert mode(bundle) & 0o600 == 0o600
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_reached(https_fake, result)

    again = play(variables)
    assert again.returncode == 0 and recap(again)["changed"] == 0, out(again)

    # Taken off (a network mapping without a bundle: the role's default, {}, leaves the network settings alone): the
    # variable and the file go, and the client no longer trusts the CA.
    https_fake.clear()
    proc = play(role_vars(config_dir, https_fake.url, {"ca_bundle": None}))
    assert proc.returncode == 0, out(proc)
    assert "NODE_EXTRA_CA_CERTS" not in settings_env(config_dir)
    assert not bundle.exists()
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_never_reached_the_handler(https_fake, result)


def test_role_client_certificate_gets_the_client_through_mtls_and_rotates_in_place(
        play, claude_bin, pki, mtls_fake, tmp_path):
    config_dir = tmp_path / "claude"
    proc = play(role_vars(config_dir, mtls_fake.url, {"ca_bundle": pki.ca.pem}))
    assert proc.returncode == 0, out(proc)
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_never_reached_the_handler(mtls_fake, result, "PEER_DID_NOT_RETURN_A_CERTIFICATE")

    mtls_fake.clear()
    network = {"ca_bundle": pki.ca.pem, "client_cert": pki.client.cert_pem, "client_key": pki.client.key_pem}
    proc = play(role_vars(config_dir, mtls_fake.url, network))
    assert proc.returncode == 0, out(proc)
    assert pki.client.key_pem.splitlines()[1] not in out(proc), "the private key is a secret"
    env = settings_env(config_dir)
    cert = assert_file_env(env, "CLAUDE_CODE_CLIENT_CERT", config_dir, pki.client.cert_pem)
    key = assert_file_env(env, "CLAUDE_CODE_CLIENT_KEY", config_dir, pki.client.key_pem, 0o600)
    assert "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE" not in env
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_reached(mtls_fake, result)
    assert {s.client_cn for s in mtls_fake.tls_handshakes()} == {"fleetcfg-e2e-client"}

    # Rotation to a new certificate with an encrypted key: the same paths, the new pair, the passphrase.
    mtls_fake.clear()
    network = {"ca_bundle": pki.ca.pem, "client_cert": pki.rotated.cert_pem, "client_key": pki.rotated.key_pem,
               "client_key_passphrase": PASSPHRASE}
    proc = play(role_vars(config_dir, mtls_fake.url, network))
    assert proc.returncode == 0, out(proc)
    assert PASSPHRASE not in out(proc)
    env = settings_env(config_dir)
    assert (env.get("CLAUDE_CODE_CLIENT_CERT"), env.get("CLAUDE_CODE_CLIENT_KEY")) == (str(cert), str(key)), env
    assert_file_env(env, "CLAUDE_CODE_CLIENT_CERT", config_dir, pki.rotated.cert_pem)
    assert_file_env(env, "CLAUDE_CODE_CLIENT_KEY", config_dir, pki.rotated.key_pem, 0o600)
    assert env.get("CLAUDE_CODE_CLIENT_KEY_PASSPHRASE") == PASSPHRASE
    old_key_line = pki.client.key_pem.splitlines()[1]
    left = [p for p in config_dir.rglob("*") if p.is_file() and old_key_line in p.read_text(errors="replace")]
    assert left == [], f"the old private key is still on disk: {left}"
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_reached(mtls_fake, result)
    assert {s.client_cn for s in mtls_fake.tls_handshakes()} == {"fleetcfg-e2e-rotated"}

    again = play(role_vars(config_dir, mtls_fake.url, network))
    assert again.returncode == 0 and recap(again)["changed"] == 0, out(again)


def _secret_values(pki) -> dict[str, str]:
    """What must not leak, by value: the proxy password (encoded and decoded share the core), the passphrase, the
    OTLP token, a line of each private key's body."""
    return {"proxy password": PROXY_SECRET_CORE, "key passphrase": PASSPHRASE, "OTLP token": OTLP_TOKEN,
            "client key": pki.client_enc.key_pem.splitlines()[1], "rotated key": pki.rotated.key_pem.splitlines()[1]}


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def _readable_by_others(root: Path, secrets: dict[str, str], skip=()) -> list[str]:
    """Files under ``root`` holding a secret that an account other than the owner could read (group or other read)."""
    found = []
    for folder, _dirs, files in os.walk(root):  # does not follow symlinks; the version folders are in the tree
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or any(path.match(pattern) for pattern in skip):
                continue
            text = path.read_bytes().decode(errors="replace")
            names = _leaks(text, secrets)
            if names and mode(path) & 0o044:
                found.append(f"{path} ({oct(mode(path))}): {', '.join(names)}")
    return found


def test_role_secrets_appear_in_no_output_and_no_file_other_accounts_can_read(play, runner, claude_bin, pki,
                                                                              mtls_fake, auth_proxy, tmp_path):
    config_dir = tmp_path / "claude"
    secrets = _secret_values(pki)
    network = {"proxy": auth_proxy.url, "ca_bundle": pki.ca.pem, "client_cert": pki.client_enc.cert_pem,
               "client_key": pki.client_enc.key_pem, "client_key_passphrase": PASSPHRASE}
    extra = {"litellm_env": {"OTEL_EXPORTER_OTLP_HEADERS": OTLP_HEADERS, "CLAUDE_CODE_ENABLE_TELEMETRY": "1"}}
    variables = role_vars(config_dir, mtls_fake.url, network, **extra)

    checked = play(variables, "-vvv", "--check")
    assert checked.returncode == 0, out(checked)
    assert _leaks(out(checked), secrets) == [], "check mode at -vvv --diff shows a secret"
    assert not (config_dir / "settings.json").exists()

    proc = play(variables, "-vvv")
    assert proc.returncode == 0, out(proc)
    assert _leaks(out(proc), secrets) == [], "-vvv --diff shows a secret"
    env = settings_env(config_dir)
    # The secrets were written (so the scans below look at something), where the client reads them.
    assert env["OTEL_EXPORTER_OTLP_HEADERS"] == OTLP_HEADERS and env["HTTPS_PROXY"] == auth_proxy.url
    assert env["CLAUDE_CODE_CLIENT_KEY_PASSPHRASE"] == PASSPHRASE
    assert mode(config_dir / "settings.json") == 0o600
    assert _readable_by_others(config_dir, secrets) == []
    base = runner[0]
    assert _readable_by_others(base, secrets, skip=("vars-*.json",)) == [], "ansible left a secret readable"

    # Everything together works: through the proxy with its password, the CA, the encrypted key.
    result = deployed(claude_bin, tmp_path, config_dir)
    assert_reached(mtls_fake, result, auth_proxy)
    assert auth_proxy.passed(mtls_fake.hostport), seen(mtls_fake, result, auth_proxy)
    assert {s.client_cn for s in mtls_fake.tls_handshakes()} == {"fleetcfg-e2e-client"}

    # A changed secret shows as a change, without either value.
    new_token = "otlp-Rotated-0a1b2c3d"
    changed = {**variables, "litellm_env": {**extra["litellm_env"],
                                            "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {new_token}"}}
    proc = play(changed, "-vvv")
    assert proc.returncode == 0 and recap(proc)["changed"] == 1, out(proc)
    assert _leaks(out(proc), {**secrets, "new OTLP token": new_token}) == [], "the diff of a changed secret shows it"
    assert settings_env(config_dir)["OTEL_EXPORTER_OTLP_HEADERS"] == f"Authorization=Bearer {new_token}"
    diff = {line[0]: line[1:].strip() for line in proc.stdout.splitlines()
            if line[:1] in "-+" and '"OTEL_EXPORTER_OTLP_HEADERS"' in line}
    assert set(diff) == {"-", "+"} and diff["-"] != diff["+"], f"the diff does not show the secret changed: {diff}"
