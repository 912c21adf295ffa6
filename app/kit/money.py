"""Money: integer fen (分) in the database, Decimal in Python, two-place decimal strings in JSON."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # one billion yuan: far above any benefit, far below bigint fen
# A plain decimal: no exponent ("1e309" would make quantize raise), no NaN or infinity.
_PLAIN = re.compile(r"-?(\d+)(\.\d+)?", re.ASCII)
_FORMAT = '金额须为十进制数字的字符串，如 "2650.00"|Money must be a decimal string like "2650.00"'
_RANGE = "金额超出范围（不超过十亿元）|Amount out of range (under one billion yuan)"


def round_fen(amount: Decimal) -> Decimal:
    """Round half up to the fen."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    """Decimal yuan → integer fen (the amount must already be exact to the fen)."""
    q = round_fen(amount)
    if q != amount:
        raise ValueError("amount has more than two decimal places")
    return int(q * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def format_money(amount: Decimal) -> str:
    return f"{round_fen(amount):.2f}"


def _parse_money(value: object) -> Decimal:
    """A decimal string ("2650.00", "2650", " -3.2 ") or a Decimal, under a billion yuan, at most
    two decimal places. Refused before any arithmetic: exponents, NaN, infinity, huge digits."""
    if isinstance(value, (bool, float, int)):
        raise ValueError(
            '金额须为两位小数的字符串，如 "2650.00"|Money must be a string like "2650.00"'
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(_FORMAT)
        if abs(value) >= MAX_AMOUNT:
            raise ValueError(_RANGE)
        d = value
    elif isinstance(value, str):
        match = _PLAIN.fullmatch(value.strip())
        if match is None:
            raise ValueError(_FORMAT)
        if len(match.group(1).lstrip("0")) > len(str(int(MAX_AMOUNT))):
            raise ValueError(_RANGE)
        d = Decimal(match.group(0))
        if abs(d) >= MAX_AMOUNT:
            raise ValueError(_RANGE)
    else:
        raise ValueError(_FORMAT)
    if d != round_fen(d):
        raise ValueError("金额最多两位小数|At most two decimal places")
    return round_fen(d)


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(format_money, return_type=str, when_used="always"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\s*-?\d{1,9}(\.\d{1,2})?\s*$", "examples": ["2650.00"]}
    ),
]
"""A money field: accepts "2650.00" (a decimal string), rejects numbers, serialises as "2650.00"."""


def not_negative(zh: str, en: str) -> AfterValidator:
    """A money field's check that refuses a negative amount with this wording (zero allowed):
    `amount: Annotated[Money, not_negative("预算不能为负数", "The budget cannot be negative")]`."""

    def check(v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError(f"{zh}|{en}")
        return v

    return AfterValidator(check)
