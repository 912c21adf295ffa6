"""The keyword arguments of a route decorator, named after what the route does.

    @router.get("/users", **lists(Page[UserOut], "List staff accounts"))
    @router.get("/users/{user_id:uuid}", **reads(UserOut, "Get a staff account"))
    @router.post("/users", **creates(UserOut, "Create a staff account"))
    @router.post("/medical-claims/{claim_id:uuid}/pay", **acts(ClaimOut, "Record the payment"))

Each sets the answer model, the summary and the problem+json responses such a route gives
(app.errors.error_responses); `errors=` names others where a route differs, and any other
keyword goes to the decorator as it is (`tags=`, `response_model_exclude_unset=`, …).
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.errors import error_responses
from app.kit.context import RequestContext, RequestCtx
from app.kit.etag import set_etag
from app.kit.four_eyes import FourEyes
from app.kit.idempotency import REPLAYED
from app.replica import LagTolerantSessionDep

Responses = dict[int | str, dict[str, Any]]

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
"""The `If-Match` header of a change: the version the caller last read."""

LIST_ERRORS = (401, 403, 422)
READ_ERRORS = (401, 403, 404, 422)
ACT_ERRORS = (401, 403, 404, 409, 422)
CREATE_ERRORS = (400, 401, 403, 409, 422)


def _route(
    model: Any, summary: str, errors: tuple[int, ...], extra: dict[str, Any], first: Responses
) -> dict[str, Any]:
    return {
        "response_model": model,
        "summary": summary,
        "responses": first | error_responses(*errors),
        **extra,
    }


def lists(
    model: Any, summary: str, *, errors: tuple[int, ...] = LIST_ERRORS, **extra: Any
) -> dict[str, Any]:
    """A list (usually a keyset `Page[...]`): no 404, the filters answer an empty page."""
    return _route(model, summary, errors, extra, {})


def reads(
    model: Any, summary: str, *, errors: tuple[int, ...] = READ_ERRORS, **extra: Any
) -> dict[str, Any]:
    """One resource, read: 404 when it does not exist or is out of the caller's reach."""
    return _route(model, summary, errors, extra, {})


def acts(
    model: Any, summary: str, *, errors: tuple[int, ...] = ACT_ERRORS, **extra: Any
) -> dict[str, Any]:
    """A change of one resource (a transition, an approval): 409 when its state forbids it."""
    return _route(model, summary, errors, extra, {})


def creates(
    model: Any,
    summary: str,
    *,
    errors: tuple[int, ...] = CREATE_ERRORS,
    replayed: Responses = REPLAYED,
    **extra: Any,
) -> dict[str, Any]:
    """A creation (201), retry-safe: `replayed` describes the 200 of a repeated request
    (app.kit.idempotency); `replayed={}` for one that is not."""
    return _route(model, summary, errors, extra, replayed) | {"status_code": 201}


def page_route(
    router: APIRouter,
    path: str,
    route: dict[str, Any],
    name: str,
    guard: Any,
    query: type[BaseModel],
    serve: Callable[..., Awaitable[Any]],
    *,
    whole: bool = False,
) -> None:
    """GET `path`: a list read by those `guard` admits, its filters and page the fields of
    `query` (one model: the filters, then `limit` and `cursor`), answered by the service
    `serve(session, ctx, **filters)` (`whole`: `serve(session, ctx, query)`, the service
    takes the model). `route` is the decorator's keywords (`lists(...)`), `name` the
    operation's.

        page_route(router, "/things", lists(Page[ThingOut], "List things"), "list_things",
                   ThingReader, ThingQuery, service.list_things)
    """

    async def handler(session: SessionDep, _: Any, ctx: RequestCtx, query: Any) -> Any:
        return await (serve(session, ctx, query) if whole else serve(session, ctx, **dict(query)))

    handler.__annotations__.update(_=guard, query=Annotated[query, Query()])
    handler.__name__ = name
    router.get(path, **route)(handler)


def call_route(
    router: APIRouter,
    method: str,
    path: str,
    route: dict[str, Any],
    name: str,
    guard: Any,
    serve: Callable[..., Awaitable[Any]],
    *,
    body: type[BaseModel] | None = None,
    etag: bool = False,
    if_match: bool = False,
    four_eyes: bool = False,
    answer: Callable[[Any, RequestContext], Any] | None = None,
    reply: Callable[[AsyncSession, RequestContext, Any], Awaitable[Any]] | None = None,
    replica: bool = False,
) -> None:
    """`method path`: one resource (or a step of it) that is one service call,
    `serve(session, ctx, *ids, body)`, by those `guard` admits. `ids` are the path's
    parameters in order (`{name:uuid}` and `{name_id}` UUIDs, any other a string), `body`
    the request's model if it has one; with `etag`, the answer's `version` is sent as its
    ETag; with `if_match`, the service is given the `If-Match` header last; with
    `four_eyes`, it is given `four_eyes=` (app.kit.four_eyes: who may not take this step).
    `answer(out, ctx)`, if given, shapes what the service returned into the answer;
    `reply(session, ctx, out)`, if given, is an answer that reads more (a step, then the
    record's whole view). With `replica`, a read's session may be the replica's
    (app.replica: figures that tolerate a little lag). `route` is the decorator's keywords
    (`reads(...)`, `acts(...)`), `name` the operation's.

        call_route(router, "POST", "/things/{thing_id:uuid}/close", acts(ThingOut, "Close it"),
                   "close_thing", ThingWriter, service.close, body=CloseIn, etag=True)
    """
    found = re.findall(r"{(\w+)(:uuid)?}", path)
    ids = [name for name, _ in found]
    kind = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            name, kind, annotation=uuid.UUID if typed or name.endswith("_id") else str
        )
        for name, typed in found
    ]
    if body is not None:
        params.append(inspect.Parameter("body", kind, annotation=body))
    if etag:
        params.append(inspect.Parameter("response", kind, annotation=Response))
    params += [
        inspect.Parameter(
            "session", kind, annotation=LagTolerantSessionDep if replica else SessionDep
        ),
        inspect.Parameter("_", kind, annotation=guard),
        inspect.Parameter("ctx", kind, annotation=RequestCtx),
    ]
    if if_match:
        params.append(inspect.Parameter("if_match", kind, annotation=IfMatch, default=None))
    if four_eyes:
        params.append(inspect.Parameter("four_eyes", kind, annotation=FourEyes))

    async def handler(**values: Any) -> Any:
        given = [values[i] for i in ids] + ([values["body"]] if body is not None else [])
        given += [values["if_match"]] if if_match else []
        eyes = {"four_eyes": values["four_eyes"]} if four_eyes else {}
        out = await serve(values["session"], values["ctx"], *given, **eyes)
        if etag:
            set_etag(values["response"], out.version)
        if reply is not None:
            return await reply(values["session"], values["ctx"], out)
        return out if answer is None else answer(out, values["ctx"])

    handler.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    handler.__name__ = name
    router.add_api_route(path, handler, methods=[method], **route)
