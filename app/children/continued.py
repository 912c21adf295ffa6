"""年满18周岁仍在校: the status `continued_schooling` — entered at 18, ended as an age-out.

(policy, domain.md §5; the dated parameter `support_after_18_in_school`, on by default) An
orphan or de-facto-unsupported child who turns 18 in full-time schooling stays on the ledger
with status `continued_schooling` until the normal end of that schooling
(app/children/schooling.py); the subsidy rules keep paying the living allowance and the grants
in that time. The status follows the record:

- an `active` child who has turned 18 and qualifies today enters `continued_schooling`
  (a history entry `changed`, effective on the 18th birthday);
- a `continued_schooling` child who no longer qualifies — the schooling's normal end has passed,
  the child left school or changed to a stage not covered (a PATCH of the schooling), or the
  parameter was switched off — is revoked as `aged_out`, as the normal age-out is: effective on
  the schooling's end when it has passed, else on the day it stopped qualifying; an institute
  orphan then enters the adult-placement queue.

Everyone else ages out as before: listed as due for revocation at 18, the allowance stops after
the month of the 18th birthday. The periodic job `children.continued_schooling` settles every
child once a day; a change of the record settles that child at once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import repository as repo
from app.children import service
from app.children.fields import revocation_changes, state_of
from app.children.rules import birthday_at
from app.children.schooling import PARAMETER, normal_end, support_until
from app.kit import audit
from app.kit.context import RequestContext
from app.models import Child


async def support_after_18_on(
    session: AsyncSession, day: date, district_code: str | None = None
) -> bool:
    """Whether `support_after_18_in_school` is on on `day` (off when no value is in force), with
    `district_code`'s override where one applies."""
    from app.subsidies.parameters import ParameterNotInForce
    from app.subsidies.standards.service import load_parameters

    params = await load_parameters(session, district_code)
    try:
        return params.at(PARAMETER, day).flag
    except ParameterNotInForce:
        return False


def supported_until(child: Child, today: date, switch_on: bool) -> date | None:
    """The last day of support after 18 if `child` qualifies on `today`, else None."""
    if not switch_on:
        return None
    until = support_until(
        child.category,
        child.birth_date,
        child.school_stage,
        child.school_enrolment_year,
        child.school_expected_end_on,
    )
    return until if until is not None and until >= today else None


async def settle(
    session: AsyncSession,
    child: Child,
    now: datetime,
    *,
    ctx: RequestContext | None = None,
    switch_on: bool | None = None,
) -> str | None:
    """Bring `child`'s status in line with the rule today; the transition made, if any
    (`continued_schooling` or `aged_out`). `ctx` is the change that settles the child (None:
    the daily job, the system itself)."""
    today = service.today_of(now)
    turns_18 = birthday_at(child.birth_date, 18)
    if child.status not in ("active", "continued_schooling") or turns_18 > today:
        return None
    if switch_on is None:
        district = ctx.principal.district_code if ctx and ctx.principal else None
        switch_on = await support_after_18_on(session, today, district)
    until = supported_until(child, today, switch_on)
    if child.status == "active" and until is not None:
        await _continue(session, child, now, ctx, until, max(turns_18, child.approved_on))
        return "continued_schooling"
    if child.status == "continued_schooling" and until is None:
        effective, note = _why_support_ends(child, today, switch_on)
        effective = max(effective, turns_18, child.approved_on)
        await _age_out(session, child, now, ctx, effective, note)
        if child.category == "orphan" and child.placement == "institution":
            await repo.enqueue_placement(session, child.id, turns_18)
        detail = {"reason": "aged_out", "continued_schooling_ended": True}
        audit.record(session, ctx, "child.revoke", "child", child.id, detail)
        await session.flush()
        return "aged_out"
    return None


async def _continue(
    session: AsyncSession,
    child: Child,
    now: datetime,
    ctx: RequestContext | None,
    until: date,
    effective: date,
) -> None:
    """An `active` child of 18 in full-time schooling enters `continued_schooling`."""
    child.status = "continued_schooling"
    await session.flush()
    await service.record_change(
        session, child, "changed", _actor(ctx),
        [{"field": "status", "from": "active", "to": "continued_schooling"}],
        reason=f"年满18周岁仍在全日制学校就读，继续保障至学制结束（{until.isoformat()}）",
        effective_on=effective, now=now,
    )  # fmt: skip
    detail = {"until": until.isoformat()}
    audit.record(session, ctx, "child.continued_schooling", "child", child.id, detail)
    await session.flush()


def _why_support_ends(child: Child, today: date, switch_on: bool) -> tuple[date, str]:
    """The day the support after 18 ends and why: the schooling ended, the rule was switched
    off, or the child left school."""
    end = normal_end(child.school_stage, child.school_enrolment_year, child.school_expected_end_on)
    if end is not None and end < today and switch_on:
        return end, f"学制已于 {end.isoformat()} 结束，年满18周岁仍在校保障终止"
    if not switch_on:
        return today, f"年满18周岁仍在校保障已停止实行（{PARAMETER}）"
    return today, "已离开全日制学校，年满18周岁仍在校保障终止"


async def _age_out(
    session: AsyncSession,
    child: Child,
    now: datetime,
    ctx: RequestContext | None,
    effective: date,
    note: str,
) -> None:
    """Revoke the record as `aged_out` on `effective`, with its history entry."""
    before = state_of(child)
    child.status = "revoked"
    child.revoked_on = effective
    child.revoke_reason = "aged_out"
    child.revoke_note = note
    await session.flush()
    await service.record_change(
        session, child, "revoked", _actor(ctx),
        revocation_changes(before, state_of(child)),
        reason=note, effective_on=effective, now=now,
    )  # fmt: skip


def _actor(ctx: RequestContext | None) -> Principal | None:
    return None if ctx is None else ctx.principal


async def settle_all(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Settle every child the rule may concern today: on the ledger, 18 or older, and either in
    `continued_schooling` or a supported category in a full-time stage. Counts by transition.
    The switch is each child's district's: the city's value, or the district's dated override."""
    today = service.today_of(now)
    switch: dict[str | None, bool] = {}
    counts: dict[str, int] = {}
    for child in await repo.may_continue_schooling(session, today):
        district = child.district_code
        if district not in switch:
            switch[district] = await support_after_18_on(session, today, district)
        done = await settle(session, child, now, switch_on=switch[district])
        if done is not None:
            counts[done] = counts.get(done, 0) + 1
    return counts
