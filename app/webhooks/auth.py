"""Who may manage a webhook and read its deliveries: the domain's typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import CurrentPrincipal, Principal, require_roles
from app.auth.roles import Role
from app.errors import Forbidden

DeliveryReader = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.AUDITOR))]
"""Who reads the webhook deliveries (the order of the 403's `allowed_roles`)."""

WebhookApprover = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
"""Who approves a URL a client set itself, and sends a delivery again."""


async def _admin_or_client(principal: CurrentPrincipal) -> Principal:
    if principal.kind == "agency" or principal.has_role(Role.DISTRICT_ADMIN):
        return principal
    raise Forbidden("仅限区级管理员或该客户端本身", "District admins or the client itself only")


AdminOrClient = Annotated[Principal, Depends(_admin_or_client)]
"""A district admin, or an agency client (its own webhook only: the service checks)."""
