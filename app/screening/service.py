"""监测摸排 rules: who may upload and read, what a list filter means, how counts are made.

Ages: the record stores the birth date; `age` in responses and the `age_min`/`age_max`
filters are the age in whole years TODAY (Asia/Shanghai), since a child screened at 15 is 16
a year later and the services acting on the list (schools, health) act on today's age. The
classification itself was decided on the age at screening (`age_at_screening`).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.areas import repository as areas_repo
from app.auth.principal import Principal
from app.auth.roles import AREA_OFFICERS, DISTRICT_AND_TOWNS, Role
from app.config import Settings
from app.errors import Forbidden
from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.crypto import KeyRing
from app.kit.spreadsheet import (
    Column,
    OfficeSheet,
    book_bytes,
    csv_field,
    office_book,
    title_line,
)
from app.models import AGE_BANDS, SCHOOL_STAGES, ScreeningImport
from app.screening import repository as repo
from app.screening.errors import AreaNotFound, ImportFinished, ImportNotFound, RecordNotFound
from app.screening.imports.template import ZH_BY_FIELD
from app.screening.imports.upload import receive_upload
from app.screening.projection import project
from app.screening.referrals import service as referrals
from app.worker.queue import enqueue

UPLOAD_ROLES: Final = frozenset(AREA_OFFICERS)
READ_ROLES: Final = frozenset((*DISTRICT_AND_TOWNS, Role.VILLAGE_DIRECTOR))
_ID_LIKE: Final = re.compile(r"^\d{17}[\dXx]$")
COMPULSORY_BANDS: Final = ("6-11", "12-14", "15")


def may_read(principal: Principal) -> bool:
    if principal.kind == "agency":
        return "screening:read" in principal.scopes
    return principal.role in READ_ROLES


# ------------------------------------------------------------------------------ imports


async def create_import(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    content_type: str | None,
    body: AsyncIterator[bytes],
) -> ScreeningImport:
    """Store the upload, check it is a table, queue its import (committed with the request)."""
    if not principal.has_role(*UPLOAD_ROLES):
        raise Forbidden("当前角色无权上传摸排数据", "Your role may not upload screening data")
    received = await receive_upload(
        content_type, body, settings.uploads_path, settings.max_upload_bytes
    )
    try:
        imp = ScreeningImport(
            id=uuid.uuid4(),
            status="queued",
            file_name=received.file_name,
            file_kind=received.header.kind,
            file_size=received.size,
            stored_name=received.stored_name,
            uploaded_by=principal.id,
            uploaded_by_name=principal.name,
            area_code=principal.area_code,
            area_path=principal.area_path,
            warnings=list(received.header.warnings),
            progress=0.0,
            total_rows=0,
            last_row=0,
            chunks_done=0,
            inserted=0,
            updated=0,
            unchanged=0,
            rejected=0,
            flagged=0,
        )
        session.add(imp)
        await session.flush()
        await enqueue(session, "screening.import", {"import_id": str(imp.id)}, max_attempts=3)
        audit.record(
            session,
            principal,
            "screening_import.create",
            "screening_import",
            imp.id,
            {"file_name": imp.file_name, "size": imp.file_size, "kind": imp.file_kind},
        )
    except BaseException:
        received.path.unlink(missing_ok=True)
        raise
    return imp


async def get_import(
    session: AsyncSession, principal: Principal, import_id: uuid.UUID
) -> ScreeningImport:
    """An import the caller uploaded, or one of their area (district roles: all)."""
    imp = await repo.get_import(session, import_id)
    if imp is None or principal.kind != "user":
        raise ImportNotFound
    mine = imp.uploaded_by == principal.id
    within = principal.area_path is not None and imp.area_path.startswith(principal.area_path)
    if not (mine or (within and principal.role in READ_ROLES)):
        raise ImportNotFound
    return imp


def shown_status(imp: ScreeningImport, now: datetime) -> tuple[str, int | None]:
    """The status a reader sees and, while interrupted, the row the import resumes at: a
    running import whose heartbeat is older than STALE_SECONDS is `interrupted`."""
    from app.screening.imports.runner import STALE_SECONDS

    beat = imp.heartbeat_at
    if (
        imp.status == "running"
        and beat is not None
        and (now - beat).total_seconds() > STALE_SECONDS
    ):
        return "interrupted", imp.last_row + 1
    return imp.status, None


async def cancel_import(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    import_id: uuid.UUID,
    now: datetime,
) -> ScreeningImport:
    """A district admin cancels an import that has not finished (409 if it has). A running
    import stops before its next chunk; the chunks applied stay (each whole); the upload goes."""
    if not principal.has_role(Role.DISTRICT_ADMIN):
        raise Forbidden("只有区级管理员可以取消导入", "Only a district admin may cancel an import")
    imp = await repo.get_import_for_update(session, import_id)
    if imp is None or not imp.area_path.startswith(principal.area_path or "\0"):
        raise ImportNotFound  # another district's import is as unknown as none
    if imp.status in ("done", "failed", "cancelled"):
        raise ImportFinished(imp.status)
    before = imp.status
    imp.status = "cancelled"
    imp.finished_at = now
    audit.record(
        session,
        principal,
        "screening_import.cancel",
        "screening_import",
        imp.id,
        {"status": before, "last_row": imp.last_row, "inserted": imp.inserted},
    )
    path = settings.uploads_path / imp.stored_name
    session.info.setdefault("after_commit", []).append(lambda: path.unlink(missing_ok=True))
    return imp


ERROR_COLUMNS: Final = (
    Column("行号", "int", width=8),
    Column("列名", width=18),
    Column("填写内容", width=28),
    Column("错误原因", width=60),
)
"""The error report's columns: the row, the template's Chinese column name, the value the file
held (an ID number masked) and the reason — what a village director needs to fix the row."""
ERROR_PAGE: Final = 5000


def _error_row(column: str, value: str, reason: str) -> tuple[str, str, str]:
    return (ZH_BY_FIELD.get(column, column), value, reason)


async def import_errors_csv(
    session: AsyncSession,
    principal: Principal,
    import_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    encoding: str = "utf-8",
) -> AsyncIterator[bytes]:
    """The rejected rows as CSV with Chinese headers: 行号, 列名, 填写内容, 错误原因. UTF-8 with a
    BOM (Excel then detects it), or GB18030 (older WPS and Excel of Chinese offices).

    A value or reason may quote the file's own text (a value that looks like a formula): every
    field goes through `csv_field`, which writes it as text (`app/kit/spreadsheet.py`).

    The body streams after the request's transaction has ended, so it reads page by page in
    sessions of its own (memory stays flat however many rows were rejected).
    """
    await get_import(session, principal, import_id)
    bom = "\ufeff" if encoding == "utf-8" else ""

    async def lines() -> AsyncIterator[bytes]:
        yield (bom + ",".join(c.label for c in ERROR_COLUMNS) + "\r\n").encode(encoding)
        after = 0
        while True:
            async with sessionmaker() as s:
                page = await repo.import_errors_page(s, import_id, after, ERROR_PAGE)
            if not page:
                return
            after = page[-1][0]
            yield "".join(
                f"{r}," + ",".join(csv_field(x) for x in _error_row(c, v, reason)) + "\r\n"
                for _, r, c, reason, v in page
            ).encode(encoding)

    return lines()


async def import_errors_xlsx(
    session: AsyncSession, principal: Principal, import_id: uuid.UUID, now: datetime
) -> bytes:
    """The rejected rows as an office workbook (the default report): title row with the
    district, the file and the time; frozen header; the same columns as the CSV."""
    imp = await get_import(session, principal, import_id)
    book = office_book()
    sheet = OfficeSheet(
        book,
        "错误行",
        ERROR_COLUMNS,
        title=title_line(
            f"摸排导入错误报告（{imp.file_name}）",
            district=await areas_repo.district_name(session, principal.district_code),
            period=f"{imp.created_at.astimezone(DISTRICT_TZ):%Y-%m-%d %H:%M} 上传",
            generated_at=now,
        ),
    )
    after = 0
    while True:
        page = await repo.import_errors_page(session, import_id, after, ERROR_PAGE)
        if not page:
            break
        after = page[-1][0]
        for _, r, c, reason, v in page:
            sheet.row([r, *_error_row(c, v, reason)])
    return book_bytes(book)


# ------------------------------------------------------------------------------ records


async def _area_clause(
    session: AsyncSession, principal: Principal, settings: Settings, area_code: str | None
) -> tuple[Any, str, str]:
    """(clause, level, code) for an area filter, checked against the caller's jurisdiction."""
    readable = repo.readable_clause(principal)
    if area_code is None:
        if principal.kind == "user" and principal.area_code and principal.area_level:
            return readable, principal.area_level, principal.area_code
        # an agency: its own district's (C1 gives agencies their area), else the deployment's
        return readable, "district", principal.district_code or settings.district_code
    found = await repo.area(session, area_code)
    if found is None:
        raise AreaNotFound
    if principal.kind == "user":
        if principal.area_path is None or not found.path.startswith(principal.area_path):
            raise AreaNotFound
    elif found.level not in ("district", "town", "village"):
        raise AreaNotFound  # an agency: any district's area (its mandate bounds the rows)
    return repo.scope_clause(found.level, found.code), found.level, found.code


