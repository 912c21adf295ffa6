"""app/kit/http.py: every outbound client has connect/read/write/pool timeouts."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.kit import egress
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


async def test_a_silent_peer_times_out(silent_server: str, settings: Settings) -> None:
    # A server on this machine: only with the explicit setting for local receivers.
    local = settings.model_copy(update={"webhook_allow_private_targets": True})
    async with outbound_client(local, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{silent_server}/webhook", json={"event": "referral.created"})


@pytest.mark.parametrize("allowed", [None, False])
async def test_private_targets_are_refused_by_default(
    silent_server: str, settings: Settings, allowed: bool | None
) -> None:
    """Without WEBHOOK_ALLOW_PRIVATE_TARGETS no outbound call reaches this machine: refused
    before any connection (a silent server would otherwise time out)."""
    assert settings.webhook_allow_private_targets is False
    async with outbound_client(settings, timeout=5, allow_private=allowed) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post(f"{silent_server}/webhook", json={})
    refused = egress.refusal_of(caught.value)
    assert refused is not None
    assert refused.reason == "127.0.0.1 is loopback"
    async with outbound_client(timeout=5) as client:  # no settings: refused as well
        with pytest.raises(httpx.ConnectError):
            await client.get(silent_server.replace("127.0.0.1", "[::ffff:127.0.0.1]"))


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.2.3.4", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("2002:c0a8:0101::1", False),  # 6to4 of 192.168.1.1
        ("fc00::1", False),
        ("ff02::1", False),
        ("::", False),
    ],
)
def test_which_addresses_are_public(address: str, allowed: bool) -> None:
    assert (egress.why_refused(ipaddress.ip_address(address)) is None) is allowed


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


def test_production_refuses_to_allow_private_targets() -> None:
    from tests.conftest import make_settings

    with pytest.raises(ValueError, match="WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        make_settings(
            "postgresql+asyncpg://u@localhost/x",
            app_env="production",
            webhook_allow_private_targets=True,
        )
    assert (
        make_settings("postgresql+asyncpg://u@localhost/x").webhook_allow_private_targets is False
    )
