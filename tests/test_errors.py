"""Bad input always gets RFC 9457 problem+json naming the field — never a 500, never a write."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.conftest import AuthHeaders

USERS = "/api/v1/users"


async def _user_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await _user_count(session)
    r = await client.post(
        USERS,
        content=b'{"username": "x",',
        headers=auth("admin") | {"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/malformed_body")
    assert body["title"] == "请求体格式错误"
    assert body["status"] == 400
    assert await _user_count(session) == before


async def test_wrong_types_and_unknown_fields_are_named(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await _user_count(session)
    r = await client.post(
        USERS,
        json={
            "username": 123,
            "password": "long-enough-password",
            "full_name": "测试",
            "role": "king",
            "area_code": "110115",
            "favourite_colour": "red",
        },
        headers=auth("admin"),
    )
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert errors["username"] == "应为字符串"
    assert errors["role"].startswith("取值不在允许范围内")
    assert errors["favourite_colour"] == "不允许的字段"
    assert await _user_count(session) == before


async def test_english_on_request(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(USERS, json={}, headers=auth("admin", lang="en-GB,en;q=0.9"))
    assert r.status_code == 422
    assert r.json()["title"] == "Validation failed"
    assert {"field": "username", "message": "Field required"} in r.json()["errors"]


async def test_oversize_body_is_413(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    big = b'{"username": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    r = await client.post(
        USERS, content=big, headers=auth("admin") | {"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_oversize_chunked_body_is_413(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 100_000

    r = await client.post(
        USERS, content=chunks(), headers=auth("admin") | {"content-type": "application/json"}
    )
    assert r.status_code == 413


async def test_unknown_route_and_method(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/api/v1/nothing-here", headers=auth("admin"))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.delete("/api/v1/areas", headers=auth("admin"))
    assert r.status_code == 405
    assert r.json()["code"] == "method_not_allowed"


async def test_bad_query_parameter_is_named(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/api/v1/areas", params={"limit": "many"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "limit", "message": "应为整数"}]
    r = await client.get("/api/v1/areas", params={"limit": 501}, headers=auth("admin"))
    assert r.status_code == 422
    r = await client.get("/api/v1/areas", params={"cursor": "!!!"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"


async def test_a_malformed_record_id_is_a_record_that_does_not_exist(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # ids are UUIDs in the route itself, so `/children/due-for-revocation` and
    # `/children/{id}` never shadow each other; anything else is simply not there
    r = await client.get("/api/v1/users/not-a-uuid", headers=auth("admin"))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.patch("/api/v1/children/due-for-revocation", headers=auth("admin"))
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET"


async def test_unexpected_errors_leak_no_trace(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/boom")
    assert r.status_code == 500
    assert "secret internals" not in r.text
    assert "Traceback" not in r.text
    assert r.json()["code"] == "internal_error"


async def test_nul_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await _user_count(session)
    r = await client.post(
        USERS,
        json={
            "username": "nul-user",
            "password": "long-enough-pw",
            "full_name": "a\x00b",
            "role": "auditor",
            "area_code": "110115",
        },
        headers=auth("admin"),
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "full_name", "message": "不能包含空字符（U+0000）"}]
    r = await client.get("/api/v1/areas", params={"parent_code": "11\x00"}, headers=auth("admin"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "parent_code"
    r = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "a\x00", "password": "x"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "username"
    assert await _user_count(session) == before
