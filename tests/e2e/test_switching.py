"""Clean switching between the providers of the collection, proved with the real Claude Code client.

For every ordered pair of bedrock, vertex and litellm, and for the newer providers foundry (Microsoft Foundry) and
anthropic_aws (Claude Platform on AWS) with their nearest neighbours (foundry <-> bedrock, anthropic_aws <-> foundry,
anthropic_aws <-> bedrock, which share AWS_REGION and awsAuthRefresh, and litellm -> foundry, whose model names both
look like anything), the first one is configured, then the second, on the same accounts: root with a config_dir under
tmp_path and, as root, a real second account (useradd) with its default ~/.claude, both in one ansible-playbook run
(two inventory hosts, both local; each host configures one account).
Each account's file holds keys of its own beforehand. After the second run:

- the file is exactly the user's own keys plus what the second provider writes (no env key, pointer key or model
  value of the first is left), and no helper file of any provider is left on disk;
- the real client reaches the SECOND provider's local fake with the second provider's credential, and nothing
  reaches the first provider's fake.

The first provider uses a helper-based auth mode (bedrock sso, vertex adc, litellm helper, anthropic_aws sso), so there
are files to remove, or a key in the file (foundry api_key); the second one a mode the client can use offline (the
gateway modes of bedrock, vertex, foundry and anthropic_aws, litellm's unified route with a static key, against a
FakeAnthropic: the real proxy is proved in test_litellm.py).

Plus ``<role>_state: absent`` (exactly the user's own document is left), and ``<role>_remove_users`` (an account taken
off keeps only its own keys and loses its key file; the other one still works).
"""

from __future__ import annotations

import itertools
import json
import os
import pwd
import shutil
import stat
from pathlib import Path

import pytest

from e2e_support import E2E_DIR, create_accounts, delete_accounts, playbook_runner, recap, run_claude_in
from fake_anthropic import FakeAnthropic, FakeAnthropicAws, FakeFoundry
from fake_bedrock import FakeBedrock
from fake_vertex import FakeVertex

PROVIDERS = ("bedrock", "vertex", "litellm")
NEWER = ("foundry", "anthropic_aws")
ALL_PROVIDERS = PROVIDERS + NEWER
SWITCHES = list(itertools.permutations(PROVIDERS, 2)) + [
    ("foundry", "bedrock"), ("bedrock", "foundry"), ("anthropic_aws", "foundry"), ("foundry", "anthropic_aws"),
    ("bedrock", "anthropic_aws"), ("anthropic_aws", "bedrock"), ("litellm", "foundry")]
ROOT = os.geteuid() == 0
ME = pwd.getpwuid(os.geteuid()).pw_name

REGION = "eu-west-3"
B_HAIKU = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
B_SONNET = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
PROJECT = "fleetcfg-switch-42"
V_HAIKU = "claude-haiku-4-5@20251001"
V_SONNET = "claude-sonnet-4-5@20250929"
GW_MODELS = ["gw-opus", "gw-sonnet", "gw-haiku"]
STATIC_KEY = "sk-fleetcfg-switch-static-7777"
F_SONNET, F_HAIKU = "fleet-sonnet-deployment", "fleet-haiku-deployment"  # Foundry deployment names
F_KEY = "foundry-key-fleetcfg-switch-8888"
WORKSPACE = "wrkspc_01fleetcfgswitch"
A_REGION = "us-east-1"  # Claude Platform on AWS's region: not bedrock's, so a left-over AWS_REGION shows
A_SONNET, A_HAIKU = "claude-sonnet-4-5-20250929", "claude-haiku-4-5"
A_OPUS = "claude-opus-4-5"  # the client's default class there is opus (test_client_contract.py): pinned too

# What a user had in the file before any role ran: every one of these must survive every run, exactly.
USER_DOC = {
    "permissions": {"allow": ["Bash(ls:*)"], "deny": ["Read(./.env)"]},
    "theme": "dark",
    "env": {"MY_TEAM_VAR": "kept", "DISABLE_TELEMETRY": "1"},
}

