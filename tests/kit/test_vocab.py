"""One vocabulary: months, quarters, dates and school years parse the same everywhere, and the
stage and category sets the domains still define agree with it until they import it."""

from __future__ import annotations

from datetime import date
from typing import get_args

import pytest

from app.errors import ValidationFailed
from app.kit import vocab
from app.models import children as child_models


def _refused(fn: object, *args: object) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        fn(*args)  # type: ignore[operator]
    return [{"field": f, "zh": zh, "en": en} for f, zh, en in caught.value.errors]


def test_months_of_1900_to_2100() -> None:
    assert vocab.parse_month("2026-05") == date(2026, 5, 1)
    assert vocab.parse_month("1900-01") == date(1900, 1, 1)
    assert vocab.parse_month("2100-12") == date(2100, 12, 1)
    assert vocab.format_month(date(2026, 5, 1)) == "2026-05"
    assert vocab.month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    for bad in (
        "9999-12",
        "1899-12",
        "2101-01",
        "2026-13",
        "2026-5",
        "202605",
        "2026-05-01",
        "20\u0662\u0666-06",
    ):
        errors = _refused(vocab.parse_month, bad, "period")
        assert errors[0]["field"] == "period"
        assert "YYYY-MM" in errors[0]["zh"]
        assert "YYYY-MM" in errors[0]["en"]
    assert vocab.parse_optional_month(None) is None


def test_ledger_months_start_in_2000() -> None:
    assert vocab.parse_month("2000-01", first_year=vocab.LEDGER_FIRST_YEAR) == date(2000, 1, 1)
    with pytest.raises(ValidationFailed) as caught:
        vocab.parse_month("1999-12", first_year=vocab.LEDGER_FIRST_YEAR)
    assert caught.value.errors[0][0] == "month"
    assert "2000–2100" in caught.value.errors[0][2]


def test_quarters_dates_and_school_years() -> None:
    assert vocab.parse_quarter("2025Q2") == (date(2025, 4, 1), date(2025, 6, 1))
    for bad in ("1999Q1", "2025Q5", "2025-Q1"):
        assert _refused(vocab.parse_quarter, bad)[0]["field"] == "quarter"
    assert vocab.parse_date("2026-02-28") == date(2026, 2, 28)
    for bad in ("2026-02-30", "26-02-28", "9999-01-01", "2026-2-8"):
        assert _refused(vocab.parse_date, bad, "born_on")[0]["field"] == "born_on"
    assert vocab.parse_school_year("2025-2026") == 2025
    assert vocab.format_school_year(2025) == "2025-2026"
    for bad in ("2025-2027", "1999-2000", "2025/2026", "2025"):
        assert _refused(vocab.parse_school_year, bad)[0]["field"] == "school_year"


def test_the_domains_copies_agree_with_the_vocabulary() -> None:
    # Two different sets that bore the same name SCHOOL_STAGES: honest names now.
    assert child_models.SCHOOL_STAGES == vocab.CHILD_SCHOOL_STAGES
    assert set(vocab.CHILD_SCHOOL_STAGES) != set(vocab.GRANT_SCHOOL_STAGES)
    assert get_args(vocab.ChildSchoolStage) == vocab.CHILD_SCHOOL_STAGES
    assert get_args(vocab.GrantSchoolStage) == vocab.GRANT_SCHOOL_STAGES
    assert child_models.CATEGORIES == vocab.CATEGORIES
    assert get_args(vocab.Category) == vocab.CATEGORIES
    assert set(vocab.CATEGORY_ZH) == set(vocab.CATEGORIES)
    assert child_models.PLACEMENTS == vocab.PLACEMENTS
