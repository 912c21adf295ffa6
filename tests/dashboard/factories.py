"""Small builders for the dashboard's tests: ledger children and their history rows."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import idnumber
from app.models import Child, ChildChange


async def child(
    session: AsyncSession,
    *,
    village: str | None,
    category: str = "orphan",
    approved_on: date = date(2025, 1, 10),
    revoked_on: date | None = None,
    name: str | None = None,
    ledger_month: date | None = None,
) -> uuid.UUID:
    """A ledger child (dispersed in `village`, or in the institute when None), with its
    `created` history row in `ledger_month` (default: the approval month) and a `revoked` one
    when revoked."""
    cid = uuid.uuid4()
    number = idnumber.make(date(2015, 3, 4), "female", sequence=uuid.uuid4().int % 999)
    values: dict[str, Any] = {
        "id": cid,
        "name": name or f"测试儿童{cid.hex[:4]}",
        "id_number_enc": b"test",
        "id_number_hash": uuid.uuid4().hex,
        "id_number_masked": idnumber.mask(number),
        "gender": "female",
        "birth_date": date(2015, 3, 4),
        "category": category,
        "placement": "dispersed" if village else "institution",
        "village_code": village,
        "approved_on": approved_on,
        "status": "revoked" if revoked_on else "active",
        "revoked_on": revoked_on,
        "parents": [],
        "guardians": [],
        "household_assistance": "none",
        "insurance": {},
        "version": 1,
    }
    await session.execute(insert(Child).values(**values))
    await session.execute(
        insert(ChildChange).values(
            id=uuid.uuid4(),
            child_id=cid,
            kind="created",
            ledger_month=ledger_month or approved_on.replace(day=1),
            changes=[],
        )
    )
    if revoked_on:
        await session.execute(
            insert(ChildChange).values(
                id=uuid.uuid4(),
                child_id=cid,
                kind="revoked",
                ledger_month=revoked_on.replace(day=1),
                changes=[],
            )
        )
    await session.flush()
    return cid
