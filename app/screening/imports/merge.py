"""The database half of an import: COPY a prepared chunk into staging, merge it, count it.

Each chunk is one transaction: the staging COPY, the one merge statement (an `INSERT` of the
new children, an `UPDATE` of the changed ones, their history rows and the statistics deltas,
all CTEs of one statement), the rejected rows, and the import's progress row all commit
together or not at all.

Every staged row costs one probe of the identity index (the `found` CTE, in key order), which
also fetches the record of a child already recorded, to compare and keep its history; a new
child then costs its insertion. Merges take a transaction-scoped advisory lock, so that two
imports (and the daily statistics recount) apply their chunks one at a time, and only imports
write these records: the records found are then exactly those the `UPDATE` changes, and no
other transaction can insert a staged child between the probe and the insert. (A plain
insert, not `ON CONFLICT DO NOTHING`: that one's speculative insertion costs every new row an
extra WAL record, a few per cent of the merge. Should another writer ever insert a record
anyway, the unique identity index fails the chunk, which is retried whole.) A chunk never holds the same child twice (`rows.DuplicateTracker`).
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AGE_BANDS
from app.observability import current_metrics
from app.screening.imports.prepare import (
    ROW_COLUMNS,
    STAGE_COLUMNS,
    PreparedChunk,
    encode_copy,
)
from app.worker import registry

MERGE_LOCK: Final = 0x73637265656E  # "screen"
# Per merge transaction (SET LOCAL): enough for the statement's largest intermediate results
# on a 50,000-row chunk (see `merge_copy_data`) to stay in memory.
MERGE_WORK_MEM: Final = "64MB"

# Updated with the tracked ones, but derived from them (no history of their own).
_DERIVED: Final = ("town_code", "flagged")
# Fields compared to decide "changed", and kept in the history when they change: every column
# of a staged row (`prepare.ROW_COLUMNS`) but the child's identity and ID number, the derived
# ones and the file's row number.
TRACKED: Final[tuple[str, ...]] = tuple(
    c
    for c in ROW_COLUMNS
    if c not in {"identity_key", "id_number_enc", "id_number_masked", *_DERIVED, "row_number"}
)

_STAGE_DDL: Final = """
CREATE TEMP TABLE IF NOT EXISTS screening_stage (
    identity_key bytea, id uuid, id_number_enc bytea, id_number_masked text,
    name text, gender text, birth_date date, hukou_code text, village_code text,
    town_code text, residence_since date, accompanied_by text, father_away_since date,
    mother_away_since date, father_can_guard boolean, mother_can_guard boolean,
    guardian_name text, guardian_phone text, school_status text, school_name text,
    health_status text, disability_kind text, disability_grade smallint, screened_on date,
    stated_classification text, classification text, flags text, flagged boolean,
    row_number integer
) ON COMMIT DELETE ROWS
"""


# Each age band (`models.AGE_BANDS`) but the last with the age, in whole years, that ends it;
# the last one ("16+") is everyone older.
BAND_ENDS: Final = tuple(zip((3, 6, 12, 15, 16), AGE_BANDS[:-1], strict=True))


def age_band_sql(birth: str, on: str, source: str = "") -> str:
    """SQL for the age band (0-2, 3-5, 6-11, 12-14, 15, 16+) of a birth date on a day: `on`,
    an expression over `source` (a FROM clause) if given, else a constant.

    The band is found by comparing the birth date with cutoffs: K years before the day is the
    latest birth date of someone aged at least K (29 February then becomes 28 February, so a
    29 February birthday counts from 1 March, as `rows.age_on` counts). Each cutoff is a
    scalar subquery, computed once per statement (unless `on` refers to the row), so each row
    costs a few date comparisons. No day (`source` finds no row) gives no band: NULL.
    """
    src = f" FROM {source}" if source else ""

    def cutoff(k: int) -> str:
        return f"(SELECT ({on} - interval '{k} years')::date{src})"

    whens = " ".join(f"WHEN {birth} > {cutoff(k)} THEN '{band}'" for k, band in BAND_ENDS)
    oldest = BAND_ENDS[-1][0]
    return f"(CASE {whens} WHEN {birth} <= {cutoff(oldest)} THEN '{AGE_BANDS[-1]}' END)"


_STAT_COLS: Final = "village_code, town_code, classification, flagged, school_status, birth_date"


def _merge_sql() -> str:
    """The one statement that merges a staged chunk (its CTEs in three parts): the children
    found and the new ones inserted, the records found updated, then the history of what
    changed and the statistics deltas."""
    return _found_and_inserted_sql() + _updated_sql() + _history_and_counts_sql()


def _found_and_inserted_sql() -> str:
    """CTEs `found` (the staged children already recorded) and `ins` (the others, inserted)."""
    columns = [c for c in STAGE_COLUMNS if c != "row_number"]  # with the new `id`
    insert_cols = ", ".join(columns)
    select_cols = ", ".join("s.flags::jsonb" if c == "flags" else f"s.{c}" for c in columns)
    stat_cols = _STAT_COLS
    return f"""
