"""One clock for the whole service, so tests can fix "now". Months are decided in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

DISTRICT_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still (tests); `advance` moves it."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at


async def get_clock(request: Request) -> Clock:
    # async: FastAPI runs a plain `def` dependency in a worker thread (a hand-off per request)
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]


def local_today(clock: Clock) -> date:
    """Today's date in the district (Asia/Shanghai)."""
    return clock.now().astimezone(DISTRICT_TZ).date()


def month_of(at: datetime) -> date:
    """The first day of the district month (Asia/Shanghai) that `at` falls in."""
    local = at.astimezone(DISTRICT_TZ)
    return date(local.year, local.month, 1)
