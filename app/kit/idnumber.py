"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999).

18 characters: 6-digit division code, 8-digit birth date, 3-digit sequence (odd: male, even:
female) and a check character computed by ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: \d also matches other digits

Gender = Literal["male", "female"]


class InvalidIdNumber(ValueError):
    """The value is not a valid resident ID number; `reason` is a stable machine code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IdNumber:
    value: str
    division_code: str
    birth_date: date
    gender: Gender

    @property
    def masked(self) -> str:
        return mask(self.value)


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    """Trim, upper-case, drop spaces; full-width "１…Ｘ" (typed by IMEs) becomes ASCII (NFKC)."""
    return unicodedata.normalize("NFKC", raw).strip().upper().replace(" ", "")


def parse(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate and decode an ID number; raise InvalidIdNumber naming what is wrong."""
    value = normalize(raw)
    if len(value) != 18:
        raise InvalidIdNumber("length", "身份证号码应为18位")
    if not _SHAPE.match(value):
        raise InvalidIdNumber("characters", "身份证号码前17位应为数字，末位为数字或X")
    division = value[:6]
    if division[:2] not in _PROVINCE_PREFIXES:
        raise InvalidIdNumber("division_code", "身份证号码的行政区划代码无效")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date", "身份证号码中的出生日期无效") from None
    limit = today or date.today()
    if born > limit or born.year < 1900:
        raise InvalidIdNumber("birth_date", "身份证号码中的出生日期无效")
    if check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("check_char", "身份证号码校验位错误")
    gender: Gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, division_code=division, birth_date=born, gender=gender)


def mask(value: str) -> str:
    """`110115********123X`: division code and the last four characters stay visible."""
    if len(value) != 18:
        return "*" * len(value)
    return value[:6] + "*" * 8 + value[14:]


def make(
    birth: date,
    gender: Gender,
    *,
    division_code: str = "110115",
    rng: random.Random | None = None,
    sequence: int | None = None,
) -> str:
    """A synthetic ID number with a valid check character (test and demo data only)."""
    r = rng or random.Random()
    seq = sequence if sequence is not None else r.randrange(0, 500)
    seq = seq % 500
    # last digit of the sequence carries the gender: odd for male, even for female
    code = seq * 2 + (1 if gender == "male" else 0)
    first17 = f"{division_code}{birth:%Y%m%d}{code:03d}"
    return first17 + check_char(first17)


# Province-level prefixes of GB/T 2260 (including 71 Taiwan, 81 Hong Kong, 82 Macao).
_PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
