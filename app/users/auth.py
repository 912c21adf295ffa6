"""Who may read and manage the staff accounts and partner-agency clients: the district's offices
for their own district, the city's admin for every district (the city's viewer reads no one's
account: accounts are personal records)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT, Role

UserReader = Annotated[Principal, Depends(require_roles(*DISTRICT, Role.CITY_ADMIN))]
AccountAdmin = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.CITY_ADMIN))]
