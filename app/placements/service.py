"""成年孤儿安置: the yearly plan for the institute's orphans who come of age.

The plan lists each orphan with the professional assessment, the placement type (特困供养
extreme-poverty support, or 社会化安置 placement in society) and the one-time subsidy set in
the plan (not by a formula). The district government approves it (the reference of its reply
is recorded); then each placement is carried out and its subsidy paid, once.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children.errors import ChildNotFound
from app.errors import Conflict, Forbidden, ValidationFailed, found
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.four_eyes import require_another
from app.kit.money import from_fen, to_fen
from app.kit.transitions import signed
from app.models import PlacementEntry, PlacementPlan
from app.placements import repository as repo
from app.placements.schemas import CandidateOut, EntryPlace, PlanApprove, PlanCreate, PlanOut
from app.subsidies.errors import AlreadyPaid, WrongState

WHAT_ZH, WHAT_EN = "该安置计划", "this placement plan"


class PlanExists(Conflict):
    code = "placement_plan_exists"
    title_zh = "该年度的安置计划已存在"
    title_en = "The year's placement plan already exists"


async def _judge_entries(session: AsyncSession, district: str | None, body: PlanCreate) -> None:
    """422 naming every entry that cannot be in the plan: a child twice, unknown, not an orphan
    of the institute, not of age in the plan's year, or already in a plan."""
    ids = [e.child_id for e in body.entries]
    errors: list[tuple[str, str, str]] = []
    seen: set[uuid.UUID] = set()
    found = await repo.children(session, district, ids)
    planned = await repo.already_planned(session, ids)
    for i, e in enumerate(body.entries):
        field = f"entries.{i}.child_id"
        child = found.get(e.child_id)
        if e.child_id in seen:
            errors.append((field, "同一儿童在计划中重复出现", "The child appears twice"))
        elif child is None:
            errors.append(ChildNotFound.field_error(field))
        elif child.category != "orphan" or child.placement != "institution":
            errors.append(
                (field, "只有福利院的孤儿可列入成年安置计划", "Only the institute's orphans")
            )
        elif child.birth_date.year + 18 > body.year:
            errors.append(
                (
                    field,
                    f"该儿童在 {body.year} 年尚未成年",
                    f"The child is not of age in {body.year}",
                )
            )
        elif e.child_id in planned:
            errors.append((field, "该儿童已列入安置计划", "The child is already in a plan"))
        seen.add(e.child_id)
    if errors:
        raise ValidationFailed(errors=errors)


async def create_plan(
    session: AsyncSession, ctx: RequestContext, body: PlanCreate
) -> PlacementPlan:
    """File the year's plan (draft); each entry an orphan of the institute of age by that year."""
    district = ctx.actor.district_code
    if district is None:
        raise Forbidden("安置计划由区级制定", "Placement plans are made by a district")
    await _judge_entries(session, district, body)
    if await repo.plan_by_year(session, district, body.year) is not None:
        raise PlanExists(
            f"{body.year} 年度的安置计划已存在", f"The {body.year} plan already exists"
        )
    plan = PlacementPlan(
        id=uuid.uuid4(),
        district_code=district,
        year=body.year,
        status="draft",
        note=body.note,
        total_fen=sum(to_fen(e.subsidy) for e in body.entries),
        created_at=ctx.now,
        created_by=ctx.actor.name,
    )
    session.add(plan)
    await session.flush()
    for e in body.entries:
        session.add(
            PlacementEntry(
                id=uuid.uuid4(),
                plan_id=plan.id,
                child_id=e.child_id,
                assessment=e.assessment,
                placement_type=e.placement_type,
                subsidy_fen=to_fen(e.subsidy),
                status="planned",
            )
        )
    await session.flush()
    audit.record(
        session,
        ctx,
        "placement_plan.create",
        "placement_plan",
        plan.id,
        {"year": body.year, "entries": len(body.entries), "total_fen": plan.total_fen},
    )
    return plan


async def get_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, lock: bool = False
) -> PlacementPlan:
    """The caller's district's plan (another district's is a 404)."""
    return found(
        await repo.plan(session, principal.district_code, plan_id, lock=lock),
        "安置计划不存在",
        "No such placement plan",
    )


async def approve_plan(
    session: AsyncSession,
    ctx: RequestContext,
    plan_id: uuid.UUID,
    body: PlanApprove,
    *,
    four_eyes: bool = True,
) -> PlacementPlan:
    """Record the district government's approval of a draft plan (not by its creator)."""
    plan = await get_plan(session, ctx.actor, plan_id, lock=True)
    if plan.status != "draft":
        raise WrongState("该安置计划已审批", "The plan is already approved")
    require_another(four_eyes, ctx.actor, plan.created_by, "approve", WHAT_ZH, WHAT_EN)
    plan.status = "approved"
    plan.approval_reference = body.approval_reference
    plan.approved_on = body.approved_on
    detail = {"approval_reference": body.approval_reference, "created_by": plan.created_by}
    await signed(session, ctx, plan, "approved", "placement_plan.approve", detail)
    return plan


