"""The police client of the protection tests holds the `protection:write` scope."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AgencyClient
from tests.conftest import ALL_SCOPES, AuthHeaders, Base

PoliceHeaders = Callable[[], dict[str, str]]


@pytest.fixture
async def police(session: AsyncSession, base: Base, auth: AuthHeaders) -> PoliceHeaders:
    """Headers of the police client with `protection:write` granted (in this test only)."""
    await session.execute(
        update(AgencyClient)
        .where(AgencyClient.id == base.clients["police"])
        .values(scopes=[*ALL_SCOPES, "protection:write"])
    )
    await session.commit()
    return lambda: auth(agency="police", scopes=[*ALL_SCOPES, "protection:write"])
