"""心理咨询: the contracted counsellors' one-to-one and group sessions with residents.

- the `summary` is for the institute's staff; the `confidential_notes` are stored encrypted and
  shown only to counsellors and the district admin, on the single session's read, each such read
  audited — never in lists, the monthly report, exports, webhooks or the audit log;
- the counsellor named must hold a clear record check (art. 62) valid on the session's day
  (409 `record_check_failed` naming `counsellor_id`); a counsellor records their own sessions;
- a disclosure of abuse (`risk: abuse_disclosure`) opens a draft mandatory report for each child
  concerned, in the same transaction, for the counsellor (the reporter) to complete.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.errors import ValidationFailed
from app.incidents.service import open_draft_for_child
from app.institution import common
from app.institution import repository as repo
from app.institution.auth import NOTES_READERS
from app.institution.common import Errors, Outcome
from app.institution.errors import SessionNotFound
from app.institution.schemas import (
    CounsellingDetail,
    CounsellingIn,
    CounsellingOut,
    CounsellingQuery,
)
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page
from app.kit.record_check import RecordCheck, require_clear
from app.kit.records import out_of
from app.models import Child, CounsellingSession

NOTES_CONTEXT = b"counselling.notes"
DRAFT_NOTE_ZH = "心理咨询中儿童披露遭受侵害，请报告人补充完善后提交强制报告"


def session_out(row: CounsellingSession) -> CounsellingOut:
    return out_of(
        CounsellingOut, row, has_confidential_notes=row.confidential_notes_enc is not None
    )


def _judge_shape(body: CounsellingIn, ctx: RequestContext, errors: Errors) -> list[uuid.UUID]:
    """Mode and children, date, risk: the children the risk concerns."""
    if body.mode == "one_to_one" and len(body.child_ids) != 1:
        errors.append(
            ("child_ids", "个体咨询须且只能有一名儿童", "A one-to-one session has one child")
        )
    if body.mode == "group" and len(body.child_ids) < 2:
        errors.append(
            ("child_ids", "团体咨询须至少有两名儿童", "A group session has two or more children")
        )
    common.not_future(body.held_on, ctx, "held_on", errors)
    if body.risk is None:
        if body.risk_child_ids:
            errors.append(
                ("risk_child_ids", "未标记风险时不应填写", "Only with a risk"),
            )
        return []
    if body.risk_child_ids is None:
        if body.mode == "one_to_one":
            return list(body.child_ids[:1])
        if body.risk == "abuse_disclosure":
            errors.append(
                (
                    "risk_child_ids",
                    "团体咨询中的受侵害披露须指明涉及的儿童",
                    "Name the children a group session's disclosure concerns",
                )
            )
        return []
    for i, cid in enumerate(body.risk_child_ids):
        if cid not in body.child_ids:
            errors.append(
                (f"risk_child_ids.{i}", "须为参加本次咨询的儿童", "Must be a child of the session")
            )
    return list(body.risk_child_ids)


async def _judge_counsellor(
    session: AsyncSession, ctx: RequestContext, body: CounsellingIn, errors: Errors
) -> str | None:
    """The counsellor's name (None when the id names no active counsellor)."""
    actor = ctx.actor
    if actor.role == Role.COUNSELLOR and body.counsellor_id != actor.id:
        errors.append(
            (
                "counsellor_id",
                "咨询师只能登记本人主持的咨询",
                "A counsellor records their own sessions",
            )
        )
        return None
    counsellor = await repo.counsellor(session, ctx.actor, body.counsellor_id)
    if counsellor is None:
        errors.append(("counsellor_id", "咨询师账户不存在或已停用", "No such active counsellor"))
        return None
    # art. 62: checked after the 422s, so that a refusal names only what is wrong with the person
    check = RecordCheck.from_columns(counsellor)
    if not errors:
        require_clear(
            check,
            body.held_on,
            ctx.settings.record_check_valid_months,
            field="counsellor_id",
            person_id=str(counsellor.id),
        )
    return counsellor.full_name


