"""An agency's mandate 职责范围: which children and screening records a partner agency may read.

The one clause for every query a partner agency makes of children and screening records (the
counterpart of `app.children.access.readable` for staff). An agency reads the records its OWN
OPEN referrals concern, nothing else:

- a referral addressed to the caller's agency (`referrals.agency`);
- open: the referral is neither completed nor declined, and its incident is not closed;
- the child it concerns: the incident's ledger child (`incidents.child_id`), and the screening
  record of the same child — found by the keyed hash of the ID number (the child's, or for a
  minor not on the ledger the one the report gave), which is a screening record's identity key.

A screening record's own referral (监测摸排转介: `referrals.screening_record_id`, addressed to
education, health or the disabled persons' federation) opens that record to its agency while it
is open (neither completed nor declined); it opens no ledger child.

In a city an agency's client serves the city (a municipal agency: every district's referrals)
or one district (`Principal.district_code`): a district's client reads the referrals, children
and records of its own district only (an incident's area, a screening record's village).

Outside that a child or a record does not exist for the agency (404); a list holds the mandate's
records only (as many as the agency has open cases, never the ledger or the screening table).
What of a record an agency then sees is decided by each domain's projection; the ID number is
shown whole only where the field needs it (`whole_id_number`: the police, for identity).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Select, false, func, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.auth.principal import Principal
from app.models import Area, Child, Incident, Referral, ScreeningRecord

CLOSED_REFERRAL_STATUSES: Final = ("completed", "declined")
WHOLE_ID_NUMBER_AGENCIES: Final = frozenset({"police"})


def _agency(principal: Principal) -> str | None:
    return principal.agency if principal.kind == "agency" else None


def _district_areas(district_code: str) -> Select[Any]:
    """The codes of the areas of a district (itself, its towns and villages)."""
    path = select(Area.path).where(Area.code == district_code).scalar_subquery()
    return select(Area.code).where(Area.path.startswith(path))


def incident_in_district(district_code: str | None) -> ColumnElement[bool]:
    """The incidents of a district (an incident's area), or every incident (None: the city)."""
    if district_code is None:
        return true()
    return Incident.area_code.in_(_district_areas(district_code))


def record_in_district(district_code: str | None) -> ColumnElement[bool]:
    """The screening records of a district (their village), or all of them (None: the city)."""
    if district_code is None:
        return true()
    return ScreeningRecord.village_code.in_(_district_areas(district_code))


def concerned(agency: str, district_code: str | None = None) -> Select[Any]:
    """(child_id, identity_key) of every child the agency's open referrals concern.

    `child_id` is null for a minor not on the ledger; `identity_key` (the 32-byte HMAC of the ID
    number, as screening records store it) is null when no ID number is known.
    """
    id_hash = func.coalesce(Child.id_number_hash, Incident.child_id_number_hash)
    return (
        select(
            Incident.child_id.label("child_id"),
            func.decode(id_hash, literal("hex")).label("identity_key"),
        )
        .select_from(Referral)
        .join(Incident, Incident.id == Referral.incident_id)
        .outerjoin(Child, Child.id == Incident.child_id)
        .where(
            Referral.agency == agency,
            Referral.status.not_in(CLOSED_REFERRAL_STATUSES),
            Incident.status != "closed",
            incident_in_district(district_code),
        )
    )


def children(principal: Principal) -> ColumnElement[bool]:
    """The ledger children that exist for an agency client (false for anyone else)."""
    agency = _agency(principal)
    if agency is None:
        return false()
    sub = concerned(agency, principal.district_code).subquery()
    return Child.id.in_(select(sub.c.child_id).where(sub.c.child_id.is_not(None)))


def screening_records(principal: Principal) -> ColumnElement[bool]:
    """The screening records that exist for an agency client (false for anyone else)."""
    agency = _agency(principal)
    if agency is None:
        return false()
    sub = concerned(agency, principal.district_code).subquery()
    by_incident = ScreeningRecord.identity_key.in_(
        select(sub.c.identity_key).where(sub.c.identity_key.is_not(None))
    )
    mine = or_(by_incident, ScreeningRecord.id.in_(referred_records(agency)))
    return mine & record_in_district(principal.district_code)


def referred_records(agency: str) -> Select[Any]:
    """The screening records of the agency's own open screening referrals."""
    return select(Referral.screening_record_id).where(
        Referral.agency == agency,
        Referral.screening_record_id.is_not(None),
        Referral.status.not_in(CLOSED_REFERRAL_STATUSES),
    )


def referral_in_district(district_code: str | None) -> ColumnElement[bool]:
    """The referrals of a district: an incident's by its area, a screening record's by the
    record's village (None: every district's, a city agency)."""
    if district_code is None:
        return true()
    return or_(
        Referral.incident_id.in_(select(Incident.id).where(incident_in_district(district_code))),
        Referral.screening_record_id.in_(
            select(ScreeningRecord.id).where(record_in_district(district_code))
        ),
    )


def whole_id_number(agency: str | None) -> bool:
    """Whether the agency's field needs the whole ID number (identity: the police); every other
    agency sees it masked."""
    return agency in WHOLE_ID_NUMBER_AGENCIES
