"""GET /api/v1/areas and POST /api/v1/areas/import (行政区划)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from app.models import Area
from tests.conftest import (
    DISTRICT,
    NOW,
    TOWN1,
    TOWN2,
    VILLAGE1,
    VILLAGE2,
    VILLAGE3,
    AuthHeaders,
    area_path,
)

IMPORT = "/api/v1/areas/import"
PROBLEM = "application/problem+json"

NEW_TOWN = "110115901"
NEW_V1, NEW_V2 = "110115901001", "110115901002"
NEW_FILE = (
    "code,name,level,parent_code\n"
    f"{NEW_TOWN},新建九零一镇,town,{DISTRICT}\n"
    f"{NEW_V1},新建一村,village,{NEW_TOWN}\n"
    f"{NEW_V2},新建二村,village,{NEW_TOWN}\n"
    f"{VILLAGE3},增补三村,village,{TOWN2}\n"
)


async def area_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Area))).scalar_one())


async def areas_by_code(session: AsyncSession, *codes: str) -> dict[str, Area]:
    stmt = select(Area).where(Area.code.in_(codes)).execution_options(populate_existing=True)
    return {a.code: a for a in (await session.execute(stmt)).scalars()}


def multipart(content: bytes) -> dict[str, Any]:
    return {"files": {"file": ("areas.csv", content, "text/csv")}}


def error_fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


# -- GET /api/v1/areas ----------------------------------------------------------------------------


async def test_list_filters_by_level(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/api/v1/areas", params={"level": "town"}, headers=auth("admin"))
    assert r.status_code == 200
    items = r.json()["items"]
    assert {a["level"] for a in items} == {"town"}
    codes = [a["code"] for a in items]
    assert {TOWN1, TOWN2} <= set(codes)
    town1 = next(a for a in items if a["code"] == TOWN1)
    assert town1 == {"code": TOWN1, "name": "测试一镇", "level": "town", "parent_code": DISTRICT}


async def test_list_filters_by_parent(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/api/v1/areas", params={"parent_code": TOWN1}, headers=auth("sup2"))
    assert r.status_code == 200
    assert [a["code"] for a in r.json()["items"]] == [VILLAGE1, VILLAGE2]
    assert r.json()["next_cursor"] is None


async def test_list_level_and_parent_together(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get(
        "/api/v1/areas", params={"parent_code": DISTRICT, "level": "village"}, headers=auth("dir1")
    )
    assert r.status_code == 200
    assert r.json()["items"] == []


async def test_keyset_pages_of_two_cover_everything_once(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    full = await client.get("/api/v1/areas", params={"limit": 500}, headers=auth("leader"))
    assert full.status_code == 200
    everything = [a["code"] for a in full.json()["items"]]
    assert {DISTRICT, TOWN1, TOWN2, VILLAGE1, VILLAGE2, VILLAGE3} <= set(everything)

    walked: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/api/v1/areas", params=params, headers=auth("leader"))
        assert r.status_code == 200
        body = r.json()
        assert len(body["items"]) <= 2
        walked += [a["code"] for a in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["items"]) == 2
        assert pages < 100
    assert walked == everything
    assert walked == sorted(walked)
    assert len(set(walked)) == len(walked)
    assert pages == (len(everything) + 1) // 2


async def test_keyset_pages_with_a_filter(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r1 = await client.get(
        "/api/v1/areas", params={"level": "village", "limit": 2}, headers=auth("institute")
    )
    assert r1.status_code == 200
    page1 = [a["code"] for a in r1.json()["items"]]
    assert page1 == [VILLAGE1, VILLAGE2]
    r2 = await client.get(
        "/api/v1/areas",
        params={"level": "village", "limit": 2, "cursor": r1.json()["next_cursor"]},
        headers=auth("institute"),
    )
    page2 = [a["code"] for a in r2.json()["items"]]
    assert page2[0] == VILLAGE3
    assert not set(page1) & set(page2)


@pytest.mark.parametrize(
    "who",
    ["admin", "leader", "auditor", "institute", "sup1", "dir3"],
)
async def test_every_staff_role_may_list(
    client: httpx.AsyncClient, auth: AuthHeaders, who: str
) -> None:
    r = await client.get("/api/v1/areas", params={"level": "district"}, headers=auth(who))
    assert r.status_code == 200
    assert [a["code"] for a in r.json()["items"]] == [DISTRICT]


async def test_agency_may_list(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get(
        "/api/v1/areas", params={"parent_code": TOWN2}, headers=auth(agency="police", scopes=[])
    )
    assert r.status_code == 200
    assert [a["code"] for a in r.json()["items"]] == [VILLAGE3]


async def test_list_without_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/areas")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.headers.get("www-authenticate") == "Bearer"


async def test_list_with_expired_token_is_401(
    client: httpx.AsyncClient, auth: AuthHeaders, clock: FixedClock
) -> None:
    headers = auth("dir1")
    clock.set(NOW + timedelta(days=1))
    r = await client.get("/api/v1/areas", headers=headers)
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


async def test_list_with_garbage_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/areas", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "province"}, "level"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"parent_code": "1" * 13}, "parent_code"),
    ],
)
async def test_list_bad_query_is_422_naming_it(
    client: httpx.AsyncClient, auth: AuthHeaders, params: dict[str, Any], field: str
) -> None:
    r = await client.get("/api/v1/areas", params=params, headers=auth("admin"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert field in error_fields(r.json())


# -- POST /api/v1/areas/import --------------------------------------------------------------------


async def test_import_multipart_inserts_with_paths(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await area_count(session)
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(NEW_FILE.encode()))
    assert r.status_code == 200, r.text
    # VILLAGE3 is renamed; the other three are new.
    assert r.json() == {"total_rows": 4, "inserted": 3, "updated": 1, "unchanged": 0}
    assert await area_count(session) == before + 3
    got = await areas_by_code(session, NEW_TOWN, NEW_V1, NEW_V2, VILLAGE3)
    assert got[NEW_TOWN].path == area_path(DISTRICT) + f"{NEW_TOWN}/"
    assert got[NEW_TOWN].level == "town"
    assert got[NEW_TOWN].parent_code == DISTRICT
    assert got[NEW_V1].path == area_path(DISTRICT) + f"{NEW_TOWN}/{NEW_V1}/"
    assert got[NEW_V2].path == area_path(DISTRICT) + f"{NEW_TOWN}/{NEW_V2}/"
    assert got[NEW_V2].name == "新建二村"
    assert got[VILLAGE3].name == "增补三村"
    assert got[VILLAGE3].path == area_path(VILLAGE3)
    # and the API lists the new villages under the new town
    r = await client.get("/api/v1/areas", params={"parent_code": NEW_TOWN}, headers=auth("dir1"))
    assert [a["code"] for a in r.json()["items"]] == [NEW_V1, NEW_V2]


async def test_import_text_csv_body(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.post(
        IMPORT,
        headers=auth("admin") | {"Content-Type": "text/csv; charset=utf-8"},
        content=NEW_FILE.encode(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 3
    got = await areas_by_code(session, NEW_V1)
    assert got[NEW_V1].path == area_path(DISTRICT) + f"{NEW_TOWN}/{NEW_V1}/"


async def test_import_with_bare_cr_line_ends(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """Old Excel for Mac ends lines with a bare CR: still lines, not a 500."""
    r = await client.post(
        IMPORT,
        headers=auth("admin") | {"Content-Type": "text/csv; charset=utf-8"},
        content=NEW_FILE.replace("\r\n", "\n").replace("\n", "\r").encode(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 3


async def test_import_children_before_parents_in_file(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """A village row may come before its (new) town's row; both land with the right path."""
    text = (
        "code,name,level,parent_code\n"
        f"{NEW_V1},新建一村,village,{NEW_TOWN}\n"
        f"{NEW_TOWN},新建九零一镇,town,{DISTRICT}\n"
    )
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(text.encode()))
    assert r.status_code == 200, r.text
    got = await areas_by_code(session, NEW_V1)
    assert got[NEW_V1].path == area_path(DISTRICT) + f"{NEW_TOWN}/{NEW_V1}/"


