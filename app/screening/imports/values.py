"""Values of a screening row: dates, disability, ages, six calendar months, ID numbers.

Split out of `rows` (which re-exports these names); pure functions, no state.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Final, Literal

from app.kit.idnumber import CHECK_CHARS as ID_CHECK_CHARS
from app.kit.idnumber import WEIGHTS as ID_WEIGHTS
from app.kit.idnumber import Gender, InvalidIdNumber
from app.kit.idnumber import make as make_id_number
from app.kit.idnumber import parse as parse_id_number

DisabilityKind = Literal[
    "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"
]

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

# ---------------------------------------------------------------------------- values


def parse_date(value: str | date) -> date:
    """`2012-03-05`, `20120305`, `2012/3/5`, `2012.3.5`, `2012年3月5日`, a date-time, a date.

    Raises ValueError for anything else, or for a year outside 1900–2100.
    """
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    s = value.strip()
    try:
        d = _fromisoformat(s)  # 2012-03-05 and, since Python 3.11, 20120305
    except ValueError:
        if len(s) > 10 and s[10] in " T":  # a date-time written as text: keep the date
            s = s[:10]
        t = s.replace("年", "-").replace("月", "-").replace("日", "")
        parts = t.replace("/", "-").replace(".", "-").split("-")
        if (
            len(parts) != 3
            or len(parts[0]) != 4
            or not all(p.isascii() and p.isdigit() for p in parts)
        ):
            raise ValueError(value) from None
        d = date(int(parts[0]), int(parts[1]), int(parts[2]))
    if not 1900 <= d.year <= 2100:
        raise ValueError(value)
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


_fromisoformat: Final = date.fromisoformat
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


# ---------------------------------------------------------------------------- ID numbers


def _derive_province_prefixes() -> frozenset[str]:
    """The province prefixes `idnumber.parse` accepts, asked of parse itself (not duplicated)."""
    rng = random.Random(0)
    accepted = set()
    for prefix in range(10, 100):
        sample = make_id_number(
            date(2000, 1, 1), "male", division_code=f"{prefix}0101", rng=rng, sequence=1
        )
        try:
            parse_id_number(sample, today=date(2000, 1, 2))
        except InvalidIdNumber:
            continue
        accepted.add(f"{prefix}")
    return frozenset(accepted)


def _weight_table(weights: Sequence[int]) -> dict[str, int]:
    """Every digit string of len(weights) → its weighted digit sum."""
    return {
        "".join(digits): sum(int(d) * w for d, w in zip(digits, weights, strict=True))
        for digits in itertools.product("0123456789", repeat=len(weights))
    }


_PROVINCE_PREFIXES: Final = _derive_province_prefixes()
_W0, _W1, _W2, _W3, _W4, _W5 = (_weight_table(ID_WEIGHTS[i : i + 3]) for i in (0, 3, 6, 9, 12, 15))


def check_id_number(text: str, today: date) -> tuple[str, date, Gender] | str:
    """(ID number, birth date, gender) or the Chinese reason it is invalid.

    Same verdict as `idnumber.parse` (a test holds them equal): the common valid case is
    decided here with table lookups (about ten times faster); anything else goes to parse.
    """
    if len(text) == 18:
        value = text if text[17] != "x" else text[:17] + "X"
        try:
            total = (
                _W0[value[0:3]]
                + _W1[value[3:6]]
                + _W2[value[6:9]]
                + _W3[value[9:12]]
                + _W4[value[12:15]]
                + _W5[value[15:17]]
            )
        except KeyError:  # not 17 ASCII digits
            total = -1
        if (
            total >= 0
            and ID_CHECK_CHARS[total % 11] == value[17]
            and value[:2] in _PROVINCE_PREFIXES
        ):
            try:
                born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
            except ValueError:
                born = None
            if born is not None and born.year >= 1900 and born <= today:
                return value, born, ("male" if value[16] in "13579" else "female")
    try:
        parsed = parse_id_number(text, today=today)
    except InvalidIdNumber as exc:
        return str(exc)
    return parsed.value, parsed.birth_date, parsed.gender
