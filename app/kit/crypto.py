"""Personal identifiers at rest: AES-GCM with a key ring (key ids, rotation), plus a keyed hash.

Ciphertext format (bytes): b"v1:" + key id + b":" + 12-byte nonce + ciphertext-and-tag.
The HMAC-SHA256 of the normalised value gives exact look-up and de-duplication without
decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class CryptoConfigError(ValueError):
    pass


class DecryptError(ValueError):
    pass


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    active_key_id: str
    hmac_key: bytes

    @classmethod
    def from_settings(cls, encryption_keys: str, active_key_id: str, hmac_key: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        for part in encryption_keys.split(","):
            part = part.strip()
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not kid or ":" in kid:
                raise CryptoConfigError("ENCRYPTION_KEYS entries must be kid:base64key")
            try:
                key = base64.b64decode(b64, validate=True)
            except ValueError:
                raise CryptoConfigError(f"ENCRYPTION_KEYS key {kid!r} is not base64") from None
            if len(key) != 32:
                raise CryptoConfigError(f"ENCRYPTION_KEYS key {kid!r} must be 32 bytes (AES-256)")
            keys[kid] = key
        if active_key_id not in keys:
            raise CryptoConfigError(
                f"ENCRYPTION_ACTIVE_KEY_ID {active_key_id!r} is not in the ring"
            )
        return cls(keys=keys, active_key_id=active_key_id, hmac_key=hmac_key.encode())

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> bytes:
        nonce = os.urandom(12)
        ct = AESGCM(self.keys[self.active_key_id]).encrypt(nonce, plaintext.encode(), context)
        return b"v1:" + self.active_key_id.encode() + b":" + nonce + ct

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> str:
        try:
            version, kid, rest = bytes(blob).split(b":", 2)
        except ValueError:
            raise DecryptError("malformed ciphertext") from None
        if version != b"v1":
            raise DecryptError("unknown ciphertext version")
        key = self.keys.get(kid.decode())
        if key is None:
            raise DecryptError(f"key {kid.decode()!r} is not in the ring")
        try:
            return AESGCM(key).decrypt(rest[:12], rest[12:], context).decode()
        except Exception:
            raise DecryptError("ciphertext does not authenticate") from None

    def key_id_of(self, blob: bytes) -> str:
        return bytes(blob).split(b":", 2)[1].decode()

    def needs_rotation(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self.active_key_id

    def lookup_hash(self, value: str) -> str:
        """Keyed hash (HMAC-SHA256, hex) of a normalised identifier, for exact look-up."""
        return self.lookup_digest(value).hex()

    def lookup_digest(self, value: str) -> bytes:
        """The same keyed hash as `lookup_hash`, as its 32 bytes."""
        return hmac.new(self.hmac_key, value.strip().upper().encode(), hashlib.sha256).digest()


def new_key() -> str:
    """A fresh base64 AES-256 key for ENCRYPTION_KEYS."""
    return base64.b64encode(os.urandom(32)).decode()
