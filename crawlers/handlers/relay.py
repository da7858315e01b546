"""A SOCKS5 relay on 127.0.0.1 between Chromium and a source's socks5h:// proxy.

Chromium speaks SOCKS5 only without authentication, but armswatch gives every
Tor source SOCKS credentials of its own (Tor's IsolateSOCKSAuth: circuits of its
own), and a proxy may require them. The relay accepts Chromium's unauthenticated
CONNECTs on a loopback port and opens each through the real proxy with the
source's credentials. Host names are passed on as they came, unresolved: the
proxy resolves them, never this host (Chromium sends names, not addresses, to a
SOCKS5 proxy).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import struct

from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError, ProxyType
from python_socks.async_.asyncio import Proxy

from crawlers.handlers.socks import SocksProxy

logger = logging.getLogger(__name__)

GENERAL_FAILURE, HOST_UNREACHABLE = 1, 4
CONNECT, DOMAIN, IPV4, IPV6 = 1, 3, 1, 4


class SocksRelay:
    """Relays one proxy (with its credentials) for as long as it is open."""

    def __init__(self, upstream: SocksProxy, timeout: float) -> None:
        self.upstream = upstream
        self.timeout = timeout
        self.url = ""
        """socks5://127.0.0.1:PORT, for Chromium, once started."""
        self.failures: dict[str, str] = {}
        """Host -> why the proxy last could not connect to it (Chromium only learns
        that the connection failed)."""
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"socks5://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the browser hung up or spoke no SOCKS5: nothing to relay
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, methods = await reader.readexactly(2)
        await reader.readexactly(methods)
        if version != 5:
            raise ValueError("not SOCKS5")
        writer.write(b"\x05\x00")  # no authentication (the browser offers none)
        version, command, _, address_type = await reader.readexactly(4)
        if command != CONNECT:
            writer.write(_reply(7))  # command not supported
            raise ValueError("only CONNECT is relayed")
        host = await _read_host(reader, address_type)
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        proxy = Proxy(
            ProxyType.SOCKS5,
            self.upstream.host,
            self.upstream.port,
            self.upstream.username,
            self.upstream.password,
            rdns=True,  # the proxy resolves names: never this host
        )
        try:
            sock = await proxy.connect(host, port, timeout=self.timeout)
        except (ProxyError, ProxyConnectionError, ProxyTimeoutError) as exc:
            code = getattr(exc, "error_code", None) or GENERAL_FAILURE
            self.failures[host] = (
                f"the SOCKS proxy {self.upstream.host}:{self.upstream.port} could not "
                f"connect to {host}:{port} ({exc})"
            )
            logger.info("for the browser: %s", self.failures[host])
            writer.write(_reply(code if 0 < code < 9 else HOST_UNREACHABLE))
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(sock=sock)
        writer.write(_reply(0))
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            upstream_writer.close()


async def _read_host(reader: asyncio.StreamReader, address_type: int) -> str:
    if address_type == DOMAIN:
        return (await reader.readexactly((await reader.readexactly(1))[0])).decode("ascii")
    if address_type == IPV4:
        return str(ipaddress.IPv4Address(await reader.readexactly(4)))
    if address_type == IPV6:
        return str(ipaddress.IPv6Address(await reader.readexactly(16)))
    raise ValueError(f"unknown SOCKS5 address type {address_type}")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then pass the end on."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


def _reply(code: int) -> bytes:
    return bytes([5, code, 0, IPV4, 0, 0, 0, 0, 0, 0])
