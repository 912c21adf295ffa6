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

from sqlalchemy import Date, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import repository as repo
from app.children.rules import birthday_at
from app.children.schooling import (
    FULL_TIME_STAGES,
    PARAMETER,
    SUPPORTED_CATEGORIES,
    normal_end,
    support_until,
)
from app.kit import audit
from app.models import Child


async def support_after_18_on(session: AsyncSession, day: date) -> bool:
    """Whether `support_after_18_in_school` is on on `day` (off when no value is in force)."""
    from app.subsidies.parameters import ParameterNotInForce
    from app.subsidies.standards.service import load_parameters

    params = await load_parameters(session)
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
    principal: Principal | None = None,
    switch_on: bool | None = None,
) -> str | None:
    """Bring `child`'s status in line with the rule today; the transition made, if any
    (`continued_schooling` or `aged_out`)."""
    from app.children import service

    today = service.today_of(now)
    turns_18 = birthday_at(child.birth_date, 18)
    if child.status not in ("active", "continued_schooling") or turns_18 > today:
        return None
    if switch_on is None:
        switch_on = await support_after_18_on(session, today)
    until = supported_until(child, today, switch_on)
    if child.status == "active" and until is not None:
        child.status = "continued_schooling"
        await session.flush()
        await service.record_change(
            session, child, "changed", principal,
            [{"field": "status", "from": "active", "to": "continued_schooling"}],
            reason=f"年满18周岁仍在全日制学校就读，继续保障至学制结束（{until.isoformat()}）",
            effective_on=max(turns_18, child.approved_on), now=now,
        )  # fmt: skip
        audit.record(
            session, principal, "child.continued_schooling", "child", child.id,
            {"until": until.isoformat()},
        )  # fmt: skip
        await session.flush()
        return "continued_schooling"
    if child.status == "continued_schooling" and until is None:
        end = normal_end(
            child.school_stage, child.school_enrolment_year, child.school_expected_end_on
        )
        if end is not None and end < today and switch_on:
            effective, note = end, f"学制已于 {end.isoformat()} 结束，年满18周岁仍在校保障终止"
        elif not switch_on:
            effective, note = today, f"年满18周岁仍在校保障已停止实行（{PARAMETER}）"
        else:
            effective, note = today, "已离开全日制学校，年满18周岁仍在校保障终止"
        effective = max(effective, turns_18, child.approved_on)
        before = service.state_of(child)
        child.status = "revoked"
        child.revoked_on = effective
        child.revoke_reason = "aged_out"
        child.revoke_note = note
        await session.flush()
        after = service.state_of(child)
        changes = [
            {"field": f, "from": before[f], "to": after[f]}
            for f in ("status", "revoked_on", "revoke_reason")
        ]
        await service.record_change(
            session, child, "revoked", principal, changes,
            reason=note, effective_on=effective, now=now,
        )  # fmt: skip
        if child.category == "orphan" and child.placement == "institution":
            await repo.enqueue_placement(session, child.id, turns_18)
        audit.record(
            session, principal, "child.revoke", "child", child.id,
            {"reason": "aged_out", "continued_schooling_ended": True},
        )  # fmt: skip
        await session.flush()
        return "aged_out"
    return None


async def settle_all(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Settle every child the rule may concern today: on the ledger, 18 or older, and either in
    `continued_schooling` or a supported category in a full-time stage. Counts by transition."""
    from app.children import service

    today = service.today_of(now)
    switch_on = await support_after_18_on(session, today)
    eighteenth = cast(Child.birth_date + func.make_interval(18), Date)
    stmt = (
        select(Child)
        .where(
            eighteenth <= today,
            or_(
                Child.status == "continued_schooling",
                and_(
                    Child.status == "active",
                    Child.category.in_(SUPPORTED_CATEGORIES),
                    Child.school_stage.in_(FULL_TIME_STAGES),
                ),
            ),
        )
        .order_by(Child.id)
        .with_for_update(skip_locked=True)
    )
    counts: dict[str, int] = {}
    for child in (await session.execute(stmt)).scalars().all():
        done = await settle(session, child, now, switch_on=switch_on)
        if done is not None:
            counts[done] = counts.get(done, 0) + 1
    return counts
