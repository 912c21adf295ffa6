"""教育帮扶 with the women's federation: a yearly round, an application per child (a girl under
春蕾, a boy under the boys' aid; a ledger child or one the federation names), review (approval
with an amount, or rejection), disbursement. Money exact to the fen; an application is frozen
once disbursed; a retry never doubles anything. Each district opens its own rounds: another
district's round or application is a 404, and it is absent from lists and the fund's totals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.errors import ChildNotFound
from app.errors import ValidationFailed
from app.kit import audit, idnumber
from app.kit.clock import DISTRICT_TZ
from app.kit.context import RequestContext
from app.kit.four_eyes import require_another
from app.kit.money import from_fen, to_fen
from app.kit.pagination import Page, paginate
from app.kit.records import new_values, out_of
from app.kit.transitions import signed
from app.models import AidApplication, AidRound, Child
from app.programmes.aid import repository as repo
from app.programmes.aid.errors import (
    ApplicationExists,
    ApplicationNotFound,
    Disbursed,
    RoundExists,
    RoundNotFound,
    WrongState,
)
from app.programmes.aid.schemas import (
    PROGRAMME_GENDER,
    PROGRAMME_ZH,
    ApplicationCreate,
    ApplicationOut,
    Approval,
    Rejection,
    RoundCreate,
    RoundOut,
)
from app.programmes.federation import is_federation

ID_CONTEXT = b"aid_applications.child_id_number"
STATUSES = ("submitted", "approved", "rejected", "disbursed")
FieldErrors = list[tuple[str, str, str]]


# ------------------------------------------------------------------------------------- rounds


async def create_round(
    session: AsyncSession, ctx: RequestContext, body: RoundCreate
) -> tuple[RoundOut, uuid.UUID]:
    """Open the year's round of the caller's district (a year may hold rounds of different
    names; another district may hold one of the same name)."""
    values = new_values(ctx, **body.model_dump(), district_code=ctx.actor.district_code)
    row = await repo.insert_round(session, values)
    if row is None:
        raise RoundExists(
            f"{body.year} 年已有名为“{body.name}”的帮扶批次",
            f"The year {body.year} already has a round named {body.name!r}",
            errors=[("name", "同一年度的批次名称不能重复", "A round's name is unique in its year")],
        )
    audit.record(session, ctx, "aid_round.create", "aid_round", row.id, {"year": body.year})
    return await round_out(session, row), row.id


async def round_or_404(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID
) -> AidRound:
    found = await repo.get_round(session, principal, round_id)
    if found is None:
        raise RoundNotFound("教育帮扶批次不存在", "No such education-aid round")
    return found


async def round_out(session: AsyncSession, row: AidRound) -> RoundOut:
    """The round with its totals by status, programme and town."""
    by_status, programmes, towns = await repo.round_totals(session, row.id)
    names = await repo.town_names(session)
    per_programme = {p: (n, g, d) for p, n, g, d in programmes}
    return RoundOut.model_validate(
        {
            "id": row.id,
            "district_code": row.district_code,
            "year": row.year,
            "name": row.name,
            "created_at": row.created_at,
            "created_by": row.created_by,
            "children": sum(n for _, n, _, _ in programmes),
            "total": from_fen(sum(g for _, _, g, _ in programmes)),
            "disbursed": from_fen(sum(d for _, _, _, d in programmes)),
            "by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "by_programme": [
                {
                    "programme": p,
                    "programme_zh": PROGRAMME_ZH[p],
                    "children": per_programme.get(p, (0, 0, 0))[0],
                    "total": from_fen(per_programme.get(p, (0, 0, 0))[1]),
                    "disbursed": from_fen(per_programme.get(p, (0, 0, 0))[2]),
                }
                for p in PROGRAMME_ZH
            ],
            "by_town": [
                {
                    "town_code": t,
                    "town_name": names.get(t) if t else None,
                    "children": n,
                    "total": from_fen(g),
                    "disbursed": from_fen(d),
                }
                for t, n, g, d in sorted(towns, key=lambda x: (x[0] is None, x[0] or ""))
                if n > 0
            ],
        }
    )


async def get_round(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> RoundOut:
    return await round_out(session, await round_or_404(session, principal, round_id))


async def list_rounds(
    session: AsyncSession, principal: Principal, year: int | None, limit: int, cursor: str | None
) -> Page[RoundOut]:
    rows, nxt = await paginate(
        session,
        repo.rounds_stmt(principal, year),
        [AidRound.year, AidRound.id],
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[await round_out(session, r) for r in rows], next_cursor=nxt)


# ------------------------------------------------------------------------------- applications


def application_out(row: AidApplication, ctx: RequestContext) -> ApplicationOut:
    """An application as the caller sees it: the federation sees no ID number."""
    return out_of(
        ApplicationOut,
        row,
        child_id_number=None if is_federation(ctx.actor) else row.child_id_number_masked,
        requested=from_fen(row.requested_fen),
        amount=None if row.amount_fen is None else from_fen(row.amount_fen),
    )


async def _ledger_child(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID, errors: FieldErrors
) -> dict[str, Any] | None:
    child = await repo.readable_child(session, ctx.actor, child_id)
    if child is None:
        errors.append(ChildNotFound.field_error("child_id"))
        return None
    if child.status != "active":
        errors.append(
            ("child_id", "该儿童已撤销，不能申请帮扶", "The child is revoked from the ledger")
        )
        return None
    town = await repo.town_of_village(session, child.village_code) if child.village_code else None
    return ledger_applicant(child, town, child.school_name)


def ledger_applicant(child: Child, town_code: str | None, school: str | None) -> dict[str, Any]:
    """An application's columns of the child it is for, a child of the ledger."""
    return {
        "child_id": child.id,
        "person_key": child.id_number_hash,
        "child_name": child.name,
        "child_gender": child.gender,
        "child_birth_date": child.birth_date,
        "child_id_number_masked": child.id_number_masked,
        "school": school,
        "village_code": child.village_code,
        "town_code": town_code,
    }


