"""The bare reference of bench.request_path: FastAPI + asyncpg, one indexed read, nothing else.

    uvicorn --factory bench._bare:create_app   (BARE_DSN: a PostgreSQL DSN with `bench_items`)

`GET /items/{id}` is `SELECT … FROM bench_items WHERE id = $1` on a 100,000-row table: no
authentication, no audit, no middleware. What a Python web request of this shape costs on this
machine, the yardstick the service's routes are measured against.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, HTTPException

ROWS = 100_000


async def prepare(dsn: str) -> None:
    """Create and fill `bench_items` (100,000 rows) unless it is there already."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_items (id integer PRIMARY KEY, name text NOT NULL, "
            "village_code text NOT NULL, amount bigint NOT NULL, created_at timestamptz NOT NULL "
            "DEFAULT now())"
        )
        if await conn.fetchval("SELECT count(*) FROM bench_items") < ROWS:
            await conn.execute("TRUNCATE bench_items")
            await conn.execute(
                "INSERT INTO bench_items (id, name, village_code, amount) "
                "SELECT i, '儿童' || i, '110115' || lpad((i % 709)::text, 6, '0'), i * 100 "
                "FROM generate_series(1, $1::int) AS i",
                ROWS,
            )
            await conn.execute("ANALYZE bench_items")
    finally:
        await conn.close()


def create_app() -> FastAPI:
    dsn = os.environ["BARE_DSN"]
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        try:
            yield
        finally:
            await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        row = await state["pool"].fetchrow(
            "SELECT id, name, village_code, amount, created_at FROM bench_items WHERE id = $1",
            item_id,
        )
        if row is None:
            raise HTTPException(404)
        return dict(row)

    return app
