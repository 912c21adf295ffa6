"""The association's clients for the charity tests."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from tests.charity.factories import Charity, grant_charity
from tests.conftest import Base


@pytest.fixture
async def charity(
    session: AsyncSession, settings: Settings, clock: FixedClock, base: Base
) -> Charity:
    return await grant_charity(session, settings, clock, base.clients["charity"])
