"""Start-up data: the first district admin from BOOTSTRAP_ADMIN_*, then the demo data."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI
from sqlalchemy import func, select, text

from app.auth.passwords import hash_password_async
from app.auth.roles import Role
from app.kit import audit
from app.models import Area, User

log = logging.getLogger(__name__)
_LOCK_KEY = 0x626F6F747374  # "bootst"


async def on_start(app: FastAPI) -> None:
    settings = app.state.settings
    wants_admin = bool(settings.bootstrap_admin_username and settings.bootstrap_admin_password)
    if not (settings.demo_data or wants_admin):
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
        username = settings.bootstrap_admin_username
        password = settings.bootstrap_admin_password
        if not username or password is None:
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
        session.add(
            User(
                id=uuid.uuid4(),
                username=username,
                password_hash=await hash_password_async(password.get_secret_value()),
                full_name="系统管理员",
                role=Role.DISTRICT_ADMIN,
                area_code=district.code,
            )
        )
        audit.record(session, None, "user.bootstrap", "user", username)
        await audit.flush(session)
        await session.commit()
        log.info("bootstrap district admin created", extra={"username": username})