async def list_records(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    keyring: KeyRing,
    today: date,
    *,
    classification: str | None,
    area_code: str | None,
    age_min: int | None,
    age_max: int | None,
    school_status: str | None,
    q: str | None,
    updated_since: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the records the caller may read; `q` is a name (prefix) or an ID number."""
    if not may_read(principal):
        raise Forbidden("无权查看摸排数据", "You may not read screening data")
    clause, _, _ = await _area_clause(session, principal, settings, area_code)
    id_key = name_prefix = None
    if q is not None and q.strip():
        term = q.strip()
        if _ID_LIKE.match(term):
            id_key = keyring.lookup_digest(term)
        else:
            name_prefix = term
    stmt = repo.records_query(
        [repo.readable_clause(principal)],
        classification=classification,
        area_clause=clause,
        age_min=age_min,
        age_max=age_max,
        today=today,
        school_status=school_status,
        name_prefix=name_prefix,
        id_number_key=id_key,
        updated_since=updated_since,
    )
    rows, next_cursor = await repo.page(session, stmt, limit=limit, cursor=cursor)
    audit.record(
        session,
        principal,
        "screening_record.list",
        "screening_record",
        None,
        {"count": len(rows), "ids": [str(r.id) for r in rows][:500]},
    )
    items = [project(r, principal, today=today, keyring=keyring) for r in rows]
    return items, next_cursor


async def get_record(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    keyring: KeyRing,
    today: date,
    record_id: uuid.UUID,
) -> dict[str, Any]:
    """One record with its history (staff); an audited read."""
    if not may_read(principal):
        raise Forbidden("无权查看摸排数据", "You may not read screening data")
    record = await repo.get_record(session, record_id, repo.readable_clause(principal))
    if record is None:
        raise RecordNotFound
    out = project(record, principal, today=today, keyring=keyring, whole_record=True)
    if principal.kind == "user":
        out["history"] = [
            {
                "field": c.field,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "import_id": c.import_id,
                "changed_at": c.changed_at,
            }
            for c in await repo.history(session, record.id)
        ]
    audit.record(session, principal, "screening_record.read", "screening_record", record.id)
    return out


# ------------------------------------------------------------------------------ statistics


async def stats(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    today: date,
    area_code: str | None,
) -> dict[str, Any]:
    """Counts of the area: by classification, town, age band (today), school status."""
    if not may_read(principal):
        raise Forbidden("无权查看摸排数据", "You may not read screening data")
    _, level, code = await _area_clause(session, principal, settings, area_code)
    precounted = await repo.stats_as_of(session) == today
    cells = await repo.stats_cells(session, level, code, today, precounted=precounted)
    by_class: Counter[str] = Counter({"migrant": 0, "left_behind": 0, "neither": 0, "flagged": 0})
    by_town: Counter[str] = Counter()
    by_band: Counter[str] = Counter(dict.fromkeys(AGE_BANDS, 0))
    by_school: Counter[str] = Counter(dict.fromkeys((*SCHOOL_STAGES, "unknown"), 0))
    not_in_school = 0
    total = 0
    for town, classification, flagged, school, band, n in cells:
        total += n
        by_class[classification] += n
        if flagged:
            by_class["flagged"] += n
        by_town[town] += n
        by_band[band] += n
        by_school[school or "unknown"] += n
        if school == "not_in_school" and band in COMPULSORY_BANDS:
            not_in_school += n
    names = await repo.area_names(session, sorted(by_town))
    return {
        "area_code": code,
        "as_of": today,
        "total": total,
        "by_classification": dict(by_class),
        "by_town": [
            {"key": t, "name": names.get(t), "count": n} for t, n in sorted(by_town.items())
        ],
        "by_age_band": {b: by_band[b] for b in AGE_BANDS},
        "by_school_status": dict(by_school),
        "compulsory_age_not_in_school": not_in_school,
        "referrals_by_finding": await referrals.finding_counts(
            session, repo.scope_clause(level, code)
        ),
    }
