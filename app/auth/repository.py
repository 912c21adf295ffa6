"""SQL of authentication: accounts by name, refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AgencyClient, RefreshToken, User


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    stmt = select(User).where(User.username == username).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def client_by_client_id(session: AsyncSession, client_id: str) -> AgencyClient | None:
    stmt = select(AgencyClient).where(AgencyClient.client_id == client_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
