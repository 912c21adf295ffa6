"""HTTP of the community activities: /api/v1/activities (社区未成年人活动). Village directors,
town supervisors and district admins record them; everyone with an area reads them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.pagination import Page
from app.kit.params import Filters
from app.kit.records import replay_response
from app.kit.routes import creates, lists
from app.programmes.activities import service
from app.programmes.activities.auth import ActivityReader, ActivityWriter
from app.programmes.activities.schemas import (
    ActivityCreate,
    ActivityOut,
    ActivityQuery,
    ChildWithoutActivity,
    WithoutActivityQuery,
)

router = APIRouter(prefix="/api/v1/activities", tags=["programmes"])


@router.post(
    "",
    **creates(
        ActivityOut,
        "Record an activity of a village's minors' venue (client id: once)",
        replayed=replay_response("A replay: the same id and body"),
    ),
)
async def record_activity(
    body: ActivityCreate,
    session: SessionDep,
    _: ActivityWriter,
    ctx: RequestCtx,
    response: Response,
) -> ActivityOut:
    out, created = await service.record_activity(session, ctx, body)
    if not created:
        response.status_code = 200
    return out


@router.get(
    "",
    **lists(Page[ActivityOut], "The activities of the venues of one's area"),
)
async def list_activities(
    session: SessionDep, _: ActivityReader, ctx: RequestCtx, query: Filters[ActivityQuery]
) -> Page[ActivityOut]:
    return await service.list_activities(session, ctx, **dict(query))


@router.get(
    "/children-without",
    **lists(
        Page[ChildWithoutActivity],
        "Children in difficulty of one's area who took part in no activity of the year",
    ),
)
async def list_children_without_activity(
    session: SessionDep, _: ActivityReader, ctx: RequestCtx, query: Filters[WithoutActivityQuery]
) -> Page[ChildWithoutActivity]:
    return await service.without_activity(session, ctx, **dict(query))
