"""Lean reads (app.kit.lean): the same rows as the ORM, the caller's fixed values kept, the
connection back in the pool."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import create_sessionmaker
from app.kit.lean import DriverConnection, LeanSelect, driver_connection, session_connection
from app.models import Child


async def _driver(session: AsyncSession) -> DriverConnection:
    return await session_connection(session)


async def test_rows_are_the_orms_values(demo_session: AsyncSession) -> None:
    orm = (await demo_session.execute(select(Child).order_by(Child.id))).scalars().all()
    assert len(orm) > 100
    lean = LeanSelect(select(Child).order_by(Child.id))
    rows = await lean.all(await _driver(demo_session))
    columns = [a.key for a in Child.__mapper__.column_attrs]
    assert [r.id for r in rows] == [c.id for c in orm]
    for row, child in zip(rows, orm, strict=True):
        assert {k: getattr(row, k) for k in columns} == {k: getattr(child, k) for k in columns}


async def test_per_request_values_and_fixed_ones(demo_session: AsyncSession) -> None:
    some = (await demo_session.execute(select(Child).limit(3))).scalars().all()
    village = some[0].village_code
    by_id = LeanSelect(
        select(Child.id, Child.name).where(
            Child.id == bindparam("child_id"), Child.village_code.in_([village, "nowhere"])
        ),
        params=("child_id",),
    )
    conn = await _driver(demo_session)
    hit = await by_id.first(conn, child_id=some[0].id)
    assert hit is not None
    assert (hit.id, hit.name) == (some[0].id, some[0].name)
    outside = [c for c in some if c.village_code != village]
    for c in outside:  # the fixed IN list is the jurisdiction: another village is not found
        assert await by_id.first(conn, child_id=c.id) is None
    assert await by_id.first(conn, child_id=uuid.uuid4()) is None
    with pytest.raises(TypeError):
        await by_id.first(conn)


def test_a_per_request_list_must_not_expand() -> None:
    lean = LeanSelect(
        select(Child.id).where(Child.id.in_(bindparam("ids", expanding=True))), params=("ids",)
    )
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    with pytest.raises(ValueError, match="expanding"):
        lean.compile(dialect())  # type: ignore[no-untyped-call]


async def test_labels_name_the_row(demo_session: AsyncSession) -> None:
    lean = LeanSelect(select(func.count().label("n"), func.max(Child.version).label("top")))
    row = await lean.first(await _driver(demo_session))
    assert row is not None
    n = (await demo_session.execute(select(func.count()).select_from(Child))).scalar_one()
    assert row.n == n
    assert row.top >= 1


async def test_the_pool_gets_its_connection_back(demo_engine: AsyncEngine) -> None:
    state = SimpleNamespace(sessionmaker=create_sessionmaker(demo_engine))
    pool = demo_engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    lean = LeanSelect(select(func.count().label("n")).select_from(Child))
    async with driver_connection(state) as conn:
        assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
        row = await lean.first(conn)
        assert row is not None
        assert row.n > 100
    assert pool.checkedout() == before  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        async with driver_connection(state) as conn:
            raise RuntimeError("a failed request")
    assert pool.checkedout() == before  # type: ignore[attr-defined]


async def test_a_clause_always_false_needs_no_value(demo_session: AsyncSession) -> None:
    # A caller whose jurisdiction is empty (`false()`): the WHERE folds to false, and the
    # statement names none of the request's values; it finds nothing.
    from sqlalchemy import false

    lean = LeanSelect(
        select(Child.id).where(Child.id == bindparam("child_id"), false()), params=("child_id",)
    )
    some = (await demo_session.execute(select(Child.id).limit(1))).scalar_one()
    assert await lean.first(await _driver(demo_session), child_id=some) is None
