"""app/kit/http.py: every outbound client has connect/read/write/pool timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.kit.http import USER_AGENT, outbound_client


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections and reads, but never answers."""
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await release.wait()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    release.set()
    server.close()
    await server.wait_closed()


async def test_timeouts_come_from_the_settings(settings: Settings) -> None:
    s = settings.model_copy(
        update={"outbound_connect_timeout_seconds": 2.0, "outbound_timeout_seconds": 7.0}
    )
    async with outbound_client(s) as client:
        t = client.timeout
        assert (t.connect, t.read, t.write, t.pool) == (2.0, 7.0, 7.0, 2.0)
        assert client.headers["user-agent"] == USER_AGENT
        assert client.follow_redirects is False


async def test_defaults_without_settings() -> None:
    async with outbound_client() as client:
        t = client.timeout
        assert None not in (t.connect, t.read, t.write, t.pool)


@pytest.mark.parametrize(
    "timeout",
    [httpx.Timeout(None), httpx.Timeout(5.0, read=None), httpx.Timeout(5.0, pool=None), 0.0],
)
def test_no_timeout_is_refused(timeout: httpx.Timeout | float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        outbound_client(timeout=timeout)


async def test_a_silent_peer_times_out(silent_server: str) -> None:
    async with outbound_client(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{silent_server}/webhook", json={"event": "referral.created"})


async def test_extra_headers_and_transport_pass_through() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async with outbound_client(
        headers={"X-Signature": "abc"}, transport=httpx.MockTransport(handler)
    ) as client:
        r = await client.post("https://partner.example/hook", json={})
    assert r.status_code == 204
    assert seen[0].headers["x-signature"] == "abc"
    assert seen[0].headers["user-agent"] == USER_AGENT
