"""Who may do what at the protection centre: the domain's typed dependencies.

| caller | intakes | steps, discharge | occupancy, deadlines | follow-up visits |
|---|---|---|---|---|
| institution_staff, protection_staff (the centre) | read, write | write | read | read |
| district_admin | read (incl. confidential fields) | — | read | read |
| district_leader, auditor | read (confidential fields withheld) | — | read | read |
| (every role above: its own district's intakes only) | | | | |
| police client with `protection:write` | announce; read its own (id, status, kind, admitted_at) | — | — | — |
| village_director | — | — | — | its village's (and records them) |
| city_admin, city_viewer | none (every district's with CITY_RECORD_ROLES; confidential fields withheld) | — | — | — |
| anyone else | 403 | 403 | 403 | 403 |
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Final

from fastapi import Depends

from app.auth.principal import CurrentPrincipal, Principal, in_role, require_roles
from app.auth.roles import CITY, DISTRICT, Role
from app.errors import Forbidden

CENTRE: Final = (Role.INSTITUTION_STAFF, Role.PROTECTION_STAFF)
"""The centre's staff (the institute is the centre; protection staff work for the centre only)."""

CENTRE_AND_DISTRICT: Final = (*CENTRE, *DISTRICT)
"""Who reads the centre's register."""

CONFIDENTIAL_CIRCLE: Final = frozenset({*CENTRE, Role.DISTRICT_ADMIN})
"""Who sees a protected child's placement, the centre's notes and the do-not-disclose list."""

SCOPE: Final = "protection:write"


def _intake_caller(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.kind == "agency":
            if principal.agency == "police" and SCOPE in principal.scopes:
                return principal
            raise Forbidden("令牌缺少所需权限范围", f"The token lacks the scope {SCOPE}")
        return in_role(principal, roles)

    return dependency


IntakeAnnouncer = Annotated[Principal, Depends(_intake_caller(*CENTRE))]
"""Who creates an intake: the centre's staff, and the police announcing a child they bring."""

IntakeReader = Annotated[Principal, Depends(_intake_caller(*CENTRE_AND_DISTRICT, *CITY))]
"""Who lists and reads intakes (the police: their own, projected; the city's offices: none
unless CITY_RECORD_ROLES names them)."""

CentreStaff = Annotated[Principal, Depends(require_roles(*CENTRE))]
"""Who edits an intake, records tracing, placements, assessments and discharges."""

CentreReader = Annotated[Principal, Depends(require_roles(*CENTRE_AND_DISTRICT))]
"""Who reads occupancy and deadlines."""

FollowUpReader = Annotated[
    Principal, Depends(require_roles(*CENTRE_AND_DISTRICT, Role.VILLAGE_DIRECTOR))
]
"""Who lists the follow-up visits of returned children (a director: their village's)."""

FollowUpVisitor = Annotated[Principal, Depends(require_roles(Role.VILLAGE_DIRECTOR, *CENTRE))]
"""Who records a follow-up visit made."""
