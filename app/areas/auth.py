"""Who imports areas: the city's admin (districts and their trees) and a district's admin
(its own district's towns and villages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import Role

AreaImporter = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.CITY_ADMIN))]