# Helper files (relative to the account's Claude Code folder) and the key pointing at each.
HELPERS = {
    "bedrock": ("bin/bedrock-aws-auth-refresh", "awsAuthRefresh"),
    "vertex": ("bin/vertex-gcp-auth-refresh", "gcpAuthRefresh"),
    "litellm": ("bin/litellm-key-helper", "apiKeyHelper"),
    "anthropic_aws": ("bin/anthropic-aws-auth-refresh", "awsAuthRefresh"),
    "foundry": None,  # its first configuration is an API key in the settings file
}
POINTERS = ("awsAuthRefresh", "awsCredentialExport", "gcpAuthRefresh", "apiKeyHelper")


# -- the providers: a helper-based first configuration, a reachable second one, and what the second one writes -----

def fake_of(provider: str, reply: str):
    """A local fake of the provider that accepts no credential but the one its reachable configuration sends."""
    if provider == "bedrock":
        return FakeBedrock(auth="none", reply_text=reply)
    if provider == "vertex":
        return FakeVertex(token=None, reply_text=reply)
    if provider == "foundry":  # a gateway: the client's placeholder bearer, the team's deployments only
        return FakeFoundry(key="skip-foundry-auth", key_header="authorization", models=(F_SONNET, F_HAIKU), reply_text=reply)
    if provider == "anthropic_aws":  # a gateway: the workspace header, no credential at all
        return FakeAnthropicAws(key_header="none", workspace_id=WORKSPACE, models=(A_OPUS, A_SONNET, A_HAIKU),
                                reply_text=reply)
    return FakeAnthropic(key=STATIC_KEY, reply_text=reply)


def url_of(provider: str, fake) -> str:
    return fake.base_url if provider in ("vertex", "foundry", "anthropic_aws") else fake.url


def helper_config(provider: str, url: str) -> dict:
    """A configuration that places a helper file and a pointer key (and a model value of its own)."""
    return {
        "bedrock": {"bedrock_region": REGION, "bedrock_auth": "sso", "bedrock_profile": "fleet-sso",
                    "bedrock_base_url": url, "bedrock_models": {"haiku": B_HAIKU, "sonnet": B_SONNET, "default": B_SONNET}},
        "vertex": {"vertex_project_id": PROJECT, "vertex_auth": "adc", "vertex_base_url": url, "vertex_region": "us-east5",
                   "vertex_models": {"haiku": V_HAIKU, "sonnet": V_SONNET, "default": V_SONNET}},
        "litellm": {"litellm_base_url": url, "litellm_auth": "helper", "litellm_served_models": GW_MODELS,
                    "litellm_models": {"haiku": "gw-haiku", "sonnet": "gw-sonnet", "default": "gw-sonnet"}},
        "foundry": {"foundry_base_url": url, "foundry_auth": "api_key", "foundry_api_key": F_KEY,
                    "foundry_models": {"haiku": F_HAIKU, "sonnet": F_SONNET, "default": F_SONNET}},
        "anthropic_aws": {"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": A_REGION,
                          "anthropic_aws_auth": "sso", "anthropic_aws_profile": "fleet-sso", "anthropic_aws_base_url": url,
                          "anthropic_aws_models": {"haiku": A_HAIKU, "sonnet": A_SONNET, "default": A_SONNET}},
    }[provider]


