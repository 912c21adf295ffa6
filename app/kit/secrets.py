"""Generated credentials: agency client ids and secrets (high entropy, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets


def new_client_id() -> str:
    return "agc_" + secrets.token_hex(8)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_client_secret(secret: str) -> str:
    """A 256-bit random secret needs no slow hash; SHA-256 keeps the token endpoint fast."""
    return hashlib.sha256(secret.encode()).hexdigest()
