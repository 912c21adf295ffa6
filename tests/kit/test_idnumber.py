"""居民身份证号码 (GB 11643-1999): parse, check character, dates, mask, synthetic make()."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit import idnumber
from app.kit.idnumber import InvalidIdNumber, check_char, mask, parse

TODAY = date(2026, 6, 15)
# The GB 11643 worked example: 11010519491231002X (female, born 1949-12-31).
EXAMPLE = "11010519491231002X"


def test_the_standard_example_parses() -> None:
    got = parse(EXAMPLE, today=TODAY)
    assert got.value == EXAMPLE
    assert got.division_code == "110105"
    assert got.birth_date == date(1949, 12, 31)
    assert got.gender == "female"
    assert got.masked == "110105********002X"


def test_lower_case_x_and_spaces_are_normalised() -> None:
    assert parse(" 110105 19491231 002x ", today=TODAY).value == EXAMPLE


def test_full_width_digits_are_read_as_ascii() -> None:
    """IMEs often type full-width characters; they mean the same number."""
    full = "".join(chr(ord(c) + 0xFEE0) for c in EXAMPLE)  # "１１０…Ｘ"
    assert parse(full, today=TODAY).value == EXAMPLE


def test_other_unicode_digits_are_bad_characters() -> None:
    arabic = "".join(chr(0x660 + int(c)) if c.isdigit() else c for c in EXAMPLE)
    with pytest.raises(InvalidIdNumber) as info:
        parse(arabic, today=TODAY)
    assert info.value.reason == "characters"


def test_male_from_odd_sequence() -> None:
    first17 = "11011520100101001"
    got = parse(first17 + check_char(first17), today=TODAY)
    assert got.gender == "male"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "check_char"),
        ("110105194912310020", "check_char"),
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123100XX", "characters"),
        ("11010519491231A02X", "characters"),
        ("", "length"),
        ("990105194912310021", "division_code"),
    ],
)
def test_invalid_numbers_name_the_reason(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        parse(value, today=TODAY)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "birth",
    [
        "20230230",  # 30 February
        "20231301",  # month 13
        "20230001",  # month 0
        "20230100",  # day 0
        "18991231",  # before 1900
        "20260616",  # tomorrow
        "20300101",  # the future
    ],
)
def test_bad_and_future_birth_dates(birth: str) -> None:
    first17 = f"110115{birth}001"
    with pytest.raises(InvalidIdNumber) as info:
        parse(first17 + check_char(first17), today=TODAY)
    assert info.value.reason == "birth_date"


def test_born_today_and_leap_day_are_fine() -> None:
    for birth in ("20260615", "20240229"):
        first17 = f"110115{birth}002"
        assert parse(first17 + check_char(first17), today=TODAY).gender == "female"


def test_a_changed_digit_is_caught_by_the_check_char() -> None:
    value = idnumber.make(date(2015, 3, 8), "male", sequence=17)
    for i in range(17):
        digit = int(value[i])
        changed = value[:i] + str((digit + 1) % 10) + value[i + 1 :]
        with pytest.raises(InvalidIdNumber):
            parse(changed, today=TODAY)


def test_mask() -> None:
    assert mask("110115201503080171") == "110115********0171"
    assert mask("12345") == "*****"
    assert mask("") == ""


@pytest.mark.parametrize("gender", ["male", "female"])
def test_make_round_trips(gender: idnumber.Gender) -> None:
    born = date(2016, 2, 29)
    value = idnumber.make(born, gender, division_code="110115", sequence=123)
    got = parse(value, today=TODAY)
    assert got.birth_date == born
    assert got.gender == gender
    assert got.division_code == "110115"
    assert value[14:16] == "24"  # sequence 123 → code 246 (female) or 247 (male)


def test_make_is_reproducible_with_a_seeded_rng() -> None:
    a = idnumber.make(date(2012, 1, 1), "female", rng=random.Random(7))
    b = idnumber.make(date(2012, 1, 1), "female", rng=random.Random(7))
    assert a == b


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    gender=st.sampled_from(["male", "female"]),
    sequence=st.integers(min_value=0, max_value=10_000),
    division=st.sampled_from(["110115", "110105", "310101", "440305", "820000"]),
)
def test_make_then_parse_property(
    born: date, gender: idnumber.Gender, sequence: int, division: str
) -> None:
    value = idnumber.make(born, gender, division_code=division, sequence=sequence)
    assert len(value) == 18
    got = parse(value, today=TODAY)
    assert (got.birth_date, got.gender, got.division_code) == (born, gender, division)
    assert mask(value) == value[:6] + "********" + value[14:]


@given(st.text(max_size=25))
def test_parse_never_fails_other_than_invalid(raw: str) -> None:
    try:
        got = parse(raw, today=TODAY)
    except InvalidIdNumber:
        return
    assert check_char(got.value[:17]) == got.value[17]
