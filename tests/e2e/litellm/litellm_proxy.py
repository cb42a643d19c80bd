"""A real LiteLLM proxy on 127.0.0.1 for the end-to-end tests of the litellm role.

``LiteLLMProxy(litellm_bin, upstream_url, upstream_key, workdir, log_dir)`` starts ``litellm --config
proxy_config.yaml`` on a free loopback port with a master key, every model forwarding to the fake Anthropic
upstream, keys checked by fleetcfg_keys.py (no database), telemetry off and every outside host unreachable
(HTTP(S)_PROXY point at a closed local port; only 127.0.0.1 / localhost bypass it). ``start()`` waits up to
FLEETCFG_LITELLM_START_TIMEOUT seconds (default 240) for /health/liveliness; ``stop()`` ends its process group.
Its output goes to <log_dir>/litellm-proxy.log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
MASTER_KEY = "sk-fleetcfg-litellm-master-0000"
START_TIMEOUT = float(os.environ.get("FLEETCFG_LITELLM_START_TIMEOUT", "240"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiteLLMProxy:
    def __init__(self, litellm_bin: str, upstream_url: str, upstream_key: str, workdir: Path, log_dir: Path):
        self.litellm_bin = litellm_bin
        self.workdir = workdir
        self.log_path = log_dir / "litellm-proxy.log"
        self.keys_file = workdir / "keys.json"
        self.auth_log = workdir / "auth.jsonl"
        self.upstream_url = upstream_url
        self.upstream_key = upstream_key
        self.port = 0
        self.proc: subprocess.Popen | None = None
        log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- keys and what the proxy saw ------------------------------------------------------------------
    def set_keys(self, keys: dict[str, str]) -> None:
        """The valid keys ({key: user id}); effective for the next request."""
        tmp = self.keys_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(keys))
        tmp.replace(self.keys_file)

    def auth_checks(self) -> list[dict]:
        if not self.auth_log.exists():
            return []
        return [json.loads(line) for line in self.auth_log.read_text().splitlines() if line.strip()]

    def clear(self) -> None:
        self.auth_log.write_text("")

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> "LiteLLMProxy":
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in ("proxy_config.yaml", "fleetcfg_keys.py"):
            shutil.copy(HERE / name, self.workdir / name)
        self.set_keys({})
        self.clear()
        self.port = free_port()
        dead_proxy = f"http://127.0.0.1:{free_port()}"  # nothing listens there: outside hosts are unreachable
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")}
        env.update(
            HOME=str(self.workdir),
            LITELLM_MASTER_KEY=MASTER_KEY,
            FLEETCFG_UPSTREAM_URL=self.upstream_url,
            FLEETCFG_UPSTREAM_KEY=self.upstream_key,
            FLEETCFG_LITELLM_KEYS=str(self.keys_file),
            FLEETCFG_LITELLM_AUTH_LOG=str(self.auth_log),
            # Offline: the bundled model cost map, no telemetry, no proxies' update checks.
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            LITELLM_TELEMETRY="False",
            LITELLM_DONT_SHOW_FEEDBACK_BOX="true",
            DISABLE_ADMIN_UI="True",
            HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, http_proxy=dead_proxy, https_proxy=dead_proxy,
            NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 - kept open for the process
        self.proc = subprocess.Popen(
            [self.litellm_bin, "--config", str(self.workdir / "proxy_config.yaml"), "--host", "127.0.0.1",
             "--port", str(self.port), "--telemetry", "False", "--num_workers", "1"],
            cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the LiteLLM proxy exited (rc {self.proc.returncode}) during start-up; "
                                   f"log: {self.log_path}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/liveliness", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the LiteLLM proxy did not answer within {START_TIMEOUT} s; log: {self.log_path}\n"
                           f"{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
