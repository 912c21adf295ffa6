"""Webhook signatures: HMAC-SHA256 over `f"{timestamp}.{body}"` with the client's secret.

Every delivery is a `POST` of a JSON body with these headers:

- `X-Webhook-Id`: the delivery id (a UUID, also `delivery_id` in the body). A delivery may
  arrive more than once (a retry after a lost answer): keep the ids you have processed and
  ignore a repeat.
- `X-Webhook-Timestamp`: Unix seconds when this attempt was signed.
- `X-Webhook-Signature`: `v1=` followed by the hex HMAC-SHA256 of `f"{timestamp}.{body}"`,
  keyed with the webhook secret shown once when the webhook was registered.

How a receiver verifies a delivery (Python; the same in any language)::

    import hashlib, hmac, time

    def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
        ts = headers["X-Webhook-Timestamp"]
        if abs(time.time() - int(ts)) > tolerance:      # stops replays of old deliveries
            return False
        signed = ts.encode() + b"." + body              # the raw body bytes, unparsed
        expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers["X-Webhook-Signature"])

Then de-duplicate on `X-Webhook-Id`, answer 2xx quickly (any other answer, or none within the
timeout, is retried with exponential backoff and jitter), and process the event afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
ID_HEADER = "X-Webhook-Id"
EVENT_HEADER = "X-Webhook-Event"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers_for(
    secret: str, delivery_id: str, event: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        ID_HEADER: delivery_id,
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, body),
        "User-Agent": "children-daxing-webhooks/1",
    }


def verify(
    secret: str,
    timestamp: str,
    signature: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """The receiver's check (used by the tests and offered to partners as the reference)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)
