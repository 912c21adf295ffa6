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

AppWith = Callable[..., AbstractAsyncContextManager[FastAPI]]
ClientWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def docs_settings(settings: Settings, store_dir: Path) -> Settings:
    return settings.model_copy(update={"documents_dir": store_dir})


@pytest.fixture
def app_with(
    docs_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> AppWith:
    """`async with app_with(**overrides) as app:` an app whose settings differ from the tests'
    by these values (same database transaction, same clock, the test's store directory)."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[FastAPI]:
        changed = docs_settings.model_copy(update=overrides)
        application = create_app(changed, engine=engine, sessionmaker=sessionmaker, clock=clock)
        async with application.router.lifespan_context(application):
            yield application

    return make


@asynccontextmanager
async def client_of(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def client_with(app_with: AppWith) -> ClientWith:
    """`async with client_with(documents_keep_location=True) as c:` a client of such an app."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with app_with(**overrides) as application, client_of(application) as c:
            yield c

    return make


@pytest.fixture
async def app(app_with: AppWith) -> AsyncIterator[FastAPI]:
    async with app_with() as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as c:
        yield c
