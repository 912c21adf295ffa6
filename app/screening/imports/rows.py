"""One screening row: validation, normalisation, classification, identity.

`validate_row` turns a raw row (as `table` yields it) into a `ValidRow` (typed, normalised,
classified, flagged) or a `RejectedRow` (every problem found, as `RowError(row_number, column,
reason)` with the column's English field name and the reason in Chinese).

Classification (domain §5, issue 6), computed, never taken from the file:

- age is in whole years on `screened_on`; "under 16" means age ≤ 15;
- "6 months or more" means the start date is on or before `screened_on` minus 6 calendar months
  (the day clamped to the month's end: 2024-08-31 minus 6 months is 2024-02-29);
- 流动儿童 `migrant`: `hukou_code`'s first 6 digits differ from the district's code, the child came
  with parents or another guardian (`accompanied_by` is not `none`), `residence_since` is 6 months
  or more before the screening, and age ≤ 15;
- 留守儿童 `left_behind`: `hukou_code` in the district, age ≤ 15, and both parents working away for
  6 months or more, or one working away for 6 months or more while the other cannot act as
  guardian (`*_can_guard` is explicitly 无);
- otherwise `neither`.

Flags (stored with the row, never a re-classification): the stated classification differs from
the computed one; `residence_since` after `screened_on`; age 18 or more; birth after `screened_on`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal, NamedTuple, cast

from app.kit.idnumber import Gender
from app.kit.vocab import ChildSchoolStage
from app.screening.imports.table import RawRow
from app.screening.imports.template import ZH_BY_FIELD
from app.screening.imports.values import (
    DisabilityKind,
    _fromisoformat,
    age_on,
    check_id_number,
    months_before,
    parse_date,
    parse_disability,
)

__all__ = [
    "DisabilityKind",
    "age_on",
    "check_id_number",
    "months_before",
    "parse_date",
    "parse_disability",
]

Classification = Literal["migrant", "left_behind", "neither"]
Accompaniment = Literal["both_parents", "one_parent", "other_guardian", "none"]
SchoolStatus = ChildSchoolStage
"""A screened child's schooling: the ledger's school stages."""
SCREENED_FACTS: Final[tuple[str, ...]] = (
    "hukou_code",
    "village_code",
    "town_code",
    "residence_since",
    "accompanied_by",
    "father_away_since",
    "mother_away_since",
    "father_can_guard",
    "mother_can_guard",
    "guardian_name",
    "guardian_phone",
    "school_status",
    "school_name",
    "health_status",
    "disability_kind",
    "disability_grade",
    "screened_on",
    "stated_classification",
    "classification",
    "flags",
)
"""A screening record's facts as a valid row gives them, in the table's column order: what the
staged COPY (`prepare.ROW_COLUMNS`) and the projection (`app.screening.projection`) carry
between the child's identity and their own columns."""
KnownVillages = Collection[str] | Callable[[str], bool]

DISTRICT_CODE: Final = "110115"
UNDER_16_MAX_AGE: Final = 15
ADULT_AGE: Final = 18
PERIOD_MONTHS: Final = 6


class RowError(NamedTuple):
    """One problem of one row: the column is the English field name, the reason is Chinese."""

    row_number: int
    column: str
    reason: str


class Flag(NamedTuple):
    """A reason to review a stored row: a stable `code` and a Chinese `message`."""

    code: str
    message: str


