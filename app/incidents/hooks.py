"""What other domains do when an incident's intervention names them.

A `protection_centre_placement` intervention places the child at the minors' protection centre:
the protection domain (wired by `app.wiring`) opens the centre's intake for the child, or links
the intake the intervention names, in the incident's transaction, and returns the intake's id,
which the intervention keeps (`intake_id`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.context import RequestContext
from app.models import Incident

PlacementHandler = Callable[
    [AsyncSession, RequestContext, Incident, dict[str, Any], int], Awaitable[uuid.UUID | None]
]
PLACEMENT_HANDLERS: list[PlacementHandler] = []


def register_placement(handler: PlacementHandler) -> None:
    """Add a handler once (app.wiring connects the protection domain's at start-up)."""
    if handler not in PLACEMENT_HANDLERS:
        PLACEMENT_HANDLERS.append(handler)


async def on_centre_placement(
    session: AsyncSession, ctx: RequestContext, incident: Incident, intervention: dict[str, Any],
    index: int,
) -> None:  # fmt: skip
    """Called for each `protection_centre_placement` recorded (`index`: its place in the body)."""
    for handler in PLACEMENT_HANDLERS:
        intake_id = await handler(session, ctx, incident, intervention, index)
        if intake_id is not None:
            intervention["intake_id"] = str(intake_id)
