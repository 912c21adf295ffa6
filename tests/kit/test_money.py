"""Money: Decimal in Python, integer fen in the database, "2650.00" in JSON; round half up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from app.kit.money import Money, format_money, from_fen, round_fen, to_fen


class Amount(BaseModel):
    amount: Money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2650.00", Decimal("2650.00")),
        ("2650", Decimal("2650.00")),
        ("2650.5", Decimal("2650.50")),
        (" 0.01 ", Decimal("0.01")),
        ("-3.20", Decimal("-3.20")),
        (Decimal("1.10"), Decimal("1.10")),
    ],
)
def test_accepts_decimal_strings(raw: Any, expected: Decimal) -> None:
    got = Amount(amount=raw).amount
    assert got == expected
    assert got.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "raw", [2650, 2650.0, 0.1, True, "2650.001", "1.005", "abc", "", "NaN", "Infinity", None, [1]]
)
def test_rejects_floats_three_places_and_junk(raw: Any) -> None:
    with pytest.raises(ValidationError):
        Amount(amount=raw)


def test_serialises_as_two_place_string() -> None:
    m = Amount(amount="2650")
    assert m.model_dump(mode="json") == {"amount": "2650.00"}
    assert m.model_dump_json() == '{"amount":"2650.00"}'
    assert Amount.model_validate_json('{"amount": "12.30"}').amount == Decimal("12.30")


def test_json_number_with_a_fraction_is_refused() -> None:
    with pytest.raises(ValidationError):
        Amount.model_validate_json('{"amount": 12.3}')


def test_json_schema_is_a_string() -> None:
    schema = Amount.model_json_schema()["properties"]["amount"]
    assert schema["type"] == "string"


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("2.675", "2.68"),
        ("0.004", "0.00"),
        ("-0.005", "-0.01"),
        ("1.9999", "2.00"),
    ],
)
def test_round_half_up(value: str, rounded: str) -> None:
    assert round_fen(Decimal(value)) == Decimal(rounded)
    assert format_money(Decimal(value)) == rounded


def test_fen_conversions() -> None:
    assert to_fen(Decimal("2650.00")) == 265000
    assert to_fen(Decimal("0.01")) == 1
    assert from_fen(265000) == Decimal("2650.00")
    assert str(from_fen(5)) == "0.05"
    with pytest.raises(ValueError, match="two decimal places"):
        to_fen(Decimal("1.005"))


@given(st.integers(min_value=-(10**11) + 1, max_value=10**11 - 1))
def test_fen_round_trip_property(fen: int) -> None:
    amount = from_fen(fen)
    assert to_fen(amount) == fen
    assert Amount(amount=format_money(amount)).amount == amount


@pytest.mark.parametrize("raw", ["1000000000.00", "-1000000000", "43117993406537451532732.02"])
def test_amounts_of_a_billion_yuan_or_more_are_refused(raw: str) -> None:
    # far above any benefit; an integer-fen column could not hold the largest anyway
    with pytest.raises(ValidationError, match="超出范围"):
        Amount(amount=raw)


@pytest.mark.parametrize(
    "raw",
    [
        "1e309",  # finite for Decimal, but quantize to the fen raised (a 500)
        "-1e309",
        "1E+3",
        "1e2",
        "sNaN",
        "-Infinity",
        "9" * 400,
        "١٢٣.٤٥",  # Arabic-Indic digits: Decimal reads them, a bank sheet would not
        "1,000.00",
        "0x10",
        Decimal("1e309"),
        Decimal("NaN"),
        Decimal("-Infinity"),
    ],
)
def test_refuses_exponents_non_finite_and_huge_values_cleanly(raw: Any) -> None:
    # A ValidationError (422), never an arithmetic error escaping the validator
    with pytest.raises(ValidationError):
        Amount(amount=raw)


def test_many_zero_decimals_are_still_exact() -> None:
    assert Amount(amount="1." + "0" * 400).amount == Decimal("1.00")