WITH found AS MATERIALIZED (
    -- the staged children already recorded, as their records are before this statement
    -- (every part of it sees the same snapshot): one probe of the identity index per staged
    -- key, in key order (neighbouring keys share the index's pages). OFFSET 0 keeps each probe
    -- a per-key index scan: as a join, the planner (misled by the staging table's missing
    -- statistics) hashes the whole of screening_records for every chunk
    SELECT o.*
    FROM (SELECT identity_key FROM screening_stage ORDER BY identity_key OFFSET 0) k
    CROSS JOIN LATERAL (
        SELECT o.* FROM screening_records o WHERE o.identity_key = k.identity_key OFFSET 0
    ) o
),
ins AS (
    -- the children not yet recorded, in the staging table's order (`NOT IN` a hashed subplan
    -- keeps it), inserted with a plain insert: merges take turns under the lock (see the
    -- module's docstring)
    INSERT INTO screening_records AS r
        ({insert_cols}, first_import_id, last_import_id,
         created_at, updated_at, version)
    SELECT {select_cols}, :import_id, :import_id, :now, :now, 1
    FROM screening_stage s
    WHERE s.identity_key NOT IN (SELECT identity_key FROM found)
    RETURNING {", ".join(f"r.{c}" for c in stat_cols.split(", "))}
),
"""  # noqa: S608 - fixed column names, no input


def _updated_sql() -> str:
    """CTEs `old` (the records found, with their staged values) and `up` (those that changed,
    updated)."""
    # `old` carries each already recorded child's record values (o.*) and staged values (o.new_*)
    staged_cols = ", ".join(
        "s.flags::jsonb AS new_flags" if c == "flags" else f"s.{c} AS new_{c}"
        for c in (*TRACKED, *_DERIVED)
    )
    set_clause = ", ".join(f"{c} = o.new_{c}" for c in (*TRACKED, *_DERIVED))
    compare_old = ", ".join(f"o.{c}" for c in TRACKED)
    compare_new = ", ".join(f"o.new_{c}" for c in TRACKED)
    old_cols = ", ".join(f"o.{c}" for c in (*TRACKED, *_DERIVED))
    # `up` returns each changed record's values before (u.c) and after (u.new_c) the update
    returning = ", ".join(f"o.{c}, o.new_{c}" for c in (*TRACKED, *_DERIVED))
    return f"""old AS MATERIALIZED (
    -- the records of the children already recorded (o.*) with their staged values (o.new_*),
    -- in the order the update then writes them: village by village, as the inserts go
    SELECT o.id, {old_cols}, {staged_cols}
    FROM found o JOIN screening_stage s ON s.identity_key = o.identity_key
    ORDER BY s.village_code, o.id
),
up AS (
    UPDATE screening_records r SET {set_clause},
        last_import_id = :import_id, updated_at = :now, version = r.version + 1
    FROM old o
    -- the records by their primary key (`= ANY` of the looked-up ids: one index probe each),
    -- not a hash join over a sequential scan of the whole table, which the planner picks for
    -- `r.id = o.id` alone (it cannot know how many rows `old` holds)
    WHERE r.id = ANY (ARRAY(SELECT id FROM old)) AND r.id = o.id
        AND ({compare_old}) IS DISTINCT FROM ({compare_new})
    RETURNING o.id, {returning}
),
"""  # noqa: S608 - fixed column names, no input


def _history_and_counts_sql() -> str:
    """CTEs `hist` (a history row per changed field), `delta` and `st` (the statistics
    deltas, upserted), and the statement's answer: how many inserted and updated."""
    history = ", ".join(f"('{c}', u.{c}::text, u.new_{c}::text)" for c in TRACKED)
    stat_cols = _STAT_COLS
    # the bands on the day the statistics count ages on (see `ensure_stats_state`)
    band_new = age_band_sql("x.birth_date", "as_of", "screening_stats_state WHERE id = 1")
    return f"""hist AS (
    INSERT INTO screening_record_changes
        (record_id, import_id, changed_at, field, old_value, new_value)
    SELECT u.id, :import_id, :now, f.field, f.old_value, f.new_value
    FROM up u
    CROSS JOIN LATERAL (VALUES {history}) AS f(field, old_value, new_value)
    WHERE f.old_value IS DISTINCT FROM f.new_value
),
delta AS (
    SELECT x.village_code, min(x.town_code) AS town_code, x.classification, x.flagged,
           coalesce(x.school_status, '') AS school_status, {band_new} AS age_band,
           sum(x.d) AS d
    FROM (
        SELECT {stat_cols}, 1 AS d FROM ins
        UNION ALL
        SELECT {", ".join(f"new_{c}" for c in stat_cols.split(", "))}, 1 FROM up
        UNION ALL
        SELECT {stat_cols}, -1 FROM up
    ) x
    GROUP BY 1, 3, 4, 5, 6
),
st AS (
    INSERT INTO screening_stats AS t
        (village_code, town_code, classification, flagged, school_status, age_band, n)
    SELECT village_code, town_code, classification, flagged, school_status, age_band, d
    FROM delta WHERE d <> 0
    ORDER BY 1, 3, 4, 5, 6
    ON CONFLICT (village_code, classification, flagged, school_status, age_band)
    DO UPDATE SET n = t.n + EXCLUDED.n
)
SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM up) AS updated
"""  # noqa: S608 - fixed column names, no input


MERGE_SQL: Final = _merge_sql()


# An import that wrote at least this many records, and at least this share of the records
# the planner's statistics last counted, refreshes those statistics before it is done.
ANALYZE_MIN_ROWS: Final = 10_000
ANALYZE_MIN_SHARE: Final = 0.1


async def refresh_statistics(session: AsyncSession, import_id: uuid.UUID) -> None:
    """ANALYZE the records after an import that changed many of them (then commits).

    Autovacuum would, but only at its next round (a minute apart), and until then the planner
    plans with the table as it was: right after a 1,000,000-row import into an empty district it
    expected a town to hold about a thousand records instead of 50,000 and sorted a whole town
    for each page of its list (33 ms a page instead of under 1). ANALYZE samples 30,000 rows,
    well under a second whatever the table's size. SKIP_LOCKED: if autovacuum is at the table
    already, it analyses it in the same round, and the import does not wait for it.
    """
    written, counted = (
        await session.execute(
            text(
                "SELECT i.inserted + i.updated, c.reltuples FROM screening_imports i, pg_class c "
                "WHERE i.id = :id AND c.oid = 'screening_records'::regclass"
            ),
            {"id": import_id},
        )
    ).one()
    # reltuples is -1 for a table never analysed nor vacuumed
    if written < ANALYZE_MIN_ROWS or (counted >= 0 and written < ANALYZE_MIN_SHARE * counted):
        return
    await session.execute(text("ANALYZE (SKIP_LOCKED) screening_records"))
    await session.commit()


async def raw_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session (for COPY)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def ensure_stats_state(session: AsyncSession, today: Any) -> None:
    await session.execute(
        text(
            "INSERT INTO screening_stats_state (id, as_of) VALUES (1, :d) "
            "ON CONFLICT (id) DO NOTHING"
        ),
        {"d": today},
    )


async def merge_records(
    session: AsyncSession,
    records: list[tuple[Any, ...]],
    *,
    import_id: uuid.UUID | None,
    now: datetime,
) -> tuple[int, int]:
    """Merge staged rows' tuples (see ROW_COLUMNS); (inserted, updated). Caller commits."""
    if not records:
        return 0, 0
    return await merge_copy_data(session, encode_copy(records), import_id=import_id, now=now)


async def merge_copy_data(
    session: AsyncSession, data: bytes, *, import_id: uuid.UUID | None, now: datetime
) -> tuple[int, int]:
    """COPY a binary payload of staged rows (`prepare.encode_copy`) and merge it."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MERGE_LOCK})
    # The statement keeps the inserted rows (for the statistics), the records of the children
    # found and, joined to them, their staged values: with the default 4 MB these spill to
    # temporary files on every large chunk.
    await session.execute(text(f"SET LOCAL work_mem = '{MERGE_WORK_MEM}'"))
    await session.execute(text(_STAGE_DDL))
    await session.execute(text("TRUNCATE screening_stage"))
    raw = await raw_connection(session)
    await raw.copy_to_table(
        "screening_stage", source=io.BytesIO(data), columns=STAGE_COLUMNS, format="binary"
    )
    row = (await session.execute(text(MERGE_SQL), {"import_id": import_id, "now": now})).one()
    return int(row.inserted), int(row.updated)


async def apply_chunk(
    session: AsyncSession,
    chunk: PreparedChunk,
    *,
    import_id: uuid.UUID,
    job_id: int | None,
    now: datetime,
) -> tuple[int, int, int]:
    """Merge one chunk, store its rejected rows and advance the import; (ins, upd, unchanged).

    The chunk's commit does not wait for its WAL to reach the disk (`synchronous_commit = off`
    for this transaction only): a crash of the database server may lose the last few chunks'
    commits, each whole — the records, rejected rows and `last_row` together — so the resumed
    import reads on from the last chunk that did survive, and nothing is half-applied. The
    import's final commit is synchronous, which makes every chunk before it durable too.
    """
    await session.execute(text("SET LOCAL synchronous_commit = off"))
    inserted = updated = 0
    if chunk.staged:
        inserted, updated = await merge_copy_data(
            session, chunk.copy_data, import_id=import_id, now=now
        )
    unchanged = chunk.staged - inserted - updated
    if chunk.errors:
        raw = await raw_connection(session)
        await raw.copy_records_to_table(
            "screening_import_errors",
            records=[(import_id, r, c, reason, value) for r, c, reason, value in chunk.errors],
            columns=("import_id", "row_number", "column", "reason", "value"),
        )
    await session.execute(
        text(
            "UPDATE screening_imports SET last_row = :last_row, chunks_done = chunks_done + 1, "
            "total_rows = total_rows + :rows, inserted = inserted + :ins, "
            "updated = updated + :upd, unchanged = unchanged + :unch, "
            "rejected = rejected + :rej, flagged = flagged + :flg, progress = :progress "
            "WHERE id = :id"
        ),
        {
            "last_row": chunk.last_row,
            "rows": chunk.rows,
            "ins": inserted,
            "upd": updated,
            "unch": unchanged,
            "rej": chunk.rejected,
            "flg": chunk.flagged,
            "progress": min(chunk.progress, 0.99),
            "id": import_id,
        },
    )
    metrics = current_metrics()
    metrics.import_rows.labels("imported").inc(chunk.staged)
    metrics.import_rows.labels("error").inc(chunk.rejected)
    if job_id is not None:  # keep the job's lease while the import makes progress
        await session.execute(
            text(
                "UPDATE jobs SET locked_until = now() + make_interval(secs => :lease) "
                "WHERE id = :id AND status = 'running'"
            ),
            {"id": job_id, "lease": registry.LEASE_SECONDS},
        )
    return inserted, updated, unchanged


async def refresh_stats(session: AsyncSession, today: Any) -> None:
    """Recount `screening_stats` with age bands on `today` (the daily recount)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MERGE_LOCK})
    await session.execute(text("DELETE FROM screening_stats"))
    band = age_band_sql("birth_date", "CAST(:today AS date)")
    await session.execute(
        text(
            "INSERT INTO screening_stats "  # noqa: S608 - fixed SQL
            "(village_code, town_code, classification, flagged, school_status, age_band, n) "
            "SELECT village_code, min(town_code), classification, flagged, "
            f"coalesce(school_status, ''), {band}, count(*) "
            "FROM screening_records GROUP BY 1, 3, 4, 5, 6"
        ),
        {"today": today},
    )
    await session.execute(
        text(
            "INSERT INTO screening_stats_state (id, as_of, refreshed_at) VALUES (1, :d, now()) "
            "ON CONFLICT (id) DO UPDATE SET as_of = EXCLUDED.as_of, refreshed_at = now()"
        ),
        {"d": today},
    )
