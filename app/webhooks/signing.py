"""Webhook signatures by the Standard Webhooks specification (https://www.standardwebhooks.com).

Every delivery is a `POST` of a JSON body with these headers (docs/webhooks.md):

- `webhook-id`: the delivery id (a UUID, also `delivery_id` in the body), the same on every
  retry of a delivery: keep the ids you have processed and ignore a repeat.
- `webhook-timestamp`: Unix seconds when this attempt was signed.
- `webhook-signature`: `v1,<base64 HMAC-SHA256 of f"{id}.{timestamp}.{body}">`, keyed with the
  base64-decoded part of the `whsec_...` secret shown once when the webhook was registered.
  While a rotated secret is in its grace period (WEBHOOK_SECRET_GRACE_HOURS) the header carries
  two signatures, separated by a space: the new secret's and the old one's.

Partners verify with the specification's libraries (Python `standardwebhooks`, JS
`standardwebhooks`, Go, Java, ...): `Webhook(secret).verify(body, headers)`. The signing here is
the reference library's own (`standardwebhooks.Webhook.sign`).

Secrets issued before the Standard Webhooks scheme (`whsec_` + URL-safe text, not base64) are
"legacy": their deliveries also carry the former `X-Webhook-Timestamp` / `X-Webhook-Signature`
(`v1=` hex HMAC of `f"{timestamp}.{body}"`) so that the partner's existing verifier keeps
working until it rotates its secret (`rotate_secret: true`) and moves to the library. Its
`webhook-signature` is keyed with the legacy secret's bytes: the library verifies it with
`standard_form(legacy_secret)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_HEADER = "X-Webhook-Event"
# The former scheme's headers, sent only for a legacy secret (until it is rotated).
LEGACY_ID_HEADER = "X-Webhook-Id"
LEGACY_TIMESTAMP_HEADER = "X-Webhook-Timestamp"
LEGACY_SIGNATURE_HEADER = "X-Webhook-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def is_standard(secret: str) -> bool:
    """Whether `secret` is a `whsec_` + base64 secret (else a legacy one of the former scheme)."""
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return 24 <= len(key) <= 64


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature, by the reference library. A legacy secret's key is its
    text's bytes (as in the former scheme): its Standard Webhooks form is `standard_form()`."""
    key: str | bytes = secret if is_standard(secret) else secret.encode()
    return Webhook(key).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)


def standard_form(secret: str) -> str:
    """The `whsec_` secret the libraries take for `secret` (itself unless legacy)."""
    if is_standard(secret):
        return secret
    return SECRET_PREFIX + base64.b64encode(secret.encode()).decode()


def legacy_sign(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers_for(
    keys: Sequence[str],
    delivery_id: str,
    event: str,
    body: bytes,
    *,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers of one attempt, signed with every secret in `keys` (the current one first,
    then a rotated one still in its grace period)."""
    if not keys:
        raise ValueError("no webhook secret to sign with")
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: " ".join(sign(k, delivery_id, ts, body) for k in keys),
        EVENT_HEADER: event,
        "User-Agent": "children-daxing-webhooks/2",
    }
    legacy = [k for k in keys if not is_standard(k)]
    if legacy:
        headers[LEGACY_ID_HEADER] = delivery_id
        headers[LEGACY_TIMESTAMP_HEADER] = str(ts)
        headers[LEGACY_SIGNATURE_HEADER] = legacy_sign(legacy[0], ts, body)
    return headers
