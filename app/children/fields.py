"""The fields of a child's record: which a change may touch, which the ledger keeps, and their
values as the history keeps them (dates as ISO strings)."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from app.models import Child

FIELDS: Final = (
    "name",
    "gender",
    "birth_date",
    "category",
    "placement",
    "village_code",
    "approved_on",
    "parents",
    "guardians",
    "household_assistance",
    "serious_illness",
    "disability",
    "school_stage",
    "school_name",
    "school_enrolment_year",
    "school_expected_end_on",
    "insurance",
)
"""Fields a change may touch (the ID number is handled on its own: encrypted, hashed, masked)."""

NOT_NULL: Final = frozenset(
    {
        "name",
        "id_number",
        "gender",
        "birth_date",
        "category",
        "placement",
        "approved_on",
        "parents",
        "guardians",
        "household_assistance",
        "insurance",
    }
)
"""Fields a change may not set to null."""

REVOCATION_FIELDS: Final = ("status", "revoked_on", "revoke_reason")
"""The fields a revocation changes (its history entry names them)."""

STATE_FIELDS: Final = ("name", "id_number_masked", *FIELDS[1:7], *REVOCATION_FIELDS)
"""The ledger-relevant state kept with every history entry (the month-end ledger reads it):
name, masked ID number, gender, birth date, category, placement, village, approval, status,
revocation date and reason."""


def json_value(value: Any) -> Any:
    """A value as the history keeps it (dates as ISO strings)."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def facts_of(child: Child) -> dict[str, Any]:
    """The child's facts as the category rules read them."""
    return {f: json_value(getattr(child, f)) for f in FIELDS}


def state_of(child: Child) -> dict[str, Any]:
    """The ledger-relevant state kept with every history entry."""
    return {f: json_value(getattr(child, f)) for f in STATE_FIELDS}


def revocation_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """A revocation's history changes, from the state before and after it."""
    return [{"field": f, "from": before[f], "to": after[f]} for f in REVOCATION_FIELDS]
