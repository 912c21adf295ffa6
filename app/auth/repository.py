"""SQL of authentication: accounts by name, refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.rows import one_where
from app.models import AgencyClient, RefreshToken, User


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    return await one_where(session, User, User.username == username, lock=True)


async def client_by_client_id(session: AsyncSession, client_id: str) -> AgencyClient | None:
    return await one_where(session, AgencyClient, AgencyClient.client_id == client_id)


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await one_where(session, RefreshToken, RefreshToken.token_hash == token_hash, lock=True)


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
