"""Where outbound calls may go: public addresses only, checked where the connection is made.

A partner's webhook URL is chosen by the partner, so it is untrusted: pointed at
`http://127.0.0.1:5432`, `169.254.169.254` or a name that resolves to the pod network it would
carry a child's data into the service's own network (SSRF). Every outbound connection
therefore goes through `GuardedBackend`: it resolves the host itself, refuses the connection
unless EVERY address the name resolves to is public, and connects to the address it checked
(pinned). The TLS handshake still names and verifies the URL's host; only the TCP connect uses
the checked address, so a second resolution (DNS rebinding: a public answer at check time, a
private one at connect time) has nowhere to happen.

Refused: loopback, private (RFC 1918, ULA), link-local, multicast, reserved, unspecified,
shared address space (CGNAT 100.64/10, which holds Alibaba Cloud's metadata address
100.100.100.200), documentation and benchmark ranges, the IPv4 inside IPv4-mapped, NAT64,
6to4 and Teredo IPv6 forms of any of those, and the cloud metadata names and addresses.

`allow_private=True` (the setting WEBHOOK_ALLOW_PRIVATE_TARGETS, off by default everywhere)
admits private and loopback addresses for a receiver on the test machine. The metadata
addresses and names are refused even then.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services (AWS/GCP/Azure/OpenStack/Alibaba/Tencent/ECS task metadata).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.123",
        "100.100.100.200",
        "fd00:ec2::254",
    )
)
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(httpcore.ConnectError):
    """The host is not one the service may connect to. `reason` says why, in English."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"target refused: {host}: {reason}")
        self.host = host
        self.reason = reason


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def why_refused(ip: IPAddress, *, allow_private: bool = False) -> str | None:
    """None when `ip` may be connected to, else the reason (English, for the delivery log)."""
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            reason = why_refused(inner, allow_private=allow_private)
            return None if reason is None else f"{ip} embeds {reason}"
        if ip.scope_id:
            return f"{ip} is link-local"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("shared address space (CGNAT)", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not a public address", not ip.is_global),
    )
    for label, hit in checks:
        if not hit:
            continue
        local = label in ("loopback", "private", "not a public address")
        if allow_private and local and not ip.is_unspecified:
            return None
        return f"{ip} is {label}"
    return None


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    seen: dict[str, None] = {}
    for *_, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


# The resolver every check uses; tests replace it to play DNS answers (rebinding) back.
resolve: Resolver = system_resolve


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def checked_addresses(
    host: str,
    port: int,
    *,
    allow_private: bool = False,
    timeout: float | None = None,  # noqa: ASYNC109 - bounds the name resolution only
) -> list[str]:
    """The addresses of `host`, every one of them allowed; TargetRefused otherwise."""
    name = host.strip("[]").rstrip(".").lower()
    if name in METADATA_HOSTS:
        raise TargetRefused(host, "a cloud metadata host")
    literal = _literal(name)
    if literal is not None:
        addresses = [str(literal)]
    else:
        if (name == "localhost" or name.endswith(".localhost")) and not allow_private:
            raise TargetRefused(host, "localhost")
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve(name, port)
        except (OSError, UnicodeError) as exc:
            raise TargetRefused(host, f"does not resolve ({type(exc).__name__})") from None
        except TimeoutError:
            raise TargetRefused(host, "name resolution timed out") from None
        if not addresses:
            raise TargetRefused(host, "does not resolve")
    for address in addresses:
        ip = _literal(address)
        if ip is None:
            raise TargetRefused(host, f"resolved to a non-address {address!r}")
        reason = why_refused(ip, allow_private=allow_private)
        if reason is not None:
            raise TargetRefused(host, reason)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address check: resolve, check all, connect pinned."""

    def __init__(self, *, allow_private: bool = False) -> None:
        from httpcore._backends.auto import AutoBackend

        self.allow_private = allow_private
        self._inner = AutoBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(
            host, port, allow_private=self.allow_private, timeout=timeout
        )
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused(path, "a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def refusal_of(exc: BaseException) -> TargetRefused | None:
    """The TargetRefused behind an httpx error (httpx re-raises httpcore's errors as its own)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TargetRefused):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
