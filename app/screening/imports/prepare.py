"""Preparing a file's rows for the database: read, validate, de-duplicate, encrypt, in chunks.

`prepare_chunks` is the CPU half of an import (no database, no event loop): it reads the file
with `table`, checks each row with `rows.validate_row`, rejects rows outside the uploader's
area and second occurrences of a child, and turns the valid rows into tuples in the order of
`ROW_COLUMNS`, then each chunk's tuples into one PostgreSQL binary `COPY` payload of
`STAGE_COLUMNS` (`encode_copy`), so the worker only passes bytes on to the staging table: no
per-row Python work there, no per-row pickling between the processes. The ID number is
encrypted and hashed here, per row (AES-GCM and HMAC take a few microseconds).

A payload lists its rows village by village (villages in code order, so towns in order too),
each row with an id for a new record made in that order (`RecordIds`): the merge inserts the
new records in the staging table's order, so a chunk's records of one village are inserted one
after another, each into the page of the `(village_code, updated_at, id)` index that the last
one went to (hot in the processor's caches), instead of the file's order, which jumps between
hundreds of villages' pages. Measured on the 1,000,000-row benchmark file's chunks (database CPU,
alternating pairs): the merge statements over rows re-ordered this way took 16.5–19.6 s
against 20.5–22.6 s in the file's order (four pairs); merging the chunks as prepared here took
a median 0.89 of the time before (eight pairs). The file's row numbers stay with the rows;
nothing else depends on the order.

It runs in the worker's process for small files, or in a child process for large ones (see
`producer`), so that parsing the next chunk overlaps with merging the previous one.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.kit.crypto import KeyRing
from app.kit.idnumber import mask
from app.screening.imports.rows import (
    SCREENED_FACTS,
    DuplicateTracker,
    RejectedRow,
    RowError,
    ValidRow,
    identity_key,
)
from app.screening.imports.rows import validate_row as _validate_row
from app.screening.imports.table import RawValue, open_table

# The columns of a staged row's tuple (`stage_tuple`), in order.
ROW_COLUMNS: Final[tuple[str, ...]] = (
    "identity_key",
    "id_number_enc",
    "id_number_masked",
    "name",
    "gender",
    "birth_date",
    *SCREENED_FACTS,
    "flagged",
    "row_number",
)
# The columns of a COPY payload (`encode_copy`): a row's, then the id it gets if it makes a new
# record (see RecordIds), added as the payload is put together.
STAGE_COLUMNS: Final[tuple[str, ...]] = (*ROW_COLUMNS, "id")
# Their PostgreSQL types (the staging table's, see `merge`), for the binary COPY format.
STAGE_TYPES: Final[tuple[str, ...]] = (
    "bytea",  # identity_key
    "bytea",  # id_number_enc
    "text",  # id_number_masked
    "text",  # name
    "text",  # gender
    "date",  # birth_date
    "text",  # hukou_code
    "text",  # village_code
    "text",  # town_code
    "date",  # residence_since
    "text",  # accompanied_by
    "date",  # father_away_since
    "date",  # mother_away_since
    "boolean",  # father_can_guard
    "boolean",  # mother_can_guard
    "text",  # guardian_name
    "text",  # guardian_phone
    "text",  # school_status
    "text",  # school_name
    "text",  # health_status
    "text",  # disability_kind
    "smallint",  # disability_grade
    "date",  # screened_on
    "text",  # stated_classification
    "text",  # classification
    "text",  # flags
    "boolean",  # flagged
    "integer",  # row_number
    "uuid",  # id
)
_VILLAGE: Final = ROW_COLUMNS.index("village_code")
# Rows per chunk (see `next_chunk_rows`): the first chunk is small, so that the merge starts
# early and the parsing of the next chunk overlaps with it; each next chunk is twice as large,
# up to `chunk_rows`, and shrinks again near the end of the file, so that the last merge (which
# nothing overlaps) is short too. Large chunks make the merge's per-chunk work small per row:
# its statistics upsert touches one row per village × classification × flag × school × age
# band present in the chunk — thousands, whatever the chunk's size. A 50,000-row chunk is
# about 22 MB as a COPY payload.
DEFAULT_CHUNK_ROWS: Final = 50_000
FIRST_CHUNK_ROWS: Final = 5_000


@dataclass(frozen=True)
class PrepareContext:
    """Everything `prepare_chunks` needs, picklable (it crosses into a child process)."""

    path: str
    villages: dict[str, str]  # village code → town code, for the whole district
    allowed_villages: frozenset[str] | None  # the uploader's area; None = the whole district
    area_name: str
    district_code: str
    today: date
    encryption_keys: str
    active_key_id: str
    hmac_key: str
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    skip_through_row: int = 0  # rows up to here were merged by an earlier attempt


def shown_value(column: str, value: RawValue) -> str:
    """A rejected cell as the error report shows it: text, at most 200 characters; an ID
    number of 18 characters masked as everywhere else (`110115********123X`)."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    if column == "id_number" and len(text) == 18:
        return mask(text)
    return text[:200]


