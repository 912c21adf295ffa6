"""The art. 62 record check: missing, out of date, or not clear refuses; the edge days hold."""

from __future__ import annotations

from datetime import date

import pytest

from app.kit.record_check import (
    RecordCheck,
    RecordCheckFailed,
    refusal,
    require_clear,
    valid_until,
)

TODAY = date(2026, 6, 15)


def check(queried_on: date, result: str = "clear") -> RecordCheck:
    return RecordCheck.model_validate(
        {"queried_on": queried_on.isoformat(), "result": result, "reference": "京公查2026-001"}
    )


def test_a_clear_query_within_twelve_months_allows() -> None:
    assert refusal(check(date(2025, 6, 15)), TODAY, 12) is None
    assert refusal(check(TODAY), TODAY, 12) is None


def test_the_day_after_the_twelfth_month_is_out_of_date() -> None:
    assert refusal(check(date(2025, 6, 14)), TODAY, 12) == "expired"
    assert refusal(check(date(2025, 12, 1)), TODAY, 6) == "expired"


def test_missing_and_found_records_refuse() -> None:
    assert refusal(None, TODAY, 12) == "missing"
    assert refusal(check(TODAY, "record_found"), TODAY, 12) == "record_found"
    assert refusal(check(date(2026, 7, 1)), TODAY, 12) == "missing"  # not made yet


def test_valid_until_keeps_the_day_or_takes_the_months_last() -> None:
    assert valid_until(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert valid_until(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert valid_until(date(2026, 1, 15), 12) == date(2027, 1, 15)


def test_the_refusal_names_the_field_and_the_reason() -> None:
    with pytest.raises(RecordCheckFailed) as caught:
        require_clear(None, TODAY, 12, field="volunteer_ids[1]", person_id="v-2")
    problem = caught.value.to_problem(None, english=True)
    assert problem["status"] == 409
    assert problem["code"] == "record_check_failed"
    assert problem["reason"] == "missing"
    assert problem["person_id"] == "v-2"
    assert problem["errors"][0]["field"] == "volunteer_ids[1]"
    assert "art. 62" in problem["detail"]
