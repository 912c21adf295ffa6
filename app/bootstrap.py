"""Start-up data: the first admin from BOOTSTRAP_ADMIN_*, then the demo data.

With CITY_CODE set the root of the area tree is the city: the bootstrap creates the city area
(named CITY_NAME) and the first admin is a city_admin of it. A deployment that served one
district and sets CITY_CODE later has its district(s) re-parented under the city on the next
start, every materialised path rewritten, in one transaction (the advisory lock keeps replicas
starting together from doing it twice)."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI
from sqlalchemy import func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password_async
from app.auth.roles import Role
from app.config import Settings
from app.kit import audit
from app.models import Area, ScreeningImport, User

log = logging.getLogger(__name__)
_LOCK_KEY = 0x626F6F747374  # "bootst"


async def on_start(app: FastAPI) -> None:
    settings = app.state.settings
    wants_admin = bool(settings.bootstrap_admin_username and settings.bootstrap_admin_password)
    if not (settings.demo_data or wants_admin or settings.city_code):
        return
    async with app.state.sessionmaker() as session:
        # Replicas starting together take turns (a transaction lock: safe behind PgBouncer).
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        if settings.demo_data:
            from app import demo

            await demo.load(session, settings)
            await audit.flush(session)
            await session.commit()
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        if settings.city_code:
            await ensure_city(session, settings)
            await audit.flush(session)
            await session.commit()
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        username = settings.bootstrap_admin_username
        password = settings.bootstrap_admin_password
        if not username or password is None:
            return
        if settings.city_code:
            await _bootstrap_city_admin(session, settings, username)
            return
        has_users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
        if has_users:
            return
        district = (
            await session.execute(select(Area).where(Area.level == "district").limit(1))
        ).scalar_one_or_none()
        if district is None:
            district = Area(
                code=settings.district_code,
                name="大兴区",
                level="district",
                parent_code=None,
                path=settings.district_code + "/",
            )
            session.add(district)
            await session.flush()
        await _add_admin(session, settings, username, Role.DISTRICT_ADMIN, district.code)
        log.info("bootstrap district admin created", extra={"username": username})


async def _add_admin(
    session: AsyncSession, settings: Settings, username: str, role: Role, area_code: str
) -> None:
    password = settings.bootstrap_admin_password
    assert password is not None
    session.add(
        User(
            id=uuid.uuid4(),
            username=username,
            password_hash=await hash_password_async(password.get_secret_value()),
            full_name="系统管理员",
            role=role,
            area_code=area_code,
        )
    )
    audit.record(session, None, "user.bootstrap", "user", username)
    await audit.flush(session)
    await session.commit()


async def _bootstrap_city_admin(session: AsyncSession, settings: Settings, username: str) -> None:
    """The city's first admin, once: while no city_admin exists and the name is free (a
    district deployment turned city keeps its district admin; the city gets its own)."""
    has_city_admin = (
        await session.execute(select(User.id).where(User.role == Role.CITY_ADMIN).limit(1))
    ).first()
    if has_city_admin is not None:
        return
    taken = (await session.execute(select(User.id).where(User.username == username))).first()
    if taken is not None:
        log.warning(
            "bootstrap city admin not created: the username is taken by another account",
            extra={"username": username},
        )
        return
    assert settings.city_code is not None
    await _add_admin(session, settings, username, Role.CITY_ADMIN, settings.city_code)
    log.info("bootstrap city admin created", extra={"username": username})


class CityMismatch(RuntimeError):
    """CITY_CODE names an area that is not a city, or the tree has a root that is no district."""


async def ensure_city(session: AsyncSession, settings: Settings) -> None:
    """The city area exists and every district hangs under it (idempotent).

    A district found at the root (a single-district deployment that now sets CITY_CODE) is
    re-parented: its parent becomes the city, and every area's materialised path, as well as
    the paths copied into screening imports, gains the city's prefix. Nothing else stores a
    path: every other table keeps area codes, which do not change."""
    code = settings.city_code
    assert code is not None
    city = await session.get(Area, code)
    if city is None:
        city = Area(
            code=code, name=settings.city_name, level="city", parent_code=None, path=code + "/"
        )
        session.add(city)
        await session.flush()
        log.info("city area created", extra={"city_code": code})
    elif city.level != "city":
        raise CityMismatch(f"CITY_CODE {code} is an area of level {city.level}, not a city")
    roots = (
        (await session.execute(select(Area).where(Area.parent_code.is_(None), Area.code != code)))
        .scalars()
        .all()
    )
    if not roots:
        return
    strays = [a.code for a in roots if a.level != "district"]
    if strays:
        raise CityMismatch(f"areas {strays} are at the root but are not districts")
    prefix = city.path
    await session.execute(
        update(Area)
        .where(Area.parent_code.is_(None), Area.code != code)
        .values(parent_code=code)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Area)
        .where(Area.code != code, Area.path.not_like(prefix + "%"))
        .values(path=literal(prefix) + Area.path)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ScreeningImport)
        .where(ScreeningImport.area_path.not_like(prefix + "%"))
        .values(area_path=literal(prefix) + ScreeningImport.area_path)
        .execution_options(synchronize_session=False)
    )
    districts = sorted(a.code for a in roots)
    audit.record(session, None, "area.reparent", "area", code, {"districts": districts})
    log.info(
        "districts re-parented under the city", extra={"city_code": code, "districts": districts}
    )
