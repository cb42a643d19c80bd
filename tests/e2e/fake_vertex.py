"""Local fakes of Google Vertex AI and of the Google credential endpoints, for end-to-end tests of the real client.

- ``FakeVertex``: answers ``POST /v1/projects/<p>/locations/<r>/publishers/anthropic/models/<m>:streamRawPredict``
  (and ``:rawPredict``) with the Anthropic stream events of ``fake_anthropic``; with ``token`` set it checks
  ``Authorization: Bearer <token>`` (401 otherwise). ``predictions()`` parses each model call's project, region
  and model out of its path.
- ``FakeGoogleAuth``: a GCE metadata server (``GCE_METADATA_HOST=127.0.0.1:<port>``; every answer carries
  ``Metadata-Flavor: Google`` and requests without that header are refused, as the real one does) and an OAuth2
  token endpoint (``POST /token``, the ``token_uri`` of a service account key). Both hand out ``token``.

Every request is recorded (``fake_anthropic.Recorded``): prove behaviour by what the fakes received.
Python standard library only.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import parse_qs

from fake_anthropic import DEFAULT_REPLY, FakeServer, Recorded, RecordingHandler, _error, _message, _sse

PREDICT_ROUTE = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/publishers/anthropic/models/"
    r"(?P<model>[^/:]+):(?P<method>streamRawPredict|rawPredict)$")
TOKEN_ROUTE = "/computeMetadata/v1/instance/service-accounts/default/token"


class Prediction(NamedTuple):
    project: str
    region: str
    model: str
    method: str
    request: Recorded


@dataclass
class _Server(FakeServer):
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self):
        self._init_server()

    def _record(self, rec: Recorded) -> None:
        self._keep(rec)

    def answer(self, rec: Recorded) -> tuple[int, bytes, str, dict]:
        raise NotImplementedError


@dataclass
class FakeVertex(_Server):
    """The Vertex AI endpoint; ``token=None`` accepts any request (the credential is still recorded)."""

    token: str | None = None
    reply_text: str = DEFAULT_REPLY

    @property
    def base_url(self) -> str:
        """What ANTHROPIC_VERTEX_BASE_URL names: the root the client builds ``/projects/...`` under."""
        return self.url + "/v1"

    def predictions(self) -> list[Prediction]:
        found = []
        for rec in self.received():
            match = PREDICT_ROUTE.match(rec.route)
            if rec.method == "POST" and match:
                found.append(Prediction(match["project"], match["region"], match["model"], match["method"], rec))
        return found

    def answer(self, rec):
        as_json = "application/json"
        if self.token is not None and rec.headers.get("authorization") != f"Bearer {self.token}":
            return 401, json.dumps(_error("authentication_error", "missing or wrong Google token")).encode(), as_json, {}
        match = PREDICT_ROUTE.match(rec.route)
        if rec.method == "POST" and match:
            if not isinstance(rec.body, dict):
                return 400, json.dumps(_error("invalid_request_error", "body must be a JSON object")).encode(), as_json, {}
            model = match["model"]
            if match["method"] == "streamRawPredict" or rec.body.get("stream") is True:
                return 200, _sse(model, self.reply_text), "text/event-stream", {}
            return 200, json.dumps(_message(model, self.reply_text)).encode(), as_json, {}
        return 404, json.dumps(_error("not_found_error", f"no route {rec.method} {rec.route}")).encode(), as_json, {}


@dataclass
class FakeGoogleAuth(_Server):
    """GCE metadata server and OAuth2 token endpoint, both handing out ``token``."""

    token: str = "ya29.fleetcfg-e2e-token"
    project_id: str = "fleetcfg-e2e"
    email: str = "claude@fleetcfg-e2e.iam.gserviceaccount.com"

    def metadata_requests(self) -> list[Recorded]:
        return [r for r in self.received() if r.route.startswith("/computeMetadata/")]

    def token_grants(self) -> list[Recorded]:
        """Token requests of a service account key (a signed JWT, grant type jwt-bearer)."""
        return [r for r in self.received() if r.method == "POST" and r.route == "/token"]

    def answer(self, rec):
        flavor = {"Metadata-Flavor": "Google"}
        token = json.dumps({"access_token": self.token, "expires_in": 3599, "token_type": "Bearer"}).encode()
        if rec.method == "POST" and rec.route == "/token":
            form = parse_qs(rec.raw_body.decode("utf-8", "replace"))
            if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or not form.get("assertion"):
                return 400, json.dumps({"error": "invalid_grant"}).encode(), "application/json", {}
            return 200, token, "application/json", {}
        if rec.route == "/" or rec.route.startswith("/computeMetadata/"):
            if rec.headers.get("metadata-flavor") != "Google":
                return 403, b"Missing Metadata-Flavor: Google header\n", "text/plain", flavor
            if rec.route in ("/", "/computeMetadata/v1", "/computeMetadata/v1/", "/computeMetadata/v1/instance"):
                return 200, b"", "text/plain", flavor
            if rec.route == TOKEN_ROUTE:
                return 200, token, "application/json", flavor
            if rec.route == "/computeMetadata/v1/project/project-id":
                return 200, self.project_id.encode(), "application/text", flavor
            if rec.route == "/computeMetadata/v1/instance/service-accounts/default/email":
                return 200, self.email.encode(), "application/text", flavor
            return 404, b"not found\n", "text/plain", flavor
        return 404, b"not found\n", "text/plain", {}


class _Handler(RecordingHandler):
    fake: _Server

    def _handle(self) -> None:
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
        status, payload, ctype, extra = self.fake.answer(rec)
        rec.status = status
        self.fake._record(rec)
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", "req_fake_" + uuid.uuid4().hex[:16])
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


_Server.handler_class = _Handler
