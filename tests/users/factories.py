"""Small helpers for account tests."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.models import User
from tests.conftest import PASSWORD, VILLAGE1


def unique_username(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def user_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": unique_username(),
        "password": PASSWORD,
        "full_name": "王测试",
        "role": "village_director",
        "area_code": VILLAGE1,
        "phone": "010-69000000",
    }
    body.update(overrides)
    return body


def client_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "测试分局接口",
        "agency": "police",
        "scopes": ["referrals:read", "children:read"],
    }
    body.update(overrides)
    return body


@functools.cache
def password_hash() -> str:
    """One real argon2 hash of PASSWORD, computed once (hashing costs ~0.5 s here)."""
    return hash_password(PASSWORD)


async def insert_user(
    session: AsyncSession,
    *,
    role: str = "village_director",
    area_code: str = VILLAGE1,
    username: str | None = None,
) -> User:
    """An account written straight to the database (logs in with PASSWORD), version 1."""
    user = User(
        id=uuid.uuid4(),
        username=username or unique_username(),
        password_hash=password_hash(),
        full_name="王测试",
        role=role,
        area_code=area_code,
        phone="010-69000000",
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    await session.flush()
    return user
