"""Files through the API: encodings, header languages, XLSX, and the refusals answered at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.kit.clock import FixedClock
from app.main import create_app
from app.models import Job, ScreeningImport
from tests.conftest import AuthHeaders, make_settings
from tests.screening.factories import csv_bytes, import_file, row, upload, xlsx_bytes


async def _names(client: httpx.AsyncClient, h: dict[str, str], rows: list[dict[str, Any]]) -> None:
    for r in rows:
        found = await client.get("/api/v1/screening/records", headers=h, params={"q": r["name"]})
        assert [i["name"] for i in found.json()["items"]] == [r["name"]]


async def test_gb18030_with_chinese_headers(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    rows = [row(), row(health_status="哮喘，需随访")]
    content = csv_bytes(rows, headers="zh", encoding="gb18030")
    body = await import_file(committed_client, h, committed_engine, settings, clock, content)
    assert (body["status"], body["inserted"], body["rejected"]) == ("done", 2, 0)
    assert body["file_kind"] == "csv"
    await _names(committed_client, h, rows)


async def test_utf8_bom_with_english_headers_and_extra_column_warning(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    rows = [row()]
    content = csv_bytes(rows, encoding="utf-8-sig").replace(b"\r\n", b",remark\r\n", 1)
    r = await upload(committed_client, h, content)
    assert r.status_code == 202
    assert any("remark" in w for w in r.json()["warnings"])
    body = await import_file(
        committed_client,
        h,
        committed_engine,
        settings,
        clock,
        csv_bytes(rows, encoding="utf-8-sig"),
    )
    assert body["status"] == "done"
    await _names(committed_client, h, rows)


async def test_xlsx_with_date_cells_and_numbers(
    committed_client: httpx.AsyncClient,
    auth: AuthHeaders,
    committed_engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
) -> None:
    h = auth("admin")
    a = row(
        birth_date=date(2016, 3, 5), screened_on=date(2026, 6, 1), residence_since=date(2025, 1, 1)
    )
    b = row(id_number="", birth_date=date(2014, 7, 9), screened_on=date(2026, 6, 1))
    b["guardian_phone"] = int(b["guardian_phone"])  # a number cell
    body = await import_file(
        committed_client, h, committed_engine, settings, clock, xlsx_bytes([a, b]), "摸排.xlsx"
    )
    assert (body["status"], body["file_kind"], body["inserted"], body["rejected"]) == (
        "done", "xlsx", 2, 0,
    )  # fmt: skip
    found = await committed_client.get(
        "/api/v1/screening/records", headers=h, params={"q": b["name"]}
    )
    [item] = found.json()["items"]
    assert item["birth_date"] == "2014-07-09"
    assert item["guardian_phone"] == str(b["guardian_phone"])
    assert item["classification"] == "migrant"


async def test_not_a_table_is_refused_at_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    h = auth("admin")
    count = select(func.count()).select_from(ScreeningImport)
    jobs = (
        select(func.count())
        .select_from(Job)
        .where(Job.kind == "screening.import", Job.status == "queued")
    )
    before = ((await session.execute(count)).scalar(), (await session.execute(jobs)).scalar())
    for content, name in (
        (b"%PDF-1.4 binary \x00\x01\x02", "a.pdf"),
        ("随便写的一段话\n没有表头\n".encode(), "notes.csv"),
        (b"PK\x03\x04 not really a zip", "fake.xlsx"),
        ("姓名,身份证号,性别\n张三,,男\n".encode(), "partial.csv"),  # required columns missing
        (b"", "empty.csv"),
    ):
        r = await upload(client, h, content, name)
        assert r.status_code == 422, (name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "file"
    after = ((await session.execute(count)).scalar(), (await session.execute(jobs)).scalar())
    assert after == before


async def test_missing_file_part_and_wrong_content_type(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth("admin")
    r = await client.post("/api/v1/screening/imports", headers=h, files={"other": ("a.csv", b"x")})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"
    r = await client.post("/api/v1/screening/imports", headers=h, content=b"name\n")
    assert r.status_code == 415


async def test_too_large_is_refused_with_413(
    database_url: str, engine: AsyncEngine, auth: AuthHeaders, tmp_path: Any
) -> None:
    small = make_settings(database_url, max_upload_bytes=4096, upload_dir=tmp_path)
    app = create_app(small, engine=engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            content = csv_bytes([row() for _ in range(40)])
            assert len(content) > 4096
            r = await upload(c, auth("admin"), content)
            assert r.status_code == 413, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
    assert list(tmp_path.iterdir()) == []  # nothing left behind


async def test_who_may_upload(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    content = csv_bytes([row()])
    assert (
        await client.post("/api/v1/screening/imports", files={"file": ("a.csv", content)})
    ).status_code == 401
    for who in ("dir1", "auditor", "institute", "leader"):
        assert (await upload(client, auth(who), content)).status_code == 403, who
    r = await upload(client, auth(agency="education"), content)
    assert r.status_code == 403
    assert (await upload(client, auth("sup1"), content)).status_code == 202


async def test_template_files(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    h = auth("dir1")
    r = await client.get("/api/v1/screening/template", headers=h)
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert r.content.decode("utf-8-sig").splitlines()[0].startswith("姓名,身份证号")
    r = await client.get(
        "/api/v1/screening/template", headers=h, params={"format": "xlsx", "headers": "en"}
    )
    assert r.status_code == 200
    assert r.content.startswith(b"PK\x03\x04")
    r = await client.get("/api/v1/screening/template", headers=h, params={"format": "pdf"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].endswith("format")
