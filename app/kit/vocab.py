"""The service's vocabulary: one definition of each domain word, its codes, labels and parsing.

Every domain imports these; none defines its own months, school years, school stages or child
categories. Parsing functions raise `ValidationFailed` (422 problem+json) naming the field, in
Chinese and English, so a router can call them on a path or query parameter directly.

Months are calendar months `YYYY-MM` of 1900–2100 (a year like 9999 would overflow the date
arithmetic that follows), held as their first day; the ledger counts from 2000 (`LEDGER_FIRST_YEAR`).
`app.kit.types.Month` (the pydantic field type) parses with `month_of` below.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Final, Literal, get_args

from app.errors import ValidationFailed
from app.kit.glossary import zh_map

# ------------------------------------------------------------------------------------ months

FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2100
LEDGER_FIRST_YEAR: Final = 2000
"""The ledger, its quarters, payrolls and school years start in 2000."""

MONTH_PATTERN: Final = r"^(19\d\d|20\d\d|2100)-(0[1-9]|1[0-2])$"
"""The JSON-schema pattern of a month (1900–2100)."""

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)  # not "20٢٦-06"
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


def month_of(value: str, *, first_year: int = FIRST_YEAR) -> date | None:
    """`2026-05` → date(2026, 5, 1); None for anything else or a year outside first_year–2100."""
    m = _MONTH.match(value)
    if m is None or not first_year <= int(m.group(1)) <= LAST_YEAR:
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse_month(value: str, field: str = "month", *, first_year: int = FIRST_YEAR) -> date:
    """`month_of`, or a 422 naming `field`."""
    month = month_of(value, first_year=first_year)
    if month is None:
        raise ValidationFailed(
            errors=[
                (
                    field,
                    f"月份格式应为 YYYY-MM（{first_year}–{LAST_YEAR}年）",
                    f"Month must be YYYY-MM ({first_year}–{LAST_YEAR})",
                )
            ]
        )
    return month


def parse_optional_month(value: str | None, field: str = "month") -> date | None:
    return None if value is None else parse_month(value, field)


def format_month(first: date) -> str:
    """date(2026, 5, 1) → `2026-05`."""
    return f"{first:%Y-%m}"


def month_end(first: date) -> date:
    """The last day of the month `first` falls in."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_quarter(value: str, field: str = "quarter") -> tuple[date, date]:
    """`2025Q2` → (first month, last month) of the quarter, from 2000 to 2100; else a 422."""
    m = _QUARTER.match(value)
    if m is None or not LEDGER_FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        raise ValidationFailed(
            errors=[(field, "季度格式应为 YYYYQn，如 2025Q2", "Quarter must be like 2025Q2")]
        )
    year, q = int(m.group(1)), int(m.group(2))
    return date(year, 3 * q - 2, 1), date(year, 3 * q, 1)


# ------------------------------------------------------------------------------------- dates


def parse_date(value: str, field: str = "date") -> date:
    """An ISO calendar date `2026-05-31` of 1900–2100; else a 422 naming `field`."""
    try:
        if _DATE.match(value) is None:
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(
            errors=[
                (
                    field,
                    f"日期格式应为 YYYY-MM-DD（{FIRST_YEAR}–{LAST_YEAR}年）",
                    f"Date must be YYYY-MM-DD ({FIRST_YEAR}–{LAST_YEAR})",
                )
            ]
        )
    return day


# ------------------------------------------------------------------------------ school years

SCHOOL_YEAR_PATTERN: Final = r"^\d{4}-\d{4}$"


def school_year_of(value: str, *, first_year: int = LEDGER_FIRST_YEAR) -> int | None:
    """`2025-2026` (two consecutive years, from first_year) → its first year, 2025; else None."""
    m = _SCHOOL_YEAR.match(value)
    start = int(m.group(1)) if m else 0
    if m is None or int(m.group(2)) != start + 1 or not first_year <= start < LAST_YEAR:
        return None
    return start


def parse_school_year(value: str, field: str = "school_year") -> int:
    """`school_year_of`, or a 422 naming `field`."""
    start = school_year_of(value)
    if start is None:
        raise ValidationFailed(
            errors=[(field, "学年格式应为“2025-2026”", "School year must look like 2025-2026")]
        )
    return start


def format_school_year(start: int) -> str:
    return f"{start}-{start + 1}"


# ----------------------------------------------------------------------------- school stages

Schooling = Literal[
    "preschool",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "secondary_vocational",
    "higher_vocational",
    "undergraduate",
]
"""The stages of schooling a child of the ledger may be in, youngest first."""

ChildSchoolStage = Literal["not_in_school", Schooling]
CHILD_SCHOOL_STAGES: Final[tuple[ChildSchoolStage, ...]] = get_args(ChildSchoolStage)
"""What a child on the ledger may be recorded as (`children.school_stage`): includes
`not_in_school`; no postgraduate (a child of the ledger is at most an undergraduate).
Today also `app.models.children.SCHOOL_STAGES`."""

GrantSchoolStage = Literal[Schooling, "postgraduate"]
GRANT_SCHOOL_STAGES: Final[tuple[GrantSchoolStage, ...]] = get_args(GrantSchoolStage)
"""The stages the subsidy parameters may set an education grant for: schooling only (no
`not_in_school`), up to postgraduate (continued schooling)."""

# -------------------------------------------------------------------------- child categories

Category = Literal[
    "orphan", "de_facto_unsupported", "poor_family_seriously_ill", "poor_family_disabled"
]
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
CATEGORY_ZH: Final[dict[str, str]] = zh_map("category")
"""The categories' names as the bureau writes them (ledger export, subsidy traces): from
`app.kit.glossary`, the one place labels are spelt."""

PLACEMENTS: Final = ("dispersed", "institution")
GENDER_ZH: Final[dict[str, str]] = zh_map("gender")
