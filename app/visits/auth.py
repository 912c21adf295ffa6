"""Who may do what with visits, coverage, flags and follow-ups: the domain's typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import (
    AREA_OFFICERS,
    DISTRICT_AND_INSTITUTE,
    DISTRICT_AND_TOWNS,
    FIELD_WORKERS,
    Role,
)

VisitWriter = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
"""Who records visits (one, or a phone's batch)."""

VisitReader = Annotated[
    Principal,
    Depends(require_roles(*DISTRICT_AND_INSTITUTE, Role.TOWN_SUPERVISOR, Role.VILLAGE_DIRECTOR)),
]
"""Every staff role reads the visits and follow-ups of its jurisdiction."""

VisitSupervisor = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_TOWNS))]
"""Who reads the visits' quality flags."""

CoverageReader = Annotated[
    Principal, Depends(require_roles(*DISTRICT_AND_TOWNS, Role.VILLAGE_DIRECTOR))
]
"""Who reads a month's visit coverage of an area."""

FollowUpWorker = Annotated[Principal, Depends(require_roles(*AREA_OFFICERS))]
"""Who moves a follow-up along its path."""
