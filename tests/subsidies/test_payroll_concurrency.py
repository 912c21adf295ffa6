"""Twenty concurrent payroll runs for one month, really committed: exactly one run and one set
of lines; the other nineteen get 409 naming it."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.models import Child, PayrollLine, PayrollRun
from tests.conftest import AuthHeaders
from tests.subsidies.factories import child_values

MONTH = "2023-08"  # far from every other test's months


async def test_twenty_concurrent_runs_make_one(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    # Committed children (removed at the end, so that no other test sees them).
    rows = [
        child_values(settings, birth_date=date(2010, 5, 1), approved_on=date(2015, 6, 1))
        for _ in range(3)
    ]
    ids = [r["id"] for r in rows]
    async with committed_engine.begin() as conn:
        await conn.execute(insert(Child), rows)
    try:
        headers = auth("admin")
        answers = await asyncio.gather(
            *(
                committed_client.post(
                    "/api/v1/subsidy/payrolls", json={"month": MONTH}, headers=headers
                )
                for _ in range(20)
            )
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] + [409] * 19
        created = next(r for r in answers if r.status_code == 201).json()
        for r in answers:
            if r.status_code == 409:
                assert r.json()["existing"]["id"] == created["id"]
        async with committed_engine.connect() as conn:
            runs = await conn.scalar(
                select(func.count())
                .select_from(PayrollRun)
                .where(PayrollRun.month == date(2023, 8, 1))
            )
            lines = await conn.scalar(
                select(func.count()).select_from(PayrollLine).where(PayrollLine.child_id.in_(ids))
            )
        assert runs == 1
        assert lines == 3
        assert created["line_count"] >= 3
    finally:
        async with committed_engine.begin() as conn:
            run_ids = select(PayrollRun.id).where(PayrollRun.month == date(2023, 8, 1))
            await conn.execute(delete(PayrollLine).where(PayrollLine.payroll_id.in_(run_ids)))
            await conn.execute(delete(PayrollRun).where(PayrollRun.month == date(2023, 8, 1)))
            await conn.execute(delete(Child).where(Child.id.in_(ids)))
