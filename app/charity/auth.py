"""Who may call the charity routes (rule we set).

| route | who |
|---|---|
| file an application, file its final report | district admins (for a district department, or any town), town supervisors (their own town) |
| review and forward to the association | district admins, not the one who filed it (four eyes) |
| approve or decline, record an instalment | the charity association's client (agency `charity`, scope `charity:write`); an instalment not by the client that approved (four eyes) |
| list, read, overdue reports | the district roles (all), town supervisors (their own town's), the association (only what was forwarded to it) |

Everyone else gets 403 (village directors, the institute, the centre, contracted professionals,
the other agencies).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import CurrentPrincipal, Principal, require_roles
from app.auth.roles import DISTRICT_AND_TOWNS, Role
from app.errors import Forbidden
from app.kit.agency import agency_client, staff_or

SCOPE = "charity:write"


is_association = agency_client("charity", SCOPE)
"""The charity association's client holding `charity:write`."""


async def _association(principal: CurrentPrincipal) -> Principal:
    if not is_association(principal):
        raise Forbidden(
            "仅限慈善协会（charity:write）", "The charity association only (scope charity:write)"
        )
    return principal


_reader = staff_or(
    DISTRICT_AND_TOWNS,
    is_association,
    "当前角色无权查看慈善项目",
    "Your role may not read charity projects",
    {"allowed_roles": [str(r) for r in DISTRICT_AND_TOWNS]},
)


Applicant = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.TOWN_SUPERVISOR))]
Reviewer = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
Association = Annotated[Principal, Depends(_association)]
CharityReader = Annotated[Principal, Depends(_reader)]