def reachable_config(provider: str, url: str) -> tuple[dict, dict]:
    """(role variables, the document they write into an empty file) of a configuration the client uses offline."""
    if provider == "bedrock":
        return ({"bedrock_region": REGION, "bedrock_auth": "gateway", "bedrock_base_url": url,
                 "bedrock_models": {"haiku": B_HAIKU, "sonnet": B_SONNET}},
                {"env": {"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_REGION": REGION, "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1",
                         "ANTHROPIC_BEDROCK_BASE_URL": url, "ANTHROPIC_DEFAULT_HAIKU_MODEL": B_HAIKU,
                         "ANTHROPIC_DEFAULT_SONNET_MODEL": B_SONNET}})
    if provider == "vertex":
        return ({"vertex_project_id": PROJECT, "vertex_auth": "gateway", "vertex_base_url": url,
                 "vertex_region": "europe-west1", "vertex_models": {"haiku": V_HAIKU, "sonnet": V_SONNET}},
                {"env": {"CLAUDE_CODE_USE_VERTEX": "1", "ANTHROPIC_VERTEX_PROJECT_ID": PROJECT,
                         "CLOUD_ML_REGION": "europe-west1", "ANTHROPIC_VERTEX_BASE_URL": url,
                         "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1", "ANTHROPIC_DEFAULT_HAIKU_MODEL": V_HAIKU,
                         "ANTHROPIC_DEFAULT_SONNET_MODEL": V_SONNET}})
    if provider == "foundry":
        return ({"foundry_base_url": url, "foundry_auth": "gateway", "foundry_models": {"haiku": F_HAIKU, "sonnet": F_SONNET}},
                {"env": {"CLAUDE_CODE_USE_FOUNDRY": "1", "ANTHROPIC_FOUNDRY_BASE_URL": url,
                         "CLAUDE_CODE_SKIP_FOUNDRY_AUTH": "1", "ANTHROPIC_DEFAULT_HAIKU_MODEL": F_HAIKU,
                         "ANTHROPIC_DEFAULT_SONNET_MODEL": F_SONNET}})
    if provider == "anthropic_aws":
        return ({"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": REGION, "anthropic_aws_auth": "gateway",
                 "anthropic_aws_base_url": url,
                 "anthropic_aws_models": {"haiku": A_HAIKU, "sonnet": A_SONNET, "opus": A_OPUS}},
                {"env": {"CLAUDE_CODE_USE_ANTHROPIC_AWS": "1", "ANTHROPIC_AWS_WORKSPACE_ID": WORKSPACE, "AWS_REGION": REGION,
                         "ANTHROPIC_AWS_BASE_URL": url, "CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH": "1",
                         "ANTHROPIC_DEFAULT_HAIKU_MODEL": A_HAIKU, "ANTHROPIC_DEFAULT_SONNET_MODEL": A_SONNET,
                         "ANTHROPIC_DEFAULT_OPUS_MODEL": A_OPUS}})
    return ({"litellm_base_url": url, "litellm_auth": "static", "litellm_static_key": STATIC_KEY,
             "litellm_models": {"haiku": "gw-haiku", "sonnet": "gw-sonnet", "opus": "gw-opus"}},
            {"env": {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_AUTH_TOKEN": STATIC_KEY, "ANTHROPIC_DEFAULT_HAIKU_MODEL": "gw-haiku",
                     "ANTHROPIC_DEFAULT_SONNET_MODEL": "gw-sonnet", "ANTHROPIC_DEFAULT_OPUS_MODEL": "gw-opus"}})


def assert_reached(provider: str, fake, run, reply: str):
    """The client's model calls reached ``fake`` with the credential of the provider's reachable configuration."""
    got = [(r.method, r.path, r.status, r.headers.get("authorization")) for r in fake.received()]
    detail = f"received {got}\nstdout: {run.stdout}\nstderr: {run.stderr}"
    if provider == "bedrock":
        calls = [c for c in fake.invocations() if c.route.endswith("/invoke-with-response-stream")]
        assert calls and all(c.model == B_SONNET and c.status == 200 for c in calls), detail
        assert all(c.authorization is None for c in fake.received()), "a gateway holds the AWS credentials: " + detail
    elif provider == "vertex":
        calls = [p for p in fake.predictions() if p.method == "streamRawPredict"]
        assert calls and all((p.project, p.region, p.model, p.request.status) == (PROJECT, "europe-west1", V_SONNET, 200)
                             for p in calls), detail
        assert all("authorization" not in r.headers for r in fake.received()), "a gateway: no Google token: " + detail
    elif provider in ("foundry", "anthropic_aws"):
        # The fakes answer 200 only with the gateway's credential (the placeholder bearer / none) and the workspace.
        path, model = ("/anthropic/v1/messages?beta=true", F_SONNET) if provider == "foundry" else ("/v1/messages?beta=true", A_OPUS)
        calls = fake.messages()
        assert calls and len(calls) == len(fake.received()), detail
        assert all((c.path, c.status, c.body.get("model")) == (path, 200, model) for c in calls), detail
        assert all("x-api-key" not in c.headers for c in calls), detail
    else:
        calls = fake.messages()
        assert calls and all(c.credential == STATIC_KEY and c.status == 200 for c in calls), detail
        assert {c.body["model"] for c in calls} <= set(GW_MODELS), detail
    assert reply in run.stdout, detail


# -- the accounts and the runs -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plays(tmp_path_factory):
    """{provider: run(variables, *args, inventory=...)} of the provider's playbook (tests/e2e/playbooks/<name>.yml)."""
    return {name: playbook_runner(tmp_path_factory.mktemp(f"ansible-switch-{name}"), E2E_DIR / "playbooks" / f"{name}.yml")
            for name in ALL_PROVIDERS}