@dataclass
class PreparedChunk:
    """One chunk's outcome: its valid rows as a binary COPY payload, error tuples and counts."""

    last_row: int
    rows: int = 0
    staged: int = 0  # valid rows in `copy_data`
    copy_data: bytes = b""
    # (row, column, reason, the rejected value as the file held it)
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)
    rejected: int = 0
    flagged: int = 0
    progress: float = 0.0


class _RandomBytes:
    """Fresh bytes of `os.urandom`, drawn 48 KiB at a time (one system call per value cost a
    sixth of the encryption; the bytes are the same kernel randomness). Not shared between
    threads: each import, and each demo load, has its own."""

    _BATCH: Final = 48 * 1024

    def __init__(self) -> None:
        self._pool = b""
        self._next = 0

    def take(self, n: int) -> bytes:
        at = self._next
        if at + n > len(self._pool):
            self._pool, at = os.urandom(self._BATCH), 0
        self._next = at + n
        return self._pool[at : at + n]


class FastCrypto:
    """`KeyRing.encrypt` and `KeyRing.lookup_digest`, byte for byte, with the per-key set-up done
    once (an AES-GCM context and a keyed HMAC state copied per value) instead of per row."""

    def __init__(self, ring: KeyRing) -> None:
        self._prefix = b"v1:" + ring.active_key_id.encode() + b":"
        self._aes = AESGCM(ring.keys[ring.active_key_id])
        self._hmac = hmac.new(ring.hmac_key, digestmod=hashlib.sha256)
        self._random = _RandomBytes()

    def _nonce(self) -> bytes:
        return self._random.take(12)

    def encrypt(self, plaintext: str) -> bytes:
        nonce = self._nonce()
        return self._prefix + nonce + self._aes.encrypt(nonce, plaintext.encode(), b"")

    def lookup_digest(self, value: str) -> bytes:
        h = self._hmac.copy()
        h.update(value.strip().upper().encode())
        return h.digest()


