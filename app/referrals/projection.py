"""The one place where a referral is projected to the fields of an agency's mandate.

Police see identity (the whole ID number) and residence and the report itself; health sees
health and insurance; education sees schooling; the disabled persons' federation sees
disability; the women's federation sees guardians and the report. Every agency sees who the
child is (the ID number masked, except for the police) and the incident's statutory situations
(with the 2020 opinion's wording), kinds, urgency and status. Used by the referrals API and by
the webhook payloads alike.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.auth.mandate import whole_id_number
from app.children.projection import id_number as child_id_number
from app.incidents.schemas import SituationOut
from app.incidents.situations import described
from app.kit.crypto import KeyRing
from app.kit.records import out_of
from app.kit.reveal import IdentifierUnreadable, reveal
from app.models import Child, Incident, Referral
from app.referrals.schemas import AgencyChildView, AgencyIncidentView, AgencyReferralOut

_BASIC = frozenset({"name", "gender", "birth_date", "age", "id_number"})
# The AES-GCM context of `incidents.child_id_number_enc` (a minor not on the ledger): none.
INCIDENT_ID_CONTEXT = b""

MANDATE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # agency: (incident fields, child fields) beyond the common ones
    "police": (
        frozenset({"description", "location", "discovered_at", "reporter_name"}),
        _BASIC | {"village_code", "guardians"},
    ),
    "health": (
        frozenset({"description", "discovered_at"}),
        _BASIC | {"serious_illness", "disability", "insurance"},
    ),
    "education": (frozenset(), _BASIC | {"school_stage", "school_name"}),
    "disabled_federation": (frozenset(), _BASIC | {"disability"}),
    "women_federation": (frozenset({"description", "discovered_at"}), _BASIC | {"guardians"}),
}


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _id_number(
    agency: str, incident: Incident, child: Child | None, keyring: KeyRing
) -> str | None:
    """The ID number as `agency` sees it: whole where its field needs it (decrypted with the
    context its column was written with, or an error — never a silent mask), else masked."""
    if child is not None:
        if not whole_id_number(agency):
            return child.id_number_masked
        return child_id_number(child, keyring)
    if incident.child_id_number_enc is None:
        return None
    if not whole_id_number(agency):
        return incident.child_id_number_masked
    return reveal(
        keyring,
        incident.child_id_number_enc,
        context=INCIDENT_ID_CONTEXT,
        column="incidents.child_id_number_enc",
        record_id=incident.id,
    )


def _id_number_or_withheld(
    agency: str, incident: Incident, child: Child | None, keyring: KeyRing
) -> dict[str, Any]:
    """A mandatory report reaches the police even when the child's stored ID number does not
    decrypt (强制报告 "立即" — nothing may hold it up): the number is then withheld, said so
    (`id_number_unreadable: true`), and the fault logged as an error by `reveal` — never
    replaced by the masked number."""
    try:
        return {"id_number": _id_number(agency, incident, child, keyring)}
    except IdentifierUnreadable:
        return {"id_number": None, "id_number_unreadable": True}


def _child_facts(
    agency: str, incident: Incident, child: Child | None, keyring: KeyRing, today: date
) -> dict[str, Any]:
    id_number = _id_number_or_withheld(agency, incident, child, keyring)
    if child is not None:
        return {
            "name": child.name,
            "gender": child.gender,
            "birth_date": child.birth_date,
            "age": _age(child.birth_date, today),
            **id_number,
            "village_code": child.village_code,
            "guardians": child.guardians,
            "school_stage": child.school_stage,
            "school_name": child.school_name,
            "disability": child.disability,
            "serious_illness": child.serious_illness,
            "insurance": child.insurance,
        }
    return {
        "name": incident.child_name,
        "gender": incident.child_gender,
        "birth_date": incident.child_birth_date,
        "age": _age(incident.child_birth_date, today)
        if incident.child_birth_date
        else incident.child_age,
        **id_number,
    }


def project_for_agency(
    agency: str,
    referral: Referral,
    incident: Incident,
    child: Child | None,
    keyring: KeyRing,
    today: date,
) -> AgencyReferralOut:
    """The referral as `agency` may see it; fields outside its mandate are left out entirely."""
    incident_fields, child_fields = MANDATE[agency]
    facts = _child_facts(agency, incident, child, keyring, today)
    extra_incident = {
        "description": incident.description,
        "location": incident.location,
        "discovered_at": incident.discovered_at,
        "reporter_name": incident.reporter_name,
    }
    return out_of(
        AgencyReferralOut,
        referral,
        incident=AgencyIncidentView(
            id=incident.id,
            status=incident.status,
            situations=[SituationOut.model_validate(d) for d in described(incident.situations)],
            situations_inferred=incident.situations_inferred,
            kinds=list(incident.kinds),
            urgent=incident.urgent,
            immediate_danger=incident.immediate_danger,
            **{k: v for k, v in extra_incident.items() if k in incident_fields},
        ),
        child=AgencyChildView(
            **{
                k: v
                for k, v in facts.items()
                if k in child_fields
                or (k == "id_number_unreadable" and "id_number" in child_fields)
            }
        ),
    )


def dump(view: AgencyReferralOut) -> dict[str, Any]:
    """JSON form with the out-of-mandate fields absent (not null)."""
    return view.model_dump(mode="json", exclude_unset=True)
