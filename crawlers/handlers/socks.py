"""The download handler for http and https: requests whose proxy is socks5h://
(Tor) are fetched here, everything else by Scrapy's own HTTP handler.

Scrapy has no SOCKS support. This fetches through aiohttp and aiohttp-socks with
remote name resolution: the proxy, not this host, resolves the target's name, so
a .onion name never reaches the local resolver; https is TLS to the target
inside the tunnel. Like Scrapy's handlers it honours `download_timeout`,
DOWNLOAD_MAXSIZE (a body over the cap is refused as soon as its length is
announced or read, not downloaded whole) and DOWNLOAD_WARNSIZE, hands the body
on undecoded (HttpCompressionMiddleware decompresses it), and fails with
Scrapy's download errors, which RetryMiddleware retries (SOCKS and circuit
errors included).
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiohttp
import yarl
from aiohttp_socks import (
    ProxyConnectionError,
    ProxyConnector,
    ProxyError,
    ProxyTimeoutError,
    ProxyType,
)
from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from armswatch.config.models import is_onion_host

logger = logging.getLogger(__name__)

# Scrapy's middlewares set these; aiohttp must not add its own.
SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")


@dataclass(frozen=True)
class SocksProxy:
    """A socks5h:// proxy and the credentials this crawl uses with it."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def of(cls, request: Request, encoding: str) -> SocksProxy:
        """The proxy of `request`; its credentials come from the URL or, once Scrapy's
        HttpProxyMiddleware has moved them there, from the Proxy-Authorization header."""
        parts = urlsplit(request.meta["proxy"])
        assert parts.hostname is not None and parts.port is not None  # validated config
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password or "") if username is not None else None
        header = request.headers.get(b"Proxy-Authorization")
        if header and username is None:
            scheme, _, token = header.decode("ascii").partition(" ")
            if scheme.lower() == "basic":
                decoded = base64.b64decode(token).decode(encoding)
                username, _, password = decoded.partition(":")
        return cls(parts.hostname, parts.port, username, password)


class SocksDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._http = build_from_crawler(HTTP11DownloadHandler, crawler)
        self._timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self._maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self._warnsize = settings.getint("DOWNLOAD_WARNSIZE")
        self._limit = settings.getint("CONCURRENT_REQUESTS")
        self._limit_per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self._auth_encoding = settings.get("HTTPPROXY_AUTH_ENCODING") or "latin-1"
        self._sessions: dict[SocksProxy, aiohttp.ClientSession] = {}

    async def download_request(self, request: Request) -> Response:
        proxy = request.meta.get("proxy")
        if proxy and urlsplit(proxy).scheme == "socks5h":
            return await self._through_socks(request, SocksProxy.of(request, self._auth_encoding))
        host = urlparse_cached(request).hostname or ""
        if is_onion_host(host):  # the last line: OnionGuardMiddleware refuses these first
            raise IgnoreRequest(
                f"{host} is a .onion address and the request has no socks5h:// proxy; "
                "it was not fetched, so its name never reached the local resolver"
            )
        return await self._http.download_request(request)

    async def close(self) -> None:
        await self._http.close()
        for session in self._sessions.values():
            await session.close()

    def _session(self, proxy: SocksProxy) -> aiohttp.ClientSession:
        """One session (and connection pool) per proxy and credentials."""
        if proxy not in self._sessions:
            connector = ProxyConnector(
                proxy_type=ProxyType.SOCKS5,
                host=proxy.host,
                port=proxy.port,
                username=proxy.username,
                password=proxy.password,
                rdns=True,  # the proxy resolves names: never this host
                limit=self._limit,
                limit_per_host=self._limit_per_host,
            )
            self._sessions[proxy] = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # Scrapy's CookiesMiddleware keeps them
                auto_decompress=False,  # HttpCompressionMiddleware decompresses
                skip_auto_headers=SKIP_AUTO_HEADERS,
                trust_env=False,
            )
        return self._sessions[proxy]

    async def _through_socks(self, request: Request, proxy: SocksProxy) -> Response:
        timeout = float(request.meta.get("download_timeout") or self._timeout)
        headers = request.headers.copy()
        headers.pop(b"Proxy-Authorization", None)  # for the proxy, not the site
        started = time.monotonic()
        try:
            async with self._session(proxy).request(
                request.method,
                yarl.URL(request.url, encoded=True),  # as Scrapy escaped it
                data=request.body or None,
                headers=[
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, values in headers.items()
                    for value in values
                ],
                allow_redirects=False,  # RedirectMiddleware follows redirects
                # As Scrapy's default: no certificate check (onion services mostly have
                # self-signed ones; the .onion address itself authenticates the service).
                ssl=False,
                timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=timeout),
            ) as answer:
                request.meta["download_latency"] = time.monotonic() - started
                body = await self._read_body(answer, request)
                return self._response(request, answer, body)
        except (TimeoutError, ProxyTimeoutError) as exc:
            raise DownloadTimeoutError(
                f"getting {request.url} through the SOCKS proxy {proxy.host}:{proxy.port} "
                f"took longer than {timeout:g} s (caps.timeout; crawl.tor.timeout for Tor "
                "sources); it is retried"
            ) from exc
        except ProxyConnectionError as exc:
            raise DownloadConnectionRefusedError(
                f"could not connect to the SOCKS proxy {proxy.host}:{proxy.port} ({exc}): "
                "check that Tor (or the proxy) runs and listens there"
            ) from exc
        except ProxyError as exc:
            raise DownloadFailedError(
                f"the SOCKS proxy {proxy.host}:{proxy.port} could not reach "
                f"{urlparse_cached(request).netloc} ({exc}); through Tor the service may be "
                "offline or the circuit failed; it is retried"
            ) from exc
        except aiohttp.ClientPayloadError as exc:
            raise ResponseDataLossError(f"{request.url}: the body was cut off ({exc})") from exc
        except aiohttp.ClientError as exc:
            raise DownloadFailedError(f"{request.url}: {type(exc).__name__}: {exc}") from exc

    async def _read_body(self, answer: aiohttp.ClientResponse, request: Request) -> bytes:
        maxsize = int(request.meta.get("download_maxsize", self._maxsize))
        warnsize = int(request.meta.get("download_warnsize", self._warnsize))
        announced = answer.content_length
        if maxsize and announced is not None and announced > maxsize:
            answer.close()
            raise _too_large(request, announced, maxsize, announced=True)
        warned = bool(warnsize and announced and announced > warnsize)
        if warned:
            logger.warning(_size_message(request, announced or 0, warnsize, "warn size", True))
        body = bytearray()
        async for chunk in answer.content.iter_any():
            body += chunk
            if maxsize and len(body) > maxsize:
                answer.close()
                raise _too_large(request, len(body), maxsize, announced=False)
            if warnsize and len(body) > warnsize and not warned:
                warned = True
                logger.warning(_size_message(request, len(body), warnsize, "warn size", False))
        return bytes(body)

    @staticmethod
    def _response(request: Request, answer: aiohttp.ClientResponse, body: bytes) -> Response:
        headers = Headers()
        for name, value in answer.raw_headers:
            headers.appendlist(name, value)  # repeated headers (Set-Cookie) kept
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        version = answer.version
        return respcls(
            url=request.url,
            status=answer.status,
            headers=headers,
            body=body,
            protocol=f"HTTP/{version.major}.{version.minor}" if version else None,
            # The site's address is unknown here: only the proxy knows it.
            ip_address=None,
        )


def _size_message(request: Request, size: int, limit: int, which: str, announced: bool) -> str:
    how = "announced" if announced else "received so far"
    return f"{request.url}: {size} bytes {how}, more than the download {which} ({limit} bytes)"


def _too_large(request: Request, size: int, limit: int, *, announced: bool) -> Exception:
    return DownloadCancelledError(
        f"cancelled: {_size_message(request, size, limit, 'max size', announced)}; "
        "raise caps.max_download_bytes for this source to fetch it"
    )
