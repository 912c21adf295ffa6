"""Who may sync a phone and edit a child from it: the domain's typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT_AND_INSTITUTE, FIELD_WORKERS, Role

SyncReader = Annotated[
    Principal,
    Depends(require_roles(*DISTRICT_AND_INSTITUTE, Role.TOWN_SUPERVISOR, Role.VILLAGE_DIRECTOR)),
]
"""Every staff role syncs the children of its jurisdiction."""

ChildEditor = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
"""Who corrects a child record from a phone."""
