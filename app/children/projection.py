"""Field projection for partner agencies: the one place that decides what each mandate sees.

Which children an agency reads at all is `app.auth.mandate` (those its open referrals concern);
of such a child every agency sees who the child is (name, gender, birth date, status, the ID
number — whole for the police, masked for everyone else); beyond that: education → schooling;
health → health, insurance, disability; disabled_federation → disability; police → residence.
An agency with no mandate here (women_federation) reads no child records.
"""

from __future__ import annotations

from typing import Any, Final

from app.auth.mandate import whole_id_number
from app.kit.crypto import KeyRing
from app.kit.reveal import reveal
from app.models import Child

# The AES-GCM context (associated data) of `children.id_number_enc`.
ID_CONTEXT: Final = b"child.id_number"

BASE_FIELDS = ("id", "name", "gender", "birth_date", "status", "updated_at", "id_number")
MANDATES: dict[str, tuple[str, ...]] = {
    "education": ("school_stage", "school_name", "school_enrolment_year", "school_expected_end_on"),
    "health": ("serious_illness", "insurance", "disability"),
    "disabled_federation": ("disability",),
    "police": ("placement", "village_code"),
}


def has_mandate(agency: str | None) -> bool:
    return agency in MANDATES


def id_number(child: Child, ring: KeyRing) -> str:
    """The child's whole ID number (decrypted with the children's context, or an error)."""
    return reveal(
        ring,
        child.id_number_enc,
        context=ID_CONTEXT,
        column="children.id_number_enc",
        record_id=child.id,
    )


def project_for_agency(agency: str, child: Child, ring: KeyRing) -> dict[str, Any]:
    """The child as `agency` may see it: the base fields and its mandate's fields, nothing else."""
    out: dict[str, Any] = {}
    for name in (*BASE_FIELDS, *MANDATES.get(agency, ())):
        if name == "id_number":
            out[name] = (
                id_number(child, ring) if whole_id_number(agency) else child.id_number_masked
            )
        else:
            out[name] = getattr(child, name)
    return out
