"""自然增长机制，每两年调整一次: when the living-allowance standard is due for its review.

(domain.md §3.1) The standard S rises by a natural-growth mechanism, adjusted every two years.
(rule we set) The standard in force today is due for review once it has been in force for 24
months: from `effective_from` + 24 calendar months on (a standard of 2023-07-01 is due on
2025-07-01, not on 2025-06-30). A newer value already appended with a later `effective_from`
is the adjustment itself: no review is due then, and `next_effective_from` says when it applies.
Pure: a ParameterSet and a date in, the answer out.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from app.children.rules import add_months
from app.subsidies.parameters import ParameterNotInForce, ParameterSet

KEY: Final = "living_allowance.standard"
REVIEW_MONTHS: Final = 24


@dataclass(frozen=True)
class StandardReview:
    """The review of the standard S as of `today`."""

    key: str
    value: str | None
    in_force_since: date | None
    review_due_on: date | None
    review_due: bool
    months_in_force: int | None
    next_effective_from: date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "in_force_since": _iso(self.in_force_since),
            "review_due_on": _iso(self.review_due_on),
            "review_due": self.review_due,
            "months_in_force": self.months_in_force,
            "next_effective_from": _iso(self.next_effective_from),
        }


def standard_review(params: ParameterSet, today: date) -> StandardReview:
    """Whether the standard in force on `today` has been so for 24 months (a review is due)."""
    history = params.history(KEY)
    dates = [v.effective_from for v in history]
    later = dates[bisect.bisect_right(dates, today) :]
    try:
        current = params.at(KEY, today)
    except ParameterNotInForce:
        return StandardReview(KEY, None, None, None, False, None, later[0] if later else None)
    due_on = add_months(current.effective_from, REVIEW_MONTHS)
    since = current.effective_from
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    return StandardReview(
        key=KEY,
        value=f"{current.decimal:f}",
        in_force_since=since,
        review_due_on=due_on,
        review_due=not later and today >= due_on,
        months_in_force=months,
        next_effective_from=later[0] if later else None,
    )


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()
