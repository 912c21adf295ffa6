"""Pure category rules (domain.md §5) and calendar helpers."""

from __future__ import annotations

from datetime import date

import pytest

from app.children import rules


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2025, 12, 15), 6, date(2026, 6, 15)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
    ],
)
def test_add_months_clamps_the_day(d: date, months: int, expected: date) -> None:
    assert rules.add_months(d, months) == expected


def test_birthday_and_age() -> None:
    assert rules.birthday_at(date(2008, 2, 29), 18) == date(2026, 2, 28)
    assert rules.age_on(date(2008, 6, 20), date(2026, 6, 19)) == 17
    assert rules.age_on(date(2008, 6, 20), date(2026, 6, 20)) == 18


def test_time_bound_situations_count_from_six_months() -> None:
    parents = [
        {"relation": "father", "situation": "deceased", "since": "2020-01-01"},
        {"relation": "mother", "situation": "lost_contact", "since": "2025-12-15"},
    ]
    assert not rules.is_de_facto_unsupported(parents, date(2026, 6, 14))
    assert rules.is_de_facto_unsupported(parents, date(2026, 6, 15))


def test_suggested_categories() -> None:
    facts = {
        "household_assistance": "subsistence",
        "disability": {"kind": "mental", "grade": 3},
        "serious_illness": None,
        "parents": [
            {"relation": "father", "situation": "imprisoned", "since": "2020-01-01"},
            {"relation": "mother", "situation": "imprisoned", "since": "2020-01-01"},
        ],
    }
    assert rules.suggested_categories(facts, date(2026, 6, 15)) == [
        "de_facto_unsupported",
        "poor_family_disabled",
    ]
    facts["household_assistance"] = "none"
    facts["parents"] = []
    assert rules.suggested_categories(facts, date(2026, 6, 15)) == []