async def test_reimport_renames_without_duplicates(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(NEW_FILE.encode()))
    assert r.status_code == 200
    count = await area_count(session)
    renamed = NEW_FILE.replace("新建一村", "改名一村")
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(renamed.encode()))
    assert r.status_code == 200, r.text
    assert r.json() == {"total_rows": 4, "inserted": 0, "updated": 1, "unchanged": 3}
    assert await area_count(session) == count
    got = await areas_by_code(session, NEW_V1)
    assert got[NEW_V1].name == "改名一村"
    n = (
        await session.execute(select(func.count()).select_from(Area).where(Area.code == NEW_V1))
    ).scalar_one()
    assert n == 1
    # the same file once more: nothing changes
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(renamed.encode()))
    assert r.json() == {"total_rows": 4, "inserted": 0, "updated": 0, "unchanged": 4}


async def test_import_gb18030_file(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    raw = NEW_FILE.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(raw))
    assert r.status_code == 200, r.text
    got = await areas_by_code(session, NEW_TOWN, NEW_V2)
    assert got[NEW_TOWN].name == "新建九零一镇"
    assert got[NEW_V2].name == "新建二村"


async def test_import_utf8_bom_and_crlf(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    raw = "\ufeff".encode() + NEW_FILE.replace("\n", "\r\n").encode()
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(raw))
    assert r.status_code == 200, r.text
    got = await areas_by_code(session, NEW_TOWN)
    assert got[NEW_TOWN].name == "新建九零一镇"


