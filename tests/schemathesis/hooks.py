"""Schemathesis hooks for scripts/schemathesis.sh: the rules of the sync API that span more
than one value, which OpenAPI cannot state, applied to schema-valid (positive) requests only,
the way a well-behaved client follows them. Negative requests are sent as generated.

- An `Idempotency-Key` is one fresh value per intended change (docs/sync-api.yaml, "Writes:
  idempotency"): generated keys repeat ("0", "00"...), and a repeat with another request is
  rightly refused (422). Each positive write gets a key unique within the run.
- A `PUT` body's optional `id` must equal the path's `idp_id`.
- A `PUT` carries `If-Match` or `If-None-Match` (428 without either): one without gets
  `If-None-Match: *`, a create, which also gives the stateful phase IdPs to chain on.
- An IdP's claim mapping gives each variable one claim; extra parameters name each key once.
- An auth request names an IdP that exists, is enabled and has its secret (auth-api.yaml): the
  first positive `createAuthRequest` pushes one through the sync API (the script passes the
  backend's URL and key as ECA_SCHEMATHESIS_URL / ECA_SCHEMATHESIS_API_KEY), and every
  positive request names it.
"""

import itertools
import json
import os
import urllib.request
import uuid

import schemathesis

_keys = itertools.count(1)
_platform_idp = None


def platform_idp():
    """The id of an IdP the sign-in can use, pushed on first use."""
    global _platform_idp
    if _platform_idp is None:
        idp_id = str(uuid.uuid4())
        # Plain OAuth 2.0: starting a sign-in needs no call to the IdP (no discovery), so a
        # link the stateful phase follows redirects instead of failing to reach a made-up host.
        body = {
            "name": "Schemathesis IdP",
            "protocol": "oauth2",
            "issuer": None,
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "userinfo_endpoint": "https://idp.example/userinfo",
            "jwks_uri": None,
            "client_id": "schemathesis",
            "client_auth_method": "client_secret_basic",
            "client_secret": "schemathesis-secret",
            "scopes": ["profile"],
            "extra_params": [],
            "redirect_uris": [],
            "customer_id_claim": "sub",
            "enabled": True,
            "notes": "",
            "claim_mapping": [],
            "channel_binding": False,
            "id_token_signing_algs": [],
            "credential_expires_on": None,
        }
        request = urllib.request.Request(
            f"{os.environ['ECA_SCHEMATHESIS_URL']}/v1/workspaces/dev/idps/{idp_id}",
            data=json.dumps(body).encode(),
            method="PUT",
            headers={
                "Authorization": f"Bearer {os.environ['ECA_SCHEMATHESIS_API_KEY']}",
                "Content-Type": "application/json",
                "If-None-Match": "*",
                "Idempotency-Key": f"schemathesis-idp-{idp_id}",
            },
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201, response.status
        _platform_idp = idp_id
    return _platform_idp


def _first_per(items, key):
    seen = set()
    kept = []
    for item in items:
        if isinstance(item, dict) and item.get(key) in seen:
            continue
        if isinstance(item, dict):
            seen.add(item.get(key))
        kept.append(item)
    return kept


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if case.headers is None:
        case.headers = {}
    headers = case.headers
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = f"schemathesis-{next(_keys)}"
    if case.operation.definition.raw.get("operationId") == "createAuthRequest":
        if isinstance(case.body, dict) and "idp_id" in case.body:
            case.body["idp_id"] = platform_idp()
        return
    if case.method.upper() != "PUT":
        return
    if isinstance(case.body, dict):
        for member, key in (("claim_mapping", "variable"), ("extra_params", "key")):
            if isinstance(case.body.get(member), list):
                case.body[member] = _first_per(case.body[member], key)
    if "If-Match" not in headers and "If-None-Match" not in headers:
        headers["If-None-Match"] = "*"
    if isinstance(case.body, dict) and "id" in case.body:
        case.body["id"] = case.path_parameters["idp_id"]
