"""Small helpers for account tests."""

from __future__ import annotations

import uuid
from typing import Any

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
