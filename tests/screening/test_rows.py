"""Row validation, normalisation, classification, flags and duplicates (no database)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.idnumber import InvalidIdNumber, make, parse
from app.screening.imports.rows import (
    DuplicateTracker,
    RejectedRow,
    RowError,
    ValidRow,
    age_on,
    check_id_number,
    classify,
    identity_key,
    months_before,
    parse_date,
    parse_disability,
    validate_row,
)

VILLAGE = "110115001001"
VILLAGES = frozenset({VILLAGE, "110115001002"})
SCREENED = date(2025, 3, 15)
BIRTH = date(2014, 5, 20)
ID_FEMALE = make(BIRTH, "female", division_code="410102", sequence=7, rng=random.Random(0))


def raw_row(**overrides: Any) -> dict[str, Any]:
    """A raw row (as the reader yields it) of a migrant girl of 10."""
    row: dict[str, Any] = {
        "name": "示例儿童",
        "id_number": ID_FEMALE,
        "gender": "女",
        "birth_date": "2014-05-20",
        "hukou_code": "410102",
        "village_code": VILLAGE,
        "residence_since": "2020-09-01",
        "accompanied_by": "父母双方",
        "father_away_since": "",
        "mother_away_since": "",
        "father_can_guard": "有",
        "mother_can_guard": "有",
        "guardian_name": "示例家长",
        "guardian_phone": "13800000000",
        "school_status": "小学",
        "school_name": "示例小学",
        "health_status": "良好",
        "disability": "",
        "screened_on": SCREENED.isoformat(),
        "stated_classification": "流动儿童",
    }
    row.update(overrides)
    return row


def valid(**overrides: Any) -> ValidRow:
    result = validate_row(2, raw_row(**overrides), known_villages=VILLAGES)
    assert isinstance(result, ValidRow), result
    return result


def rejected(**overrides: Any) -> list[RowError]:
    result = validate_row(2, raw_row(**overrides), known_villages=VILLAGES)
    assert isinstance(result, RejectedRow), result
    return result.errors


def no_id(birth: date, **overrides: Any) -> dict[str, Any]:
    """Overrides for a child without an ID number, so the birth date alone sets the age."""
    return {"id_number": "", "birth_date": birth.isoformat(), **overrides}


# ---------------------------------------------------------------------------- normalisation


def test_valid_row_is_typed_and_normalised() -> None:
    row = valid(id_number=f"  {ID_FEMALE.lower()} ", gender=" female ", school_status="Primary")
    assert row.row_number == 2
    assert row.name == "示例儿童"
    assert row.id_number == ID_FEMALE.upper()
    assert row.gender == "female"
    assert row.birth_date == BIRTH
    assert row.age == 10
    assert row.village_code == VILLAGE
    assert row.residence_since == date(2020, 9, 1)
    assert row.accompanied_by == "both_parents"
    assert row.father_away_since is None
    assert row.father_can_guard is True
    assert row.school_status == "primary"
    assert row.screened_on == SCREENED
    assert row.stated_classification == "migrant"
    assert row.classification == "migrant"
    assert row.flags == ()
    assert not row.flagged


def test_gender_and_birth_date_come_from_the_id_when_empty() -> None:
    row = valid(gender="", birth_date="")
    assert row.gender == "female"
    assert row.birth_date == BIRTH


@pytest.mark.parametrize(
    "text", ["2014-05-20", "2014/5/20", "2014/05/20", "20140520", "2014.5.20", "2014年5月20日"]
)
def test_accepted_date_formats(text: str) -> None:
    assert valid(birth_date=text).birth_date == BIRTH


def test_date_cells_are_accepted() -> None:
    assert valid(birth_date=BIRTH, screened_on=SCREENED).screened_on == SCREENED


@pytest.mark.parametrize("text", ["2014-13-01", "2014/2/30", "去年", "14-5-20", "1850-01-01"])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - ValueError is the contract
        parse_date(text)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("accompanied_by", "one_parent", "one_parent"),
        ("accompanied_by", "其他监护人", "other_guardian"),
        ("accompanied_by", "无", "none"),
        ("father_can_guard", "no", False),
        ("father_can_guard", "无", False),
        ("mother_can_guard", "Yes", True),
        ("school_status", "中职", "secondary_vocational"),
        ("school_status", "higher_vocational", "higher_vocational"),
        ("stated_classification", "migrant", "migrant"),
        ("stated_classification", "无", "neither"),
    ],
)
def test_enumerations_take_english_codes_and_chinese_names(
    column: str, value: str, expected: object
) -> None:
    assert getattr(valid(**{column: value}), column) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("肢体二级", ("physical", 2)),
        ("视力残疾一级", ("visual", 1)),
        ("intellectual 2", ("intellectual", 2)),
        ("Hearing grade 4", ("hearing", 4)),
        ("精神 3级", ("mental", 3)),
        ("无", None),
    ],
)
def test_disability_kind_and_grade(text: str, expected: object) -> None:
    assert parse_disability(text) == expected


def test_disability_on_the_row() -> None:
    row = valid(disability="肢体二级")
    assert (row.disability_kind, row.disability_grade) == ("physical", 2)


# ---------------------------------------------------------------------------- rejections


def reasons(errors: list[RowError]) -> dict[str, str]:
    assert all(e.row_number == 2 for e in errors)
    return {e.column: e.reason for e in errors}


def test_bad_check_character_is_rejected() -> None:
    wrong = ID_FEMALE[:17] + ("0" if ID_FEMALE[17] != "0" else "1")
    assert reasons(rejected(id_number=wrong)) == {"id_number": "身份证号码校验位错误"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("4101022014052", "18位"), ("41010220141340123X", "出生日期"), ("41010A201405200071", "数字")],
)
def test_bad_id_numbers_are_rejected(value: str, fragment: str) -> None:
    assert fragment in reasons(rejected(id_number=value))["id_number"]


def test_id_and_birth_date_disagreeing() -> None:
    assert reasons(rejected(birth_date="2014-05-21")) == {"birth_date": "出生日期与身份证号不一致"}


def test_id_and_gender_disagreeing() -> None:
    assert reasons(rejected(gender="男")) == {"gender": "性别与身份证号不一致"}


def test_required_values() -> None:
    errors = reasons(rejected(name=" ", village_code="", screened_on=None))
    assert errors == {
        "name": "姓名为必填项",
        "village_code": "现居住村居代码为必填项",
        "screened_on": "摸排日期为必填项",
    }


def test_birth_date_required_without_id() -> None:
    assert reasons(rejected(id_number="", birth_date="")) == {
        "birth_date": "无身份证号时出生日期为必填项"
    }
    assert valid(id_number="", birth_date="2014-05-20").id_number is None


def test_unknown_village_is_rejected_and_a_predicate_may_decide() -> None:
    assert "不是本区的村居" in reasons(rejected(village_code="110115999001"))["village_code"]
    result = validate_row(5, raw_row(), known_villages=lambda code: code.startswith("110115001"))
    assert isinstance(result, ValidRow)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("residence_since", "2020-02-30"),
        ("screened_on", "三月"),
        ("father_away_since", "2020/13/1"),
        ("gender", "未知"),
        ("accompanied_by", "父母"),
        ("father_can_guard", "也许"),
        ("school_status", "大学"),
        ("stated_classification", "困境儿童"),
        ("guardian_phone", "138-abc-0000"),
        ("guardian_phone", "12345"),
        ("hukou_code", "4101"),
        ("disability", "肢体五级"),
        ("disability", "不清楚"),
    ],
)
def test_bad_values_are_rejected_naming_the_column(column: str, value: str) -> None:
    errors = reasons(rejected(**{column: value}))
    assert list(errors) == [column]
    assert value in errors[column] or column in ("guardian_phone", "hukou_code")


def test_every_problem_of_a_row_is_listed() -> None:
    result = validate_row(
        7,
        raw_row(name="", gender="男", village_code="999", screened_on="x"),
        known_villages=VILLAGES,
    )
    assert isinstance(result, RejectedRow)
    assert result.row_number == 7
    assert [e.column for e in result.errors] == ["name", "gender", "village_code", "screened_on"]
    assert all(e.row_number == 7 for e in result.errors)


def test_phone_with_spaces_and_plus() -> None:
    assert valid(guardian_phone="+86 138-0000-0000").guardian_phone == "+86 138-0000-0000"


# ---------------------------------------------------------------------------- classification


def test_months_before_uses_calendar_months() -> None:
    assert months_before(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert months_before(date(2023, 8, 31), 6) == date(2023, 2, 28)
    assert months_before(date(2025, 3, 31), 6) == date(2024, 9, 30)
    assert months_before(date(2025, 3, 15), 6) == date(2024, 9, 15)
    assert months_before(date(2025, 1, 10), 13) == date(2023, 12, 10)


def test_age_in_whole_years() -> None:
    assert age_on(date(2010, 3, 15), date(2025, 3, 14)) == 14
    assert age_on(date(2010, 3, 15), date(2025, 3, 15)) == 15
    assert age_on(date(2012, 2, 29), date(2028, 2, 28)) == 15
    assert age_on(date(2012, 2, 29), date(2028, 2, 29)) == 16


def test_residence_exactly_six_months_counts() -> None:
    assert valid(residence_since="2024-09-15").classification == "migrant"
    assert valid(residence_since="2024-09-16").classification == "neither"


def test_six_months_at_the_end_of_a_month() -> None:
    on_the_day = valid(screened_on="2024-08-31", residence_since="2024-02-29")
    assert on_the_day.classification == "migrant"
    assert valid(screened_on="2024-08-31", residence_since="2024-03-01").classification == (
        "neither"
    )


def test_age_15_is_under_16_and_16_is_not() -> None:
    fifteen = SCREENED.replace(year=SCREENED.year - 16) + timedelta(days=1)
    sixteen = SCREENED.replace(year=SCREENED.year - 16)
    row15 = valid(**no_id(fifteen, stated_classification=""))
    row16 = valid(**no_id(sixteen, stated_classification=""))
    assert (row15.age, row15.classification) == (15, "migrant")
    assert (row16.age, row16.classification) == (16, "neither")
    assert row16.flags == ()


def test_migrant_needs_a_registration_outside_the_district() -> None:
    assert valid(hukou_code="110115").classification == "neither"
    assert valid(hukou_code="110115003").classification == "neither"
    assert valid(hukou_code="110105").classification == "migrant"  # another Beijing district
    assert valid(hukou_code="").classification == "neither"


def test_migrant_needs_to_have_come_with_someone() -> None:
    assert valid(accompanied_by="none").classification == "neither"
    assert valid(accompanied_by="").classification == "neither"
    assert valid(accompanied_by="one_parent").classification == "migrant"
    assert valid(accompanied_by="other_guardian").classification == "migrant"


def local(**overrides: Any) -> dict[str, Any]:
    return {"hukou_code": "110115", "stated_classification": "", **overrides}


@pytest.mark.parametrize(
    ("father", "mother", "father_guard", "mother_guard", "expected"),
    [
        ("2024-09-15", "2020-01-01", "有", "有", "left_behind"),  # both away, exactly 6 months
        ("2024-09-16", "2020-01-01", "有", "有", "neither"),  # father one day short
        ("2020-01-01", "", "有", "无", "left_behind"),  # father away, mother cannot guard
        ("", "2020-01-01", "无", "有", "left_behind"),  # mother away, father cannot guard
        ("2020-01-01", "", "有", "有", "neither"),  # mother can guard
        ("2020-01-01", "", "有", "", "neither"),  # mother's ability unknown
        ("2024-12-01", "", "有", "无", "neither"),  # away less than 6 months
        ("", "", "无", "无", "neither"),  # nobody away
    ],
)
def test_left_behind_rules(
    father: str, mother: str, father_guard: str, mother_guard: str, expected: str
) -> None:
    row = valid(
        **local(
            father_away_since=father,
            mother_away_since=mother,
            father_can_guard=father_guard,
            mother_can_guard=mother_guard,
        )
    )
    assert row.classification == expected


def test_left_behind_needs_age_15_or_less() -> None:
    sixteen = SCREENED.replace(year=SCREENED.year - 16)
    overrides = local(father_away_since="2020-01-01", mother_away_since="2020-01-01")
    assert valid(**no_id(sixteen, **overrides)).classification == "neither"
    fifteen = sixteen + timedelta(days=1)
    assert valid(**no_id(fifteen, **overrides)).classification == "left_behind"


def test_left_behind_needs_a_registration_in_the_district() -> None:
    row = valid(father_away_since="2020-01-01", mother_away_since="2020-01-01", accompanied_by="")
    assert row.classification == "neither"


def test_classify_keyword_api() -> None:
    assert (
        classify(
            age=15,
            screened_on=date(2024, 8, 31),
            hukou_code="130102",
            accompanied_by="one_parent",
            residence_since=date(2024, 2, 29),
            father_away_since=None,
            mother_away_since=None,
            father_can_guard=None,
            mother_can_guard=None,
        )
        == "migrant"
    )


# ---------------------------------------------------------------------------- flags


def codes(row: ValidRow) -> list[str]:
    return [f.code for f in row.flags]


def test_stated_classification_differing_is_flagged_not_reclassified() -> None:
    row = valid(stated_classification="留守儿童")
    assert row.classification == "migrant"
    assert row.flagged
    assert codes(row) == ["stated_classification_mismatch"]
    assert row.flags[0].message == "填报类别（留守儿童）与核定类别（流动儿童）不一致"


def test_residence_after_screening_is_flagged() -> None:
    row = valid(residence_since="2025-04-01", stated_classification="")
    assert codes(row) == ["residence_after_screening"]
    assert row.classification == "neither"


def test_a_17_year_old_stated_migrant_is_flagged() -> None:
    row = valid(**no_id(date(2007, 6, 1)))
    assert (row.age, row.classification) == (17, "neither")
    assert codes(row) == ["stated_classification_mismatch"]


def test_age_18_or_more_is_flagged() -> None:
    row = valid(**no_id(date(2007, 3, 15), stated_classification="无"))
    assert row.age == 18
    assert codes(row) == ["age_18_or_more"]
    assert row.classification == "neither"


def test_birth_after_screening_is_flagged_but_keeps_its_classification() -> None:
    row = valid(**no_id(date(2025, 4, 1), residence_since="2025-04-01"))
    assert codes(row) == [
        "stated_classification_mismatch",
        "residence_after_screening",
        "birth_after_screening",
    ]


# ---------------------------------------------------------------------------- identity


def test_identity_key_by_id_number_or_name_birth_phone() -> None:
    assert identity_key(valid()) == ("id", ID_FEMALE)
    row = valid(id_number="", name=" 示例 儿童 ", guardian_phone="138 0000-0000")
    assert identity_key(row) == ("nbp", "示例儿童|2014-05-20|13800000000")


def test_duplicate_tracker_rejects_the_second_naming_the_first() -> None:
    tracker = DuplicateTracker()
    other = make(BIRTH, "male", division_code="410102", sequence=8, rng=random.Random(0))
    rows = [
        validate_row(n, raw, known_villages=VILLAGES)
        for n, raw in [
            (2, raw_row()),
            (3, raw_row(id_number=other, gender="男")),
            (4, raw_row(id_number="", name="无证儿童")),
            (5, raw_row(id_number=ID_FEMALE.lower(), school_status="初中")),
            (6, raw_row(id_number="", name="无证 儿童", guardian_phone="138-0000-0000")),
            (7, raw_row(id_number="", name="无证儿童", guardian_phone="13900000000")),
        ]
    ]
    fed = [tracker.feed(r) for r in rows if isinstance(r, ValidRow)]
    assert [type(r).__name__ for r in fed] == [
        "ValidRow",
        "ValidRow",
        "ValidRow",
        "RejectedRow",
        "RejectedRow",
        "ValidRow",
    ]
    assert fed[3] == RejectedRow(5, [RowError(5, "id_number", "与第2行重复")])
    assert fed[4] == RejectedRow(6, [RowError(6, "name", "与第4行重复")])
    assert len(tracker) == 4


# ---------------------------------------------------------------------------- ID fast path


@st.composite
def id_like(draw: st.DrawFn) -> str:
    """Valid ID numbers, and the same with one character changed, cut or padded."""
    birth = draw(st.dates(date(1890, 1, 1), date(2030, 12, 31)))
    prefix = draw(st.sampled_from(["11", "41", "99", "00", "71", "82", "19"]))
    value = make(
        birth,
        draw(st.sampled_from(["male", "female"])),
        division_code=prefix + draw(st.from_regex(r"[0-9]{4}", fullmatch=True)),
        rng=random.Random(0),
        sequence=draw(st.integers(0, 499)),
    )
    mutation = draw(st.integers(0, 4))
    if mutation == 1:
        i = draw(st.integers(0, 17))
        value = value[:i] + draw(st.sampled_from("0123456789Xx a")) + value[i + 1 :]
    elif mutation == 2:
        value = value[: draw(st.integers(0, 17))]
    elif mutation == 3:
        value = value.lower() + draw(st.sampled_from(["", "0", " "]))
    return value


@settings(max_examples=400, deadline=None)
@given(id_like())
def test_id_fast_path_agrees_with_idnumber_parse(value: str) -> None:
    today = date(2026, 1, 1)
    expected: tuple[str, date, str] | str
    try:
        parsed = parse(value, today=today)
    except InvalidIdNumber as exc:
        expected = str(exc)
    else:
        expected = (parsed.value, parsed.birth_date, parsed.gender)
    assert check_id_number(value, today) == expected
