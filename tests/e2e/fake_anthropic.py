"""A small local fake of the Anthropic Messages API, for end-to-end tests of the real Claude Code client.

It records every request it receives (method, path, headers, JSON body) so a test can prove what the client
really sent, checks the credential when an expected key is configured, and answers ``POST /v1/messages``
with a short valid reply: Server-Sent Events when the request asks for ``"stream": true``, plain JSON
otherwise.

The same API behind other providers, by options of ``FakeAnthropic`` (and two small subclasses):

- ``prefix``: the root the API is served under (Microsoft Foundry: ``/anthropic``, so the model call is
  ``POST /anthropic/v1/messages``); any other path is answered 404. ``base_url`` is ``url + prefix``.
- ``key_header``: where the key must arrive: ``"x-api-key"``, ``"authorization"`` (``Bearer <key>``), ``"none"``
  (no credential at all: a gateway that holds it) or None (either header, the default).
- ``required_headers``: headers that must carry exactly these values (Claude Platform on AWS:
  ``anthropic-workspace-id``); a request without them is answered 400.
- ``models``: the model ids (Foundry: deployment names) the endpoint serves; another model is answered 404,
  as a missing deployment is. None (the default) serves any model.

``FakeFoundry`` (prefix ``/anthropic``) and ``FakeAnthropicAws`` (``workspace_id`` required in
``anthropic-workspace-id``) are those options preset.

With ``tls=`` an ``ssl.SSLContext`` (server side; fake_network.TestCA.server_context makes one, with or without
a required client certificate), the fake speaks HTTPS and records every TLS handshake in ``handshakes``: a
client that rejects the certificate, or offers no (valid) client certificate, shows up there and never reaches
the request handler.

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
import ssl
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


@dataclass
class Handshake:
    """One TLS handshake as an HTTPS fake saw it: ``error`` is OpenSSL's reason when it failed (for example
    ``TLSV1_ALERT_UNKNOWN_CA``: the client rejected the fake's certificate; ``PEER_DID_NOT_RETURN_A_CERTIFICATE``:
    no client certificate), ``client_cn`` the common name of the client certificate that was accepted."""

    ok: bool
    error: str | None = None
    client_cn: str | None = None


class _Server(ThreadingHTTPServer):
    """Quiet about clients that drop a connection (a client that gives up after a refusal resets it)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _TLSServer(_Server):
    """A server that does each TLS handshake in the request's own thread (a stalled or failing
    client never blocks the accept loop) and reports it to the fake."""

    def __init__(self, address, handler, fake, context: ssl.SSLContext):
        self.fake = fake
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.fake._handshake(Handshake(False, getattr(exc, "reason", None) or str(exc)))
            return
        try:
            cn = None
            for rdn in (conn.getpeercert() or {}).get("subject", ()):
                cn = dict(rdn).get("commonName", cn)
            self.fake._handshake(Handshake(True, None, cn))
            conn.settimeout(60)
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass


