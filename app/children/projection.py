"""Field projection for partner agencies: the one place that decides what each mandate sees.

Every agency sees who the child is (name, gender, birth date, status); beyond that:
education → schooling; health → health, insurance, disability; disabled_federation →
disability; police → identity (masked ID number) and residence. An agency with no mandate
here (women_federation) reads no child records.
"""

from __future__ import annotations

from typing import Any

from app.models import Child

BASE_FIELDS = ("id", "name", "gender", "birth_date", "status", "updated_at")
MANDATES: dict[str, tuple[str, ...]] = {
    "education": ("school_stage", "school_name", "school_enrolment_year", "school_expected_end_on"),
    "health": ("serious_illness", "insurance", "disability"),
    "disabled_federation": ("disability",),
    "police": ("id_number", "placement", "village_code"),
}


def has_mandate(agency: str | None) -> bool:
    return agency in MANDATES


def project_for_agency(agency: str, child: Child) -> dict[str, Any]:
    """The child as `agency` may see it: the base fields and its mandate's fields, nothing else."""
    out: dict[str, Any] = {}
    for name in (*BASE_FIELDS, *MANDATES.get(agency, ())):
        out[name] = child.id_number_masked if name == "id_number" else getattr(child, name)
    return out
