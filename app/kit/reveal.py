"""Showing a whole personal identifier to a caller whose role or mandate needs it.

Each encrypted column has its own AES-GCM context (the associated data: `b"child.id_number"`
for children, `b""` for incidents and screening records; see `app.manage.ENCRYPTED_COLUMNS`),
so a value decrypts only with the context it was written with. A value that does not decrypt
(the wrong context, a key no longer in the ring, a damaged value) is a fault of the server, not
of the caller: it is logged as an error and the request fails with 500 `identifier_unreadable`.
It is never replaced by the masked number — a silent mask hid exactly such a fault (police
referrals showed masked ID numbers because they were decrypted without the children's context).
"""

from __future__ import annotations

import logging

from app.errors import AppError
from app.kit.crypto import DecryptError, KeyRing

log = logging.getLogger(__name__)


class IdentifierUnreadable(AppError):
    status = 500
    code = "identifier_unreadable"
    title_zh = "证件号码无法解密"
    title_en = "An identifier could not be decrypted"


def reveal(ring: KeyRing, blob: bytes, *, context: bytes, column: str, record_id: object) -> str:
    """The plaintext of `blob` (of `column`, in the row `record_id`); raises if it won't decrypt."""
    try:
        return ring.decrypt(blob, context=context)
    except DecryptError as exc:
        try:
            key_id: str | None = ring.key_id_of(blob)
        except (IndexError, UnicodeDecodeError):
            key_id = None
        log.error(
            "a personal identifier does not decrypt",
            extra={
                "column": column,
                "record_id": str(record_id),
                "key_id": key_id,
                "reason": str(exc),
            },
        )
        raise IdentifierUnreadable(
            "证件号码无法解密，已记录错误，请联系系统管理员",
            "The identifier could not be decrypted; the error is logged, tell the administrator",
        ) from exc
