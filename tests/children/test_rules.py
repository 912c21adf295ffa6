"""Pure category rules (domain.md §5) and calendar helpers."""

from __future__ import annotations

from datetime import date
from typing import Any

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


def test_lost_contact_counts_six_months_after_the_police_report() -> None:
    parents = [
        {"relation": "father", "situation": "deceased", "since": "2020-01-01"},
        {"relation": "mother", "situation": "lost_contact", "since": "2025-12-15"},
    ]
    assert not rules.is_de_facto_unsupported(parents, date(2026, 6, 14))
    assert rules.is_de_facto_unsupported(parents, date(2026, 6, 15))
    # 31 August + 6 months: the last day of February
    parents[1]["since"] = "2025-08-31"
    assert not rules.is_de_facto_unsupported(parents, date(2026, 2, 27))
    assert rules.is_de_facto_unsupported(parents, date(2026, 2, 28))


def _with(mother: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"relation": "father", "situation": "deceased", "since": "2020-01-01"}, mother]


@pytest.mark.parametrize("situation", sorted(rules.TERM_SITUATIONS))
@pytest.mark.parametrize(
    ("term", "on", "counts"),
    [
        (6, date(2026, 1, 10), True),  # its first day
        (6, date(2026, 7, 9), True),  # its last day
        (6, date(2026, 7, 10), False),  # ended
        (5, date(2026, 1, 10), False),
        (4, date(2026, 3, 1), False),
        (36, date(2026, 1, 10), True),
        (None, date(2026, 3, 1), False),
    ],
)
def test_a_term_counts_when_six_months_or_more_from_its_first_day(
    situation: str, term: int | None, on: date, counts: bool
) -> None:
    mother: dict[str, Any] = {"relation": "mother", "situation": situation, "since": "2026-01-10"}
    if term is not None:
        mother["term_months"] = term
    assert rules.is_de_facto_unsupported(_with(mother), on) is counts
    problems = rules.parent_problems(mother, 1, on)
    assert [p.field for p in problems] == ([] if counts else ["parents.1.term_months"])


@pytest.mark.parametrize(
    ("grade", "kind", "counts"),
    [(1, "physical", True), (2, "multiple", True), (3, "physical", False),
     (3, "intellectual", True), (4, "mental", True), (4, "speech", False)],
)  # fmt: skip
def test_severe_disability_is_grade_1_2_or_grade_3_4_mental_or_intellectual(
    grade: int, kind: str, counts: bool
) -> None:
    mother = {"relation": "mother", "situation": "severe_disability", "since": "2020-01-01",
              "disability_grade": grade, "disability_kind": kind}  # fmt: skip
    assert rules.is_de_facto_unsupported(_with(mother), date(2026, 6, 15)) is counts


def test_serious_illness_against_the_list() -> None:
    listed = ("白血病", "尿毒症")
    mother: dict[str, Any] = {"relation": "mother", "situation": "serious_illness", "since": "2025-01-01",
              "illness": "急性 淋巴细胞白血病"}  # fmt: skip
    on = date(2026, 6, 15)
    assert rules.is_de_facto_unsupported(_with(mother), on, listed)
    mother["illness"] = "重度哮喘"
    assert not rules.is_de_facto_unsupported(_with(mother), on, listed)
    mother["illness_acceptance"] = {
        "reason": "x",
        "accepted_by": "admin",
        "accepted_on": "2026-06-01",
    }
    assert rules.is_de_facto_unsupported(_with(mother), on, listed)


def test_reverification_dates() -> None:
    term = {"situation": "imprisoned", "since": "2025-08-31", "term_months": 6}
    assert rules.reverification_due(term) == (date(2026, 2, 28), "term_ends")
    ill = {"situation": "serious_illness", "since": "2024-01-01", "verified_on": "2026-03-01",
           "evidence": {"kind": "hospital_diagnosis", "issued_on": "2025-05-01"}}  # fmt: skip
    assert rules.reverification_due(ill) == (date(2027, 3, 1), "yearly_review")
    assert rules.reverification_due({"situation": "deceased", "since": "2020-01-01"}) is None


def test_carry_over_flags_what_no_longer_holds_and_keeps_the_rest() -> None:
    """The migration's rule: old facts in the new shape, flags where the category fails."""
    today = date(2026, 12, 7)
    old = {
        "category": "de_facto_unsupported",
        "status": "active",
        "parents": [
            {"relation": "father", "situation": "deceased", "since": "2020-01-01",
             "evidence": "死亡证明"},
            {"relation": "mother", "situation": "severe_disability", "since": "2021-01-01"},
        ],
    }  # fmt: skip
    parents, flags, due = rules.carry_over(old, today, ("白血病",))
    assert parents[0]["evidence"] == {
        "kind": "other", "number": None, "issuer": None, "issued_on": None, "note": "死亡证明"
    }  # fmt: skip
    assert parents[1] == old["parents"][1]  # nothing invented
    assert {(f["field"], f["rule"]) for f in flags} == {
        ("category", "de_facto_needs_parents_situations"),
        ("parents.1.disability_grade", "disability_required"),
        ("parents.1.disability_kind", "disability_required"),
    }
    assert all(f["flagged_on"] == "2026-12-07" for f in flags)
    assert old["category"] == "de_facto_unsupported"  # flagged, not re-classified
    assert due == date(2022, 1, 1)  # its yearly review, long overdue
    orphan = {"category": "orphan", "status": "active", "parents": [
        {"relation": "father", "situation": "deceased", "since": "2020-01-01", "evidence": ""},
        {"relation": "mother", "situation": "declared_dead", "since": "2020-01-01"},
    ]}  # fmt: skip
    parents, flags, due = rules.carry_over(orphan, today, ("白血病",))
    assert parents[0]["evidence"] is None
    assert flags == []
    assert due is None
    revoked = dict(old, status="revoked")
    assert rules.carry_over(revoked, today, ())[1:] == ([], None)


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
