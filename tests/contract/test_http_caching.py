"""Conditional requests, caching and language negotiation, as a phone or a partner meets them.

- `If-None-Match` naming a record's ETag → 304, no body, the same ETag (children, incidents);
  a stale tag → 200 with the record; a record out of reach stays 404, never 304.
- The phone's sync: an answer with nothing new carries an ETag; sent back, the next quiet sync
  is a 304; news is a 200 with the news.
- Every /api/v1 answer (records, lists, errors, tokens) is `Cache-Control: no-store` and
  `Vary: Accept-Language, Authorization`.
- `Accept-Language` by its q-values: `en;q=0.1, zh-CN` is Chinese.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.errors import english_preferred
from tests.children.factories import child_body
from tests.conftest import VILLAGE2, AuthHeaders
from tests.incidents.factories import make_child, report
from tests.visits.factories import make_child as make_visit_child
from tests.visits.factories import visit_body

API = "/api/v1"


def vary(r: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in r.headers.get("vary", "").split(",") if v.strip()}


def private(r: httpx.Response) -> None:
    assert r.headers["cache-control"] == "no-store"
    assert {"accept-language", "authorization"} <= vary(r)


async def test_a_child_record_is_304_when_the_phone_holds_its_version(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(f"{API}/children", json=child_body(), headers=auth("admin"))
    assert r.status_code == 201, r.text
    url = f"{API}/children/{r.json()['id']}"
    first = await client.get(url, headers=auth("admin"))
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag == '"1"'
    private(first)

    for held in (etag, f"W/{etag}", f'"7", {etag}', "*"):
        again = await client.get(url, headers=auth("admin") | {"If-None-Match": held})
        assert again.status_code == 304, held
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "content-type" not in again.headers
        private(again)

    # a changed record: the tag the phone holds is stale, it gets the new version
    r = await client.patch(
        url,
        json={"school_name": "测试中学", "reason": "转学"},
        headers=auth("admin") | {"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    fresh = await client.get(url, headers=auth("admin") | {"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
    assert fresh.json()["school_name"] == "测试中学"


async def test_304_never_answers_for_a_record_out_of_reach(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(f"{API}/children", json=child_body(), headers=auth("admin"))
    url = f"{API}/children/{r.json()['id']}"
    etag = (await client.get(url, headers=auth("admin"))).headers["etag"]
    # another village's director: the record does not exist for them, ETag or not
    r = await client.get(url, headers=auth("dir2") | {"If-None-Match": etag})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 401


async def test_an_incident_is_304_on_its_etag(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    child = await make_child(session, settings)
    body = report(child.id)
    r = await client.post(f"{API}/incidents", json=body, headers=auth("dir1"))
    assert r.status_code == 201, r.text
    url = f"{API}/incidents/{body['id']}"
    first = await client.get(url, headers=auth("admin"))
    assert first.status_code == 200
    private(first)
    etag = first.headers["etag"]
    r = await client.get(url, headers=auth("admin") | {"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    r = await client.get(url, headers=auth("admin") | {"If-None-Match": '"999"'})
    assert r.status_code == 200
    assert r.json()["id"] == body["id"]


async def test_a_quiet_sync_is_304_and_news_is_200(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
) -> None:
    async with committed_engine.begin() as conn:
        mine = await make_visit_child(conn, settings, village=VILLAGE2)
    h = auth("dir2")
    full = await committed_client.get(f"{API}/sync", headers=h)
    assert full.status_code == 200
    assert "etag" not in full.headers  # the whole set: nothing to compare with
    private(full)
    quiet = await committed_client.get(
        f"{API}/sync", params={"cursor": full.json()["next_cursor"]}, headers=h
    )
    assert quiet.json()["children"] == []
    etag = quiet.headers["etag"]
    cursor = quiet.json()["next_cursor"]
    # the phone keeps its cursor and the ETag: nothing new is a 304 with no body
    r = await committed_client.get(
        f"{API}/sync", params={"cursor": cursor}, headers=h | {"If-None-Match": etag}
    )
    assert r.status_code == 304
    assert r.content == b""
    private(r)
    # a visit to one of its children: the same request is news, with the child
    body = visit_body(mine)
    assert (await committed_client.post(f"{API}/visits", json=body, headers=h)).status_code == 201
    r = await committed_client.get(
        f"{API}/sync", params={"cursor": cursor}, headers=h | {"If-None-Match": etag}
    )
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["children"]] == [str(mine)]
    assert "etag" not in r.headers


async def test_every_api_answer_is_no_store_and_varies(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    answers: list[httpx.Response] = [
        await client.get(f"{API}/children", headers=auth("admin")),
        await client.get(f"{API}/children/{uuid.uuid4()}", headers=auth("admin")),
        await client.get(f"{API}/children"),  # 401
        await client.post(f"{API}/children", json={}, headers=auth("admin")),  # 422
        await client.post(
            f"{API}/auth/token",
            data={"grant_type": "password", "username": "nobody", "password": "x"},
        ),
    ]
    for r in answers:
        private(r)
    # gzip's own Vary is kept beside ours
    for _ in range(3):
        r = await client.post(f"{API}/children", json=child_body(), headers=auth("admin"))
        assert r.status_code == 201
    big = await client.get(f"{API}/children", headers=auth("admin") | {"Accept-Encoding": "gzip"})
    assert big.headers.get("content-encoding") == "gzip"
    assert {"accept-encoding", "accept-language", "authorization"} <= vary(big)
    # the health probes carry no personal data: not touched
    r = await client.get("/healthz")
    assert "authorization" not in vary(r)


@pytest.mark.parametrize(
    ("header", "english"),
    [
        ("en;q=0.1, zh-CN", False),
        ("zh-CN, en;q=0.9", False),
        ("zh, en", False),
        ("en, zh", True),
        ("en-US", True),
        ("zh;q=0.2, en", True),
        ("fr, en;q=0.5", True),
        ("en;q=0", False),
        ("*", False),
        ("", False),
        ("en;q=oops, zh;q=0.1", False),
    ],
)
def test_accept_language_by_quality(header: str, english: bool) -> None:
    assert english_preferred(header) is english


async def test_problem_language_follows_the_q_values(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    url = f"{API}/children/{uuid.uuid4()}"
    titles: dict[str, Any] = {}
    for header in ("en;q=0.1, zh-CN", "zh;q=0.2, en", "en"):
        r = await client.get(url, headers=auth("admin") | {"Accept-Language": header})
        assert r.status_code == 404
        titles[header] = r.json()["title"]
    assert titles == {
        "en;q=0.1, zh-CN": "记录不存在",
        "zh;q=0.2, en": "Not found",
        "en": "Not found",
    }
