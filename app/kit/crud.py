"""The few lines many routes, services and repositories repeat, said once.

    @router.post("/cases/{case_id:uuid}/close", **acts(CaseOut, "Close a case"))
    async def close_case(...) -> CaseOut:
        return etagged(response, await service.close(session, ctx, case_id, body))

    @router.post("/agencies", **creates(AgencyOut, "Contract an agency"))
    async def create_agency(...) -> AgencyOut | JSONResponse:
        return await create_keyed(session, ctx, idempotency_key, "agencies", body, svc.create)

    @router.get("/reports/{month}/export", **exports("The month as .xlsx", "The report"))
    async def export_report(...) -> Response:
        return xlsx_file(await report.export(session, ctx, month), f"report-{month}.xlsx")

A list takes one query model (`Limit`, `Cursor` below); an answer is read from its row with
`app.kit.records.out_of`; a list's optional filters are `app.kit.listing.where_given`; a route
factory's one handler is `named_route`. docs/router-and-service-helpers.md describes each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import error_responses
from app.kit.context import RequestContext
from app.kit.etag import set_etag
from app.kit.idempotency import create_once
from app.kit.pagination import MAX_LIMIT
from app.kit.routes import READ_ERRORS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Page size (1–500).")]
Cursor = Annotated[
    str | None, Field(max_length=500, description="Opaque cursor from `next_cursor`.")
]
"""The page of a list's query model (the same parameters as LimitQuery and CursorQuery):

    class ThingQuery(BaseModel):          # in the domain's schemas.py, the filters first
        status: ThingStatus | None = None
        limit: Limit = 50
        cursor: Cursor = None

    async def list_things(..., query: Annotated[ThingQuery, Query()]) -> Page[ThingOut]:
        return await service.list_things(session, ctx, query)
"""


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


VersionedT = TypeVar("VersionedT", bound=Versioned)
BodyT = TypeVar("BodyT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
RowT = TypeVar("RowT", bound=tuple[Any, ...])


def etagged(response: Response, out: VersionedT) -> VersionedT:
    """`out`, its version sent as the answer's ETag."""
    set_etag(response, out.version)
    return out


async def create_keyed(
    session: AsyncSession,
    ctx: RequestContext,
    key: str | None,
    scope: str,
    body: BodyT,
    make: Callable[[AsyncSession, RequestContext, BodyT], Awaitable[OutT]],
    *,
    response: Response | None = None,
) -> OutT | JSONResponse:
    """`make(session, ctx, body)` once per caller, `scope` and `key` (an Idempotency-Key or the
    body's client id): a repeat with the same body answers the stored 200, another body 409
    (app.kit.idempotency.create_once). The answer's `id`, if it has one, is the created id;
    with `response`, the answer's `version` is its ETag."""

    async def create() -> tuple[OutT, object]:
        out = await make(session, ctx, body)
        if response is not None:
            set_etag(response, out.version)  # type: ignore[attr-defined]
        return out, getattr(out, "id", None)

    owner = str(ctx.actor.id)
    return await create_once(session, key, owner=owner, scope=scope, body=body, create=create)


def named_route(handler: HandlerT, name: str, **types: Any) -> HandlerT:
    """`handler` named `name` (its operation id), its parameters typed by `types` (a body model,
    a role guard): one handler of a route factory serves routes that differ only in those.

        named_route(record, "add_tracing", body=TracingIn)
    """
    handler.__annotations__.update(types)
    handler.__name__ = name
    return handler


def exports(
    summary: str, description: str, *, errors: tuple[int, ...] = READ_ERRORS, **extra: Any
) -> dict[str, Any]:
    """The decorator keywords of a route answering an .xlsx file (`description`: its 200)."""
    ok: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}, "description": description}}
    return {
        "summary": summary,
        "response_class": Response,
        "responses": ok | error_responses(*errors),
        **extra,
    }


def xlsx_file(content: bytes, filename: str) -> Response:
    """An .xlsx workbook as a download named `filename`."""
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})
