"""Offline key check for the test proxy (general_settings.custom_auth): no database needed.

The valid keys are the keys of the JSON object in $FLEETCFG_LITELLM_KEYS ({"<key>": "<user id>"}), read on
every request, so a test issues or revokes a key by rewriting that file. Every check is appended to
$FLEETCFG_LITELLM_AUTH_LOG as one JSON line (the route, the key LiteLLM extracted, whether it was accepted, and
the request's headers), so a test can prove which key and headers reached the proxy.
"""

import json
import os

from fastapi import Request
from litellm.proxy._types import ProxyErrorTypes, ProxyException, UserAPIKeyAuth


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    with open(os.environ["FLEETCFG_LITELLM_KEYS"], encoding="utf-8") as handle:
        keys = json.load(handle)
    accepted = bool(api_key) and api_key in keys
    entry = {"route": request.url.path, "key": api_key, "accepted": accepted,
             "headers": {k.lower(): v for k, v in request.headers.items()}}
    with open(os.environ["FLEETCFG_LITELLM_AUTH_LOG"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    if not accepted:
        raise ProxyException(message="fleetcfg test proxy: invalid or revoked key",
                             type=ProxyErrorTypes.auth_error, param="api_key", code=401)
    return UserAPIKeyAuth(api_key=api_key, user_id=keys[api_key])
