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

from app.auth.principal import Principal, require_roles
from app.auth.roles import AREA_ROLES, FIELD_WORKERS, Role
from app.kit.agency import staff_or
from app.programmes.federation import FEDERATION, is_federation

Registrar = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
Workers = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
Readers = Annotated[Principal, Depends(require_roles(*AREA_ROLES))]


_pairing_reader = staff_or(
    AREA_ROLES,
    is_federation,
    "当前角色无权查看结对",
    "Your role may not read the pairings",
    {"allowed_roles": [str(r) for r in AREA_ROLES], "allowed_agency": FEDERATION},
)


PairingReader = Annotated[Principal, Depends(_pairing_reader)]