class FakeServer:
    """What every fake endpoint shares: a loopback HTTP server on a free port, in a thread, and the requests it
    received. A subclass is a dataclass with ``host``, ``port`` and ``requests`` (and optionally ``tls``, a server
    ``ssl.SSLContext``: then it serves HTTPS); it calls ``_init_server()`` from ``__post_init__``, and its
    ``handler_class`` answers the requests (with ``self.fake`` set to it)."""

    handler_class: type = None

    def _init_server(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.handshakes: list[Handshake] = []

    @property
    def tls_context(self) -> ssl.SSLContext | None:
        return getattr(self, "tls", None)

    def start(self):
        handler = type("Handler", (self.handler_class,), {"fake": self})
        if self.tls_context is None:
            self._server = _Server((self.host, self.port), handler)
        else:
            self._server = _TLSServer((self.host, self.port), handler, self, self.tls_context)
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
        return f"{'https' if self.tls_context is not None else 'http'}://{self.hostport}"

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.handshakes.clear()

    def received(self) -> list:
        with self._lock:
            return list(self.requests)

    def tls_handshakes(self) -> list[Handshake]:
        with self._lock:
            return list(self.handshakes)

    def _keep(self, rec) -> None:
        with self._lock:
            self.requests.append(rec)

    def _handshake(self, shake: Handshake) -> None:
        with self._lock:
            self.handshakes.append(shake)


@dataclass
class FakeAnthropic(FakeServer):
    """The fake endpoint. ``key=None`` accepts any credential (still recorded)."""

    key: str | None = None
    host: str = "127.0.0.1"
    port: int = 0  # 0: the OS picks a free port
    reply_text: str = DEFAULT_REPLY
    log: object = None  # a text stream: one JSON line per request (standalone mode)
    requests: list[Recorded] = field(default_factory=list)
    tls: ssl.SSLContext | None = None  # a server context: HTTPS (see the module's docstring)
    prefix: str = ""
    key_header: str | None = None
    required_headers: dict[str, str] = field(default_factory=dict)
    models: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.key_header not in KEY_HEADERS:
            raise ValueError(f"key_header: one of {KEY_HEADERS}, not {self.key_header!r}")
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise ValueError(f"prefix: a path such as /anthropic, not {self.prefix!r}")
        self._init_server()

    @property
    def base_url(self) -> str:
        """The API's root: what a settings file names as the provider's base URL."""
        return self.url + self.prefix

    def messages(self) -> list[Recorded]:
        """The ``POST <prefix>/v1/messages`` requests (the model calls), in arrival order."""
        return [r for r in self.received() if r.method == "POST" and r.route == self.prefix + "/v1/messages"]

    def accepts(self, rec: Recorded) -> bool:
        """Whether the request carries the credential this endpoint expects, where it expects it."""
        if self.key_header == "none":
            return rec.auth_scheme is None
        if self.key_header == "x-api-key":
            found = [rec.headers["x-api-key"]] if "x-api-key" in rec.headers else []
        elif self.key_header == "authorization":
            authorization = rec.headers.get("authorization", "")
            found = [authorization[len("bearer "):].strip()] if authorization.lower().startswith("bearer ") else []
        else:
            found = rec.credentials
        if self.key is None:  # any credential; with key_header, one in that header
            return self.key_header is None or bool(found)
        return self.key in found

    def _record(self, rec: Recorded) -> None:
        self._keep(rec)
        if self.log is not None:
            line = {"method": rec.method, "path": rec.path, "status": rec.status, "auth": rec.auth_scheme,
                    "headers": rec.headers, "body": rec.body}
            print(json.dumps(line), file=self.log, flush=True)


KEY_HEADERS = (None, "x-api-key", "authorization", "none")


@dataclass
class FakeFoundry(FakeAnthropic):
    """Microsoft Foundry's Anthropic endpoint: the Messages API under ``/anthropic`` of the resource
    (``ANTHROPIC_FOUNDRY_BASE_URL`` = ``base_url``); ``models`` are the resource's deployment names."""

    prefix: str = "/anthropic"


@dataclass
class FakeAnthropicAws(FakeAnthropic):
    """Claude Platform on AWS: the Messages API at the root (``ANTHROPIC_AWS_BASE_URL`` = ``base_url``), every
    request carrying ``anthropic-workspace-id: <workspace_id>``."""

    workspace_id: str = "wrkspc_fleetcfg_e2e"

    def __post_init__(self):
        self.required_headers = {"anthropic-workspace-id": self.workspace_id, **self.required_headers}
        super().__post_init__()


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
        fake = self.fake
        if not fake.accepts(rec):
            message = "a credential was sent to an endpoint that takes none" if fake.key_header == "none" \
                else f"invalid {fake.key_header or 'x-api-key'}"
            return 401, json.dumps(_error("authentication_error", message)).encode(), as_json
        for name, value in fake.required_headers.items():
            if rec.headers.get(name) != value:
                return 400, json.dumps(_error("invalid_request_error", f"missing or wrong {name} header")).encode(), as_json
        route = rec.route
        if fake.prefix:
            if not route.startswith(fake.prefix + "/"):
                return 404, json.dumps(_error("not_found_error", f"no route {rec.method} {route}")).encode(), as_json
            route = route[len(fake.prefix):]
        if rec.method == "POST" and route == "/v1/messages":
            if not isinstance(rec.body, dict):
                return 400, json.dumps(_error("invalid_request_error", "body must be a JSON object")).encode(), as_json
            model = str(rec.body.get("model", "claude-fake"))
            if fake.models is not None and model not in fake.models:
                return 404, json.dumps(_error("not_found_error", f"model: {model} (no such deployment)")).encode(), as_json
            if rec.body.get("stream") is True:
                return 200, _sse(model, fake.reply_text), "text/event-stream"
            return 200, json.dumps(_message(model, fake.reply_text)).encode(), as_json
        if rec.method == "POST" and route == "/v1/messages/count_tokens":
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
    parser.add_argument("--prefix", default="", help="root of the API, e.g. /anthropic (Microsoft Foundry)")
    parser.add_argument("--key-header", choices=["x-api-key", "authorization", "none"], default=None,
                        help="where the key must arrive (default: either header)")
    parser.add_argument("--workspace-id", default=None, help="require anthropic-workspace-id (Claude Platform on AWS)")
    args = parser.parse_args(argv)
    required = {"anthropic-workspace-id": args.workspace_id} if args.workspace_id else {}
    fake = FakeAnthropic(key=args.key, host=args.host, port=args.port, reply_text=args.reply, log=sys.stdout,
                         prefix=args.prefix, key_header=args.key_header, required_headers=required)
    fake.start()
    print(f"fake Anthropic endpoint on {fake.base_url} (ANTHROPIC_BASE_URL, ANTHROPIC_FOUNDRY_BASE_URL or "
          "ANTHROPIC_AWS_BASE_URL)", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
