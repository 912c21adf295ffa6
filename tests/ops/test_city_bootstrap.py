"""Starting a city (CITY_CODE): the city area and its first admin, and a district deployment
turned city (its district re-parented under the city, every path rewritten, in one go)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app import bootstrap
from app.migrate import upgrade
from app.models import Area, ScreeningImport, User
from tests.conftest import make_settings

CITY, DISTRICT, TOWN, VILLAGE = "110100", "110115", "110115001", "110115001001"


def _app(url: str, engine: AsyncEngine, **settings: Any) -> Any:
    values: dict[str, Any] = {
        "bootstrap_admin_username": "root",
        "bootstrap_admin_password": SecretStr("Boot-Pass-12345"),
    }
    state = SimpleNamespace(
        settings=make_settings(url, **(values | settings)),
        sessionmaker=async_sessionmaker(engine, expire_on_commit=False),
    )
    return SimpleNamespace(state=state)


async def _areas(engine: AsyncEngine) -> dict[str, tuple[str, str | None, str]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(Area.code, Area.level, Area.parent_code, Area.path))
        ).all()
    return {r.code: (r.level, r.parent_code, r.path) for r in rows}


async def _users(engine: AsyncEngine) -> dict[str, tuple[str, str]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(User.username, User.role, User.area_code))).all()
    return {r.username: (r.role, r.area_code) for r in rows}


async def test_a_new_city_starts_with_its_area_and_a_city_admin(
    scratch_url: str, scratch_engine: AsyncEngine
) -> None:
    await upgrade(scratch_engine)
    app = _app(scratch_url, scratch_engine, city_code=CITY, city_name="测试市")
    await bootstrap.on_start(app)
    assert await _areas(scratch_engine) == {CITY: ("city", None, f"{CITY}/")}
    assert await _users(scratch_engine) == {"root": ("city_admin", CITY)}
    async with scratch_engine.connect() as conn:
        name = (await conn.execute(select(Area.name).where(Area.code == CITY))).scalar_one()
    assert name == "测试市"
    # a second start (another replica, a restart) changes nothing
    await bootstrap.on_start(app)
    assert await _users(scratch_engine) == {"root": ("city_admin", CITY)}
    assert len(await _areas(scratch_engine)) == 1


async def test_without_city_code_the_bootstrap_is_a_district_admin_as_before(
    scratch_url: str, scratch_engine: AsyncEngine
) -> None:
    await upgrade(scratch_engine)
    await bootstrap.on_start(_app(scratch_url, scratch_engine, district_code=DISTRICT))
    assert await _areas(scratch_engine) == {DISTRICT: ("district", None, f"{DISTRICT}/")}
    assert await _users(scratch_engine) == {"root": ("district_admin", DISTRICT)}


async def test_a_district_deployment_turned_city_is_reparented(
    scratch_url: str, scratch_engine: AsyncEngine
) -> None:
    await upgrade(scratch_engine)
    # a running single-district deployment: its tree, its admin, a screening import's path
    district_app = _app(scratch_url, scratch_engine, district_code=DISTRICT)
    await bootstrap.on_start(district_app)
    admin_id = uuid.uuid4()
    async with scratch_engine.begin() as conn:
        await conn.execute(
            insert(Area),
            [
                {
                    "code": TOWN,
                    "name": "一镇",
                    "level": "town",
                    "parent_code": DISTRICT,
                    "path": f"{DISTRICT}/{TOWN}/",
                },
                {
                    "code": VILLAGE,
                    "name": "一村",
                    "level": "village",
                    "parent_code": TOWN,
                    "path": f"{DISTRICT}/{TOWN}/{VILLAGE}/",
                },
            ],
        )
        admin = (await conn.execute(select(User.id).where(User.username == "root"))).scalar_one()
        await conn.execute(
            insert(ScreeningImport),
            {
                "id": admin_id,
                "status": "done",
                "file_name": "x.csv",
                "file_kind": "csv",
                "file_size": 1,
                "stored_name": "x.upload",
                "uploaded_by": admin,
                "uploaded_by_name": "root",
                "area_code": TOWN,
                "area_path": f"{DISTRICT}/{TOWN}/",
                "warnings": [],
                "progress": 1.0,
                "total_rows": 0,
                "last_row": 0,
                "chunks_done": 0,
                "inserted": 0,
                "updated": 0,
                "unchanged": 0,
            },
        )

    # the next start sets CITY_CODE (the bootstrap name is taken by the district's admin, so
    # the city's first admin uses its own name)
    city_app = _app(
        scratch_url, scratch_engine, city_code=CITY, bootstrap_admin_username="city-root"
    )
    await bootstrap.on_start(city_app)
    assert await _areas(scratch_engine) == {
        CITY: ("city", None, f"{CITY}/"),
        DISTRICT: ("district", CITY, f"{CITY}/{DISTRICT}/"),
        TOWN: ("town", DISTRICT, f"{CITY}/{DISTRICT}/{TOWN}/"),
        VILLAGE: ("village", TOWN, f"{CITY}/{DISTRICT}/{TOWN}/{VILLAGE}/"),
    }
    assert await _users(scratch_engine) == {
        "root": ("district_admin", DISTRICT),
        "city-root": ("city_admin", CITY),
    }
    async with scratch_engine.connect() as conn:
        path = (
            await conn.execute(
                select(ScreeningImport.area_path).where(ScreeningImport.id == admin_id)
            )
        ).scalar_one()
        actions = (
            (await conn.execute(text("SELECT action FROM audit_log ORDER BY id"))).scalars().all()
        )
    assert path == f"{CITY}/{DISTRICT}/{TOWN}/"
    assert "area.reparent" in actions
    # idempotent: a second start rewrites nothing twice
    await bootstrap.on_start(city_app)
    assert (await _areas(scratch_engine))[VILLAGE][2] == f"{CITY}/{DISTRICT}/{TOWN}/{VILLAGE}/"


async def test_city_code_naming_a_district_refuses_to_start(
    scratch_url: str, scratch_engine: AsyncEngine
) -> None:
    await upgrade(scratch_engine)
    await bootstrap.on_start(_app(scratch_url, scratch_engine, district_code=DISTRICT))
    with pytest.raises(bootstrap.CityMismatch):
        await bootstrap.on_start(_app(scratch_url, scratch_engine, city_code=DISTRICT))
    assert (await _areas(scratch_engine))[DISTRICT] == ("district", None, f"{DISTRICT}/")
