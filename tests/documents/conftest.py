"""The document tests' app: the filesystem store in a directory of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FixedClock
from app.main import create_app


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def docs_settings(settings: Settings, store_dir: Path) -> Settings:
    return settings.model_copy(update={"documents_dir": store_dir})


@pytest.fixture
async def app(
    docs_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AsyncIterator[FastAPI]:
    application = create_app(docs_settings, engine=engine, sessionmaker=sessionmaker, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


ClientWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(
    docs_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> ClientWith:
    """`async with client_with(documents_keep_location=True) as c:` a client of an app whose
    settings differ from the tests' by these values (same database transaction, same clock)."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        changed = docs_settings.model_copy(update=overrides)
        application = create_app(changed, engine=engine, sessionmaker=sessionmaker, clock=clock)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                yield c

    return make
