"""Who is calling: a staff user (role + area) or a partner-agency client (agency + scopes)."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from sqlalchemy import bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, aliased

from app.auth.roles import CITY_ROLES, DISTRICT_ROLES, Role
from app.db import read_sessionmaker
from app.errors import Forbidden, NotAuthenticated
from app.models import AgencyClient, Area, User

Agency = Literal[
    "police", "health", "education", "disabled_federation", "women_federation", "charity"
]


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "agency"]
    id: uuid.UUID
    name: str
    role: str | None = None
    area_code: str | None = None
    area_path: str | None = None
    area_level: str | None = None
    agency: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The district the caller belongs to (the ancestor of level `district` of their area, or
    # their area itself); None for the city's roles and for callers above any district.
    district_code: str | None = None
    # A city role that CITY_RECORD_ROLES lets read personal records of every district.
    city_records: bool = False

    @property
    def is_staff(self) -> bool:
        return self.kind == "user"

    @property
    def is_district(self) -> bool:
        return self.role in DISTRICT_ROLES

    @property
    def is_city(self) -> bool:
        """The city's offices (city_admin, city_viewer): above every district."""
        return self.kind == "user" and self.role in CITY_ROLES

    def has_role(self, *roles: str) -> bool:
        """Whether a staff user holds one of `roles` (Role members or their strings)."""
        return self.kind == "user" and self.role in roles


# Built once: the columns a principal needs (no ORM object per request), the account by id,
# with the district its area lies in (None above the districts).
_DISTRICT = aliased(Area, name="district")
_USER = (
    select(
        User.username,
        User.role,
        User.area_code,
        User.is_active,
        Area.path,
        Area.level,
        select(_DISTRICT.code)
        .where(_DISTRICT.level == "district", Area.path.startswith(_DISTRICT.path))
        .correlate(Area)
        .scalar_subquery()
        .label("district_code"),
    )
    .join(Area, Area.code == User.area_code)
    .where(User.id == bindparam("subject"))
)


class PrincipalCache:
    """Bearer token → its principal, for `seconds` (the process's copy; see Settings'
    principal_cache_seconds). Every call still verifies the token and its expiry; only the
    account's row is not read again. A write of an account, agency client or area through any
    session of this process (ORM change or DML statement) empties every cache at once."""

    MAX_ENTRIES = 10_000

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[Principal, float, int]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, deadline, generation = entry
        if generation != _generation or deadline < time.monotonic():
            del self._entries[token]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[token] = (principal, time.monotonic() + self.seconds, _generation)


_generation = 0
_IDENTITY_TABLES = frozenset({"users", "agency_clients", "areas"})


def forget_principals() -> None:
    """Every cached principal of this process is stale (an account, client or area changed)."""
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, (User, AgencyClient, Area)):
            forget_principals()
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _IDENTITY_TABLES:
            forget_principals()


def _cache_of(request: Request) -> PrincipalCache:
    state = request.app.state
    cache: PrincipalCache | None = getattr(state, "principal_cache", None)
    if cache is None:
        cache = PrincipalCache(state.settings.principal_cache_seconds)
        state.principal_cache = cache
    return cache


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("请先登录（缺少 Bearer 令牌）", "A bearer token is required")
    return token.strip()


