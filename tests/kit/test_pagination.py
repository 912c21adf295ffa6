"""Keyset pagination: cursors round-trip; any forged or garbage cursor is a 422 naming `cursor`."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.kit.pagination import decode_cursor, encode_cursor
from tests.conftest import AuthHeaders

LIST_ENDPOINTS = ["/api/v1/areas", "/api/v1/users", "/api/v1/agency-clients", "/api/v1/audit"]


def test_cursor_round_trip_of_each_kind() -> None:
    values = [
        "110115001",
        42,
        datetime(2026, 6, 15, 2, 0, 0, 123456, tzinfo=UTC),
        date(2026, 6, 1),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        None,
    ]
    cursor = encode_cursor(values)
    assert "=" not in cursor
    assert decode_cursor(cursor, len(values)) == values


@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
            st.uuids(),
            st.datetimes(timezones=st.just(UTC)),
            st.dates(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_cursor_round_trip_property(values: list[Any]) -> None:
    assert decode_cursor(encode_cursor(values), len(values)) == values


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not base64!!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        encode_cursor(["a", "b"]),  # wrong width
        encode_cursor([{"t": "not a time"}]),
        encode_cursor([{"u": "not a uuid"}]),
        encode_cursor([{"d": 5}]),
    ],
)
def test_decode_garbage_raises_validation_naming_cursor(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, 1)
    assert [f for f, _, _ in info.value.errors] == ["cursor"]


GARBAGE = [
    "garbage",
    "%%%",
    base64.urlsafe_b64encode(b"[").decode(),
    encode_cursor([]),
    encode_cursor(["a", "b", "c"]),
    encode_cursor([{"t": "yesterday"}, {"u": "x"}]),
]


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
@pytest.mark.parametrize("cursor", GARBAGE)
async def test_garbage_cursor_is_422_on_every_list(
    client: httpx.AsyncClient, auth: AuthHeaders, path: str, cursor: str
) -> None:
    r = await client.get(path, params={"cursor": cursor}, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["cursor"]


# Cursors of the right width whose values have the wrong type for the keys
# (areas: code text; users and agency clients: created_at timestamptz, id uuid).
WRONG_TYPES = [
    ("/api/v1/areas", [12345]),
    ("/api/v1/areas", [[1, 2]]),
    ("/api/v1/areas", [{"u": str(uuid.UUID(int=1))}]),
    ("/api/v1/areas", [None]),
    ("/api/v1/areas", ["a\x00b"]),
    ("/api/v1/users", ["2026-01-01", "not-a-uuid"]),
    ("/api/v1/users", [{"t": "2026-06-15T02:00:00+00:00"}, 5]),
    ("/api/v1/users", [{"u": str(uuid.UUID(int=1))}, {"u": str(uuid.UUID(int=1))}]),
    ("/api/v1/users", [{"t": "2026-06-15T02:00:00"}, {"u": str(uuid.UUID(int=1))}]),
    ("/api/v1/users", [True, {"u": str(uuid.UUID(int=1))}]),
    ("/api/v1/agency-clients", [1, 2]),
    ("/api/v1/agency-clients", [{"d": "2026-06-15"}, {"u": str(uuid.UUID(int=1))}]),
]


@pytest.mark.parametrize(("path", "values"), WRONG_TYPES)
async def test_wrongly_typed_cursor_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders, path: str, values: list[Any]
) -> None:
    r = await client.get(path, params={"cursor": encode_cursor(values)}, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["cursor"]


async def test_a_real_cursor_continues_where_the_page_ended(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    first = await client.get("/api/v1/users", params={"limit": 3}, headers=auth("admin"))
    cursor = first.json()["next_cursor"]
    assert cursor
    nxt = await client.get(
        "/api/v1/users", params={"limit": 3, "cursor": cursor}, headers=auth("admin")
    )
    both = await client.get("/api/v1/users", params={"limit": 6}, headers=auth("admin"))
    ids = [u["id"] for u in first.json()["items"] + nxt.json()["items"]]
    assert ids == [u["id"] for u in both.json()["items"]]


async def test_an_over_long_cursor_is_422(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    r = await client.get("/api/v1/areas", params={"cursor": "a" * 501}, headers=auth("admin"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["cursor"]
