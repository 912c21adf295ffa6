"""Partner agencies as callers: an agency client holding a scope, and a route's guard that
admits staff of some roles or such a client (a federation reading its programme, the charity
association its projects).

    is_federation = agency_client("women_federation", "programmes:read")
    Reader = Annotated[Principal, Depends(staff_or(DISTRICT, is_federation, zh, en, extra))]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from app.auth.principal import CurrentPrincipal, Principal
from app.auth.roles import Role
from app.errors import Forbidden

AgencyCheck = Callable[[Principal], bool]


def agency_client(agency: str, scope: str) -> AgencyCheck:
    """Whether a caller is the client of `agency` holding `scope`."""

    def check(principal: Principal) -> bool:
        return (
            principal.kind == "agency" and principal.agency == agency and scope in principal.scopes
        )

    return check


def staff_or(
    roles: Sequence[Role], agency: AgencyCheck, zh: str, en: str, extra: dict[str, Any]
) -> Callable[[CurrentPrincipal], Awaitable[Principal]]:
    """A guard (a FastAPI dependency) admitting staff of `roles` and the `agency` client; anyone
    else is a 403 with this wording and `extra`."""

    async def guard(principal: CurrentPrincipal) -> Principal:
        if principal.has_role(*roles) or agency(principal):
            return principal
        raise Forbidden(zh, en, extra=extra)

    return guard
