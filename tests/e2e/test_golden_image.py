"""playbooks/golden_image.yml, proven on a real minimal Debian root filesystem with the real Claude Code client.

The image: Debian bookworm, ``debootstrap --variant=minbase`` from the Debian mirror, built once by
build-debian-root.sh and cached as a tarball; each test extracts a fresh copy into its own temporary folder, so no test
dirties the cache. The image is reached the way image builders reach one: its own sshd, started inside it (Packer's
ansible provisioner connects over SSH). sshd runs chrooted into the copy inside a private mount namespace
(``unshare -m``), in which proc, dev and sys are mounted into the root and the pinned client binary is bind-mounted as
/usr/local/bin/claude; the mounts vanish with the namespace. The chroot shares the host's network, so the client inside
reaches a fake endpoint on the host's 127.0.0.1.

After the playbook, an account is created as an image's first boot or a directory login would create it
(``useradd -m``), and the client runs as that account (``su - dev1``: its login environment, nothing else) against a
fake Anthropic endpoint behind the provider litellm, whose key helper the managed settings point at. What the fake
received proves the setup: the route, the model the managed settings pin, and the account's own key.

Without debootstrap or a reachable Debian mirror these tests fail (saying so); they are not skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from e2e_support import CLAUDE_TIMEOUT, E2E_DIR, REPO_ROOT, TIMINGS, failure_message, playbook_runner, recap
from fake_anthropic import FakeAnthropic

PLAYBOOK = REPO_ROOT / "playbooks" / "golden_image.yml"
BUILD_TIMEOUT = 1200
DEV1_KEY = "sk-litellm-dev1-7777"
REPLY = "pong from the golden image"
SERVED = ["claude-e2e-sonnet", "claude-e2e-haiku"]
MODELS = {"sonnet": "claude-e2e-sonnet", "haiku": "claude-e2e-haiku", "opus": "claude-e2e-sonnet", "default": "sonnet"}
USER_SETTINGS = {"permissions": {"allow": ["Bash(git status:*)"], "deny": ["Read(./.env)"]}, "cleanupPeriodDays": 30}
SKEL_FILE = "etc/skel/.claude/settings.json"
# Folders of the image where account-specific files would be, and the system folders the playbook writes.
WATCHED = ("etc", "root", "home", "usr/local", "opt", "var/lib")
IGNORED = ("etc/ssh/ssh_host_",)  # generated when the image's sshd starts, before the playbook

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chroot, mount namespaces)")


@pytest.fixture(scope="session")
def debian_root() -> Path:
    """The cached tarball of the Debian root (built on first use; a failure fails the test, saying why)."""
    start = time.monotonic()
    proc = subprocess.run([str(E2E_DIR / "build-debian-root.sh")], capture_output=True, text=True, check=False,
                          timeout=BUILD_TIMEOUT)
    TIMINGS.setdefault("build-debian-root.sh", []).append(time.monotonic() - start)
    if proc.returncode != 0:
        pytest.fail(f"build-debian-root.sh could not build the Debian root (rc {proc.returncode}):\n{proc.stderr[-4000:]}",
                    pytrace=False)
    return Path(proc.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Inside a private mount namespace: the kernel file systems and the client mounted into the copy, host keys generated
# (as a machine's first boot does), then the image's own sshd, in the foreground, on the host's loopback only.
SSHD_SCRIPT = r"""
set -eu
root=$1 port=$2 claude=$3
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
: > "$root/usr/local/bin/claude"
mount --bind -o ro "$claude" "$root/usr/local/bin/claude"
mkdir -p "$root/run/sshd"
chroot "$root" /usr/bin/ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
exec chroot "$root" /usr/sbin/sshd -D -e -p "$port" -o ListenAddress=127.0.0.1 -o UsePAM=no \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key \
  -o PermitRootLogin=prohibit-password -o AuthorizedKeysFile=/run/fleetcfg-e2e/authorized_keys