async def _entry(session: AsyncSession, plan_id: uuid.UUID, entry_id: uuid.UUID) -> PlacementEntry:
    return found(
        await repo.entry(session, plan_id, entry_id), "安置记录不存在", "No such placement entry"
    )


async def place_entry(
    session: AsyncSession,
    ctx: RequestContext,
    plan_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: EntryPlace,
) -> PlacementEntry:
    """The placement is carried out (only under an approved plan)."""
    plan = await get_plan(session, ctx.actor, plan_id)
    if plan.status != "approved":
        raise WrongState("安置计划尚未经区政府批准", "The plan is not approved yet")
    entry = await _entry(session, plan_id, entry_id)
    if entry.status != "planned":
        raise WrongState("该儿童已完成安置", "The placement is already carried out")
    entry.status, entry.placed_on, entry.placement_note = "placed", body.placed_on, body.note
    await session.flush()
    audit.record(
        session,
        ctx,
        "placement.place",
        "placement_entry",
        entry.id,
        {"placed_on": str(body.placed_on)},
    )
    return entry


async def pay_entry(
    session: AsyncSession,
    ctx: RequestContext,
    plan_id: uuid.UUID,
    entry_id: uuid.UUID,
    *,
    four_eyes: bool = True,
) -> PlacementEntry:
    """Pay the one-time subsidy of a carried-out placement, once (not by the plan's approver)."""
    plan = await get_plan(session, ctx.actor, plan_id)
    entry = await _entry(session, plan_id, entry_id)
    if entry.status == "paid":
        raise AlreadyPaid("该安置补贴已支付", "The placement subsidy is already paid")
    if entry.status != "placed":
        raise WrongState("须先完成安置再支付补贴", "Carry out the placement before paying")
    require_another(four_eyes, ctx.actor, plan.approved_by, "pay", WHAT_ZH, WHAT_EN)
    entry.status, entry.paid_at, entry.paid_by = "paid", ctx.now, ctx.actor.name
    await session.flush()
    audit.record(
        session,
        ctx,
        "placement.pay",
        "placement_entry",
        entry.id,
        {
            "subsidy_fen": entry.subsidy_fen,
            "created_by": plan.created_by,
            "approved_by": plan.approved_by,
        },
    )
    return entry


async def plans_out(session: AsyncSession, plans: list[PlacementPlan]) -> list[dict[str, Any]]:
    rows = await repo.entries(session, [p.id for p in plans]) if plans else []
    by_plan: dict[uuid.UUID, list[Any]] = {}
    for entry, name, masked in rows:
        by_plan.setdefault(entry.plan_id, []).append(
            {
                "id": entry.id,
                "child_id": entry.child_id,
                "child_name": name,
                "id_number_masked": masked,
                "assessment": entry.assessment,
                "placement_type": entry.placement_type,
                "subsidy": from_fen(entry.subsidy_fen),
                "status": entry.status,
                "placed_on": entry.placed_on,
                "placement_note": entry.placement_note,
                "paid_at": entry.paid_at,
                "paid_by": entry.paid_by,
            }
        )
    out = []
    for p in plans:
        entries = by_plan.get(p.id, [])
        out.append(
            {
                "id": p.id,
                "year": p.year,
                "status": p.status,
                "note": p.note,
                "entry_count": len(entries),
                "total_subsidy": from_fen(p.total_fen),
                "by_type": dict(Counter(e["placement_type"] for e in entries)),
                "approval_reference": p.approval_reference,
                "approved_on": p.approved_on,
                "approved_at": p.approved_at,
                "approved_by": p.approved_by,
                "created_at": p.created_at,
                "created_by": p.created_by,
                "entries": entries,
            }
        )
    return out


async def plan_answer(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PlanOut:
    """The plan with its entries as the API shows it (404 when there is none)."""
    plan = await get_plan(session, principal, plan_id)
    return PlanOut.model_validate((await plans_out(session, [plan]))[0])


async def plan_reply(session: AsyncSession, ctx: RequestContext, plan: PlacementPlan) -> PlanOut:
    """The answer to a step on a plan: the plan with its entries."""
    return await plan_answer(session, ctx.actor, plan.id)


async def entry_reply(session: AsyncSession, ctx: RequestContext, entry: PlacementEntry) -> PlanOut:
    """The answer to a step on an entry: its plan with its entries."""
    return await plan_answer(session, ctx.actor, entry.plan_id)


async def list_plans(
    session: AsyncSession, principal: Principal, year: int | None
) -> list[PlanOut]:
    plans = list(await repo.plans(session, principal.district_code, year))
    return [PlanOut.model_validate(p) for p in await plans_out(session, plans)]


async def candidates(session: AsyncSession, principal: Principal, year: int) -> list[CandidateOut]:
    """The caller's district's institute's orphans who turn 18 in `year`, in no plan yet."""
    return [
        CandidateOut(
            child_id=r.id,
            name=r.name,
            id_number_masked=r.id_number_masked,
            birth_date=r.birth_date,
            status=r.status,
        )
        for r in await repo.candidates(session, principal.district_code, year)
    ]
