"""Who may sync a phone and edit a child from it: the domain's typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.principal import Principal, get_principal, guarded, in_role, require_roles
from app.auth.roles import DISTRICT_AND_INSTITUTE, FIELD_WORKERS, Role

_READERS = (*DISTRICT_AND_INSTITUTE, Role.TOWN_SUPERVISOR, Role.VILLAGE_DIRECTOR)


async def _sync_reader(request: Request) -> Principal:
    # `require_roles(*_READERS)` in one dependency instead of two (the guard, then the
    # principal it depends on): the idle phone's sync is the most frequent request of the
    # service, and FastAPI's solving of each dependency was a tenth of its CPU (issue 30).
    return in_role(await get_principal(request), _READERS)


SyncReader = Annotated[
    Principal, Depends(guarded(_sync_reader, roles=tuple(str(r) for r in _READERS)))
]
"""Every staff role syncs the children of its jurisdiction."""

ChildEditor = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
"""Who corrects a child record from a phone."""
