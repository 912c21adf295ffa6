"""Envelope encryption of the documents: a random data key per object, wrapped by the key ring.

The data key (AES-256) encrypts the object; the row keeps the data key encrypted by the ring's
active key (`KeyRing.encrypt`, key id inside, context `DATA_KEY_CONTEXT`), so the store alone
reveals nothing and a key rotation rewraps 32 bytes per document, never the objects
(`python -m app.manage reencrypt`).

An object is `MAGIC` followed by segments of at most SEGMENT bytes of plaintext, each
`length (4 bytes, big-endian) | nonce (12) | AES-GCM ciphertext and tag`, whose associated data
binds the object's label, the segment's index and whether it is the last: segments cannot be
moved between objects, reordered or cut off unnoticed. Segments let a download be decrypted and
sent piece by piece.
"""

from __future__ import annotations

import base64
import os
import struct
from typing import Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.kit.crypto import DecryptError, KeyRing

MAGIC: Final = b"CDE1"
SEGMENT: Final = 1024 * 1024
DATA_KEY_CONTEXT: Final = b"document.data_key"
_NONCE: Final = 12
_HEAD: Final = 4 + _NONCE


def new_data_key() -> bytes:
    return os.urandom(32)


def wrap(ring: KeyRing, data_key: bytes) -> bytes:
    return ring.encrypt(base64.b64encode(data_key).decode(), context=DATA_KEY_CONTEXT)


def unwrap(ring: KeyRing, wrapped: bytes) -> bytes:
    return base64.b64decode(ring.decrypt(bytes(wrapped), context=DATA_KEY_CONTEXT))


def _aad(label: bytes, index: int, last: bool) -> bytes:
    return label + struct.pack(">QB", index, 1 if last else 0)


def seal(data_key: bytes, data: bytes, label: bytes) -> bytes:
    """The object's encrypted form (never the same twice: fresh nonces)."""
    aes = AESGCM(data_key)
    out = [MAGIC]
    count = max(1, -(-len(data) // SEGMENT))
    for index in range(count):
        piece = data[index * SEGMENT : (index + 1) * SEGMENT]
        nonce = os.urandom(_NONCE)
        ct = aes.encrypt(nonce, piece, _aad(label, index, index == count - 1))
        out.append(struct.pack(">I", len(ct)) + nonce + ct)
    return b"".join(out)


class Opener:
    """Decrypts an object fed in pieces of any size; `feed` returns the plaintext now complete."""

    def __init__(self, data_key: bytes, label: bytes) -> None:
        self.aes = AESGCM(data_key)
        self.label = label
        self.buffer = bytearray()
        self.index = 0
        self.started = False
        self.ended = False

    def feed(self, chunk: bytes) -> list[bytes]:
        self.buffer += chunk
        if not self.started:
            if len(self.buffer) < len(MAGIC):
                return []
            if bytes(self.buffer[: len(MAGIC)]) != MAGIC:
                raise DecryptError("not an encrypted document")
            del self.buffer[: len(MAGIC)]
            self.started = True
        out: list[bytes] = []
        while len(self.buffer) >= _HEAD:
            (length,) = struct.unpack(">I", self.buffer[:4])
            if len(self.buffer) < _HEAD + length:
                break
            if self.ended:
                raise DecryptError("data after the last segment")
            nonce = bytes(self.buffer[4:_HEAD])
            ct = bytes(self.buffer[_HEAD : _HEAD + length])
            del self.buffer[: _HEAD + length]
            out.append(self._open(nonce, ct))
        return out

    def _open(self, nonce: bytes, ct: bytes) -> bytes:
        for last in (False, True):
            try:
                piece = self.aes.decrypt(nonce, ct, _aad(self.label, self.index, last))
            except Exception:  # noqa: S112 - the other flag is tried, then refused below
                continue
            self.index += 1
            self.ended = last
            return piece
        raise DecryptError("document segment does not authenticate")

    def finish(self) -> None:
        if not self.ended or self.buffer:
            raise DecryptError("the document is cut short")


def open_sealed(data_key: bytes, blob: bytes, label: bytes) -> bytes:
    opener = Opener(data_key, label)
    pieces = opener.feed(blob)
    opener.finish()
    return b"".join(pieces)
