"""The city dashboard's response: each district as a row, the city's totals and trends."""

from __future__ import annotations

from pydantic import Field

from app.dashboard.schemas import AreaRef, TrendsSection, _Out
from app.kit.types import Timestamp


class CityChildren(_Out):
    total: int
    by_category: dict[str, int]


class CityVisits(_Out):
    due: int
    visited: int
    ratio: float | None


class CityIncidents(_Out):
    reported: int = Field(description="Reported in the month (drafts excluded)")
    open: int = Field(description="Open now: reported, not closed")


class CityScreening(_Out):
    records: int
    by_classification: dict[str, int]
    flagged: int


class CitySpending(_Out):
    spent: str = Field(description="From 1 January to the month's end, yuan (decimal string)")
    by_benefit: dict[str, str]
    medical_insurance: str | None = Field(
        default=None, description="Insurance premiums: the city's total only"
    )


class DistrictRow(_Out):
    code: str | None = Field(description="The district; null for the `unplaced` row")
    name: str
    children: CityChildren
    visits: CityVisits
    incidents: CityIncidents
    screening: CityScreening
    spending: CitySpending


class CitySummaryOut(_Out):
    """市级看板: every district's aggregates (no one's record), the totals and 12-month trends."""

    month: str = Field(examples=["2026-06"])
    as_of: str = Field(description="The day the standing figures are taken on")
    city: AreaRef
    generated_at: Timestamp
    districts: list[DistrictRow]
    unplaced: DistrictRow = Field(
        description="What belongs to no district's area: the institute's children (no village), "
        "incidents without a place"
    )
    totals: DistrictRow
    trends: TrendsSection
