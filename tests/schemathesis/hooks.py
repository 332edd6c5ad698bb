"""Schemathesis hooks for scripts/schemathesis.sh: the rules of the sync API that span more
than one value, which OpenAPI cannot state, applied to schema-valid (positive) requests only,
the way a well-behaved client follows them. Negative requests are sent as generated.

- An `Idempotency-Key` is one fresh value per intended change (docs/sync-api.yaml, "Writes:
  idempotency"): generated keys repeat ("0", "00"...), and a repeat with another request is
  rightly refused (422). Each positive write gets a key unique within the run.
- A `PUT` body's optional `id` must equal the path's `idp_id`.
- A `PUT` carries `If-Match` or `If-None-Match` (428 without either): one without gets
  `If-None-Match: *`, a create, which also gives the stateful phase IdPs to chain on.
"""

import itertools

import schemathesis

_keys = itertools.count(1)


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
    if case.method.upper() != "PUT":
        return
    if "If-Match" not in headers and "If-None-Match" not in headers:
        headers["If-None-Match"] = "*"
    if isinstance(case.body, dict) and "id" in case.body:
        case.body["id"] = case.path_parameters["idp_id"]