class RecordIds:
    """Ids for new records: UUIDv7 (RFC 9562) — 48 bits of Unix time in milliseconds, the
    version, then 74 random bits — made here, one per staged row, as its chunk's payload is put
    together (`encode_copy`).

    Ids made later sort after earlier ones, also within one millisecond (RFC 9562's monotonic
    random method: the next id of the same millisecond is the last one's 74 bits plus a random
    step of up to 2^32), so a payload's rows have ascending ids and a chunk's inserts go to the
    right edge of the primary key index (and of the `(…, updated_at, id)` indexes) instead of
    to random pages all over it, so the pages an import touches stay few and in memory: random
    v4 ids cost a 1,000,000-row import about a tenth of its database time. Made in Python, not
    by the merge (`gen_random_uuid()`): the embedded server's build reads each UUID's 16 random
    bytes by opening, reading and closing /dev/urandom, three system calls per row.

    The id thus tells when the row was prepared, to the millisecond (seconds before the
    `created_at` of the chunk that inserted it). That is acceptable for this internal row id:
    it dates the import that first recorded the child, not anything about the child; every
    reader of a record already sees its `updated_at`, which for a record never changed since is
    about that time; and the id carries no personal data and is no secret (access goes by
    jurisdiction, never by knowing an id). The random bits (a fresh 73-bit start each
    millisecond, random steps after it) keep ids hard to guess and, between two imports made at
    once, unique (the primary key would refuse a repeat, failing the chunk, which is retried
    whole). The id of a row that updates an existing record is not used.
    """

    # version 7 in bits 76–79, variant 0b10 in bits 62–63; the 74 bits `seq` around them
    _VERSION_VARIANT: Final = (0x7 << 76) | (0b10 << 62)
    _SEQ_BITS: Final = 74
    _LOW_BITS: Final = 62

    def __init__(self) -> None:
        self._random = _RandomBytes()
        self._ms = -1
        self._seq = 0

    def next(self) -> bytes:
        """The next id's 16 bytes."""
        ms = time.time_ns() // 1_000_000
        draw = int.from_bytes(self._random.take(10))
        if ms > self._ms:
            self._ms, seq = ms, draw >> 7  # 73 bits: room for the millisecond's steps
        else:
            ms, seq = self._ms, self._seq + 1 + (draw & 0xFFFFFFFF)
            if seq >> self._SEQ_BITS:  # out of room: borrow the next millisecond
                self._ms = ms = ms + 1
                seq = draw >> 7
        self._seq = seq
        high, low = seq >> self._LOW_BITS, seq & ((1 << self._LOW_BITS) - 1)
        return ((ms << 80) | (high << 64) | self._VERSION_VARIANT | low).to_bytes(16)


def stage_tuple(row: ValidRow, town_code: str, ring: KeyRing | FastCrypto) -> tuple[Any, ...]:
    """The staging tuple of a valid row (see ROW_COLUMNS)."""
    if row.id_number is not None:
        key = ring.lookup_digest(row.id_number)
        enc: bytes | None = ring.encrypt(row.id_number)
        masked: str | None = mask(row.id_number)
    else:
        enc = masked = None
        key = ring.lookup_digest("NBP|" + identity_key(row)[1])
    flags = (
        json.dumps([{"code": f.code, "message": f.message} for f in row.flags], ensure_ascii=False)
        if row.flags
        else "[]"
    )
    return (
        key,
        enc,
        masked,
        row.name,
        row.gender,
        row.birth_date,
        row.hukou_code,
        row.village_code,
        town_code,
        row.residence_since,
        row.accompanied_by,
        row.father_away_since,
        row.mother_away_since,
        row.father_can_guard,
        row.mother_can_guard,
        row.guardian_name,
        row.guardian_phone,
        row.school_status,
        row.school_name,
        row.health_status,
        row.disability_kind,
        row.disability_grade,
        row.screened_on,
        row.stated_classification,
        row.classification,
        flags,
        bool(row.flags),
        row.row_number,
    )


# PostgreSQL's binary COPY format: a signature, flags and header extension; per tuple a field
# count, then each field as its length (-1 for NULL) and bytes in the type's binary form;
# a -1 field count ends the data.
_COPY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER: Final = struct.pack("!h", -1)
_PG_EPOCH: Final = date(2000, 1, 1).toordinal()
# The columns `stage_tuple` never leaves NULL (required, or always computed).
STAGE_NOT_NULL: Final = frozenset(
    {
        "identity_key",
        "id",
        "name",
        "birth_date",
        "village_code",
        "town_code",
        "screened_on",
        "classification",
        "flags",
        "flagged",
        "row_number",
    }
)
# The columns whose values repeat from row to row (codes, vocabularies, dates, common texts):
# each value's encoded field is remembered (up to MEMO_FIELDS values per column), so a repeated
# value costs one dictionary lookup instead of its encoding.
STAGE_REPEATING: Final = frozenset({"gender", "birth_date", *SCREENED_FACTS}) - {
    "father_can_guard",
    "mother_can_guard",
    "guardian_name",
    "guardian_phone",
    "disability_grade",
}
MEMO_FIELDS: Final = 8192
# Each type's field (length, then bytes) as an expression of the non-NULL value `{v}`
# (`b` is a scratch name).
_FIELD_CODE: Final = {
    "text": "pack_i(len(b := {v}.encode())) + b",
    "bytea": "pack_i(len(b := {v})) + b",
    "uuid": "UUID_LEN + {v}",
    "date": "pack_ii(4, {v}.toordinal() - EPOCH)",
    "boolean": "(TRUE if {v} else FALSE)",
    "smallint": "pack_ih(2, {v})",
    "integer": "pack_ii(4, {v})",
}