"""


class Image:
    """A fresh copy of the Debian root with its sshd running; ``ssh(command)`` runs a command in it as root."""

    def __init__(self, root: Path, work: Path, claude_bin: str):
        self.root = root
        self.work = work
        self.key = work / "id_ed25519"
        self.port = free_port()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        keys = root / "run" / "fleetcfg-e2e"
        keys.mkdir(parents=True)
        (keys / "authorized_keys").write_text(self.key.with_suffix(".pub").read_text())
        self.log = open(work / "sshd.log", "w")
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", SSHD_SCRIPT, "sh",
                                      str(root), str(self.port), claude_bin],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_for_sshd()

    def _wait_for_sshd(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        self.stop()
        pytest.fail("the image's sshd did not start:\n" + (self.work / "sshd.log").read_text(), pytrace=False)

    @property
    def ssh_args(self) -> list[str]:
        return ["-i", str(self.key), "-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"]

    def ssh(self, command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["ssh", *self.ssh_args, "root@127.0.0.1", command], capture_output=True, text=True,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)

    def inventory(self, path: Path, host_vars: dict) -> tuple[str, str]:
        """An inventory of the one host ``image``, as an image builder writes it, with the role's variables."""
        ssh = {"ansible_host": "127.0.0.1", "ansible_port": self.port, "ansible_user": "root",
               "ansible_ssh_private_key_file": str(self.key),
               "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
               "ansible_python_interpreter": "/usr/bin/python3"}
        path.write_text(json.dumps({"all": {"hosts": {"image": {**ssh, **host_vars}}}}))
        return ("-i", str(path))

    def snapshot(self) -> dict[str, tuple]:
        """Every file, folder and link below WATCHED: (type, mode, uid, gid, content hash)."""
        found = {}
        for top in WATCHED:
            for dirpath, dirs, files in os.walk(self.root / top):
                for name in dirs + files:
                    path = Path(dirpath) / name
                    rel = str(path.relative_to(self.root))
                    if rel.startswith(IGNORED):
                        continue
                    st = path.lstat()
                    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else None
                    found[rel] = (st.st_mode, st.st_uid, st.st_gid, digest)
        return found

    def chrooted(self) -> list[int]:
        """The processes running inside this copy (sshd's sessions start sessions of their own, out of its group)."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and os.readlink(entry / "root") == str(self.root):
                    found.append(int(entry.name))
            except OSError:
                continue  # gone, or a kernel thread
        return found

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Sessions kept open by ansible's persistent SSH connections: ended, so the namespace and its mounts go now.
        for pid in self.chrooted():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


@pytest.fixture
def image(debian_root, claude_bin, tmp_path):
    """A fresh copy of the cached Debian root, reachable over SSH; removed afterwards."""
    root = tmp_path / "root"
    root.mkdir()
    start = time.monotonic()
    subprocess.run(["tar", "--numeric-owner", "-xpf", str(debian_root), "-C", str(root)], check=True)
    img = Image(root, tmp_path, claude_bin)
    TIMINGS.setdefault("image copy + sshd", []).append(time.monotonic() - start)
    yield img
    img.stop()
    # The mounts lived in the sshd's own namespace, gone with it: nothing of the host is below the copy any more.
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def play(tmp_path_factory):
    return playbook_runner(tmp_path_factory.mktemp("ansible-golden-image"), PLAYBOOK)


def output(proc) -> str:
    return proc.stdout + proc.stderr


def litellm_vars(fake: FakeAnthropic) -> dict:
    """The provider role's variables, as a platform team keeps them in its inventory: no secret anywhere."""
    return {"litellm_base_url": fake.url, "litellm_models": MODELS, "litellm_served_models": SERVED,
            "litellm_auth": "helper", "litellm_helper_source": "file"}


def changed_paths(before: dict, after: dict) -> set[str]:
    return {path for path in set(before) | set(after) if before.get(path) != after.get(path)}