@pytest.fixture(scope="module")
def real_accounts():
    """Two real accounts (None without root: the tests then use the current account alone)."""
    if not ROOT or shutil.which("useradd") is None:
        yield None
        return
    names = create_accounts("fcsw", 2)
    yield names
    delete_accounts(names)


def home_of(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


class Account:
    """One account the roles configure: its Claude Code folder, and the inventory variables that select it."""

    def __init__(self, user: str, config_dir: Path, absolute: bool):
        self.user = user
        self.config_dir = config_dir
        self.absolute = absolute  # config_dir given to the role (else the account's default ~/.claude)

    @property
    def settings(self) -> Path:
        return self.config_dir / "settings.json"

    def doc(self) -> dict:
        return json.loads(self.settings.read_text())

    def files(self) -> set[str]:
        """Every file under the Claude Code folder, relative to it."""
        return {str(p.relative_to(self.config_dir)) for p in self.config_dir.rglob("*") if p.is_file() or p.is_symlink()}

    def snapshot(self) -> dict[str, bytes]:
        return {name: (self.config_dir / name).read_bytes() for name in self.files()}

    def prepare(self) -> None:
        """A fresh folder holding only the user's own file (owned by the account, 0644 as many editors leave it)."""
        pw = pwd.getpwnam(self.user)
        shutil.rmtree(self.config_dir, ignore_errors=True)
        if not self.absolute:  # a real account's home: what an earlier test left there (key files, helper caches)
            for leftover in (".config", ".cache"):
                shutil.rmtree(self.config_dir.parent / leftover, ignore_errors=True)
        self.config_dir.mkdir(parents=True)
        self.settings.write_text(json.dumps(USER_DOC, indent=2) + "\n")
        self.settings.chmod(0o644)
        if ROOT:
            os.chown(self.config_dir, pw.pw_uid, pw.pw_gid)
            os.chown(self.settings, pw.pw_uid, pw.pw_gid)

    def host_vars(self, provider: str) -> dict:
        prefix = provider + "_"
        own = {prefix + "users": [self.user]}
        if self.absolute:
            own[prefix + "config_dir"] = str(self.config_dir)
        return own


@pytest.fixture
def accounts(real_accounts, tmp_path) -> list[Account]:
    """root (or the current account) with a config_dir under tmp_path, and a real second account with its ~/.claude."""
    found = [Account(ME, tmp_path / "root-claude", absolute=True)]
    if real_accounts:
        found.append(Account(real_accounts[0], home_of(real_accounts[0]) / ".claude", absolute=False))
    for account in found:
        account.prepare()
    return found


def apply(plays, tmp_path: Path, provider: str, variables: dict, targets, *args: str):
    """One ansible-playbook run of the provider's role with ``variables``: one local inventory host per target (an
    Account, or a mapping of the host's own role variables); fails the test unless every host succeeded."""
    hosts = {}
    for i, target in enumerate(targets):
        own = target.host_vars(provider) if isinstance(target, Account) else target
        hosts["localhost" if i == 0 else f"account{i}"] = {"ansible_connection": "local", **variables, **own}
    inventory = tmp_path / f"inventory-{provider}-{len(list(tmp_path.glob('inventory-*')))}.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
    proc = plays[provider]({}, *args, inventory=("-i", str(inventory)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in hosts:
        assert recap(proc, host)["failed"] == 0, proc.stdout
    return proc


def merged(*docs: dict) -> dict:
    """The documents merged key by key (what a file holding the first, with the others merged in, would read)."""
    out: dict = {}
    for doc in docs:
        for key, value in doc.items():
            out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def assert_helper_placed(provider: str, account: Account):
    doc = account.doc()
    if HELPERS[provider] is None:  # foundry: the key is in the file
        assert doc["env"]["ANTHROPIC_FOUNDRY_API_KEY"] == F_KEY, doc
        assert stat.S_IMODE(account.settings.stat().st_mode) == 0o600
        return
    path, pointer = HELPERS[provider]
    assert (account.config_dir / path).is_file(), (account.user, sorted(account.files()))
    assert doc.get(pointer) == str(account.config_dir / path), doc


# -- every ordered pair --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second", SWITCHES, ids=[f"{a}-to-{b}" for a, b in SWITCHES])
def test_switching_leaves_nothing_of_the_first_provider(plays, claude_bin, accounts, tmp_path, first, second):
    first_reply, second_reply = f"pong from the first provider, {first}", f"pong from the second provider, {second}"
    with fake_of(first, first_reply) as old, fake_of(second, second_reply) as new:
        apply(plays, tmp_path, first, helper_config(first, url_of(first, old)), accounts)
        for account in accounts:
            assert_helper_placed(first, account)

        variables, written = reachable_config(second, url_of(second, new))
        apply(plays, tmp_path, second, variables, accounts)
        for account in accounts:
            # Exactly the user's own keys and the second provider's: no env key, pointer or model of the first.
            assert account.doc() == merged(USER_DOC, written), (account.user, account.doc())
            assert account.files() == {"settings.json"}, (account.user, sorted(account.files()))
            if "ANTHROPIC_AUTH_TOKEN" in written["env"]:
                assert stat.S_IMODE(account.settings.stat().st_mode) == 0o600, "a key in a file others can read"

        run = run_claude_in(claude_bin, tmp_path / "client-home", accounts[0].config_dir)
        assert not old.received(), [(r.method, r.path) for r in old.received()]
        assert_reached(second, new, run, second_reply)


def test_a_gateway_model_name_does_not_survive_a_switch_to_vertex(plays, claude_bin, accounts, tmp_path):
    """A gateway's model names are the team's own choice and often look like Vertex names without a date (the ones
    test_litellm.py serves do): the one litellm configured must go with litellm, or Vertex is asked for it."""
    root = accounts[0]
    gateway_model = "claude-e2e-sonnet"
    with FakeVertex(token=None, reply_text="pong from vertex") as new:
        apply(plays, tmp_path, "litellm", {"litellm_base_url": "http://127.0.0.1:9", "litellm_auth": "helper",
                                           "litellm_served_models": [gateway_model],
                                           "litellm_models": {"default": gateway_model, "sonnet": gateway_model}}, [root])
        assert root.doc()["model"] == gateway_model
        variables, written = reachable_config("vertex", new.base_url)
        apply(plays, tmp_path, "vertex", variables, [root])
        assert root.doc() == merged(USER_DOC, written), root.doc()
        run = run_claude_in(claude_bin, tmp_path / "client-home", root.config_dir)
        assert_reached("vertex", new, run, "pong from vertex")


# -- leaving: <role>_state: absent ---------------------------------------------------------------------------------

@pytest.mark.parametrize("provider", ALL_PROVIDERS)
def test_state_absent_leaves_exactly_the_users_own_document(plays, accounts, tmp_path, provider):
    variables = helper_config(provider, "http://127.0.0.1:9" + {"vertex": "/v1", "foundry": "/anthropic"}.get(provider, ""))
    apply(plays, tmp_path, provider, variables, accounts)
    for account in accounts:
        assert_helper_placed(provider, account)

    gone = dict(variables, **{provider + "_state": "absent"})
    apply(plays, tmp_path, provider, gone, accounts)
    for account in accounts:
        assert account.doc() == USER_DOC, (account.user, account.doc())
        assert account.files() == {"settings.json"}, (account.user, sorted(account.files()))
    again = apply(plays, tmp_path, provider, gone, accounts)
    assert recap(again)["changed"] == 0, again.stdout


# -- an account taken off: <role>_remove_users ---------------------------------------------------------------------

FAKE_SA_KEY = {"type": "service_account", "project_id": PROJECT, "client_email": f"cc@{PROJECT}.iam.gserviceaccount.com",
               "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n"}
LEAVER_KEY = "sk-fleetcfg-switch-leaver-3333"


def leaving_config(case: str, url: str, leaver: str, stayer: str) -> tuple[str, dict, str | None]:
    """(provider, role variables, the account's key file relative to its Claude Code folder) of a per-account key:
    the account that stays has STATIC_KEY, the one taken off LEAVER_KEY."""
    keys = {leaver: LEAVER_KEY, stayer: STATIC_KEY}
    if case == "litellm-helper":  # each account's key in ~/.config/litellm/key, read by the placed helper
        return "litellm", {"litellm_base_url": url, "litellm_auth": "helper"}, "bin/litellm-key-helper"
    if case == "litellm-static":
        return "litellm", {"litellm_base_url": url, "litellm_auth": "static", "litellm_static_keys": keys}, None
    if case == "bedrock-api_key":
        return "bedrock", {"bedrock_region": REGION, "bedrock_auth": "api_key", "bedrock_api_key": keys,
                           "bedrock_models": {"haiku": B_HAIKU}}, None
    if case == "foundry-api_key":
        return "foundry", {"foundry_base_url": url, "foundry_auth": "api_key", "foundry_api_key": keys,
                           "foundry_models": {"haiku": F_HAIKU, "sonnet": F_SONNET}}, None
    if case == "anthropic_aws-api_key":
        return "anthropic_aws", {"anthropic_aws_workspace_id": WORKSPACE, "anthropic_aws_region": A_REGION,
                                 "anthropic_aws_auth": "api_key", "anthropic_aws_api_key": keys, "anthropic_aws_base_url": url,
                                 "anthropic_aws_models": {"haiku": A_HAIKU, "sonnet": A_SONNET, "opus": A_OPUS}}, None
    return "vertex", {"vertex_project_id": PROJECT, "vertex_auth": "service_account",
                      "vertex_service_account_key": FAKE_SA_KEY}, "gcp/vertex-service-account.json"


def leaving_fake(case: str, reply: str):
    """The endpoint the account that stays reaches with STATIC_KEY (the Anthropic-shaped providers only)."""
    if case.startswith("foundry"):
        return FakeFoundry(key=STATIC_KEY, key_header="x-api-key", models=(F_SONNET, F_HAIKU), reply_text=reply)
    if case.startswith("anthropic_aws"):
        return FakeAnthropicAws(key=STATIC_KEY, key_header="x-api-key", workspace_id=WORKSPACE,
                                models=(A_OPUS, A_SONNET, A_HAIKU), reply_text=reply)
    return FakeAnthropic(key=STATIC_KEY, reply_text=reply)


@pytest.mark.parametrize("case", ["litellm-helper", "litellm-static", "bedrock-api_key", "vertex-service_account",
                                  "foundry-api_key", "anthropic_aws-api_key"])
def test_remove_users_takes_one_account_off(plays, claude_bin, real_accounts, tmp_path, case):
    """Two accounts configured on one host; one is taken off: its file keeps only its own keys and its key file goes,
    the other's files stay byte for byte (and, through a gateway, it still reaches the fake with its key)."""
    if not real_accounts:
        pytest.skip("needs root and useradd (two real accounts)")
    leaver, stayer = (Account(user, home_of(user) / ".claude", absolute=False) for user in real_accounts)
    with leaving_fake(case, "pong for the account that stays") as fake:
        provider, variables, key_file = leaving_config(case, fake.base_url, leaver.user, stayer.user)
        prefix = provider + "_"
        for account, key in ((leaver, LEAVER_KEY), (stayer, STATIC_KEY)):
            account.prepare()
            key_dir = account.config_dir.parent / ".config" / "litellm"
            key_dir.mkdir(parents=True)
            (key_dir / "key").write_text(key + "\n")
        apply(plays, tmp_path, provider, variables, [{prefix + "users": [leaver.user, stayer.user]}])
        for account in (leaver, stayer):
            assert account.doc() != USER_DOC
            if key_file:
                assert (account.config_dir / key_file).is_file(), sorted(account.files())
        kept = stayer.snapshot()

        apply(plays, tmp_path, provider, variables,
              [{prefix + "users": [stayer.user], prefix + "remove_users": [leaver.user]}])

        assert leaver.doc() == USER_DOC, ("the account taken off keeps only its own keys", leaver.doc())
        assert leaver.files() == {"settings.json"}, sorted(leaver.files())
        assert stayer.snapshot() == kept
        if provider in ("litellm", "foundry", "anthropic_aws"):
            run = run_claude_in(claude_bin, stayer.config_dir.parent, stayer.config_dir)
            calls = fake.messages()
            assert calls and len(calls) == len(fake.received()), [(r.path, r.status) for r in fake.received()]
            assert all(c.credential == STATIC_KEY and c.status == 200 for c in calls), (run.stdout, run.stderr)
            assert "pong for the account that stays" in run.stdout
