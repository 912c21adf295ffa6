from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.areas.repository import within_reach
from app.auth.principal import Principal
from app.kit.listing import where_given
from app.models import AgencyClient, Area, User


def users_in_reach(principal: Principal) -> ColumnElement[bool]:
    """The accounts a caller manages or reads: those whose area lies in the caller's district
    (the city admin: every account)."""
    if principal.district_code is None:
        return true()
    return User.area_code.in_(select(Area.code).where(within_reach(principal)))


def clients_in_reach(principal: Principal) -> ColumnElement[bool]:
    """The agency clients of the caller's district (the city admin: every client)."""
    if principal.district_code is None:
        return true()
    return AgencyClient.area_code == principal.district_code


def list_users_stmt(
    principal: Principal, role: str | None, area_code: str | None, active: bool | None
) -> Select[Any]:
    return where_given(
        select(User).where(users_in_reach(principal)),
        (User.role, role or None),
        (User.area_code, area_code or None),
        (User.is_active, active),
    )


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User | None:
    stmt = select(User).where(User.id == user_id, users_in_reach(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


async def username_taken(session: AsyncSession, username: str) -> bool:
    stmt = select(User.id).where(User.username == username)
    return (await session.execute(stmt)).first() is not None


def list_clients_stmt(principal: Principal, agency: str | None) -> Select[Any]:
    stmt = select(AgencyClient).where(clients_in_reach(principal))
    if agency:
        stmt = stmt.where(AgencyClient.agency == agency)
    return stmt


async def get_client(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> AgencyClient | None:
    stmt = select(AgencyClient).where(AgencyClient.id == client_id, clients_in_reach(principal))
    return (await session.execute(stmt)).scalar_one_or_none()


async def usernames_by_area(session: AsyncSession, role: str) -> dict[str, str]:
    """The usernames of the staff of `role`, by their area's code (one per area: the demo's
    village directors, who record and deliver in their village)."""
    stmt = select(User.area_code, User.username).where(User.role == role)
    return dict((await session.execute(stmt)).tuples().all())