@dataclass(slots=True)
class ValidRow:
    """A row that can be stored: typed, normalised, classified and flagged."""

    row_number: int
    name: str
    id_number: str | None  # upper case, 18 characters, check character verified
    gender: Gender | None  # from the cell, or from the ID number when the cell is empty
    birth_date: date  # from the cell, or from the ID number when the cell is empty
    age: int  # whole years on screened_on (negative only when flagged birth_after_screening)
    hukou_code: str | None  # 6–12 digits
    village_code: str
    residence_since: date | None
    accompanied_by: Accompaniment | None
    father_away_since: date | None
    mother_away_since: date | None
    father_can_guard: bool | None
    mother_can_guard: bool | None
    guardian_name: str | None
    guardian_phone: str | None  # as written (trimmed)
    school_status: SchoolStatus | None
    school_name: str | None
    health_status: str | None
    disability_kind: DisabilityKind | None
    disability_grade: int | None  # 1–4
    screened_on: date
    stated_classification: Classification | None
    classification: Classification
    flags: tuple[Flag, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(slots=True)
class RejectedRow:
    """A row that cannot be stored, with every problem found in it."""

    row_number: int
    errors: list[RowError]


# ---------------------------------------------------------------------------- vocabularies


def _vocabulary(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """code → accepted spellings, as a lookup keyed by the lower-cased spelling."""
    out: dict[str, str] = {}
    for code, spellings in pairs.items():
        for s in (code, *spellings):
            out[s.lower()] = code
    return out


_GENDERS: Final = _vocabulary({"male": ("男", "m", "男性"), "female": ("女", "f", "女性")})
_ACCOMPANIMENTS: Final = _vocabulary(
    {
        "both_parents": ("父母双方",),
        "one_parent": ("父母一方",),
        "other_guardian": ("其他监护人",),
        "none": ("无",),
    }
)
_YES_NO: Final = {
    k: v == "yes"
    for k, v in _vocabulary({"yes": ("有", "是", "y"), "no": ("无", "否", "n")}).items()
}
_SCHOOL_STATUSES: Final = _vocabulary(
    {
        "not_in_school": ("未入学",),
        "preschool": ("学前",),
        "primary": ("小学",),
        "junior_secondary": ("初中",),
        "senior_secondary": ("高中",),
        "secondary_vocational": ("中职",),
        "higher_vocational": ("高职",),
        "undergraduate": ("本科",),
    }
)
_CLASSIFICATIONS: Final = _vocabulary(
    {
        "migrant": ("流动儿童", "流动"),
        "left_behind": ("留守儿童", "留守"),
        "neither": ("无", "非流动非留守", "其他"),
    }
)
CLASSIFICATION_ZH: Final[dict[str, str]] = {
    "migrant": "流动儿童",
    "left_behind": "留守儿童",
    "neither": "无",
}
_PHONE_CHARS: Final = frozenset("0123456789 +-")

_HINT: Final[dict[str, str]] = {
    "gender": "男/女",
    "accompanied_by": "父母双方/父母一方/其他监护人/无",
    "father_can_guard": "有/无",
    "mother_can_guard": "有/无",
    "school_status": "未入学/学前/小学/初中/高中/中职/高职/本科",
    "stated_classification": "流动儿童/留守儿童/无",
}


# ---------------------------------------------------------------------------- classification


def classify(
    age: int,
    screened_on: date,
    hukou_code: str | None,
    accompanied_by: Accompaniment | None,
    residence_since: date | None,
    father_away_since: date | None,
    mother_away_since: date | None,
    father_can_guard: bool | None,
    mother_can_guard: bool | None,
    district_code: str = DISTRICT_CODE,
) -> Classification:
    """流动儿童 / 留守儿童 / neither, by the rules in this module's docstring.

    migrant: hukou_code[:6] != district_code, accompanied_by not `none` (nor unknown),
    residence_since <= screened_on - 6 months, age <= 15.
    left_behind: hukou_code[:6] == district_code, age <= 15, and both parents away since
    <= screened_on - 6 months, or one away that long and the other's `can_guard` is False.
    A missing hukou_code makes neither rule apply.
    """
    if hukou_code is None or age > UNDER_16_MAX_AGE:
        return "neither"
    cutoff = months_before(screened_on, PERIOD_MONTHS)
    if hukou_code[:6] != district_code:
        if (
            accompanied_by is not None
            and accompanied_by != "none"
            and residence_since is not None
            and residence_since <= cutoff
        ):
            return "migrant"
        return "neither"
    father_away = father_away_since is not None and father_away_since <= cutoff
    mother_away = mother_away_since is not None and mother_away_since <= cutoff
    if (
        (father_away and mother_away)
        or (father_away and mother_can_guard is False)
        or (mother_away and father_can_guard is False)
    ):
        return "left_behind"
    return "neither"


# ---------------------------------------------------------------------------- validation

_DATE_FIELDS: Final = frozenset(
    {"birth_date", "residence_since", "father_away_since", "mother_away_since", "screened_on"}
)


def _clean(raw: RawRow) -> dict[str, Any]:
    """The non-empty values, trimmed; a date cell outside a date column becomes text."""
    try:
        # The common case (CSV): every value a string.
        return {k: s for k, v in raw.items() if v and (s := v.strip())}  # type: ignore[union-attr]
    except AttributeError:
        pass
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if v is None:
            continue
        if isinstance(v, str):
            v = v.strip()
            if not v:
                continue
        elif k not in _DATE_FIELDS:
            v = v.isoformat()
        elif isinstance(v, datetime):
            v = v.date()
        out[k] = v
    return out


def _date_or_none(value: str | date) -> date | None:
    if isinstance(value, date):
        return value
    try:
        d = _fromisoformat(value)
    except ValueError:
        try:
            return parse_date(value)
        except ValueError:
            return None
    return d if 1900 <= d.year <= 2100 else None


def _bad_choice(column: str, value: str) -> str:
    return f"{ZH_BY_FIELD[column]}“{value}”无法识别，应为：{_HINT[column]}"


def _choice(row_number: int, get: _Get, err: _Err, column: str, choices: Mapping[str, Any]) -> Any:
    """The code `column` states, looked up in `choices` as written or else lower-cased; a value
    not among them is the row's error (None)."""
    x = get(column)
    if x is None:
        return None
    value = choices.get(x)
    if value is None:
        value = choices.get(x.lower())
    if value is None:
        err(RowError(row_number, column, _bad_choice(column, x)))
    return value


def _bad_date(column: str, value: str) -> str:
    return f"{ZH_BY_FIELD[column]}“{value}”无法识别，应为 2012-03-05、2012/3/5 或 20120305"


def validate_row(
    row_number: int,
    raw: RawRow,
    *,
    known_villages: KnownVillages,
    district_code: str = DISTRICT_CODE,
    today: date | None = None,
    trimmed: bool = False,
) -> ValidRow | RejectedRow:
    """Check and normalise one raw row, then classify and flag it.

    `known_villages` is the district's village codes (a set, or a predicate); `today` bounds ID
    birth dates (default: the real today). Returns a RejectedRow listing every problem found,
    or a ValidRow. `trimmed` says that `raw` holds only trimmed, non-empty strings (as a CSV
    `table.Table` yields them), so need not be cleaned again. It runs a million times per large
    import: each step below is written straight-line, and the steps are a handful of calls.
    """
    v: dict[str, Any] = cast("dict[str, Any]", raw) if trimmed else _clean(raw)
    get = v.get
    errors: list[RowError] = []
    err = errors.append
    person = _check_person(row_number, get, err, today)
    where = _check_places_and_dates(row_number, get, err, known_villages)
    family = _check_family(row_number, get, err)
    school = _check_school_health_claim(row_number, get, err)
    if errors:
        return RejectedRow(row_number, errors)
    return _judge(row_number, get, person, where, family, school, district_code)


# The steps of `validate_row`: each reads its columns through `get` (the row's cleaned values),
# records its problems through `err`, and returns the columns it checked, None where absent or
# wrong.
_Get = Callable[[str], Any]
_Err = Callable[[RowError], None]
_Person = tuple[str | None, str | None, Gender | None, date | None]
_Where = tuple[str | None, str | None, date | None, date | None, date | None, date | None]
_Family = tuple[Accompaniment | None, bool | None, bool | None, str | None]
_School = tuple[SchoolStatus | None, DisabilityKind | None, int | None, Classification | None]


def _check_person(row_number: int, get: _Get, err: _Err, today: date | None) -> _Person:
    """Name, ID number, gender and birth date (the last two agreeing with the ID number)."""
    name: str | None = get("name")
    if name is None:
        err(RowError(row_number, "name", "姓名为必填项"))
    elif len(name) > 50:
        err(RowError(row_number, "name", "姓名过长（最多50个字符）"))

    id_number: str | None = None
    id_birth: date | None = None
    id_gender: Gender | None = None
    x = get("id_number")
    if x is not None:
        checked = check_id_number(x, today or date.today())
        if isinstance(checked, str):
            err(RowError(row_number, "id_number", checked))
        else:
            id_number, id_birth, id_gender = checked

    gender: Gender | None = _choice(row_number, get, err, "gender", _GENDERS)
    if gender is not None and id_gender is not None and gender != id_gender:
        err(RowError(row_number, "gender", "性别与身份证号不一致"))
    if gender is None:
        gender = id_gender

    birth_date: date | None = None
    x = get("birth_date")
    if x is not None:
        birth_date = _date_or_none(x)
        if birth_date is None:
            err(RowError(row_number, "birth_date", _bad_date("birth_date", x)))
        elif id_birth is not None and birth_date != id_birth:
            err(RowError(row_number, "birth_date", "出生日期与身份证号不一致"))
    elif id_birth is not None:
        birth_date = id_birth
    elif id_number is None and get("id_number") is None:
        err(RowError(row_number, "birth_date", "无身份证号时出生日期为必填项"))
    return name, id_number, gender, birth_date


def _check_places_and_dates(
    row_number: int, get: _Get, err: _Err, known_villages: KnownVillages
) -> _Where:
    """The registration's division code, the village lived in, residence since, father and
    mother away since, and the (required) screening date."""
    hukou_code: str | None = get("hukou_code")
    if hukou_code is not None and not (
        6 <= len(hukou_code) <= 12 and hukou_code.isascii() and hukou_code.isdigit()
    ):
        err(RowError(row_number, "hukou_code", "户籍地区划代码应为6至12位数字"))

    village_code: str | None = get("village_code")
    if village_code is None:
        err(RowError(row_number, "village_code", "现居住村居代码为必填项"))
    elif not (
        known_villages(village_code) if callable(known_villages) else village_code in known_villages
    ):
        err(RowError(row_number, "village_code", f"村居代码“{village_code}”不是本区的村居"))

    dates: list[date | None] = []
    for column in ("residence_since", "father_away_since", "mother_away_since", "screened_on"):
        x = get(column)
        d = None
        if x is not None:
            d = _date_or_none(x)
            if d is None:
                err(RowError(row_number, column, _bad_date(column, x)))
        dates.append(d)
    residence_since, father_away_since, mother_away_since, screened_on = dates
    if screened_on is None and get("screened_on") is None:
        err(RowError(row_number, "screened_on", "摸排日期为必填项"))
    return (
        hukou_code,
        village_code,
        residence_since,
        father_away_since,
        mother_away_since,
        screened_on,
    )


def _check_family(row_number: int, get: _Get, err: _Err) -> _Family:
    """Who the child came with, whether each parent can act as guardian, the guardian's phone."""
    accompanied_by: Accompaniment | None = _choice(
        row_number, get, err, "accompanied_by", _ACCOMPANIMENTS
    )
    father_can_guard: bool | None = _choice(row_number, get, err, "father_can_guard", _YES_NO)
    mother_can_guard: bool | None = _choice(row_number, get, err, "mother_can_guard", _YES_NO)

    guardian_phone: str | None = get("guardian_phone")
    if guardian_phone is not None and not (
        7 <= len(guardian_phone) <= 20 and _PHONE_CHARS.issuperset(guardian_phone)
    ):
        err(RowError(row_number, "guardian_phone", "监护人电话应为7至20位的数字（可含空格、+、-）"))
    return accompanied_by, father_can_guard, mother_can_guard, guardian_phone


def _check_school_health_claim(row_number: int, get: _Get, err: _Err) -> _School:
    """Schooling, disability (kind and grade) and the classification the file states."""
    school_status: SchoolStatus | None = _choice(
        row_number, get, err, "school_status", _SCHOOL_STATUSES
    )

    disability_kind: DisabilityKind | None = None
    disability_grade: int | None = None
    x = get("disability")
    if x is not None:
        try:
            found = parse_disability(x)
        except ValueError:
            err(
                RowError(
                    row_number,
                    "disability",
                    f"残疾情况“{x}”无法识别，应为残疾类别和等级（1至4级），如“肢体二级”",
                )
            )
        else:
            if found is not None:
                disability_kind, disability_grade = found

    stated: Classification | None = _choice(
        row_number, get, err, "stated_classification", _CLASSIFICATIONS
    )
    return school_status, disability_kind, disability_grade, stated


def _judge(
    row_number: int,
    get: _Get,
    person: _Person,
    where: _Where,
    family: _Family,
    school: _School,
    district_code: str,
) -> ValidRow:
    """A row whose checks found no problem, judged: its age on the screening date, its
    classification and its flags."""
    name, id_number, gender, birth_date = person
    hukou_code, village_code, residence_since, father_away_since, mother_away_since, screened_on = (
        where
    )
    accompanied_by, father_can_guard, mother_can_guard, guardian_phone = family
    school_status, disability_kind, disability_grade, stated = school
    # Each is None only when a check recorded an error.
    assert name is not None
    assert village_code is not None
    assert birth_date is not None
    assert screened_on is not None

    age = age_on(birth_date, screened_on)
    classification = classify(
        age,
        screened_on,
        hukou_code,
        accompanied_by,
        residence_since,
        father_away_since,
        mother_away_since,
        father_can_guard,
        mother_can_guard,
        district_code,
    )
    flags: tuple[Flag, ...] = ()
    if (
        (stated is not None and stated != classification)
        or (residence_since is not None and residence_since > screened_on)
        or age >= ADULT_AGE
        or birth_date > screened_on
    ):
        flags = _flags(stated, classification, residence_since, birth_date, screened_on, age)

    return ValidRow(
        row_number,
        name,
        id_number,
        gender,
        birth_date,
        age,
        hukou_code,
        village_code,
        residence_since,
        accompanied_by,
        father_away_since,
        mother_away_since,
        father_can_guard,
        mother_can_guard,
        get("guardian_name"),
        guardian_phone,
        school_status,
        get("school_name"),
        get("health_status"),
        disability_kind,
        disability_grade,
        screened_on,
        stated,
        classification,
        flags,
    )


def _flags(
    stated: Classification | None,
    classification: Classification,
    residence_since: date | None,
    birth_date: date,
    screened_on: date,
    age: int,
) -> tuple[Flag, ...]:
    """Reasons to review a stored row; its classification stays as computed."""
    flags: list[Flag] = []
    if stated is not None and stated != classification:
        flags.append(
            Flag(
                "stated_classification_mismatch",
                f"填报类别（{CLASSIFICATION_ZH[stated]}）与核定类别"
                f"（{CLASSIFICATION_ZH[classification]}）不一致",
            )
        )
    if residence_since is not None and residence_since > screened_on:
        flags.append(Flag("residence_after_screening", "来区居住日期晚于摸排日期"))
    if birth_date > screened_on:
        flags.append(Flag("birth_after_screening", "出生日期晚于摸排日期"))
    elif age >= ADULT_AGE:
        flags.append(Flag("age_18_or_more", f"摸排时已满18周岁（{age}岁），不属于未成年人"))
    return tuple(flags)


# ---------------------------------------------------------------------------- identity


def normalise_name(name: str) -> str:
    """The name as compared for identity: no whitespace at all, case-folded."""
    return "".join(name.split()).casefold()


def identity_key(row: ValidRow) -> tuple[str, str]:
    """The same child across imports: ("id", ID number), or without one ("nbp", name|birth|phone).

    The second form joins the normalised name, the ISO birth date and the guardian phone's
    digits with `|`.
    """
    if row.id_number is not None:
        return ("id", row.id_number)
    phone = "".join(c for c in row.guardian_phone or "" if c.isdigit())
    return ("nbp", f"{normalise_name(row.name)}|{row.birth_date.isoformat()}|{phone}")


_NBP_BIT: Final = 1 << 63


def _compact_key(row: ValidRow) -> int:
    # An ID number is fixed by its first 17 digits (< 2**57); other keys hash into the top half.
    if row.id_number is not None:
        return int(row.id_number[:17])
    digest = hashlib.blake2b(identity_key(row)[1].encode(), digest_size=8).digest()
    return _NBP_BIT | int.from_bytes(digest, "big")


class DuplicateTracker:
    """The same child twice in one file: the second row is rejected, naming the first.

    Feed rows in file order. Keeps one int → int entry per child (about 100 MB per million
    rows); a 64-bit hash stands in for name + birth date + phone keys.
    """

    __slots__ = ("_first",)

    def __init__(self) -> None:
        self._first: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._first)

    def feed(self, row: ValidRow) -> ValidRow | RejectedRow:
        """The row itself if it is the first of its child, else a RejectedRow naming the first."""
        key = _compact_key(row)
        first = self._first.setdefault(key, row.row_number)
        if first == row.row_number:
            return row
        column = "id_number" if row.id_number is not None else "name"
        return RejectedRow(row.row_number, [RowError(row.row_number, column, f"与第{first}行重复")])
