"""年满18周岁仍在校: support after 18 in full-time schooling (domain.md §5). Pure functions.

(policy, widely adopted, e.g. Chengdu's published rule) An orphan or de-facto-unsupported child
who turns 18 while still in full-time schooling (senior secondary 高中, secondary vocational 中职,
higher vocational 高职, undergraduate 本科) keeps the living allowance within the normal length
of that schooling, and is paid the education grants. Whether this applies is the dated
parameter `support_after_18_in_school` (rule we set; on by default).

The normal end of the current schooling (rules we set):
- `school_expected_end_on`, when the record has it (the school's stated end, e.g. a 5-year
  programme), else
- 31 August of `school_enrolment_year` + the normal length of the stage: senior secondary 3
  years, secondary vocational 3, higher vocational 3, undergraduate 4. A school year runs from
  1 September (the education grant's reference day) to 31 August, so the summer after the last
  school year is still "in that schooling" and a graduate going on to another full-time stage
  can be recorded before support would end;
- unknown (no support after 18) when neither is recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from app.children.rules import birthday_at
from app.kit.glossary import zh_map

FULL_TIME_STAGES: Final[tuple[str, ...]] = (
    "senior_secondary",
    "secondary_vocational",
    "higher_vocational",
    "undergraduate",
)
NORMAL_YEARS: Final[dict[str, int]] = {
    "senior_secondary": 3,
    "secondary_vocational": 3,
    "higher_vocational": 3,
    "undergraduate": 4,
}
STAGE_ZH: Final[dict[str, str]] = zh_map("school_stage")
SUPPORTED_CATEGORIES: Final = frozenset({"orphan", "de_facto_unsupported"})
PARAMETER: Final = "support_after_18_in_school"


def normal_end(
    stage: str | None, enrolment_year: int | None, expected_end: date | None
) -> date | None:
    """The normal end of the current full-time schooling, or None (not full-time, or unknown)."""
    if stage not in NORMAL_YEARS:
        return None
    if expected_end is not None:
        return expected_end
    if enrolment_year is None:
        return None
    return date(enrolment_year + NORMAL_YEARS[stage], 8, 31)


def support_until(
    category: str,
    birth_date: date,
    stage: str | None,
    enrolment_year: int | None,
    expected_end: date | None,
) -> date | None:
    """The last day support continues after 18, or None when the child does not qualify.

    Qualifies: an orphan or de-facto-unsupported child in a full-time stage whose normal end is
    after the 18th birthday. The parameter `support_after_18_in_school` is checked by the caller
    on the date it decides for (it is dated).
    """
    if category not in SUPPORTED_CATEGORIES:
        return None
    end = normal_end(stage, enrolment_year, expected_end)
    if end is None or end <= birthday_at(birth_date, 18):
        return None
    return end
