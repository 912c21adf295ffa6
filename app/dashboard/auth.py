"""Who may read the operations dashboard: the district's offices and the town supervisors."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT_AND_TOWNS

DashboardReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_TOWNS))]