async def get_principal(request: Request) -> Principal:
    """Resolve the caller from the bearer token; the account must still exist and be active.

    No session of its own as a dependency: with the token's principal cached (most requests)
    no session is needed, and a route without one (`/auth/me`) opens none (FastAPI's session
    dependency, a generator, was a tenth of such a request's CPU). On a miss the account is
    read with the request's session if the route has one (app.db.get_session leaves it in
    `request.state`), else with a session of its own, closed at once (the request then holds
    no other connection: two connections per request never wait on each other in the pool).
    """
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    from app.auth.tokens import decode_access_token

    token = _bearer(request)
    try:
        claims = decode_access_token(
            request.app.state.settings, token, now=request.app.state.clock.now()
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("令牌已过期，请重新登录", "The token has expired") from None
    except jwt.PyJWTError:
        raise NotAuthenticated("令牌无效", "The token is invalid") from None
    try:
        subject = uuid.UUID(str(claims["sub"]))
    except (KeyError, ValueError):
        raise NotAuthenticated("令牌无效", "The token is invalid") from None
    cache = _cache_of(request)
    hit = cache.get(token)
    if hit is not None:
        request.state.principal = hit
        return hit
    session: AsyncSession | None = getattr(request.state, "session", None)
    if session is not None:
        principal = await _load(request, session, claims, subject)
    else:
        async with read_sessionmaker(request.app.state)() as own:
            principal = await _load(request, own, claims, subject)
    cache.put(token, principal)
    request.state.principal = principal
    return principal


async def _load(
    request: Request, session: AsyncSession, claims: dict[str, Any], subject: uuid.UUID
) -> Principal:
    """The principal of a verified token's subject, from its account's row."""
    principal: Principal
    if claims.get("kind") == "agency":
        client = await session.get(AgencyClient, subject)
        if client is None or not client.is_active:
            raise NotAuthenticated("客户端已停用", "The client is disabled")
        granted = set(client.scopes)
        scopes = frozenset(str(s) for s in claims.get("scopes", []) if s in granted)
        # A district's agency reaches its own district; a city agency (its area is the city)
        # every district's referrals (district_code None).
        level = await session.scalar(select(Area.level).where(Area.code == client.area_code))
        principal = Principal(
            kind="agency",
            id=client.id,
            name=client.name,
            agency=client.agency,
            scopes=scopes,
            district_code=client.area_code if level == "district" else None,
        )
    else:
        row = (await session.execute(_USER, {"subject": subject})).first()
        if row is None or not row.is_active:
            raise NotAuthenticated("账户已停用", "The account is disabled")
        principal = Principal(
            kind="user",
            id=subject,
            name=row.username,
            role=row.role,
            area_code=row.area_code,
            area_path=row.path,
            area_level=row.level,
            district_code=row.district_code,
            city_records=row.role in CITY_ROLES
            and row.role in request.app.state.settings.city_record_roles.split(","),
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def in_role(principal: Principal, roles: Sequence[str]) -> Principal:
    """`principal` when it holds one of `roles`; a 403 naming the roles allowed otherwise."""
    if not principal.has_role(*roles):
        raise Forbidden(
            "当前角色无权执行此操作",
            "Your role may not do this",
            extra={"allowed_roles": [str(r) for r in roles]},
        )
    return principal


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting staff with one of `roles` (app.auth.roles); everyone else gets 403."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        return in_role(principal, roles)

    return guarded(dependency, roles=tuple(str(r) for r in roles))


def guarded(
    dependency: Callable[..., Coroutine[Any, Any, Principal]],
    *,
    roles: tuple[str, ...] = (),
    scopes: tuple[str, ...] = (),
    staff: bool = False,
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Mark a guard with whom it admits: the OpenAPI document derives each operation's security
    requirement and its "who may call" from these marks (app/contract.py)."""
    setattr(dependency, GUARD_ATTRIBUTE, {"roles": roles, "scopes": scopes, "staff": staff})
    return dependency


GUARD_ATTRIBUTE = "__admits__"


def require_staff() -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.is_staff:
            raise Forbidden("仅限工作人员账户", "Staff accounts only")
        return principal

    return guarded(dependency, staff=True)


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting agency clients whose token carries `scope`."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.kind != "agency" or scope not in principal.scopes:
            raise Forbidden("令牌缺少所需权限范围", f"The token lacks the scope {scope}")
        return principal

    return guarded(dependency, scopes=(scope,))


Staff = Annotated[Principal, Depends(require_staff())]
DistrictAdmin = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
