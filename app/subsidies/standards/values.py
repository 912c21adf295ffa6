"""补贴标准 rows ↔ ParameterValue: the seed rows of parameters.yaml and the ParameterSet of the DB."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from app.subsidies.parameters import ParameterSet, ParameterValue


def value_to_json(value: Decimal | tuple[str, ...] | bool) -> Any:
    """A parameter value as the JSONB column stores it: a decimal string, a list of codes or a
    boolean."""
    if isinstance(value, bool):
        return value
    return f"{value:f}" if isinstance(value, Decimal) else list(value)


def seed_rows() -> list[dict[str, Any]]:
    """The values of the bundled parameters.yaml as rows of subsidy_standards."""
    return [
        {
            "key": v.key,
            "value": value_to_json(v.value),
            "effective_from": v.effective_from,
            "reference": v.reference,
            "note": v.note,
            "retroactive": False,
            "source": "seed",
        }
        for v in ParameterSet.seed()
    ]


def parameter_set(rows: Iterable[Any]) -> ParameterSet:
    """Build the ParameterSet the rules compute with from subsidy_standards rows."""
    return ParameterSet(
        ParameterValue.parse(r.key, r.value, r.effective_from, r.reference, r.note) for r in rows
    )
