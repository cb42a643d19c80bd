"""A small local fake of the Amazon Bedrock runtime, for end-to-end tests of the real Claude Code client.

The client (``CLAUDE_CODE_USE_BEDROCK=1``, ``ANTHROPIC_BEDROCK_BASE_URL`` pointing here) first asks
``GET /inference-profiles...`` (answered 404, which the client tolerates), then sends
``POST /model/<model id, URL-encoded>/invoke-with-response-stream``. The reply is AWS event-stream
(``application/vnd.amazon.eventstream``): one binary frame per Anthropic stream event, each frame::

    prelude:  total length (4 bytes), headers length (4 bytes), CRC32 of those 8 bytes
    headers:  :event-type=chunk, :content-type=application/json, :message-type=event
    payload:  {"bytes": base64(<Anthropic stream event JSON>)}
    CRC32 of everything before it

It records every request (method, path, headers, body) and checks the credential the test expects:

- ``auth="none"``:    no Authorization header at all (a gateway that holds the AWS credentials);
- ``auth="sigv4"``:   ``Authorization: AWS4-HMAC-SHA256 Credential=<access_key_id>/<date>/<region>/bedrock/aws4_request``
  (the scope is checked, the signature is not recomputed);
- ``auth="bearer"``:  ``Authorization: Bearer <token>`` (a Bedrock API key).

A request with another credential is answered 403, as Bedrock does. Python standard library only.

Standalone: ``python fake_bedrock.py --port 8090 --auth none`` (one JSON line per request on stdout).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import struct
import sys
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from fake_anthropic import FakeServer, RecordingHandler

DEFAULT_REPLY = "pong from fake bedrock"
INVOKE = re.compile(r"^/model/(?P<model>[^/]+)/invoke-with-response-stream$")
SIGV4 = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
                   r"(?P<service>[^/]+)/aws4_request,")


@dataclass
class Request:
    """One request as the fake received it. Header names are lower-cased."""

    method: str
    path: str  # raw, with the query string
    headers: dict[str, str]
    body: object = None
    status: int = 0

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def model(self) -> str | None:
        """The model id of an invoke request, URL-decoded (None for other routes)."""
        match = INVOKE.match(self.route)
        return unquote(match.group("model")) if match else None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def sigv4(self) -> dict[str, str] | None:
        """The credential scope of a SigV4 Authorization header: akid, date, region, service."""
        match = SIGV4.match(self.authorization or "")
        return match.groupdict() if match else None

    @property
    def bearer(self) -> str | None:
        auth = self.authorization or ""
        return auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else None


def frame(payload: bytes, headers: dict[str, str]) -> bytes:
    """One AWS event-stream message (string headers only)."""
    raw_headers = b""
    for name, value in headers.items():
        name_b, value_b = name.encode(), value.encode()
        raw_headers += struct.pack(">B", len(name_b)) + name_b + struct.pack(">BH", 7, len(value_b)) + value_b
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def parse_frames(data: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The inverse of frame(), checking both CRCs (used by the fake's own tests)."""
    out, pos = [], 0
    while pos < len(data):
        total, hlen = struct.unpack_from(">II", data, pos)
        (prelude_crc,) = struct.unpack_from(">I", data, pos + 8)
        assert prelude_crc == zlib.crc32(data[pos:pos + 8]), "prelude CRC"
        (message_crc,) = struct.unpack_from(">I", data, pos + total - 4)
        assert message_crc == zlib.crc32(data[pos:pos + total - 4]), "message CRC"
        headers, hpos = {}, pos + 12
        while hpos < pos + 12 + hlen:
            nlen = data[hpos]
            name = data[hpos + 1:hpos + 1 + nlen].decode()
            vtype, vlen = struct.unpack_from(">BH", data, hpos + 1 + nlen)
            assert vtype == 7
            start = hpos + 4 + nlen
            headers[name] = data[start:start + vlen].decode()
            hpos = start + vlen
        out.append((headers, data[pos + 12 + hlen:pos + total - 4]))
        pos += total
    return out


def stream_events(model: str, text: str) -> list[dict]:
    """The Anthropic stream events of one short text reply."""
    message = {"id": "msg_bdrk_" + uuid.uuid4().hex[:20], "type": "message", "role": "assistant", "model": model,
               "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 10, "output_tokens": 1}}
    return [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 5}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 10, "outputTokenCount": 5, "invocationLatency": 1, "firstByteLatency": 1}},
    ]


def event_stream(model: str, text: str) -> bytes:
    headers = {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    return b"".join(
        frame(json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()}).encode(), headers)
        for event in stream_events(model, text))


@dataclass
class FakeBedrock(FakeServer):
    """The fake endpoint; ``auth`` is "none", "sigv4" (with access_key_id and region) or "bearer" (with token)."""

    auth: str = "none"
    access_key_id: str | None = None
    region: str | None = None
    token: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    reply_text: str = DEFAULT_REPLY
    log: object = None
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self):
        if self.auth not in ("none", "sigv4", "bearer"):
            raise ValueError(f"auth: none, sigv4 or bearer, not {self.auth!r}")
        self._init_server()

    def invocations(self) -> list[Request]:
        """The model calls (POST /model/<id>/invoke-with-response-stream), in arrival order."""
        return [r for r in self.received() if r.method == "POST" and r.model is not None]

    def accepts(self, req: Request) -> bool:
        if self.auth == "none":
            return req.authorization is None
        if self.auth == "bearer":
            return self.token is not None and req.bearer == self.token
        scope = req.sigv4
        return (scope is not None and scope["akid"] == self.access_key_id and scope["region"] == self.region
                and scope["service"] == "bedrock")

    def _record(self, req: Request) -> None:
        self._keep(req)
        if self.log is not None:
            print(json.dumps({"method": req.method, "path": req.path, "status": req.status,
                              "headers": req.headers, "body": req.body}), file=self.log, flush=True)


class _Handler(RecordingHandler):
    fake: FakeBedrock

    def _handle(self) -> None:
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        status, payload, ctype = self._answer(req)
        req.status = status
        self.fake._record(req)
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        self.send_header("x-amzn-requestid", str(uuid.uuid4()))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _answer(self, req: Request) -> tuple[int, bytes, str]:
        as_json = "application/json"
        if req.method == "POST" and req.model is not None:
            if not self.fake.accepts(req):
                return 403, json.dumps({"message": "The security token included in the request is invalid."}).encode(), as_json
            return 200, event_stream(req.model, self.fake.reply_text), "application/vnd.amazon.eventstream"
        return 404, json.dumps({"message": f"no route {req.method} {req.route}"}).encode(), as_json

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


FakeBedrock.handler_class = _Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth", choices=["none", "sigv4", "bearer"], default="none")
    parser.add_argument("--access-key-id")
    parser.add_argument("--region")
    parser.add_argument("--token")
    args = parser.parse_args(argv)
    fake = FakeBedrock(auth=args.auth, access_key_id=args.access_key_id, region=args.region, token=args.token,
                       host=args.host, port=args.port, log=sys.stdout).start()
    print(f"fake Bedrock endpoint on {fake.url} (ANTHROPIC_BEDROCK_BASE_URL)", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