def _remember(memo: dict[Any, bytes], value: Any, field: bytes) -> bytes:
    if len(memo) < MEMO_FIELDS:
        memo[value] = field
    return field


def _row_encoder(
    types: tuple[str, ...],
    not_null: tuple[bool, ...],
    repeating: tuple[bool, ...],
    *,
    more_fields: int = 0,
) -> Callable[[tuple[Any, ...], Any], None]:
    """A function appending one tuple in binary COPY form (one bytes object), unrolled for
    `types`: one generated expression per column, joined once (a loop dispatching on types
    costs twice as much, an append per field a third more). A column marked `not_null` is
    written without a NULL test (a None there raises AttributeError or TypeError); a column
    marked `repeating` looks its value's field up first (see STAGE_REPEATING). The tuple's
    field count includes `more_fields` fields the caller appends after it."""
    fields = [repr(struct.pack("!h", len(types) + more_fields))]
    namespace: dict[str, Any] = {}
    for i, (kind, required, repeats) in enumerate(zip(types, not_null, repeating, strict=True)):
        v = f"row[{i}]" if required else "v"
        field = _FIELD_CODE[kind].format(v=v)
        if repeats:
            namespace[f"memo{i}"] = {}
            field = f"(memo{i}.get({v}) or remember(memo{i}, {v}, {field}))"
        fields.append(field if required else f"(NULL if (v := row[{i}]) is None else {field})")
    code = (
        "def encode_row(row, app):\n    app(join((\n        " + ",\n        ".join(fields) + ")))"
    )
    namespace |= {
        "remember": _remember,
        "NULL": struct.pack("!i", -1),
        "UUID_LEN": struct.pack("!i", 16),
        "TRUE": struct.pack("!i?", 1, True),
        "FALSE": struct.pack("!i?", 1, False),
        "EPOCH": _PG_EPOCH,
        "pack_i": struct.Struct("!i").pack,
        "pack_ii": struct.Struct("!ii").pack,
        "pack_ih": struct.Struct("!ih").pack,
        "join": b"".join,
    }
    exec(code, namespace)  # noqa: S102 - code built from the constants above
    encoder: Callable[[tuple[Any, ...], Any], None] = namespace["encode_row"]
    return encoder


# a row's fields but its id (`ROW_COLUMNS`); `_payload` appends the id's field
_encode_stage_row: Final = _row_encoder(
    STAGE_TYPES[: len(ROW_COLUMNS)],
    tuple(c in STAGE_NOT_NULL for c in ROW_COLUMNS),
    tuple(c in STAGE_REPEATING for c in ROW_COLUMNS),
    more_fields=len(STAGE_COLUMNS) - len(ROW_COLUMNS),
)
_ID_FIELD_LENGTH: Final = struct.pack("!i", 16)


def _payload(by_village: dict[str, list[bytes]], ids: RecordIds) -> bytes:
    """The binary COPY payload of encoded rows (see `_encode_stage_row`), village by village
    in code order, each row followed by its new id's field: ids ascend through the payload."""
    parts = [_COPY_HEADER]
    app = parts.append
    next_id = ids.next
    for village in sorted(by_village):
        for row in by_village[village]:
            app(row)
            app(_ID_FIELD_LENGTH + next_id())
    app(_COPY_TRAILER)
    return b"".join(parts)


