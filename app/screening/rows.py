"""One screening row: validation, normalisation, classification, identity.

`validate_row` turns a raw row (as `parsing` yields it) into a `ValidRow` (typed, normalised,
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
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Final, Literal, NamedTuple

from app.kit.idnumber import Gender, InvalidIdNumber
from app.kit.idnumber import parse as parse_id_number
from app.screening.parsing import RawRow, RawValue
from app.screening.template import ZH_BY_FIELD

Classification = Literal["migrant", "left_behind", "neither"]
Accompaniment = Literal["both_parents", "one_parent", "other_guardian", "none"]
SchoolStatus = Literal[
    "not_in_school",
    "preschool",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "secondary_vocational",
    "higher_vocational",
    "undergraduate",
]
DisabilityKind = Literal[
    "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"
]
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
_DISABILITY_WORDS: Final[dict[DisabilityKind, tuple[str, ...]]] = {
    "visual": ("视力", "视力残疾", "视残"),
    "hearing": ("听力", "听力残疾", "听残"),
    "speech": ("言语", "言语残疾"),
    "physical": ("肢体", "肢体残疾", "肢残"),
    "intellectual": ("智力", "智力残疾", "智残"),
    "mental": ("精神", "精神残疾"),
    "multiple": ("多重", "多重残疾"),
}
# Longest spelling first, so that "视力残疾" is consumed whole rather than as "视力".
_DISABILITY_SPELLINGS: Final = sorted(
    ((spelling, kind) for kind, words in _DISABILITY_WORDS.items() for spelling in (kind, *words)),
    key=lambda pair: -len(pair[0]),
)
_GRADES: Final = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_NO_DISABILITY: Final = frozenset({"无", "否", "none", "no", "-", "/"})
_PHONE_CHARS: Final = frozenset("0123456789 +-")

_HINT: Final[dict[str, str]] = {
    "gender": "男/女",
    "accompanied_by": "父母双方/父母一方/其他监护人/无",
    "father_can_guard": "有/无",
    "mother_can_guard": "有/无",
    "school_status": "未入学/学前/小学/初中/高中/中职/高职/本科",
    "stated_classification": "流动儿童/留守儿童/无",
}


# ---------------------------------------------------------------------------- values


def parse_date(value: str | date) -> date:
    """`2012-03-05`, `2012/3/5`, `2012.3.5`, `20120305`, `2012年3月5日`, or a date cell.

    Raises ValueError for anything else, or for a year outside 1900–2100.
    """
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    s = value
    n = len(s)
    if n > 10 and s[10] in " T":  # a date-time written as text: keep the date
        s = s[:10]
        n = 10
    if n == 10 and s[4] == "-" and s[7] == "-":
        d = date.fromisoformat(s)
    elif n == 8 and s.isascii() and s.isdigit():
        d = date(int(s[:4]), int(s[4:6]), int(s[6:]))
    else:
        t = s.replace("年", "-").replace("月", "-").replace("日", "")
        parts = t.replace("/", "-").replace(".", "-").split("-")
        if (
            len(parts) != 3
            or len(parts[0]) != 4
            or not all(p.isascii() and p.isdigit() for p in parts)
        ):
            raise ValueError(s)
        d = date(int(parts[0]), int(parts[1]), int(parts[2]))
    if not 1900 <= d.year <= 2100:
        raise ValueError(s)
    return d


def parse_disability(text: str) -> tuple[DisabilityKind, int] | None:
    """ "肢体二级", "肢体残疾 2级", "intellectual 2" → (kind, grade); "无"/empty → None.

    Raises ValueError when the kind or the grade (1–4) cannot be read.
    """
    s = text.strip().lower()
    if not s or s in _NO_DISABILITY:
        return None
    found = next(((w, k) for w, k in _DISABILITY_SPELLINGS if s.startswith(w)), None)
    if found is None:
        raise ValueError(text)
    spelling, kind = found
    rest = s[len(spelling) :]
    rest = rest.replace("grade", "").replace("级", "").replace("残疾", "").strip(" ：:-_,，")
    grade = _GRADES.get(rest)
    if grade is None:
        raise ValueError(text)
    return kind, grade


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a day (a 29 February birthday counts from 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@lru_cache(maxsize=4096)
def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clamped to the month's end.

    months_before(2024-08-31, 6) == 2024-02-29; months_before(2023-08-31, 6) == 2023-02-28.
    """
    y, m0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = _MONTH_DAYS[m0]
    if m0 == 1 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        last = 29
    return date(y, m0 + 1, min(day.day, last))


# ---------------------------------------------------------------------------- classification


