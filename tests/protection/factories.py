"""Small builders for the protection centre's tests: intake bodies, synthetic ID numbers."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import httpx

from app.kit import idnumber
from tests.conftest import AuthHeaders

API = "/api/v1/protection"


def id_number(born: date = date(2015, 3, 9), gender: idnumber.Gender = "male") -> str:
    """A synthetic ID number with a valid check character, different each call."""
    return idnumber.make(born, gender, rng=random.Random(uuid.uuid4().int))


def intake(**overrides: Any) -> dict[str, Any]:
    """An unidentified street-begging boy brought by the police."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "street_begging",
        "basis": "begging_or_unidentified",
        "admitted_at": "2026-06-15T08:30:00+08:00",
        "brought_by": {"kind": "police", "name": "测试派出所", "contact": "010-0000"},
        "found_at": "测试火车站广场",
        "child": {"gender": "male", "estimated_birth_year": 2016, "description": "蓝色外套"},
        "health_check": {"findings": "营养不良", "belongings": "书包一个"},
    }
    body.update(overrides)
    return body


async def create(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str = "institute", **overrides: Any
) -> dict[str, Any]:
    r = await client.post(f"{API}/intakes", json=intake(**overrides), headers=auth(user))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def post(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    intake_id: str,
    step: str,
    body: dict[str, Any],
    user: str = "institute",
) -> httpx.Response:
    return await client.post(f"{API}/intakes/{intake_id}/{step}", json=body, headers=auth(user))
