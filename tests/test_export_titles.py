"""Export titles in a city: a workbook's title row names the caller's own district, not the
first district of the tree; above the districts, the city.

Each district's offices export their own figures; the title row said "测试区" (the lowest-coded
district) on every district's workbook."""

from __future__ import annotations

import io
import uuid

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.repository import district_name
from app.models import ScreeningImport, ScreeningImportError
from tests.casework.factories import make_agency
from tests.conftest import AREAS, CITY, DISTRICT, DISTRICT_B, AuthHeaders, Base, area_path
from tests.insurance.factories import INS, YEAR, schemes

B_NAME, A_NAME = AREAS[DISTRICT_B][0], AREAS[DISTRICT][0]


def _titles(content: bytes) -> list[str]:
    """Every sheet's title row (A1)."""
    book = load_workbook(io.BytesIO(content))
    return [str(sheet["A1"].value) for sheet in book.worksheets]


def _names_district_b(content: bytes) -> None:
    titles = _titles(content)
    assert titles
    for title in titles:
        assert f" · {B_NAME} · " in title, title
        assert f" · {A_NAME} · " not in title, title


async def test_training_certificates_name_the_callers_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get("/api/v1/training/certificates?year=2026", headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    _names_district_b(r.content)


async def test_the_institute_report_names_the_callers_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    r = await client.get("/api/v1/institution/reports/2026-05/export", headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    _names_district_b(r.content)


async def test_the_casework_settlement_names_the_callers_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    agency = await make_agency(session, district=DISTRICT_B)
    url = f"/api/v1/casework/agencies/{agency.id}/months/2026-06/export"
    r = await client.get(url, headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    _names_district_b(r.content)


async def test_the_insurance_submission_file_names_the_callers_district(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await schemes(client, auth)
    q = {"year": YEAR, "scheme": "basic_medical"}
    r = await client.post(f"{INS}/submission-file", json=q, headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    _names_district_b(r.content)


async def test_the_screening_error_report_names_the_callers_district(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    imp = ScreeningImport(
        id=uuid.uuid4(),
        status="done",
        file_name="乙区摸排.xlsx",
        file_kind="xlsx",
        file_size=1,
        stored_name="x.upload",
        uploaded_by=base.users["admin_b"],
        uploaded_by_name="admin_b",
        area_code=DISTRICT_B,
        area_path=area_path(DISTRICT_B),
    )
    session.add(imp)
    await session.flush()
    session.add(
        ScreeningImportError(
            import_id=imp.id, row_number=2, column="gender", reason="性别无法识别", value="男孩"
        )
    )
    await session.flush()
    url = f"/api/v1/screening/imports/{imp.id}/errors"
    r = await client.get(url, headers=auth("admin_b"))
    assert r.status_code == 200, r.text
    _names_district_b(r.content)


async def test_a_title_above_the_districts_names_the_city(
    session: AsyncSession, base: Base
) -> None:
    assert await district_name(session, DISTRICT_B) == B_NAME
    assert await district_name(session, None) == AREAS[CITY][0]  # the city's roles, a city agency
