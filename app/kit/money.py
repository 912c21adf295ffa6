"""Money: integer fen (分) in the database, Decimal in Python, two-place decimal strings in JSON."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # one billion yuan: far above any benefit, far below bigint fen


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
    if isinstance(value, (bool, float, int)):
        raise ValueError(
            '金额须为两位小数的字符串，如 "2650.00"|Money must be a string like "2650.00"'
        )
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, str):
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("金额格式无效") from None
    else:
        raise ValueError("金额格式无效")
    if not d.is_finite():
        raise ValueError("金额格式无效")
    if d != round_fen(d):
        raise ValueError("金额最多两位小数|At most two decimal places")
    if abs(d) >= MAX_AMOUNT:
        raise ValueError(
            "金额超出范围（不超过十亿元）|Amount out of range (under one billion yuan)"
        )
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
