"""Who may call the caring-mother routes (rule we set).

- `Registrar`: district admins register caring mothers (the bureau records the federation's
  volunteer and her art. 62 record check).
- `Workers`: the child's workers pair, record contacts and wishes, end pairings — district admins,
  the institute's staff (its children), town supervisors (their town), village directors (their
  village); which children is `app.children.access.readable`.
- `Readers`: the ledger's roles read the lists (district roles all; the others their children).
- `PairingReader`: the readers, and the women's federation as an agency client with
  `programmes:read` (its own programme's pairings, projected).
The second wave's roles (protection staff, counsellors, case workers) get 403 everywhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import CurrentPrincipal, Principal, require_roles
from app.auth.roles import AREA_ROLES, FIELD_WORKERS, Role
from app.errors import Forbidden

PROGRAMMES_READ = "programmes:read"
FEDERATION = "women_federation"

Registrar = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
Workers = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
Readers = Annotated[Principal, Depends(require_roles(*AREA_ROLES))]


def is_federation(principal: Principal) -> bool:
    """The women's federation's client with the `programmes:read` scope."""
    return (
        principal.kind == "agency"
        and principal.agency == FEDERATION
        and PROGRAMMES_READ in principal.scopes
    )


async def _pairing_reader(principal: CurrentPrincipal) -> Principal:
    if principal.has_role(*AREA_ROLES) or is_federation(principal):
        return principal
    raise Forbidden(
        "当前角色无权查看结对",
        "Your role may not read the pairings",
        extra={"allowed_roles": [str(r) for r in AREA_ROLES], "allowed_agency": FEDERATION},
    )


PairingReader = Annotated[Principal, Depends(_pairing_reader)]
