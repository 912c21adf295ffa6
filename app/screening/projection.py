"""What each caller sees of a screening record: the one place where fields are projected.

Staff of the bureau, towns and villages see the whole record (the ID number masked, except for
district admins and town supervisors reading one record). Partner agencies (scope
`screening:read`) read only the records their open referrals concern (`app.auth.mandate`), and
of those see who and where the child is (the ID number masked, whole for the police), the
classification the screening is about, and the fields of their mandate, nothing else:

- education 教育: schooling (`school_status`, `school_name`);
- health 卫健: health and disability;
- police 公安: identity (the whole ID number), residence and household registration, guardian;
- disabled_federation 残联: disability.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from app.auth.mandate import whole_id_number
from app.auth.principal import Principal
from app.auth.roles import Role
from app.kit.crypto import KeyRing
from app.kit.reveal import reveal
from app.models import ScreeningRecord
from app.screening.imports.rows import SCREENED_FACTS, age_on

_ALL: Final = (
    "id",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "age",
    "age_at_screening",
    *SCREENED_FACTS,
    "updated_at",
)
_AGENCY_COMMON: Final = frozenset(
    {"id", "name", "id_number", "gender", "birth_date", "age", "village_code", "town_code"}
    | {"classification", "updated_at"}
)
MANDATES: Final[dict[str, frozenset[str]]] = {
    "education": frozenset({"school_status", "school_name"}),
    "health": frozenset({"health_status", "disability_kind", "disability_grade"}),
    "police": frozenset(
        {
            "hukou_code",
            "residence_since",
            "accompanied_by",
            "guardian_name",
            "guardian_phone",
        }
    ),
    "disabled_federation": frozenset({"disability_kind", "disability_grade"}),
}
_FULL_ID_ROLES: Final = frozenset({Role.DISTRICT_ADMIN, Role.TOWN_SUPERVISOR})
# The AES-GCM context (associated data) of `screening_records.id_number_enc`: none.
ID_CONTEXT: Final = b""


def visible_fields(principal: Principal) -> frozenset[str]:
    if principal.kind == "agency":
        return _AGENCY_COMMON | MANDATES.get(principal.agency or "", frozenset())
    return frozenset(_ALL)


def project(
    record: ScreeningRecord,
    principal: Principal,
    *,
    today: date,
    keyring: KeyRing,
    whole_record: bool = False,
) -> dict[str, Any]:
    """The record as this caller may see it (absent keys are not theirs to see)."""
    fields = visible_fields(principal)
    out: dict[str, Any] = {}
    for name in fields:
        if name == "age":
            out[name] = age_on(record.birth_date, today)
        elif name == "age_at_screening":
            out[name] = age_on(record.birth_date, record.screened_on)
        elif name == "id_number":
            out[name] = _id_number(record, principal, keyring, whole_record)
        else:
            out[name] = getattr(record, name)
    return out


def _id_number(
    record: ScreeningRecord, principal: Principal, keyring: KeyRing, whole_record: bool
) -> str | None:
    if record.id_number_enc is None:
        return None
    if principal.kind == "agency":
        whole = whole_id_number(principal.agency)
    else:
        whole = whole_record and principal.role in _FULL_ID_ROLES
    if whole:
        return reveal(
            keyring,
            record.id_number_enc,
            context=ID_CONTEXT,
            column="screening_records.id_number_enc",
            record_id=record.id,
        )
    return record.id_number_masked
