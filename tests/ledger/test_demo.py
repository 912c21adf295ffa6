"""The demo ledger: 205 children as in the seed, history, and a few discovery candidates."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.children import repository as children_repo
from app.children import rules
from app.config import Settings
from app.kit.clock import SystemClock, local_today
from app.ledger import demo
from app.ledger import service as ledger
from app.models import Child, ChildChange, DiscoveryCandidate


async def test_demo_ledger_matches_the_seed_and_loads_once(
    demo_session: AsyncSession, settings: Settings
) -> None:
    session = demo_session
    await demo.load(session, settings)  # a second load changes nothing
    rows = (
        await session.execute(
            select(Child.placement, func.count())
            .where(Child.status == "active")
            .group_by(Child.placement)
        )
    ).all()
    assert {p: n for p, n in rows} == {"dispersed": 131, "institution": 74}
    revoked = await session.scalar(select(func.count()).where(Child.status == "revoked"))
    assert revoked is not None
    assert revoked > 0
    months = await session.scalar(select(func.count(func.distinct(ChildChange.ledger_month))))
    assert months is not None
    assert months >= 12
    open_candidates = await session.scalar(
        select(func.count())
        .select_from(DiscoveryCandidate)
        .where(DiscoveryCandidate.status == "open")
    )
    assert open_candidates == 5
    this_month = local_today(SystemClock()).replace(day=1)
    report = await ledger.compute(session, settings.district_code, this_month)
    assert report["totals"]["total"] == 205
    assert report["totals"]["by_placement"] == {"dispersed": 131, "institution": 74}


async def test_demo_parents_carry_the_new_facts_with_evidence(
    demo_session: AsyncSession, settings: Settings
) -> None:
    """The demo's orphans and de-facto-unsupported children hold under 民发〔2019〕62号's precise
    rules: terms, grades and kinds, listed illnesses, and evidence for every fact."""
    session = demo_session
    await demo.load(session, settings)
    today = local_today(SystemClock())
    illnesses = await children_repo.serious_illness_list(session, today)
    rows = (
        await session.execute(
            select(Child).where(
                Child.status == "active",
                Child.category.in_(("orphan", "de_facto_unsupported")),
            )
        )
    ).scalars()
    seen: set[str] = set()
    for child in rows:
        facts = {"category": child.category, "parents": child.parents}
        assert rules.category_violations(facts, today, illnesses) == [], child.parents
        for i, p in enumerate(child.parents):
            assert rules.fact_requirements(p, i, today, needs_evidence=True) == [], p
            seen.add(p["situation"])
        assert child.review_flags == []
    assert {"imprisoned", "severe_disability", "serious_illness", "lost_contact"} <= seen
    due = await session.scalar(
        select(func.count()).where(Child.status == "active", Child.reverify_on.is_not(None))
    )
    assert due
