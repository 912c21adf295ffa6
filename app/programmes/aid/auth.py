"""Who may call the education-aid routes: the domain's typed dependencies.

(rule we set) District admins open rounds, enter the applications the federation hands in and
record the disbursements; admins or the leader review them (approve with an amount, or
reject) — never the person who entered the application, and whoever approved does not record
the payment (four eyes, `app.kit.four_eyes`). The district's readers (admins, the leader,
auditors) read rounds and applications, and so does the women's federation as an agency client
with the `programmes:read` scope: the aid of its own programmes, projected (no ID number).
Town supervisors, village directors, the institute's staff and the second wave's roles
(protection staff, counsellors, case workers) get nothing here.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from app.auth.principal import CurrentPrincipal, DistrictAdmin, Principal, require_roles
from app.auth.roles import DECIDERS, DISTRICT
from app.errors import Forbidden

FEDERATION: Final = "women_federation"
PROGRAMMES_READ: Final = "programmes:read"


def is_federation(principal: Principal) -> bool:
    """The women's federation's client, holding the `programmes:read` scope."""
    return (
        principal.kind == "agency"
        and principal.agency == FEDERATION
        and PROGRAMMES_READ in principal.scopes
    )


async def _aid_reader(principal: CurrentPrincipal) -> Principal:
    if principal.has_role(*DISTRICT) or is_federation(principal):
        return principal
    raise Forbidden(
        "仅区级人员或区妇联（programmes:read）可查看教育帮扶",
        "Only the district's staff or the women's federation (programmes:read) read the aid",
        extra={"allowed_roles": [str(r) for r in DISTRICT], "allowed_agencies": [FEDERATION]},
    )


AidReader = Annotated[Principal, Depends(_aid_reader)]
AidAdmin = DistrictAdmin
AidDecider = Annotated[Principal, Depends(require_roles(*DECIDERS))]
