"""Misbehaving web sites on 127.0.0.1, for tests of how a crawl survives them.

One `HostileSite` is one host (its own port, so its own robots.txt) serving a
listing page for each misbehaviour named in `HOSTILE`, and endless lists under
`PREFIXES`; a source crawls one misbehaviour through `/only/PATH`, a list page
with that one link. Every request is logged with its time, so tests can assert
what a crawl asked for, and when. Nothing here allocates a big body: huge and
endless bodies are streamed until the client hangs up.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024
GZIP_BOMB_BYTES = 64 * 1024 * 1024
"""What the gzip bomb inflates to (it is about 64 KiB on the wire)."""


def listing_page(title: str, text: str, charset: str = "utf-8") -> bytes:
    """A well-formed listing page in `charset`, its title in an h1."""
    page = (
        f'<!DOCTYPE html><html><body><h1 class="title">{title}</h1><div class="text">{text}</div>'
    )
    return (page + "</body></html>").encode(charset)


def list_page(*paths: str, next_path: str | None = None) -> bytes:
    links = "".join(f'<li><a class="listing" href="{p}">{p}</a></li>' for p in paths)
    more = f'<a rel="next" href="{next_path}">next</a>' if next_path else ""
    return f"<!DOCTYPE html><html><body><ul>{links}</ul>{more}</body></html>".encode()


def _gzip_bomb() -> bytes:
    """GZIP_BOMB_BYTES of spaces, compressed chunk by chunk (never held whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * CHUNK
    parts = [compressor.compress(chunk) for _ in range(GZIP_BOMB_BYTES // CHUNK)]
    return b"".join(parts) + compressor.flush()


GZIP_BOMB = _gzip_bomb()

CAFE = "Café Müller in Zürich, Genève"
"""The readable text of every charset page."""

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
"""Dummy bytes that look like an image, served as text/html."""

MALFORMED = (
    b"<html><head><title>broken<body><h1 class=title>Malformed listing: holster</h2>"
    b"<div class=text>Unclosed <b>bold <i>and <div>nested</span> text & more</p>"
    b'<a href="/x" "broken"=attr>x</a><table><tr><td>cell</div></body>'
)


@dataclass(frozen=True)
class Hit:
    """One request the site received."""

    path: str
    at: float
    """time.monotonic() when it arrived."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileSite


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        site = self.server.owner
        site.record(self.path)
        handler = site.handler_for(self.path)
        handler(self, site)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the site's own log is what tests read."""

    # -- answers ---------------------------------------------------------------

    def send(
        self, body: bytes, status: int = 200, content_type: str = "text/html", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def stream(self, chunks: Iterator[bytes], content_type: str = "text/html") -> None:
        """A body of unannounced length, ended by closing the connection."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:
            pass  # the crawler hung up: what a size cap or timeout does


Handler = Callable[[_Handler, "HostileSite"], None]


def _ok(title: str) -> Handler:
    return lambda h, site: h.send(listing_page(title, f"{title}: a listing as it should be."))


def _status(status: int) -> Handler:
    return lambda h, site: h.send(b"<h1>Server error</h1>", status)


def _fails_first(status: int, title: str, **headers: str) -> Handler:
    """`status` on the first request for the path, a listing page after."""

    def answer(h: _Handler, site: HostileSite) -> None:
        if site.count(h.path) == 1:
            h.send(b"<h1>Try again later</h1>", status, **headers)
        else:
            _ok(title)(h, site)

    return answer


def _reset(h: _Handler, site: HostileSite) -> None:
    """Close the connection with a TCP reset, before any answer."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _hang(h: _Handler, site: HostileSite) -> None:
    """Accept the request and never answer (until the site stops)."""
    site.stopping.wait()
    h.close_connection = True


def _trickle(h: _Handler, site: HostileSite) -> None:
    """Slowloris: a byte every 0.2 s, forever."""

    def drip() -> Iterator[bytes]:
        yield b"<html><body><h1 class=title>slow"
        while not site.stopping.wait(0.2):
            yield b"."

    h.stream(drip())


def _endless(h: _Handler, site: HostileSite) -> None:
    """A page of unlimited size, streamed."""

    def chunks() -> Iterator[bytes]:
        yield b"<html><body><h1 class=title>huge</h1><div class=text>"
        while not site.stopping.is_set():
            yield b"x" * CHUNK

    h.stream(chunks())


def _gzip(h: _Handler, site: HostileSite) -> None:
    h.send(GZIP_BOMB, Content_Encoding="gzip")


def _redirect_loop(h: _Handler, site: HostileSite) -> None:
    other = "/loop/b" if h.path.endswith("/a") else "/loop/a"
    h.send(b"", 302, Location=other)


def _redirect_chain(h: _Handler, site: HostileSite) -> None:
    """/chain/N -> /chain/N+1, without end."""
    step = int(h.path.rsplit("/", 1)[1])
    h.send(b"", 302, Location=f"/chain/{step + 1}")


def _endless_list(h: _Handler, site: HostileSite) -> None:
    """/pages/N: one listing and a next page, without end."""
    page = int(h.path.rsplit("/", 1)[1])
    h.send(list_page(f"/item/{page}", next_path=f"/pages/{page + 1}"))


def _calendar(h: _Handler, site: HostileSite) -> None:
    """/calendar/YYYY/MM: one event listing and next month, without end."""
    year, month = (int(part) for part in h.path.split("/")[2:4])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    h.send(list_page(f"/item/cal-{year}-{month}", next_path=f"/calendar/{year}/{month:02d}"))


def _page(body: bytes, content_type: str) -> Handler:
    """Always `body`, as `content_type`."""
    return lambda h, site: h.send(body, content_type=content_type)


HOSTILE: dict[str, Handler] = {
    "/ok/1": _ok("Healthy listing one"),
    "/ok/2": _ok("Healthy listing two"),
    "/error/500": _status(500),
    "/error/503-once": _fails_first(503, "Back after a 503"),
    "/error/429": _fails_first(429, "Back after a 429", Retry_After="2"),
    "/error/429-for-an-hour": _fails_first(429, "Never seen", Retry_After="3600"),
    "/reset": _reset,
    "/hang": _hang,
    "/trickle": _trickle,
    "/huge": _endless,
    "/gzip-bomb": _gzip,
    "/loop/a": _redirect_loop,
    "/loop/b": _redirect_loop,
    "/chain/0": _redirect_chain,
    # Wrong, missing and mixed character sets: each must read as CAFE.
    "/charset/declared-utf8-sent-cp1252": _page(
        listing_page(CAFE, CAFE, "cp1252"), "text/html; charset=utf-8"
    ),
    "/charset/declared-latin1-sent-utf8": _page(
        listing_page(CAFE, CAFE), "text/html; charset=iso-8859-1"
    ),
    "/charset/missing-cp1252": _page(listing_page(CAFE, CAFE, "cp1252"), "text/html"),
    "/charset/missing-utf8": _page(listing_page(CAFE, CAFE), "text/html"),
    "/charset/mixed": _page(
        listing_page(CAFE, "@").replace(b"@", CAFE.encode("cp1252")),
        "text/html; charset=utf-8",
    ),
    "/binary": _page(BINARY, "text/html"),
    "/malformed": _page(MALFORMED, "text/html"),
}
PREFIXES: dict[str, Handler] = {
    "/chain/": _redirect_chain,
    "/pages/": _endless_list,
    "/calendar/": _calendar,
    "/item/": lambda h, site: _ok(f"Item {h.path.rsplit('/', 1)[1]}")(h, site),
}
ROBOTS = {
    "missing": lambda h, site: h.send(b"<h1>Not found</h1>", 404),
    "allow": lambda h, site: h.send(
        b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    ),
    "error": _status(503),
    "huge": lambda h, site: h.stream(
        iter(lambda: b"User-agent: *\nDisallow: /private/\n" * 1000, b""), "text/plain"
    ),
}


class HostileSite:
    """A host on 127.0.0.1 serving every misbehaviour, with a robots.txt per `robots`
    (a key of ROBOTS)."""

    def __init__(self, robots: str = "allow") -> None:
        self.robots = ROBOTS[robots]
        self.hits: list[Hit] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def record(self, path: str) -> None:
        with self._lock:
            self.hits.append(Hit(path, time.monotonic()))

    def count(self, path: str) -> int:
        with self._lock:
            return sum(hit.path == path for hit in self.hits)

    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]

    def handler_for(self, path: str) -> Handler:
        if path == "/robots.txt":
            return self.robots
        if path.startswith("/only/"):
            target = path.removeprefix("/only")
            return lambda h, site: h.send(list_page(target))
        if path in HOSTILE:
            return HOSTILE[path]
        for prefix, handler in PREFIXES.items():
            if path.startswith(prefix):
                return handler
        return lambda h, site: h.send(b"<h1>Not found</h1>", 404)
