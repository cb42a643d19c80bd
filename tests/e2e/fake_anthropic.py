"""A small local fake of the Anthropic Messages API, for end-to-end tests of the real Claude Code client.

It records every request it receives (method, path, headers, JSON body) so a test can prove what the client
really sent, checks the credential when an expected key is configured, and answers ``POST /v1/messages``
with a short valid reply: Server-Sent Events when the request asks for ``"stream": true``, plain JSON
otherwise.

In a test::

    with FakeAnthropic(key="sk-test") as fake:
        ...                      # point ANTHROPIC_BASE_URL at fake.url, run the client
        assert fake.messages()[0].credential == "sk-test"

Standalone::

    python fake_anthropic.py --port 8089 --key sk-test     # one JSON line per request on stdout

Python standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DEFAULT_REPLY = "pong from fake"


@dataclass
class Recorded:
    """One request as the fake received it. Header names are lower-cased."""

    method: str
    path: str  # with the query string, e.g. "/v1/messages?beta=true"
    headers: dict[str, str]
    body: object = None  # parsed JSON, or None when there was no (JSON) body
    raw_body: bytes = b""
    status: int = 0  # what the fake answered

    @property
    def route(self) -> str:
        """The path without its query string."""
        return urlsplit(self.path).path

    @property
    def auth_scheme(self) -> str | None:
        """Where the credential came: "x-api-key", "bearer", "both" or None."""
        api_key = "x-api-key" in self.headers
        bearer = self.headers.get("authorization", "").lower().startswith("bearer ")
        if api_key and bearer:
            return "both"
        return "x-api-key" if api_key else "bearer" if bearer else None

    @property
    def credentials(self) -> list[str]:
        """Every credential the request carried (x-api-key first, then the bearer token)."""
        found = []
        if "x-api-key" in self.headers:
            found.append(self.headers["x-api-key"])
        authorization = self.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            found.append(authorization[len("bearer "):].strip())
        return found

    @property
    def credential(self) -> str | None:
        creds = self.credentials
        return creds[0] if creds else None


class FakeServer:
    """What every fake endpoint shares: a loopback HTTP server on a free port, in a thread, and the requests it
    received. A subclass is a dataclass with ``host``, ``port`` and ``requests``; it calls ``_init_server()``
    from ``__post_init__``, and its ``handler_class`` answers the requests (with ``self.fake`` set to it)."""

    handler_class: type = None

    def _init_server(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self):
        handler = type("Handler", (self.handler_class,), {"fake": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.hostport}"

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def received(self) -> list:
        with self._lock:
            return list(self.requests)

    def _keep(self, rec) -> None:
        with self._lock:
            self.requests.append(rec)


@dataclass
class FakeAnthropic(FakeServer):
    """The fake endpoint. ``key=None`` accepts any credential (still recorded)."""

    key: str | None = None
    host: str = "127.0.0.1"
    port: int = 0  # 0: the OS picks a free port
    reply_text: str = DEFAULT_REPLY
    log: object = None  # a text stream: one JSON line per request (standalone mode)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self):
        self._init_server()

    def messages(self) -> list[Recorded]:
        """The ``POST /v1/messages`` requests (the model calls), in arrival order."""
        return [r for r in self.received() if r.method == "POST" and r.route == "/v1/messages"]

    def _record(self, rec: Recorded) -> None:
        self._keep(rec)
        if self.log is not None:
            line = {"method": rec.method, "path": rec.path, "status": rec.status, "auth": rec.auth_scheme,
                    "headers": rec.headers, "body": rec.body}
            print(json.dumps(line), file=self.log, flush=True)


def _error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _message(model: str, text: str) -> dict:
    return {
        "id": "msg_fake_" + uuid.uuid4().hex[:20],
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def _sse(model: str, text: str) -> bytes:
    """The event sequence of one streamed text reply."""
    start = _message(model, "")
    start.update(content=[], stop_reason=None, usage={"input_tokens": 10, "output_tokens": 1})
    events = [
        ("message_start", {"type": "message_start", "message": start}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": text}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 5}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


class RecordingHandler(BaseHTTPRequestHandler):
    """Base of the fakes' request handlers: HTTP/1.1, quiet, reads a body whole (chunked or not)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()  # the empty line after the last chunk
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""


class _Handler(RecordingHandler):
    fake: FakeAnthropic  # set on the per-server subclass

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:16])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _handle(self) -> None:
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)

        status, payload, ctype = self._answer(rec)
        rec.status = status
        self.fake._record(rec)
        self._send(status, payload, ctype)

    def _answer(self, rec: Recorded) -> tuple[int, bytes, str]:
        as_json = "application/json"
        expected = self.fake.key
        if expected is not None and expected not in rec.credentials:
            return 401, json.dumps(_error("authentication_error", "invalid x-api-key")).encode(), as_json
        if rec.method == "POST" and rec.route == "/v1/messages":
            if not isinstance(rec.body, dict):
                return 400, json.dumps(_error("invalid_request_error", "body must be a JSON object")).encode(), as_json
            model = str(rec.body.get("model", "claude-fake"))
            if rec.body.get("stream") is True:
                return 200, _sse(model, self.fake.reply_text), "text/event-stream"
            return 200, json.dumps(_message(model, self.fake.reply_text)).encode(), as_json
        if rec.method == "POST" and rec.route == "/v1/messages/count_tokens":
            return 200, json.dumps({"input_tokens": 10}).encode(), as_json
        return 404, json.dumps(_error("not_found_error", f"no route {rec.method} {rec.route}")).encode(), as_json

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


FakeAnthropic.handler_class = _Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--key", default=None, help="expected credential; omit to accept any")
    parser.add_argument("--reply", default=DEFAULT_REPLY, help="text of every reply")
    args = parser.parse_args(argv)
    fake = FakeAnthropic(key=args.key, host=args.host, port=args.port, reply_text=args.reply, log=sys.stdout)
    fake.start()
    print(f"fake Anthropic endpoint on {fake.url} (ANTHROPIC_BASE_URL)", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
