"""Bodies for the training tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import DISTRICT, TOWN1, AuthHeaders

T = "/api/v1/trainings"
DEFAULT = "default"


def session_body(
    level: str = "town", area_code: str | None = DEFAULT, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "level": level,
        "area_code": (TOWN1 if level == "town" else DISTRICT)
        if area_code == DEFAULT
        else area_code,
        "held_on": "2026-06-15",
        "hours": 3.5,
        "topics": ["mandatory_reporting", "home_visits"],
        "trainer": "区民政局 张老师",
    }
    body.update(extra)
    return body


async def create(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str = "sup1", **body: Any
) -> dict[str, Any]:
    r = await client.post(T, json=session_body(**body), headers=auth(user))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def attend(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session_id: str,
    user_id: uuid.UUID,
    status: str = "present",
    by: str = "admin",
) -> httpx.Response:
    return await client.post(
        f"{T}/{session_id}/attendance",
        json={"user_id": str(user_id), "status": status},
        headers=auth(by),
    )
