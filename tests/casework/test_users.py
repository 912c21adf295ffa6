"""A case worker's account is bound to a contracted agency (`users.agency_id`)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.casework.factories import BASE_AGENCY, make_agency, make_case_worker
from tests.conftest import DISTRICT, AuthHeaders, Base


async def test_the_base_case_worker_shows_their_agency(
    client: httpx.AsyncClient, auth: AuthHeaders, base: Base
) -> None:
    r = await client.get(f"/api/v1/users/{base.users['caseworker']}", headers=auth("admin"))
    assert r.status_code == 200
    assert r.json()["agency_id"] == str(BASE_AGENCY)
    r = await client.get(f"/api/v1/users/{base.users['admin']}", headers=auth("admin"))
    assert r.json()["agency_id"] is None


async def test_only_a_case_worker_has_an_agency(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    body = {
        "username": f"adm{uuid.uuid4().hex[:8]}",
        "password": "Test-Pass-12345",
        "full_name": "测试",
        "role": "district_admin",
        "area_code": DISTRICT,
        "agency_id": str(BASE_AGENCY),
    }
    r = await client.post("/api/v1/users", json=body, headers=auth("admin"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["agency_id"]


async def test_changing_a_role_keeps_the_agency_rule(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, base: Base
) -> None:
    # an auditor made a case worker needs an agency (422, not a 500 from the database's check)
    url = f"/api/v1/users/{base.users['auditor']}"
    etag = (await client.get(url, headers=auth("admin"))).headers["etag"]
    r = await client.patch(
        url, json={"role": "case_worker"}, headers=auth("admin") | {"If-Match": etag}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "agency_id"
    r = await client.patch(
        url,
        json={"role": "case_worker", "agency_id": str(uuid.uuid4())},
        headers=auth("admin") | {"If-Match": etag},
    )
    assert r.status_code == 422
    # a case worker moved to another agency; made an auditor, the agency goes
    other = await make_agency(session)
    uid = await make_case_worker(session, BASE_AGENCY)
    url = f"/api/v1/users/{uid}"
    etag = (await client.get(url, headers=auth("admin"))).headers["etag"]
    r = await client.patch(
        url, json={"agency_id": str(other.id)}, headers=auth("admin") | {"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert r.json()["agency_id"] == str(other.id)
    r = await client.patch(
        url,
        json={"role": "auditor"},
        headers=auth("admin") | {"If-Match": r.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["agency_id"] is None


async def test_the_database_refuses_an_active_case_worker_without_an_agency(
    session: AsyncSession,
) -> None:
    session.add(
        User(
            id=uuid.uuid4(),
            username=f"cw{uuid.uuid4().hex[:8]}",
            password_hash="x",
            full_name="测试",
            role="case_worker",
            area_code=DISTRICT,
            is_active=True,
            failed_logins=0,
            version=1,
        )
    )
    with pytest.raises(IntegrityError, match="case_worker_has_agency"):
        await session.flush()
