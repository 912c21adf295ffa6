"""The centre's rules as pure functions: confidentiality, deadlines, the ledger category of a
long-term guardianship, the follow-up visits of a returned child. No database, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.kit.clock import DISTRICT_TZ

CONFIDENTIAL_KINDS = frozenset({"domestic_violence_shelter"})
CONFIDENTIAL_BASES = frozenset({"harm_by_guardian"})
ORPHAN_BASES = frozenset({"parents_not_found", "guardian_dead"})
FOLLOW_UP_VISITS = 3
CHILD_FACTS = ("name", "gender", "estimated_birth_year", "description")
"""The child's facts an intake keeps as they are told (as `child_<fact>`)."""


def confidential(kind: str, basis: str) -> bool:
    """A child sheltered from domestic violence or harmed by the guardian (art. 92 (6)): where the
    child is and what the centre writes are kept from everyone outside the circle (rule we set)."""
    return kind in CONFIDENTIAL_KINDS or basis in CONFIDENTIAL_BASES


def ledger_category(long_term_basis: str) -> str:
    """The ledger category of a child taken into long-term guardianship (art. 94; rule we set):
    an orphan when no parent can be found or the guardian died, else de-facto unsupported."""
    return "orphan" if long_term_basis in ORPHAN_BASES else "de_facto_unsupported"


@dataclass(frozen=True)
class Due:
    deadline: str
    due_at: datetime


def pending_deadlines(
    *,
    admitted_at: datetime,
    identity_checked: bool,
    care_plan_at: datetime | None,
    last_reviewed_on: date | None,
    identity_hours: int,
    care_plan_hours: int,
    review_days: int,
) -> list[Due]:
    """The deadlines an open intake still has to meet (rules we set):

    - `identity_check`: a police identity check started within `identity_hours` of admission;
    - `care_plan`: a care plan recorded within `care_plan_hours` of admission;
    - `guardianship_review`: the temporary guardianship reviewed every `review_days` days,
      counted from admission, then from the last review (the review's day, in Beijing).
    """
    out: list[Due] = []
    if not identity_checked:
        out.append(Due("identity_check", admitted_at + timedelta(hours=identity_hours)))
    if care_plan_at is None:
        out.append(Due("care_plan", admitted_at + timedelta(hours=care_plan_hours)))
    since = admitted_at
    if last_reviewed_on is not None:
        reviewed = datetime.combine(last_reviewed_on, time(), tzinfo=DISTRICT_TZ).astimezone(UTC)
        since = max(since, reviewed)
    out.append(Due("guardianship_review", since + timedelta(days=review_days)))
    return out


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has none)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def follow_up_dates(discharged_on: date) -> list[date]:
    """The three monthly follow-up visits of a child returned to a family (rule we set)."""
    return [add_months(discharged_on, i) for i in range(1, FOLLOW_UP_VISITS + 1)]


def day_of(at: datetime) -> date:
    """The calendar day (Beijing) of an instant."""
    return at.astimezone(DISTRICT_TZ).date()


def stay_days(admitted_at: datetime, until: date) -> int:
    """Days of a stay: from the admission's day (Beijing) to `until`."""
    return max(0, (until - admitted_at.astimezone(DISTRICT_TZ).date()).days)