BAD_FILE = (
    "code,name,level,parent_code\n"  # line 1
    f"11011500X,坏码镇,town,{DISTRICT}\n"  # 2: bad code
    f"110115904,甲镇,town,{DISTRICT}\n"  # 3: fine
    "110115904001,甲一村,village,110115999\n"  # 4: unknown parent
    f"110115904002,甲二村,village,{DISTRICT}\n"  # 5: parent is a district, not a town
    f"110115904,甲镇重复,town,{DISTRICT}\n"  # 6: duplicate code
    f"{VILLAGE1},测试一村,town,{DISTRICT}\n"  # 7: level change of an existing area
    "110115904003,,village,110115904\n"  # 8: no name
    "110115904004,丁村,city,110115904\n"  # 9: bad level
)


async def test_bad_rows_are_all_reported_and_nothing_applied(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await area_count(session)
    r = await client.post(IMPORT, headers=auth("admin", lang="en"), **multipart(BAD_FILE.encode()))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "validation_failed"
    assert sorted(error_fields(body)) == sorted(
        [
            "row 2: code",
            "row 4: parent_code",
            "row 5: parent_code",
            "row 6: code",
            "row 7: level",
            "row 8: name",
            "row 9: level",
        ]
    )
    for e in body["errors"]:
        row = e["field"].split(":")[0].removeprefix("row ")
        assert e["message"].startswith(f"Row {row}:")
    assert await area_count(session) == before
    assert await areas_by_code(session, "110115904") == {}
    assert (await areas_by_code(session, VILLAGE1))[VILLAGE1].level == "village"


async def test_bad_rows_in_chinese_by_default(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(BAD_FILE.encode()))
    assert r.status_code == 422
    messages = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert messages["row 2: code"].startswith("第2行")
    assert "第3行" in messages["row 6: code"]  # the duplicate names the first occurrence


async def test_one_bad_row_among_good_ones_applies_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await area_count(session)
    text = NEW_FILE + "110115901003,坏村,village,110115777\n"
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(text.encode()))
    assert r.status_code == 422
    assert error_fields(r.json()) == ["row 6: parent_code"]
    assert await area_count(session) == before
    got = await areas_by_code(session, VILLAGE3)
    assert got[VILLAGE3].name == "测试三村"  # the rename in the same file was not applied


