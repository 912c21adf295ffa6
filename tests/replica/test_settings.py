"""DATABASE_READ_* settings (app/config.py, app/replica.py): no database needed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.replica import ReadReplica
from tests.conftest import make_settings

URL = "postgresql+asyncpg://app:s3cret-read@children-care-db-pooler-ro:5432/app"


def test_unset_means_no_replica() -> None:
    settings = make_settings("postgresql+asyncpg://u@localhost/x")
    assert settings.database_read_url is None
    assert settings.database_read_max_lag_seconds is None
    assert ReadReplica.from_settings(settings) is None


def test_read_url_from_the_environment_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_READ_URL", URL)
    monkeypatch.setenv("DATABASE_READ_MAX_LAG_SECONDS", "5")
    settings = Settings(_env_file=None)
    assert settings.database_read_url is not None
    assert settings.database_read_url.get_secret_value() == URL
    assert "s3cret-read" not in repr(settings)
    assert settings.database_read_max_lag_seconds == 5.0
    assert settings.database_read_connect_timeout_seconds == 2.0
    assert settings.database_read_backoff_seconds == 10.0


@pytest.mark.parametrize(
    "field", ["database_read_max_lag_seconds", "database_read_connect_timeout_seconds"]
)
def test_lag_and_timeout_must_be_positive(field: str) -> None:
    with pytest.raises(ValidationError):
        make_settings("postgresql+asyncpg://u@localhost/x", **{field: 0})


async def test_the_replica_engine_is_built_from_the_read_url() -> None:
    settings = make_settings("postgresql+asyncpg://u@localhost/x", database_read_url=URL)
    replica = ReadReplica.from_settings(settings)
    assert replica is not None
    try:
        assert replica.engine.url.host == "children-care-db-pooler-ro"
        assert replica.max_lag is None
    finally:
        await replica.dispose()