def classify(
    *,
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
    <= screened_on - 6 months, or one away that long and the other `can_guard` is False.
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


def _text(value: RawValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value.isoformat()


def validate_row(
    row_number: int,
    raw: RawRow,
    *,
    known_villages: KnownVillages,
    district_code: str = DISTRICT_CODE,
    today: date | None = None,
) -> ValidRow | RejectedRow:
    """Check and normalise one raw row, then classify and flag it.

    `known_villages` is the district's village codes (a set, or a predicate); `today` bounds ID
    birth dates (default: the real today). Returns a RejectedRow listing every problem, or a
    ValidRow.
    """
    errors: list[RowError] = []
    get = raw.get

    def bad(column: str, reason: str) -> None:
        errors.append(RowError(row_number, column, reason))

    def date_of(column: str) -> date | None:
        value = get(column)
        if value is None or isinstance(value, date):
            return value
        value = value.strip()
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            bad(
                column,
                f"{ZH_BY_FIELD[column]}“{value}”无法识别，应为 2012-03-05、2012/3/5 或 20120305",
            )
            return None

    def choice(column: str, vocabulary: dict[str, str]) -> str | None:
        value = _text(get(column))
        if value is None:
            return None
        code = vocabulary.get(value) or vocabulary.get(value.lower())
        if code is None:
            bad(column, f"{ZH_BY_FIELD[column]}“{value}”无法识别，应为：{_HINT[column]}")
        return code

    def yes_no(column: str) -> bool | None:
        value = _text(get(column))
        if value is None:
            return None
        answer = _YES_NO.get(value.lower())
        if answer is None:
            bad(column, f"{ZH_BY_FIELD[column]}“{value}”无法识别，应为：{_HINT[column]}")
        return answer

    name = _text(get("name"))
    if name is None:
        bad("name", "姓名为必填项")
    elif len(name) > 50:
        bad("name", "姓名过长（最多50个字符）")

    id_text = _text(get("id_number"))
    id_birth: date | None = None
    id_gender: Gender | None = None
    id_number: str | None = None
    if id_text is not None:
        try:
            parsed = parse_id_number(id_text, today=today)
        except InvalidIdNumber as exc:
            bad("id_number", str(exc))
        else:
            id_number, id_birth, id_gender = parsed.value, parsed.birth_date, parsed.gender

    gender: Gender | None = choice("gender", _GENDERS)  # type: ignore[assignment]
    if id_gender is not None:
        if gender is None:
            gender = id_gender
        elif gender != id_gender:
            bad("gender", "性别与身份证号不一致")

    birth_date = date_of("birth_date")
    if id_birth is not None:
        if birth_date is None:
            birth_date = id_birth
        elif birth_date != id_birth:
            bad("birth_date", "出生日期与身份证号不一致")
    elif birth_date is None and id_text is None and _text(get("birth_date")) is None:
        bad("birth_date", "无身份证号时出生日期为必填项")

    hukou_code = _text(get("hukou_code"))
    if hukou_code is not None and not (
        6 <= len(hukou_code) <= 12 and hukou_code.isascii() and hukou_code.isdigit()
    ):
        bad("hukou_code", "户籍地区划代码应为6至12位数字")

    village_code = _text(get("village_code"))
    if village_code is None:
        bad("village_code", "现居住村居代码为必填项")
    elif not (
        known_villages(village_code) if callable(known_villages) else village_code in known_villages
    ):
        bad("village_code", f"村居代码“{village_code}”不是本区的村居")

    residence_since = date_of("residence_since")
    accompanied_by: Accompaniment | None = choice("accompanied_by", _ACCOMPANIMENTS)  # type: ignore[assignment]
    father_away_since = date_of("father_away_since")
    mother_away_since = date_of("mother_away_since")
    father_can_guard = yes_no("father_can_guard")
    mother_can_guard = yes_no("mother_can_guard")
    guardian_name = _text(get("guardian_name"))
    guardian_phone = _text(get("guardian_phone"))
    if guardian_phone is not None and not (
        7 <= len(guardian_phone) <= 20 and _PHONE_CHARS.issuperset(guardian_phone)
    ):
        bad("guardian_phone", "监护人电话应为7至20位的数字（可含空格、+、-）")
    school_status: SchoolStatus | None = choice("school_status", _SCHOOL_STATUSES)  # type: ignore[assignment]
    school_name = _text(get("school_name"))
    health_status = _text(get("health_status"))
    disability_kind: DisabilityKind | None = None
    disability_grade: int | None = None
    disability = _text(get("disability"))
    if disability is not None:
        try:
            found = parse_disability(disability)
        except ValueError:
            bad("disability", f"残疾情况“{disability}”无法识别，应为残疾类别和等级，如“肢体二级”")
        else:
            if found is not None:
                disability_kind, disability_grade = found

    screened_on = date_of("screened_on")
    if screened_on is None and _text(get("screened_on")) is None:
        bad("screened_on", "摸排日期为必填项")
    stated: Classification | None = choice("stated_classification", _CLASSIFICATIONS)  # type: ignore[assignment]

    if errors:
        return RejectedRow(row_number, errors)
    # Each is None only when an error was recorded above.
    assert name is not None
    assert village_code is not None
    assert birth_date is not None
    assert screened_on is not None

    age = age_on(birth_date, screened_on)
    classification = classify(
        age=age,
        screened_on=screened_on,
        hukou_code=hukou_code,
        accompanied_by=accompanied_by,
        residence_since=residence_since,
        father_away_since=father_away_since,
        mother_away_since=mother_away_since,
        father_can_guard=father_can_guard,
        mother_can_guard=mother_can_guard,
        district_code=district_code,
    )
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

    return ValidRow(
        row_number=row_number,
        name=name,
        id_number=id_number,
        gender=gender,
        birth_date=birth_date,
        age=age,
        hukou_code=hukou_code,
        village_code=village_code,
        residence_since=residence_since,
        accompanied_by=accompanied_by,
        father_away_since=father_away_since,
        mother_away_since=mother_away_since,
        father_can_guard=father_can_guard,
        mother_can_guard=mother_can_guard,
        guardian_name=guardian_name,
        guardian_phone=guardian_phone,
        school_status=school_status,
        school_name=school_name,
        health_status=health_status,
        disability_kind=disability_kind,
        disability_grade=disability_grade,
        screened_on=screened_on,
        stated_classification=stated,
        classification=classification,
        flags=tuple(flags),
    )


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
