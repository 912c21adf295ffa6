from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AgencyClient, User


def list_users_stmt(role: str | None, area_code: str | None, active: bool | None) -> Select[Any]:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if area_code:
        stmt = stmt.where(User.area_code == area_code)
    if active is not None:
        stmt = stmt.where(User.is_active == active)
    return stmt


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def username_taken(session: AsyncSession, username: str) -> bool:
    stmt = select(User.id).where(User.username == username)
    return (await session.execute(stmt)).first() is not None


def list_clients_stmt(agency: str | None) -> Select[Any]:
    stmt = select(AgencyClient)
    if agency:
        stmt = stmt.where(AgencyClient.agency == agency)
    return stmt


async def get_client(session: AsyncSession, client_id: uuid.UUID) -> AgencyClient | None:
    return await session.get(AgencyClient, client_id)


async def usernames_by_area(session: AsyncSession, role: str) -> dict[str, str]:
    """The usernames of the staff of `role`, by their area's code (one per area: the demo's
    village directors, who record and deliver in their village)."""
    stmt = select(User.area_code, User.username).where(User.role == role)
    return dict((await session.execute(stmt)).tuples().all())