async def create_session(
    session: AsyncSession, ctx: RequestContext, body: CounsellingIn
) -> tuple[Outcome, CounsellingOut]:
    """Record a counselling session (see the module docstring for the rules)."""
    children: dict[uuid.UUID, Child] = {}
    risk_children: list[uuid.UUID] = []

    async def prepare() -> dict[str, Any]:
        errors: Errors = []
        risk_children.extend(_judge_shape(body, ctx, errors))
        children.update((c.id, c) for c in await common.residents(
            session, ctx, body.child_ids, "child_ids", errors
        ))  # fmt: skip
        name = await _judge_counsellor(session, ctx, body, errors)
        if errors or name is None:
            raise ValidationFailed(errors=errors)
        notes = body.confidential_notes
        return body.model_dump(exclude={"confidential_notes", "risk_child_ids", "risk_note"}) | {
            "counsellor_name": name,
            "confidential_notes_enc": None
            if not notes
            else ctx.keyring.encrypt(notes, context=NOTES_CONTEXT),
            "risk_child_ids": risk_children,
            "incident_ids": [],
            "recorded_by": ctx.actor.id,
        }

    async def after(row: CounsellingSession) -> None:
        if body.risk == "abuse_disclosure":
            concerned = [children[c] for c in risk_children]
            row.incident_ids = await _open_drafts(session, ctx, row, concerned, body.risk_note)
            await session.flush()

    outcome, row = await common.create_once(
        session,
        ctx,
        CounsellingSession,
        body,
        prepare=prepare,
        after=after,
        action="counselling_session.create",
        detail=lambda r: {
            "mode": r.mode,
            "counsellor_id": str(r.counsellor_id),
            "children": len(r.child_ids),
            "risk": r.risk,
            "incident_ids": [str(i) for i in r.incident_ids],
        },
    )
    return outcome, session_out(row)


async def _open_drafts(
    session: AsyncSession,
    ctx: RequestContext,
    row: CounsellingSession,
    children: list[Child],
    note: str | None,
) -> list[uuid.UUID]:
    """A draft mandatory report (强制报告) per child the disclosure concerns."""
    out = []
    for child in children:
        incident = await open_draft_for_child(
            session,
            ctx,
            child=child,
            origin="counselling_session",
            origin_id=row.id,
            note=note or DRAFT_NOTE_ZH,
        )
        out.append(incident.id)
    return out


async def get_session(
    session: AsyncSession, ctx: RequestContext, session_id: uuid.UUID
) -> CounsellingDetail:
    """One session; its confidential notes for counsellors and the district admin (audited)."""
    row = await repo.by_id(session, CounsellingSession, session_id, ctx.actor)
    if row is None:
        raise SessionNotFound()
    notes: str | None = None
    if row.confidential_notes_enc is not None and ctx.actor.role in NOTES_READERS:
        notes = ctx.keyring.decrypt(row.confidential_notes_enc, context=NOTES_CONTEXT)
        audit.record(
            session,
            ctx,
            "counselling_session.read_notes",
            "counselling_session",
            row.id,
            {"child_ids": [str(c) for c in row.child_ids]},
        )
    else:
        audit.record(session, ctx, "counselling_session.read", "counselling_session", row.id)
    return CounsellingDetail(**session_out(row).model_dump(), confidential_notes=notes)


async def list_sessions(
    session: AsyncSession, ctx: RequestContext, query: CounsellingQuery
) -> Page[CounsellingOut]:
    """Sessions by day (never their confidential notes)."""
    stmt = repo.sessions_stmt(
        ctx.actor, query.child_id, query.counsellor_id, common.month_of(query.month)
    )
    keys = [CounsellingSession.held_on, CounsellingSession.id]
    return await common.listed(
        session, ctx, stmt, keys, query, action="counselling_session.list", out=session_out
    )
