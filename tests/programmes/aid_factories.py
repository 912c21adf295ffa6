"""Test data for the education aid, the gifts and the activities: synthetic children."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import idnumber
from app.models import AgencyClient
from tests.conftest import ALL_SCOPES

_rng = random.Random(24)

ROUNDS = "/api/v1/education-aid/rounds"


def id_number(gender: str = "female", birth: date = date(2012, 5, 6)) -> str:
    """A synthetic ID number with a valid check character."""
    return idnumber.make(birth, gender, rng=_rng)  # type: ignore[arg-type]


def named_child(gender: str = "male", village: str = "110115002001", **kw: Any) -> dict[str, Any]:
    """The facts of a child the federation names (not on the ledger)."""
    return {"name": "测试受助儿童", "id_number": id_number(gender), "village_code": village, **kw}


async def fed_headers(session: AsyncSession, auth: Any, **kw: Any) -> dict[str, str]:
    """The women's federation's client, granted `programmes:read` (in the test's transaction),
    with a token of that scope."""
    await session.execute(
        update(AgencyClient)
        .where(AgencyClient.agency == "women_federation")
        .values(scopes=sorted({*ALL_SCOPES, "programmes:read"}))
    )
    await session.flush()
    return auth(agency="women_federation", scopes=["programmes:read"], **kw)  # type: ignore[no-any-return]
