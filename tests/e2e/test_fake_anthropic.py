"""The fake endpoint itself (no client needed): credential check, both reply shapes, recording."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from fake_anthropic import DEFAULT_REPLY, FakeAnthropic


def post(url, body, headers):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("content-type"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type"), error.read().decode()


@pytest.fixture
def server():
    with FakeAnthropic(key="sk-good") as fake:
        yield fake


def test_wrong_or_missing_key_gets_an_anthropic_401(server):
    for headers in ({}, {"x-api-key": "sk-bad"}, {"authorization": "Bearer sk-bad"}):
        status, _ctype, body = post(server.url + "/v1/messages", {"model": "m", "messages": []}, headers)
        assert status == 401
        assert json.loads(body) == {"type": "error",
                                    "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    assert [r.status for r in server.received()] == [401, 401, 401]


@pytest.mark.parametrize("headers, scheme", [({"x-api-key": "sk-good"}, "x-api-key"),
                                             ({"authorization": "Bearer sk-good"}, "bearer")])
def test_plain_json_reply(server, headers, scheme):
    status, ctype, body = post(server.url + "/v1/messages?beta=true",
                               {"model": "claude-x", "max_tokens": 5, "messages": []}, headers)
    assert (status, ctype) == (200, "application/json")
    message = json.loads(body)
    assert message["type"] == "message" and message["model"] == "claude-x"
    assert message["content"] == [{"type": "text", "text": DEFAULT_REPLY}]
    (rec,) = server.messages()
    assert rec.route == "/v1/messages" and rec.path == "/v1/messages?beta=true"
    assert rec.auth_scheme == scheme and rec.credential == "sk-good"
    assert rec.body["model"] == "claude-x"


def test_streamed_reply_is_a_complete_event_sequence(server):
    status, ctype, body = post(server.url + "/v1/messages", {"model": "m", "stream": True, "messages": []},
                               {"x-api-key": "sk-good"})
    assert (status, ctype) == (200, "text/event-stream")
    events = []
    for block in body.strip().split("\n\n"):
        name_line, data_line = block.split("\n")
        name = name_line.removeprefix("event: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == name
        events.append(data)
    assert [e["type"] for e in events] == [
        "message_start", "content_block_start", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]
    assert events[2]["delta"] == {"type": "text_delta", "text": DEFAULT_REPLY}


def test_unknown_route_is_404_and_recorded(server):
    status, _ctype, body = post(server.url + "/v2/other", {}, {"x-api-key": "sk-good"})
    assert status == 404 and json.loads(body)["error"]["type"] == "not_found_error"
    assert server.received()[0].route == "/v2/other"
    assert server.messages() == []


# --- the options the other providers' endpoints use (Foundry, Claude Platform on AWS) --------------------------

def test_foundry_fake_serves_under_anthropic_only():
    from fake_anthropic import FakeFoundry

    with FakeFoundry(key="fk") as fake:
        assert fake.base_url == fake.url + "/anthropic"
        assert post(fake.url + "/v1/messages", {"model": "m", "messages": []}, {"x-api-key": "fk"})[0] == 404
        assert post(fake.base_url + "/v1/messages?beta=true", {"model": "m", "messages": []}, {"x-api-key": "fk"})[0] == 200
        assert [c.path for c in fake.messages()] == ["/anthropic/v1/messages?beta=true"]


@pytest.mark.parametrize("key_header, headers, status", [
    ("x-api-key", {"x-api-key": "k"}, 200),
    ("x-api-key", {"authorization": "Bearer k"}, 401),
    ("authorization", {"authorization": "Bearer k"}, 200),
    ("authorization", {"x-api-key": "k"}, 401),
    ("authorization", {"x-api-key": "other", "authorization": "Bearer k"}, 200),
    ("none", {}, 200),
    ("none", {"x-api-key": "k"}, 401),
    ("none", {"authorization": "Bearer k"}, 401),
])
def test_key_header_says_where_the_key_must_arrive(key_header, headers, status):
    with FakeAnthropic(key=None if key_header == "none" else "k", key_header=key_header) as fake:
        assert post(fake.url + "/v1/messages", {"model": "m", "messages": []}, headers)[0] == status


def test_required_headers_and_served_models():
    from fake_anthropic import FakeAnthropicAws

    with FakeAnthropicAws(key="ak", workspace_id="wrkspc_1", models=("claude-x",)) as fake:
        body = {"model": "claude-x", "messages": []}
        assert post(fake.url + "/v1/messages", body, {"x-api-key": "ak"})[0] == 400
        assert post(fake.url + "/v1/messages", body, {"x-api-key": "ak", "anthropic-workspace-id": "other"})[0] == 400
        assert post(fake.url + "/v1/messages", body, {"x-api-key": "ak", "anthropic-workspace-id": "wrkspc_1"})[0] == 200
        status, _ctype, text = post(fake.url + "/v1/messages", {"model": "claude-y", "messages": []},
                                    {"x-api-key": "ak", "anthropic-workspace-id": "wrkspc_1"})
        assert status == 404 and "claude-y" in json.loads(text)["error"]["message"]


def test_unknown_key_header_is_refused():
    with pytest.raises(ValueError):
        FakeAnthropic(key_header="x-amz")