def encode_copy(records: Iterable[tuple[Any, ...]], ids: RecordIds | None = None) -> bytes:
    """Staged rows' tuples (see ROW_COLUMNS) as one PostgreSQL binary COPY payload of
    STAGE_COLUMNS: village by village, with ids for new records from `ids` (a new generator
    if None)."""
    by_village: dict[str, list[bytes]] = {}
    for row in records:
        _encode_stage_row(row, by_village.setdefault(row[_VILLAGE], []).append)
    return _payload(by_village, ids or RecordIds())


def next_chunk_rows(size: int, most: int, rows_read: int, progress: float) -> int:
    """The next chunk's rows: twice `size`, at most `most`, and near the end of the file (by
    `progress`, the share of it read) about half of the rows estimated to remain, but at least
    FIRST_CHUNK_ROWS (`progress` 0 means unknown; 1, that only a read-ahead buffer remains)."""
    grown = size * 2
    if progress >= 1:
        grown = FIRST_CHUNK_ROWS
    elif progress > 0:
        remaining = rows_read * (1 - progress) / progress
        grown = min(grown, max(FIRST_CHUNK_ROWS, round(remaining / 2)))
    return max(1, min(grown, most))


def prepare_chunks(ctx: PrepareContext) -> Iterator[PreparedChunk]:
    """Yield the file's rows as prepared chunks; raise NotATableError for an unreadable file.

    Rows numbered up to `ctx.skip_through_row` are still read and fed to the duplicate
    tracker (a later row may repeat one of them) but are not yielded again.

    The chunks are FIRST_CHUNK_ROWS rows, then sized by `next_chunk_rows`, up to `chunk_rows`.
    Each row is encoded as soon as it is checked (into its village's list, see `_payload`), so
    a chunk holds its payload, not its raw rows nor their tuples.
    """
    if ctx.chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    ring = FastCrypto(KeyRing.from_settings(ctx.encryption_keys, ctx.active_key_id, ctx.hmac_key))
    ids = RecordIds()
    villages = ctx.villages
    allowed = ctx.allowed_villages
    tracker = DuplicateTracker()
    skip = ctx.skip_through_row
    outside = f"该村居不在您的辖区（{ctx.area_name}）内"
    encode_row = _encode_stage_row
    size = min(FIRST_CHUNK_ROWS, ctx.chunk_rows)
    rows_read = 0
    with open_table(ctx.path) as table:
        rows = iter(table)
        trimmed = table.trimmed
        while True:
            out = PreparedChunk(last_row=0)
            by_village: dict[str, list[bytes]] = {}
            seen = staged = 0
            for number, raw in itertools.islice(rows, size):
                seen += 1
                out.last_row = number
                checked = _validate_row(
                    number,
                    raw,
                    known_villages=villages.__contains__,
                    district_code=ctx.district_code,
                    today=ctx.today,
                    trimmed=trimmed,
                )
                if isinstance(checked, ValidRow):
                    if allowed is not None and checked.village_code not in allowed:
                        checked = RejectedRow(number, [RowError(number, "village_code", outside)])
                    else:
                        checked = tracker.feed(checked)
                if number <= skip:
                    continue
                out.rows += 1
                if isinstance(checked, RejectedRow):
                    out.rejected += 1
                    out.errors.extend(
                        (e.row_number, e.column, e.reason, shown_value(e.column, raw.get(e.column)))
                        for e in checked.errors
                    )
                else:
                    if checked.flags:
                        out.flagged += 1
                    village = checked.village_code
                    encode_row(
                        stage_tuple(checked, villages[village], ring),
                        by_village.setdefault(village, []).append,
                    )
                    staged += 1
            if not seen:
                return
            rows_read += seen
            progress = table.progress()
            size = next_chunk_rows(size, ctx.chunk_rows, rows_read, progress)
            if out.last_row <= skip:
                continue
            out.staged = staged
            out.copy_data = _payload(by_village, ids)
            out.progress = progress
            yield out