async def _named_child(
    session: AsyncSession, ctx: RequestContext, body: ApplicationCreate, errors: FieldErrors
) -> dict[str, Any] | None:
    facts = body.child
    assert facts is not None
    try:
        parsed = idnumber.parse(facts.id_number, today=ctx.today)
    except idnumber.InvalidIdNumber as exc:
        errors.append(("child.id_number", str(exc), f"Invalid ID number ({exc.reason})"))
        parsed = None
    town = await repo.town_of_village(session, facts.village_code, ctx.actor)
    if town is None:
        errors.append(("child.village_code", "村（社区）不存在", "No such village"))
    if parsed is None or town is None:
        return None
    value = idnumber.normalize(facts.id_number)
    return {
        "child_id": None,
        "person_key": ctx.keyring.lookup_hash(value),
        "child_name": facts.name,
        "child_gender": parsed.gender,
        "child_birth_date": parsed.birth_date,
        "child_id_number_enc": ctx.keyring.encrypt(value, context=ID_CONTEXT),
        "child_id_number_masked": idnumber.mask(value),
        "school": facts.school,
        "village_code": facts.village_code,
        "town_code": town,
    }


async def create_application(
    session: AsyncSession, ctx: RequestContext, round_id: uuid.UUID, body: ApplicationCreate
) -> tuple[ApplicationOut, uuid.UUID]:
    """An application for a child in the round: every fault at once as a 422, a second
    application of the same child (by ID number, on the ledger or named) a 409."""
    await round_or_404(session, ctx.actor, round_id)
    errors: FieldErrors = []
    child: dict[str, Any] | None = None
    if (body.child_id is None) == (body.child is None):
        errors.append(
            (
                "child_id",
                "须且只能提供 child_id 或 child 之一",
                "Give exactly one of child_id, child",
            )
        )
    elif body.child_id is not None:
        child = await _ledger_child(session, ctx, body.child_id, errors)
    else:
        child = await _named_child(session, ctx, body, errors)
    if child is not None and child["child_gender"] != PROGRAMME_GENDER[body.programme]:
        zh = (
            "春蕾女童项目只资助女童" if body.programme == "spring_bud" else "困境男童项目只资助男童"
        )
        en = (
            "Spring Bud aids girls only"
            if body.programme == "spring_bud"
            else "The boys' aid aids boys only"
        )
        errors.append(("programme", zh, en))
    if errors or child is None:
        raise ValidationFailed(errors=errors)
    if body.school is not None:
        child["school"] = body.school
    row = await repo.insert_application(
        session,
        {
            **child,
            "id": uuid.uuid4(),
            "round_id": round_id,
            "programme": body.programme,
            "requested_fen": to_fen(body.amount),
            "status": "submitted",
            "note": body.note,
            "created_at": ctx.now,
            "created_by": ctx.actor.name,
            "version": 1,
        },
    )
    if row is None:
        field = "child_id" if body.child_id is not None else "child.id_number"
        raise ApplicationExists(
            "该儿童在本批次已有申请",
            "The child already has an application in this round",
            errors=[(field, "该儿童在本批次已有申请", "Already applied in this round")],
        )
    audit.record(
        session,
        ctx,
        "aid_application.create",
        "aid_application",
        row.id,
        {
            "round_id": str(round_id),
            "child_id": str(row.child_id) if row.child_id else None,
            "programme": row.programme,
            "requested_fen": row.requested_fen,
        },
    )
    return application_out(row, ctx), row.id


