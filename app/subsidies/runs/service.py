"""助学金 and 节日慰问: the school year's education-grant run and the holiday-condolence runs —
one line per child active on the run's day, once per period, approved by someone other than
their creator (four eyes); an approved run counts as spent."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import history_repository as history
from app.errors import Forbidden, ValidationFailed, found
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.four_eyes import require_another
from app.kit.glossary import zh_map
from app.kit.money import from_fen, to_fen
from app.kit.pagination import Page, paginate
from app.kit.records import out_of
from app.models import BenefitLine, BenefitRun, Child
from app.subsidies import repository as repo
from app.subsidies.errors import RunExists, WrongState
from app.subsidies.facts import (
    Totals,
    child_facts,
    facts_json,
    payee,
    totals_out,
    town_of,
    with_values,
)
from app.subsidies.rules import Occasion, RuleResult, education_grant, holiday_condolence
from app.subsidies.rules.grants import OCCASION_DAY
from app.subsidies.runs import repository as runs_repo
from app.subsidies.schemas import BenefitLineOut, BenefitRunOut
from app.subsidies.standards.service import in_force, load_parameters

BENEFIT_ZH = zh_map("benefit")


async def _benefit_run(
    session: AsyncSession,
    ctx: RequestContext,
    benefit: str,
    period: str,
    day: date,
    compute: Any,
) -> BenefitRun:
    params = await load_parameters(session, ctx.actor.district_code)
    field = "school_year" if benefit == "education_grant" else "year"
    district = ctx.actor.district_code
    if district is None:
        raise Forbidden("发放批次由区级办理", "Runs are made by a district")
    run_id = await runs_repo.insert_benefit_run(
        session,
        {
            "district_code": district,
            "benefit": benefit,
            "period": period,
            "reference_date": day,
            "created_at": ctx.now,
            "created_by": ctx.actor.name,
            "totals": {},
        },
    )
    if run_id is None:
        raise RunExists(
            f"{BENEFIT_ZH[benefit]} {period} 已经发放过", f"The {benefit} run {period} exists"
        )
    totals = Totals()
    lines: list[dict[str, Any]] = []
    # The category and stage on the run's day, from the history (for a past school year).
    categories = await history.values_on(session, "category", day)
    stages = await history.values_on(session, "school_stage", day)
    async for rows in repo.stream_children(
        session, repo.active_on_clause(day), Child.district_code == district
    ):
        for row in rows:
            if row.id in stages:
                row = with_values(row, school_stage=stages[row.id])
            category = categories.get(row.id, row.category)
            facts = child_facts(row, category=category)
            with in_force(field):
                result: RuleResult = compute(facts, params)
            if result.amount <= 0:
                continue
            fen = to_fen(result.amount)
            town = town_of(row.village_code)
            lines.append(
                {
                    "run_id": run_id,
                    "child_id": row.id,
                    "category": category,
                    "town_code": town,
                    "amount_fen": fen,
                    "facts": facts_json(facts, row),
                    "parameters": result.trace["parameters"],
                    "payee": payee(row),
                }
            )
            totals.add(category, town, fen)
    await runs_repo.add_benefit_lines(session, lines)
    run = await session.get(BenefitRun, run_id)
    assert run is not None
    run.line_count, run.total_fen, run.totals = totals.count, totals.fen, totals.to_json()
    await session.flush()
    audit.record(
        session,
        ctx,
        f"{benefit}.run",
        "benefit_run",
        run_id,
        {"period": period, "line_count": totals.count, "total_fen": totals.fen},
    )
    return run


async def create_education_grants(
    session: AsyncSession, ctx: RequestContext, school_year: str
) -> BenefitRunOut:
    """助学金: one line per child active on 1 September in an eligible stage; once a year."""
    start = int(school_year[:4])
    day = date(start, 9, 1)
    if day > ctx.today:
        raise ValidationFailed(
            errors=[
                (
                    "school_year",
                    f"学年尚未开始（{day.isoformat()}），不能发放",
                    f"The school year starts on {day.isoformat()}",
                )
            ]
        )
    run = await _benefit_run(
        session,
        ctx,
        "education_grant",
        school_year,
        day,
        lambda facts, params: education_grant(facts, school_year, params),
    )
    return await run_out(session, run)


async def create_holiday_run(
    session: AsyncSession, ctx: RequestContext, occasion: Occasion, year: int
) -> BenefitRunOut:
    """节日慰问: a line per child active on the occasion's day; once per occasion and year."""
    day = date(year, *OCCASION_DAY[occasion])
    run = await _benefit_run(
        session,
        ctx,
        "holiday_condolence",
        f"{occasion}-{year}",
        day,
        lambda facts, params: holiday_condolence(facts, occasion, year, params),
    )
    return await run_out(session, run)


async def get_benefit_run(
    session: AsyncSession, principal: Principal, benefit: str, period: str
) -> BenefitRunOut:
    """The caller's district's run of `benefit` for `period`; 404 when there is none."""
    return await run_out(session, await _run(session, principal, benefit, period))


async def _run(
    session: AsyncSession, principal: Principal, benefit: str, period: str, *, lock: bool = False
) -> BenefitRun:
    return found(
        await runs_repo.benefit_run(session, principal.district_code, benefit, period, lock=lock),
        f"{BENEFIT_ZH[benefit]} {period} 尚未发放",
        f"No {benefit} run {period}",
    )


async def approve_benefit_run(
    session: AsyncSession,
    ctx: RequestContext,
    benefit: str,
    period: str,
    *,
    four_eyes: bool = True,
) -> BenefitRunOut:
    """审批: a draft grant or holiday run is approved, by someone other than its creator (four
    eyes); from then on it counts as spent."""
    run = await _run(session, ctx.actor, benefit, period, lock=True)
    if run.status != "draft":
        raise WrongState(
            f"{BENEFIT_ZH[benefit]} {period} 已审批", f"The {benefit} run {period} is approved"
        )
    require_another(
        four_eyes,
        ctx.actor,
        run.created_by,
        "approve",
        f"{BENEFIT_ZH[benefit]} {period} 的发放批次",
        f"the {benefit} run {period}",
    )
    run.status, run.approved_at, run.approved_by = "approved", ctx.now, ctx.actor.name
    await session.flush()
    audit.record(
        session,
        ctx,
        f"{benefit}.approve",
        "benefit_run",
        run.id,
        {"period": period, "total_fen": run.total_fen, "created_by": run.created_by},
    )
    return await run_out(session, run)


async def run_out(session: AsyncSession, run: BenefitRun) -> BenefitRunOut:
    """The run as the API shows it, its totals by town named."""
    towns = await repo.town_names(session)
    return out_of(
        BenefitRunOut,
        run,
        total_amount=from_fen(run.total_fen),
        totals=totals_out(run.totals, towns),
    )


async def run_lines(
    session: AsyncSession,
    principal: Principal,
    benefit: str,
    period: str,
    limit: int,
    cursor: str | None,
) -> Page[BenefitLineOut]:
    """The lines of the run of `benefit` for `period` (keyset pages); 404 when it has none."""
    run = await _run(session, principal, benefit, period)
    rows, nxt = await paginate(
        session, runs_repo.benefit_lines_stmt(run.id), [BenefitLine.id], limit=limit, cursor=cursor
    )
    items = [out_of(BenefitLineOut, r, amount=from_fen(r.amount_fen)) for r in rows]
    return Page(items=items, next_cursor=nxt)
