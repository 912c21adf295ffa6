"""The demo district: 20 towns, 709 villages, a supervisor per town and a director per village."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app import demo
from app.models import Area, Document, User
from tests.conftest import make_settings


async def test_demo_district_shape(
    session: AsyncSession, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url, district_code="110114", demo_data=True, documents_dir=tmp_path
    )
    # the committed test accounts hold the demo's usernames; move them aside (rolled back)
    await session.execute(update(User).values(username=User.username + "-base"))
    await demo.load(session, settings)
    documents = await session.scalar(select(func.count()).select_from(Document))
    await demo.load(session, settings)  # idempotent
    assert await session.scalar(select(func.count()).select_from(Document)) == documents

    async def count(*where: ColumnElement[bool]) -> int:
        return int(
            (
                await session.execute(select(func.count()).select_from(Area).where(*where))
            ).scalar_one()
        )

    assert await count(Area.path.startswith("110114/"), Area.level == "town") == 20
    assert await count(Area.path.startswith("110114/"), Area.level == "village") == 709
    roles: dict[str, int] = dict(
        (
            await session.execute(
                select(User.role, func.count())
                .join(Area, Area.code == User.area_code)
                .where(Area.path.startswith("110114/"))
                .group_by(User.role)
            )
        )
        .tuples()
        .all()
    )
    assert roles["town_supervisor"] == 20
    assert roles["village_director"] == 709
