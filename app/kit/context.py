"""The request context: everything a service needs besides the session, in one typed object.

Built once per HTTP request by one dependency (`RequestCtx`), or by a background job with
`RequestContext.for_job(...)`, and passed to services as an argument. Nothing reads the
request from the session: a service that needs the caller, "now", the settings, the key ring
or the caller's language takes the context.

    @router.post("/things")
    async def create_thing(body: ThingIn, session: SessionDep, ctx: RequestCtx) -> ThingOut:
        return await service.create_thing(session, ctx, body)

The route's role dependency (`require_roles(Role.X, ...)`) still guards the route; the context
carries the principal it resolved (FastAPI resolves `get_principal` once per request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, Request

from app.auth.principal import CurrentPrincipal, Principal
from app.config import Settings
from app.errors import wants_english
from app.kit.clock import DISTRICT_TZ, Clock
from app.kit.crypto import KeyRing

if TYPE_CHECKING:
    from app.errors import AppError

Language = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking, when, in which language, with which settings and keys.

    `principal` is None only for work the system does on its own (a periodic job); it is the
    acting user for a request and for a job done on a user's behalf. `now` is read from the
    clock once, when the context is built: every record of one request carries the same time.
    """

    principal: Principal | None
    clock: Clock
    settings: Settings
    keyring: KeyRing
    now: datetime
    language: Language = "zh"
    request_id: str | None = None
    client_addr: str | None = None

    @property
    def english(self) -> bool:
        return self.language == "en"

    @property
    def today(self) -> date:
        """Today in the district (Asia/Shanghai), at `now`."""
        return self.now.astimezone(DISTRICT_TZ).date()

    @property
    def actor(self) -> Principal:
        """The acting principal; a context of the system itself has none (a programming error)."""
        if self.principal is None:
            raise RuntimeError("this work is done by the system: no acting principal")
        return self.principal

    def text(self, zh: str, en: str) -> str:
        """The caller's language of a message given in both."""
        return en if self.language == "en" else zh

    def problem(self, err: AppError) -> dict[str, Any]:
        """An error as problem details in the caller's language (without `instance`)."""
        return err.to_problem(None, english=self.english)

    @classmethod
    def for_job(
        cls,
        settings: Settings,
        clock: Clock,
        *,
        principal: Principal | None = None,
        keyring: KeyRing | None = None,
        job_id: int | None = None,
        language: Language = "zh",
    ) -> RequestContext:
        """The context of a background job (or a script): no HTTP request behind it.

        The key ring is built from the settings unless given (the worker's job context carries
        settings and clock only). Audit entries of the job carry `job:<id>` as request id.
        """
        ring = keyring or keyring_from_settings(settings)
        return cls(
            principal=principal,
            clock=clock,
            settings=settings,
            keyring=ring,
            now=clock.now(),
            language=language,
            request_id=None if job_id is None else f"job:{job_id}",
            client_addr=None,
        )


def keyring_from_settings(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


def language_of(request: Request | None) -> Language:
    """zh unless the caller's Accept-Language puts English before Chinese (app.errors decides)."""
    return "en" if wants_english(request) else "zh"


def context_of(request: Request, principal: Principal | None) -> RequestContext:
    """The context of an HTTP request (the dependency below, and routes without a principal)."""
    state = request.app.state
    clock: Clock = state.clock
    return RequestContext(
        principal=principal,
        clock=clock,
        settings=state.settings,
        keyring=state.keyring,
        now=clock.now(),
        language=language_of(request),
        request_id=getattr(request.state, "request_id", None),
        client_addr=request.client.host if request.client else None,
    )


async def get_request_context(request: Request, principal: CurrentPrincipal) -> RequestContext:
    # async: FastAPI runs a plain `def` dependency in a worker thread (a hand-off per request)
    return context_of(request, principal)


RequestCtx = Annotated[RequestContext, Depends(get_request_context)]
"""The request's context; the caller must be authenticated (401 otherwise)."""