@needs_root
def test_an_account_created_after_the_image_was_built_uses_the_managed_provider(image, play, tmp_path):
    with FakeAnthropic(key=DEV1_KEY, reply_text=REPLY) as fake:
        inventory = image.inventory(tmp_path / "inventory.json", litellm_vars(fake))
        golden = {"golden_image_provider": "litellm", "golden_image_user_settings": USER_SETTINGS}
        pristine = image.snapshot()

        first = play(golden, inventory=inventory)
        assert first.returncode == 0, output(first)
        assert recap(first, "image")["changed"] == 2, output(first)  # the managed drop-in (with its helper), skel
        assert "WARNING" not in first.stderr, first.stderr

        # What the image got: the managed drop-in, its key helper in a system path, and the home folder template.
        built = image.snapshot()
        written = changed_paths(pristine, built)
        assert written == {"etc/claude-code", "etc/claude-code/managed-settings.d",
                           "etc/claude-code/managed-settings.d/50-litellm.json", "etc/claude-code/bin",
                           "etc/claude-code/bin/litellm-key-helper", "etc/skel/.claude", SKEL_FILE}, sorted(written)
        assert not list((image.root / "home").iterdir()), "no account-specific file: the image has no home folder yet"
        dropin = json.loads((image.root / "etc/claude-code/managed-settings.d/50-litellm.json").read_text())
        assert dropin["apiKeyHelper"].endswith("/etc/claude-code/bin/litellm-key-helper"), dropin
        assert dropin["env"]["ANTHROPIC_BASE_URL"] == fake.url, dropin
        skel = image.root / SKEL_FILE
        assert json.loads(skel.read_text()) == USER_SETTINGS
        assert (skel.stat().st_uid, oct(skel.stat().st_mode & 0o777)) == (0, "0o644")

        # A second build run changes nothing.
        again = play(golden, inventory=inventory)
        assert again.returncode == 0, output(again)
        assert recap(again, "image")["changed"] == 0, output(again)
        assert image.snapshot() == built

        # An account created later (useradd -m copies /etc/skel), whose owner puts their own key where the managed
        # helper reads it (litellm_helper_key_file, ~/.config/litellm/key) ...
        made = image.ssh("useradd -m -s /bin/bash dev1 && su - dev1 -c "
                         + shlex.quote(f"mkdir -p ~/.config/litellm && printf '%s\\n' {DEV1_KEY} > ~/.config/litellm/key"))
        assert made.returncode == 0, made.stdout + made.stderr
        home = image.root / "home" / "dev1"
        own = home / ".claude" / "settings.json"
        dev1 = own.stat().st_uid
        assert dev1 != 0 and own.stat().st_uid == dev1 and (home / ".claude").stat().st_uid == dev1
        assert json.loads(own.read_text()) == USER_SETTINGS, "dev1's settings.json is the image's /etc/skel copy"

        # ... runs the real client in its login environment, inside the image: it reaches the managed endpoint with the
        # model the managed settings pin and the account's own key, from the helper in /etc/claude-code/bin.
        client = ("cd && exec env CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_MAX_RETRIES=0 "
                  f"timeout {int(CLAUDE_TIMEOUT)} claude -p ping")
        start = time.monotonic()
        ran = image.ssh("su - dev1 -c " + shlex.quote(client), timeout=CLAUDE_TIMEOUT + 10)
        TIMINGS["claude -p"].append(time.monotonic() - start)
        calls = fake.messages()
        assert calls, (f"nothing reached the fake: {[(r.method, r.path, r.status) for r in fake.received()]}\n"
                       f"stdout: {ran.stdout}\nstderr: {ran.stderr}")
        assert all(c.route == "/v1/messages" and c.status == 200 for c in calls), [(c.path, c.status) for c in calls]
        assert all(c.credential == DEV1_KEY for c in calls), [c.auth_scheme for c in calls]
        assert {c.body["model"] for c in calls} <= set(SERVED) and calls[-1].body["model"] == "claude-e2e-sonnet", \
            [c.body["model"] for c in calls]
        assert ran.returncode == 0 and REPLY in ran.stdout, ran.stdout + ran.stderr
        # The helper cached the key in dev1's own home, nowhere shared.
        assert (home / ".cache" / "fleetcfg-litellm" / "key").stat().st_uid == dev1


# Wrong input fails on the controller: the inventory points at a port where nothing listens, and the failure is the
# input's (never "unreachable"), so the image was not touched at all.
@pytest.mark.parametrize("golden, expected", [
    ({}, "golden_image_provider: required"),
    ({"golden_image_provider": "bedrok"}, "did you mean bedrock?"),
    ({"golden_image_provider": "litellm", "litellm_scope": "user"}, "litellm_scope: 'user', but an image has no developer"),
    ({"golden_image_provider": "litellm", "golden_image_user_settings": {"env": {"ANTHROPIC_API_KEY": "sk-not-for-all"}}},
     "env.ANTHROPIC_API_KEY: a secret, refused"),
    # A managed-only key: in /etc/skel (a user file) Claude Code would ignore it.
    ({"golden_image_provider": "litellm", "golden_image_user_settings": {"allowManagedHooksOnly": True}},
     "golden_image_user_settings.allowManagedHooksOnly: applies only in managed settings"),
    ({"golden_image_provider": "litellm", "golden_image_user_setting": {}}, "did you mean golden_image_user_settings?"),
], ids=["no-provider", "unknown-provider", "user-scope", "secret-in-skel", "managed-key-in-skel", "misspelled-variable"])
def test_wrong_input_fails_before_the_image_is_touched(play, tmp_path, golden, expected):
    port = free_port()  # nothing listens there
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"image": {
        "ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "root",
        "litellm_base_url": "http://127.0.0.1:9"}}}}))
    proc = play(golden, inventory=("-i", str(inventory)))
    assert proc.returncode != 0 and "UNREACHABLE" not in proc.stdout, output(proc)
    message = failure_message(proc, "image")
    assert expected in message and "nothing was changed" in message, message
    assert "sk-not-for-all" not in output(proc)
