"""What a screening finds, whom it concerns, how it ends (rules we set, after domain.md §10:
"with police, health, education and the disabled persons' federation, make sure [migrant
children] get schooling and medical care where they live").

| finding | the record shows it when | referred to | the outcome that resolves it |
|---|---|---|---|
| `out_of_school` | aged 6–15 today (compulsory education) and `school_status` not_in_school | education | `enrolled` |
| `uninsured` | the screening does not record insurance: the district's word (record_ids only) | health | `insured` |
| `disability` | a disability is recorded (`disability_kind`) | disabled_federation, health | `assessed` |

Every finding may also end `not_found`, `moved_away` or `other`.
"""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

from sqlalchemy import and_, true
from sqlalchemy.sql.elements import ColumnElement

from app.models import ScreeningRecord
from app.screening.imports.rows import age_on
from app.screening.repository import birth_on_or_before

Finding = Literal["out_of_school", "uninsured", "disability"]
ScreeningAgency = Literal["education", "health", "disabled_federation"]
Outcome = Literal["enrolled", "insured", "assessed", "not_found", "moved_away", "other"]

FINDINGS: Final[tuple[Finding, ...]] = ("out_of_school", "uninsured", "disability")
OUTCOMES: Final[tuple[Outcome, ...]] = (
    "enrolled",
    "insured",
    "assessed",
    "not_found",
    "moved_away",
    "other",
)
AGENCIES_FOR: Final[dict[str, frozenset[str]]] = {
    "out_of_school": frozenset({"education"}),
    "uninsured": frozenset({"health"}),
    "disability": frozenset({"disabled_federation", "health"}),
}
RESOLVED_BY: Final[dict[str, str]] = {
    "out_of_school": "enrolled",
    "uninsured": "insured",
    "disability": "assessed",
}
ANY_FINDING: Final = frozenset({"not_found", "moved_away", "other"})
COMPULSORY_AGES: Final = (6, 15)
FINDING_ZH: Final[dict[str, str]] = {
    "out_of_school": "义务教育阶段未入学",
    "uninsured": "未参加医疗保险",
    "disability": "残疾",
}


def concerns(finding: str, agency: str) -> bool:
    return agency in AGENCIES_FOR[finding]


def fits(finding: str, outcome: str) -> bool:
    """Whether `outcome` can end a referral of `finding` (enrolled ends out_of_school, ...)."""
    return outcome in ANY_FINDING or RESOLVED_BY[finding] == outcome


def shows(record: ScreeningRecord, finding: str, today: date) -> bool:
    """Whether the record itself shows the finding (uninsured: the screening cannot say)."""
    if finding == "out_of_school":
        low, high = COMPULSORY_AGES
        age = age_on(record.birth_date, today)
        return record.school_status == "not_in_school" and low <= age <= high
    if finding == "disability":
        return record.disability_kind is not None
    return True


def criterion(finding: str, today: date) -> ColumnElement[bool]:
    """`shows` in SQL, for a referral by filter (uninsured has none: refused by filter)."""
    r = ScreeningRecord
    if finding == "out_of_school":
        low, high = COMPULSORY_AGES
        return and_(
            r.school_status == "not_in_school",
            r.birth_date <= birth_on_or_before(today, low),
            r.birth_date > birth_on_or_before(today, high + 1),
        )
    if finding == "disability":
        return r.disability_kind.is_not(None)
    return true()
