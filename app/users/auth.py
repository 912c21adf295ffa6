"""Who may read the staff accounts and partner-agency clients: the district's offices."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT

UserReader = Annotated[Principal, Depends(require_roles(*DISTRICT))]
