"""Which records a document may belong to, and who may reach them: each domain's own clause.

A document is readable by whoever may read the record it belongs to, with that domain's access
clause (a record outside it is a 404, as in its own domain):

| record_type | staff | partner agencies |
|---|---|---|
| `child`    | `app.children.repository.get_visible` (their jurisdiction) | — |
| `visit`    | `app.visits.repository.get_visit` (the visit's child readable) | — |
| `incident` | `app.incidents.repository.get_visible` (reporter, town, district) | an agency with an open referral of it (its mandate) |
| `intake`   | `app.protection.repository.get` (the centre, the district) | the police who announced it |
| `case`     | `app.casework.repository.get_visible` (the district, the case's agency) | — |

Agencies see only the `evidence` of what they may reach (the police: intake and incident
evidence); never a child's consents, decisions or photos, nor any health record.
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.casework import repository as cases
from app.children import repository as children
from app.documents import repository as repo
from app.documents.errors import RecordNotFound
from app.incidents import repository as incidents
from app.protection import repository as intakes
from app.visits import repository as visits

AGENCY_KINDS: Final = ("evidence",)
AGENCY_RECORD_TYPES: Final = ("incident", "intake")


async def child_of(
    session: AsyncSession, principal: Principal, record_type: str, record_id: uuid.UUID
) -> uuid.UUID | None:
    """The child the record concerns (None: none on the ledger), if the caller may read the
    record; else RecordNotFound (404)."""
    agency = principal.kind == "agency"
    if agency and record_type not in AGENCY_RECORD_TYPES:
        raise RecordNotFound()
    child_id: uuid.UUID | None
    match record_type:
        case "child":
            child = await children.get_visible(session, principal, record_id)
            found, child_id = child is not None, record_id
        case "visit":
            visit = await visits.get_visit(session, principal, record_id)
            found, child_id = visit is not None, visit.child_id if visit else None
        case "incident":
            incident = (
                await repo.referred_incident(session, principal, record_id)
                if agency
                else await incidents.get_visible(session, principal, record_id)
            )
            found, child_id = incident is not None, incident.child_id if incident else None
        case "intake":
            intake = await intakes.get(session, principal, record_id)
            found, child_id = intake is not None, intake.child_id if intake else None
        case "case":
            case = await cases.get_visible(session, principal, record_id)
            found, child_id = case is not None, case.child_id if case else None
        case _:
            found, child_id = False, None
    if not found:
        raise RecordNotFound()
    return child_id


def kinds_for(principal: Principal) -> tuple[str, ...] | None:
    """The kinds of document the caller may see of a record it reaches (None: all)."""
    return AGENCY_KINDS if principal.kind == "agency" else None
