"""A loopback HTTP server per demo site, which records every request path.

Each site gets its own `ThreadingHTTPServer` on 127.0.0.1 in a daemon thread,
so that the crawler sees separate hosts (ports) with separate robots.txt,
and tests can assert exactly which paths a crawl did and did not request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, runtime_checkable
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Response:
    """What a site answers. An iterable body is streamed and needs `length`."""

    body: bytes | Iterable[bytes] = b""
    status: int = 200
    content_type: str = HTML
    length: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """More header lines, e.g. Set-Cookie or Location."""


NOT_FOUND = Response(b"<!DOCTYPE html><title>404</title><h1>Not found</h1>\n", status=404)


class Site(Protocol):
    """A demo site: answers GET requests for paths; robots.txt is served for it."""

    name: str
    robots_txt: str

    def respond(self, path: str, query: dict[str, list[str]]) -> Response: ...


@dataclass(frozen=True)
class Request:
    """A request as a site with logins sees it: cookies and posted form included."""

    method: str
    path: str
    query: dict[str, list[str]]
    cookies: dict[str, str]
    form: dict[str, list[str]]


@runtime_checkable
class SessionSite(Protocol):
    """A demo site with logins: it answers whole requests, form posts included."""

    name: str
    robots_txt: str

    def handle(self, request: Request) -> Response: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: SiteServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.record(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            response = Response(owner.site.robots_txt.encode(), content_type="text/plain")
        elif isinstance(owner.site, SessionSite):
            response = owner.site.handle(self._request(parts))
        else:
            response = owner.site.respond(unquote(parts.path), parse_qs(parts.query))
        body = response.body
        length = len(body) if isinstance(body, bytes) else response.length
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            if isinstance(body, bytes):
                self.wfile.write(body)
            else:
                for chunk in body:
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a download cap, say): expected, not an error.
            self.close_connection = True

    def do_POST(self) -> None:
        """Forms (a login) are for sites with logins; the others take none."""
        if isinstance(self.server.owner.site, SessionSite):
            self.do_GET()
        else:
            self.send_error(405)

    def _request(self, parts: SplitResult) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        cookies = SimpleCookie(self.headers.get("Cookie", ""))
        return Request(
            method=self.command,
            path=unquote(parts.path),
            query=parse_qs(parts.query),
            cookies={name: morsel.value for name, morsel in cookies.items()},
            form=parse_qs(body),
        )

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request log is `SiteServer.requests()`, not stderr."""


class SiteServer:
    """Serves one site on 127.0.0.1 (port 0 = a free port) until stopped."""

    def __init__(self, site: Site | SessionSite, port: int = 0) -> None:
        self.site = site
        self._port = port
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the {self.site.name} demo site is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll at most
            name=f"demo-{self.site.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def record(self, path: str) -> None:
        with self._lock:
            self._requests.append(path)

    def requests(self) -> list[str]:
        """Request paths (with query string) received so far, in order."""
        with self._lock:
            return list(self._requests)
