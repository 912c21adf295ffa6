"""HTTP of the community activities: /api/v1/activities (社区未成年人活动). Village directors,
town supervisors and district admins record them; everyone with an area reads them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.db import SessionDep
from app.kit.context import RequestCtx
from app.kit.pagination import Page
from app.kit.records import replay_response
from app.kit.routes import creates, lists, page_route
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


page_route(
    router,
    "",
    lists(Page[ActivityOut], "The activities of the venues of one's area"),
    "list_activities",
    ActivityReader,
    ActivityQuery,
    service.list_activities,
)


page_route(
    router,
    "/children-without",
    lists(
        Page[ChildWithoutActivity],
        "Children in difficulty of one's area who took part in no activity of the year",
    ),
    "list_children_without_activity",
    ActivityReader,
    WithoutActivityQuery,
    service.without_activity,
)