async def test_moving_an_existing_area_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """A row that gives an existing village another parent must not be silently ignored."""
    text = f"code,name,level,parent_code\n{VILLAGE1},测试一村,village,{TOWN2}\n"
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(text.encode()))
    assert r.status_code == 422
    assert error_fields(r.json()) == ["row 2: parent_code"]
    got = await areas_by_code(session, VILLAGE1)
    assert got[VILLAGE1].parent_code == TOWN1
    assert got[VILLAGE1].path == area_path(VILLAGE1)


async def test_missing_column_is_422_naming_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await area_count(session)
    text = f"code,name,level\n{NEW_TOWN},新建九零一镇,town\n"
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(text.encode()))
    assert r.status_code == 422
    assert error_fields(r.json()) == ["parent_code"]
    assert await area_count(session) == before


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("１１０１１５９０１", "row 2: code"),  # full-width digits
        ("١١٠١١٥٩٠١", "row 2: code"),  # Arabic-Indic digits
        ("110115901001001", "row 2: code"),  # 15 digits
        ("11011", "row 2: code"),
    ],
)
async def test_non_ascii_or_wrong_length_codes_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, code: str, field: str
) -> None:
    before = await area_count(session)
    text = f"code,name,level,parent_code\n{code},某镇,town,{DISTRICT}\n"
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(text.encode()))
    assert r.status_code == 422
    assert error_fields(r.json()) == [field]
    assert await area_count(session) == before


async def test_nul_in_the_file_is_422_not_500(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await area_count(session)
    text = f"code,name,level,parent_code\n{NEW_TOWN},新\x00镇,town,{DISTRICT}\n"
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(text.encode()))
    assert r.status_code == 422
    assert error_fields(r.json()) == ["file"]
    assert await area_count(session) == before


async def test_binary_garbage_is_422(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(bytes(range(256)) * 4))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("content", [b"", b"code,name,level,parent_code\n", b"\n\n"])
async def test_empty_file_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, content: bytes
) -> None:
    r = await client.post(IMPORT, headers=auth("admin"), **multipart(content))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_multipart_without_file_field_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.post(
        IMPORT,
        headers=auth("admin"),
        files={"other": ("areas.csv", NEW_FILE.encode(), "text/csv")},
    )
    assert r.status_code == 422
    assert error_fields(r.json()) == ["file"]


@pytest.mark.parametrize("who", ["dir1", "sup1", "leader", "auditor", "institute"])
async def test_import_by_other_roles_is_403(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, who: str
) -> None:
    before = await area_count(session)
    r = await client.post(IMPORT, headers=auth(who), **multipart(NEW_FILE.encode()))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith(PROBLEM)
    assert await area_count(session) == before


async def test_import_by_agency_is_403(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.post(IMPORT, headers=auth(agency="police"), **multipart(NEW_FILE.encode()))
    assert r.status_code == 403


async def test_import_without_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.post(IMPORT, **multipart(NEW_FILE.encode()))
    assert r.status_code == 401


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream", ""])
async def test_import_unsupported_content_type_is_415(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, content_type: str
) -> None:
    before = await area_count(session)
    headers = auth("admin")
    if content_type:
        headers["Content-Type"] = content_type
    r = await client.post(IMPORT, headers=headers, content=NEW_FILE.encode())
    assert r.status_code == 415
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "unsupported_media_type"
    assert await area_count(session) == before


async def test_json_body_over_the_limit_is_413(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings
) -> None:
    big = b'{"username":"' + b"x" * settings.max_body_bytes + b'"}'
    r = await client.post(
        "/api/v1/users",
        headers=auth("admin") | {"Content-Type": "application/json"},
        content=big,
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "payload_too_large"


async def test_chunked_json_body_over_the_limit_is_413(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings
) -> None:
    """No Content-Length (a streamed body): the limit holds while reading."""

    async def chunks() -> Any:
        yield b'{"username":"'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    r = await client.post(
        "/api/v1/users",
        headers=auth("admin") | {"Content-Type": "application/json"},
        content=chunks(),
    )
    assert r.status_code == 413
