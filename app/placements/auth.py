"""Who may call the placement routes (rule we set): district admins file plans, record
placements and payments (`DistrictAdmin`); the district leader records the district government's
approval (`Leader`); admins, the leader, auditors and the institute's staff, who care for these
orphans, read plans (`Readers`); everyone else gets 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import DistrictAdmin, Principal, require_roles
from app.auth.roles import DISTRICT_AND_INSTITUTE, Role

Readers = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_INSTITUTE))]
Leader = Annotated[Principal, Depends(require_roles(Role.DISTRICT_LEADER))]

__all__ = ["DistrictAdmin", "Leader", "Readers"]
