"""Who may read the monthly ledger (the district's offices) and who approves it (the leader)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT, Role

LedgerReader = Annotated[Principal, Depends(require_roles(*DISTRICT))]
Leader = Annotated[Principal, Depends(require_roles(Role.DISTRICT_LEADER))]
