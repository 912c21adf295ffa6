"""Who may do what with screening referrals: the typed dependencies.

| caller | refer | list, read | acknowledge, outcome | stats |
|---|---|---|---|---|
| district admin | yes | all | — | yes |
| district leader, auditor | — | all | — | yes |
| agency client (`referrals:read` / `referrals:write`) | — | its agency's | its agency's | — |
| other staff | 403 | 403 | 403 | 403 |
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import (
    CurrentPrincipal,
    Principal,
    in_role,
    require_roles,
    require_scope,
)
from app.auth.roles import DISTRICT, Role
from app.errors import Forbidden

Referrer = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
StatsReader = Annotated[Principal, Depends(require_roles(*DISTRICT))]
AgencyWriter = Annotated[Principal, Depends(require_scope("referrals:write"))]


async def _reader(principal: CurrentPrincipal) -> Principal:
    if principal.kind == "agency":
        if "referrals:read" not in principal.scopes:
            raise Forbidden("令牌缺少所需权限范围", "The token lacks the scope referrals:read")
        return principal
    return in_role(principal, DISTRICT)


Reader = Annotated[Principal, Depends(_reader)]
"""The district's roles (all referrals), or an agency client with `referrals:read` (its own)."""