async def _application(
    session: AsyncSession,
    ctx: RequestContext,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    lock: bool = False,
) -> AidApplication:
    row = await repo.get_application(session, ctx.actor, round_id, application_id, lock=lock)
    if row is None:
        raise ApplicationNotFound("教育帮扶申请不存在", "No such education-aid application")
    return row


def _not_disbursed(row: AidApplication) -> None:
    if row.status == "disbursed":
        raise Disbursed(
            "帮扶资金已拨付，申请不能再修改", "The aid is disbursed; the application is frozen"
        )


async def approve(
    session: AsyncSession,
    ctx: RequestContext,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    body: Approval,
    *,
    four_eyes: bool,
) -> ApplicationOut:
    """审核通过: grant `amount` (not by the person who entered the application). The same
    approval again changes nothing; another amount re-approves until it is disbursed."""
    row = await _application(session, ctx, round_id, application_id, lock=True)
    _not_disbursed(row)
    fen = to_fen(body.amount)
    if row.status == "approved" and row.amount_fen == fen and row.decision_note == body.note:
        return application_out(row, ctx)
    if row.status == "rejected":
        raise WrongState("申请已被驳回", "The application was rejected")
    require_another(
        four_eyes, ctx.actor, row.created_by, "approve", "该帮扶申请", "this aid application"
    )
    before = row.amount_fen
    row.status, row.amount_fen, row.decision_note = "approved", fen, body.note
    detail = {"amount_fen": fen, "previous_amount_fen": before, "created_by": row.created_by}
    await signed(session, ctx, row, "decided", "aid_application.approve", detail)
    return application_out(row, ctx)


async def reject(
    session: AsyncSession,
    ctx: RequestContext,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    body: Rejection,
    *,
    four_eyes: bool,
) -> ApplicationOut:
    """审核驳回, with the reason; the same rejection again changes nothing."""
    row = await _application(session, ctx, round_id, application_id, lock=True)
    _not_disbursed(row)
    if row.status == "rejected":
        if row.decision_note == body.reason:
            return application_out(row, ctx)
        raise WrongState("申请已被驳回", "The application was rejected")
    require_another(
        four_eyes, ctx.actor, row.created_by, "approve", "该帮扶申请", "this aid application"
    )
    row.status, row.amount_fen, row.decision_note = "rejected", None, body.reason
    await signed(session, ctx, row, "decided", "aid_application.reject")
    return application_out(row, ctx)


async def disburse(
    session: AsyncSession,
    ctx: RequestContext,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    four_eyes: bool,
) -> ApplicationOut:
    """拨付: record the payment of an approved application (not by its approver); once. A
    retry answers the disbursement already recorded and pays nothing twice."""
    row = await _application(session, ctx, round_id, application_id, lock=True)
    if row.status == "disbursed":
        return application_out(row, ctx)
    if row.status != "approved":
        raise WrongState("须先审核通过才能拨付", "Only an approved application is disbursed")
    require_another(
        four_eyes, ctx.actor, row.decided_by, "pay", "该帮扶申请", "this aid application"
    )
    row.status = "disbursed"
    detail = {"amount_fen": row.amount_fen, "approved_by": row.decided_by}
    await signed(session, ctx, row, "disbursed", "aid_application.disburse", detail)
    return application_out(row, ctx)


async def read_application(
    session: AsyncSession, ctx: RequestContext, round_id: uuid.UUID, application_id: uuid.UUID
) -> ApplicationOut:
    row = await _application(session, ctx, round_id, application_id)
    audit.record(session, ctx, "aid_application.read", "aid_application", row.id, None)
    return application_out(row, ctx)


async def list_applications(
    session: AsyncSession,
    ctx: RequestContext,
    round_id: uuid.UUID,
    *,
    programme: str | None,
    status: str | None,
    town_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ApplicationOut]:
    await round_or_404(session, ctx.actor, round_id)
    stmt = repo.applications_stmt(round_id, programme=programme, status=status, town_code=town_code)
    rows, nxt = await paginate(session, stmt, [AidApplication.id], limit=limit, cursor=cursor)
    ids = [str(r.id) for r in rows]
    audit.record(
        session,
        ctx,
        "aid_application.list",
        "aid_application",
        None,
        {"round_id": str(round_id), "count": len(ids), "ids": ids},
    )
    return Page(items=[application_out(r, ctx) for r in rows], next_cursor=nxt)


async def federation_fund(
    session: AsyncSession, year: int, district: str | None = None
) -> tuple[int, int]:
    """(children, fen) of the education aid disbursed in `year` (Asia/Shanghai): the women's
    federation's fund, reported beside the bureau's budget, never in it; of `district`'s rounds
    when given (None: the whole city's)."""
    start = datetime(year, 1, 1, tzinfo=DISTRICT_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=DISTRICT_TZ)
    return await repo.disbursed_between(session, start, end, district)
