"""培训: sessions, attendance and the session code attendees scan.

The cascade (domain §10): every year the district trains its workers and its town supervisors;
each supervisor then trains the directors of their own town's villages. So a `town` session is
organised by that town's supervisor (or a district admin) and only the village directors of that
town attend it (rule we set: anyone else is refused naming `user_id`, or `code` for a scan).
A `district` session is organised by district admins and attended by any worker
(`app.training.auth.TRAINEES`).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import Forbidden, ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.listing import page_in_batch
from app.kit.pagination import Page
from app.kit.records import insert_new, known, out_of
from app.models import TrainingAttendance, TrainingSession
from app.training import repository as repo
from app.training.auth import TRAINEES
from app.training.errors import (
    AttendeeRefused,
    CheckInClosed,
    NotOrganiser,
    SessionNotHeld,
    TrainingIdConflict,
    TrainingNotFound,
)
from app.training.schemas import (
    AttendanceCounts,
    AttendanceIn,
    AttendanceOut,
    CheckIn,
    MyAttendanceOut,
    TrainingCreate,
    TrainingOut,
)

# No 0/O, 1/I/L: a code read aloud or typed from a screen is not mistaken.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
LEVEL_ZH = {"district": "区级培训", "town": "镇街培训"}


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


async def _session_area(session: AsyncSession, ctx: RequestContext, body: TrainingCreate) -> str:
    """The session's area: the town of a town session (the supervisor's own), the district of a
    district session (district admins only)."""
    principal = ctx.actor
    if body.level == "district":
        if principal.role != Role.DISTRICT_ADMIN:
            raise Forbidden(
                "区级培训由区民政局组织",
                "District sessions are organised by the district",
                errors=[
                    ("level", "镇街督导员只能组织本镇街培训", "Supervisors organise town sessions")
                ],
            )
        code = body.area_code or principal.district_code or ""
        found = await areas.get(session, code)
        if found is None or found.level != "district" or code != principal.district_code:
            raise ValidationFailed(
                errors=[("area_code", "区级培训的区划须为本区", "Not the district's code")]
            )
        return code
    if body.area_code is None:
        raise ValidationFailed(
            errors=[("area_code", "镇街培训须指明镇街", "A town session needs its town")]
        )
    found = await areas.get(session, body.area_code)
    if (
        found is None
        or found.level != "town"
        or f"/{principal.district_code}/" not in f"/{found.path}"
    ):  # another district's town does not exist for the caller
        raise ValidationFailed(errors=[("area_code", "镇街不存在", "No such town")])
    if principal.role == Role.TOWN_SUPERVISOR and body.area_code != principal.area_code:
        raise Forbidden(
            "督导员只能为本镇街的儿童主任组织培训",
            "A supervisor organises sessions for the directors of their own town only",
            errors=[("area_code", "不是您所在的镇街", "Not your town")],
        )
    return body.area_code


async def create_session(
    session: AsyncSession, ctx: RequestContext, body: TrainingCreate
) -> TrainingOut:
    """Record a training session (its check-in code is drawn here)."""
    area_code = await _session_area(session, ctx, body)
    code = new_code()
    while await repo.code_taken(session, code):  # pragma: no cover - 31^8 codes
        code = new_code()
    row = TrainingSession(
        id=body.id,
        level=body.level,
        area_code=area_code,
        title=body.title or f"{body.held_on.year} 年{LEVEL_ZH[body.level]}",
        held_on=body.held_on,
        hours=body.hours,
        topics=list(body.topics),
        trainer=body.trainer.strip(),
        place=body.place,
        link=body.link,
        materials=list(body.materials),
        code=code,
        organiser_id=ctx.actor.id,
        organiser_name=ctx.actor.name,
        created_at=ctx.now,
    )
    await insert_new(
        session,
        row,
        TrainingIdConflict("该编号的培训已存在", "A training session with this id exists"),
    )
    audit.record(
        session,
        ctx,
        "training.create",
        "training_session",
        row.id,
        {"level": row.level, "area_code": area_code, "held_on": str(row.held_on)},
    )
    return (await _outs(session, ctx.actor, [row]))[0]


def may_manage(principal: Principal, row: TrainingSession) -> bool:
    """District admins manage every session; a town's supervisor that town's sessions."""
    if principal.role == Role.DISTRICT_ADMIN:
        return True
    return (
        principal.role == Role.TOWN_SUPERVISOR
        and row.level == "town"
        and row.area_code == principal.area_code
    )


async def _outs(
    session: AsyncSession, principal: Principal, rows: list[TrainingSession]
) -> list[TrainingOut]:
    names = await areas.names(session, [r.area_code for r in rows])
    counts = await repo.counts(session, [r.id for r in rows])
    return [
        out_of(
            TrainingOut,
            r,
            area_name=names.get(r.area_code, r.area_code),
            year=r.held_on.year,
            code=r.code if may_manage(principal, r) else None,
            counts=AttendanceCounts(**counts.get(r.id, {})),
        )
        for r in rows
    ]


async def _readable(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> TrainingSession:
    return known(await repo.session_by_id(session, principal, session_id), TrainingNotFound)


async def get_session(
    session: AsyncSession, ctx: RequestContext, session_id: uuid.UUID
) -> TrainingOut:
    """One session with who attended it (404 outside the caller's reach)."""
    row = await _readable(session, ctx.actor, session_id)
    out = (await _outs(session, ctx.actor, [row]))[0]
    out.attendance = [_attendance_out(*r) for r in await repo.attendance_rows(session, row.id)]
    return out


async def list_sessions(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    year: int | None,
    level: str | None,
    area_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[TrainingOut]:
    return await page_in_batch(
        session,
        repo.session_list(ctx.actor, year=year, level=level, area_code=area_code),
        [TrainingSession.held_on, TrainingSession.id],
        limit,
        cursor,
        lambda rows: _outs(session, ctx.actor, rows),
    )


def _attendance_out(
    a: TrainingAttendance, username: str, full_name: str, role: str
) -> AttendanceOut:
    return out_of(AttendanceOut, a, username=username, full_name=full_name, role=role)


async def _eligible(
    session: AsyncSession, row: TrainingSession, user_id: uuid.UUID, field: str
) -> Any:
    """The attendee, if they may attend `row`: a worker (TRAINEES); for a town session, a
    village director of that town (the cascade). Else a 422 naming `field`."""
    who = await repo.attendee(session, user_id)
    if who is None or not who.is_active:
        raise AttendeeRefused(errors=[(field, "人员不存在或已停用", "No such active staff user")])
    if who.role not in TRAINEES:
        raise AttendeeRefused(
            errors=[(field, "该角色不是参训人员", "This role is not trained (not a worker)")]
        )
    if row.level == "district" and f"/{row.area_code}/" not in f"/{who.path}":
        raise AttendeeRefused(
            errors=[(field, "该人员不属于本区", "This staff user belongs to another district")]
        )
    if row.level == "town":
        if who.role != Role.VILLAGE_DIRECTOR:
            raise AttendeeRefused(
                errors=[
                    (
                        field,
                        "镇街培训只面向本镇街的儿童主任",
                        "A town session trains the village directors of its town only",
                    )
                ]
            )
        if who.parent_code != row.area_code:
            raise AttendeeRefused(
                errors=[
                    (
                        field,
                        "该儿童主任不属于本次培训所在的镇街",
                        "This director belongs to another town",
                    )
                ],
                extra={"session_area_code": row.area_code, "attendee_area_code": who.area_code},
            )
    return who


async def _put(
    session: AsyncSession,
    ctx: RequestContext,
    row: TrainingSession,
    who: Any,
    status: str,
    via: str,
    note: str | None,
) -> tuple[bool, AttendanceOut]:
    """Record (or correct) one attendance. True when something changed."""
    before = await repo.attendance_of(session, row.id, who.id)
    changed = (
        before is None or before.status != status or (via == "organiser" and before.note != note)
    )
    if changed:
        await repo.put_attendance(
            session,
            {
                "session_id": row.id,
                "user_id": who.id,
                "status": status,
                "recorded_via": via,
                "recorded_by": ctx.actor.name,
                "note": note,
                "recorded_at": ctx.now,
            },
        )
        audit.record(
            session,
            ctx,
            "training.attendance",
            "training_session",
            row.id,
            {
                "user_id": str(who.id),
                "status": status,
                "via": via,
                "previous": None if before is None else before.status,
            },
        )
    after = await repo.attendance_of(session, row.id, who.id)
    assert after is not None
    return before is None, _attendance_out(after, who.username, who.full_name, who.role)


async def record_attendance(
    session: AsyncSession, ctx: RequestContext, session_id: uuid.UUID, body: AttendanceIn
) -> tuple[bool, AttendanceOut]:
    """The organiser records one attendee's status; sent again it changes nothing, a new status
    corrects the earlier one. (True, …) when the attendance is new."""
    row = await _readable(session, ctx.actor, session_id)
    if not may_manage(ctx.actor, row):
        raise NotOrganiser(
            "镇街督导员只能登记本镇街培训的出勤",
            "A supervisor records the attendance of their own town's sessions",
        )
    if row.held_on > ctx.today:
        raise SessionNotHeld(
            f"培训定于 {row.held_on} 举行，届时再登记出勤",
            f"The session is on {row.held_on}: record attendance once it is held",
        )
    who = await _eligible(session, row, body.user_id, "user_id")
    return await _put(session, ctx, row, who, body.status, "organiser", body.note)


async def check_in(
    session: AsyncSession, ctx: RequestContext, body: CheckIn
) -> tuple[bool, AttendanceOut]:
    """The attendee scans the session code from the phone: their own attendance, `present`.
    Scanned again it changes nothing (the stored answer)."""
    row = await repo.session_by_code(session, normalise_code(body.code))
    if row is None:
        raise ValidationFailed(errors=[("code", "签到码无效", "No session has this code")])
    last = row.held_on + timedelta(days=ctx.settings.training_check_in_days)
    if not row.held_on <= ctx.today <= last:
        raise CheckInClosed(
            f"签到码仅在 {row.held_on} 至 {last} 有效，请联系组织方登记",
            f"The code works from {row.held_on} to {last}; ask the organiser to record you",
        )
    who = await _eligible(session, row, ctx.actor.id, "code")
    return await _put(session, ctx, row, who, "present", "code", None)


async def my_attendance(
    session: AsyncSession, ctx: RequestContext, year: int | None
) -> list[MyAttendanceOut]:
    """The caller's own attendance records (nobody else's)."""
    return [
        out_of(
            MyAttendanceOut,
            s,
            session_id=s.id,
            status=a.status,
            recorded_via=a.recorded_via,
            recorded_at=a.recorded_at,
        )
        for a, s in await repo.my_attendance(session, ctx.actor.id, year)
    ]
