"""AES-GCM key ring for personal identifiers: encryption, rotation, tampering, lookup hash."""

from __future__ import annotations

import base64

import pytest

from app.kit.crypto import CryptoConfigError, DecryptError, KeyRing, new_key

K1, K2 = new_key(), new_key()
ID = "11010519491231002X"


def ring(keys: str, active: str, hmac_key: str = "hmac-key-one") -> KeyRing:
    return KeyRing.from_settings(keys, active, hmac_key)


def test_encrypt_decrypt() -> None:
    r = ring(f"k1:{K1}", "k1")
    blob = r.encrypt(ID)
    assert ID.encode() not in blob
    assert blob.startswith(b"v1:k1:")
    assert r.decrypt(blob) == ID
    assert r.encrypt(ID) != blob  # a fresh nonce each time
    assert r.decrypt(r.encrypt("")) == ""
    assert r.decrypt(r.encrypt("张三 测试")) == "张三 测试"


def test_rotation_old_ciphertext_still_decrypts() -> None:
    old = ring(f"k1:{K1}", "k1")
    blob = old.encrypt(ID)
    rotated = ring(f"k1:{K1},k2:{K2}", "k2")
    assert rotated.decrypt(blob) == ID
    assert rotated.needs_rotation(blob)
    fresh = rotated.encrypt(ID)
    assert rotated.key_id_of(fresh) == "k2"
    assert not rotated.needs_rotation(fresh)
    # the old ring cannot read the new key's ciphertext
    with pytest.raises(DecryptError):
        old.decrypt(fresh)


def test_retired_key_cannot_decrypt() -> None:
    blob = ring(f"k1:{K1}", "k1").encrypt(ID)
    with pytest.raises(DecryptError):
        ring(f"k2:{K2}", "k2").decrypt(blob)


@pytest.mark.parametrize("position", [6, 10, 20, -1])
def test_tampered_ciphertext_fails(position: int) -> None:
    r = ring(f"k1:{K1}", "k1")
    blob = bytearray(r.encrypt(ID))
    blob[position] ^= 0x01
    with pytest.raises(DecryptError):
        r.decrypt(bytes(blob))


def test_key_swapped_under_the_same_id_fails() -> None:
    blob = ring(f"k1:{K1}", "k1").encrypt(ID)
    with pytest.raises(DecryptError):
        ring(f"k1:{K2}", "k1").decrypt(blob)


def test_context_binds_the_ciphertext() -> None:
    r = ring(f"k1:{K1}", "k1")
    blob = r.encrypt(ID, context=b"child:1")
    assert r.decrypt(blob, context=b"child:1") == ID
    with pytest.raises(DecryptError):
        r.decrypt(blob, context=b"child:2")


@pytest.mark.parametrize(
    "blob", [b"", b"garbage", b"v2:k1:xxxxxxxxxxxxxxxxxxxxxxxx", b"v1:k1:short"]
)
def test_malformed_ciphertext_fails_cleanly(blob: bytes) -> None:
    with pytest.raises(DecryptError):
        ring(f"k1:{K1}", "k1").decrypt(blob)


def test_lookup_hash_is_stable_and_normalises_case() -> None:
    r = ring(f"k1:{K1}", "k1")
    h = r.lookup_hash(ID)
    assert len(h) == 64
    assert r.lookup_hash(ID.lower()) == h
    assert r.lookup_hash(f"  {ID} ") == h
    # independent of the encryption keys (it survives a rotation), but keyed by the HMAC key
    assert ring(f"k1:{K1},k2:{K2}", "k2").lookup_hash(ID) == h
    assert ring(f"k1:{K1}", "k1", hmac_key="another").lookup_hash(ID) != h
    assert r.lookup_hash("110105194912310021") != h


@pytest.mark.parametrize(
    ("keys", "active"),
    [
        (f"k1:{K1}", "k2"),
        ("k1-no-colon", "k1"),
        ("k1:not base64!!", "k1"),
        ("k1:" + base64.b64encode(b"short").decode(), "k1"),
        ("", "k1"),
    ],
    # Named ids: the keys are random, and parallel workers must collect the same test names.
    ids=["unknown-active", "no-colon", "not-base64", "short-key", "empty"],
)
def test_bad_configuration_is_refused(keys: str, active: str) -> None:
    with pytest.raises(CryptoConfigError):
        ring(keys, active)
