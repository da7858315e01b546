""".onion sources and proxies: a real SOCKS5 server and a real HTTP proxy on
127.0.0.1 carry whole crawls of the demo market. .onion names are resolved by the
proxy only (every name the crawl process looks up is recorded to prove it), never
fetched without a socks5h:// proxy, and each onion source gets SOCKS credentials
of its own (Tor's IsolateSOCKSAuth: a circuit per source)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from armswatch.config import ConfigError, load_config
from armswatch.demo import HUGE_PATH, DemoSites
from armswatch.stores import SearchQuery
from crawlers.settings import crawler_settings
from tests.conftest import DEMO_CONFIG, audit_events, crawl, open_store, run_cli
from tests.fake_cluster import self_signed_certificate
from tests.noida import SlowProxy
from tests.test_crawl_lifecycle import demo_source, last_stats, write_config

LOOKUPS_ENV = "ARMSWATCH_TEST_LOOKUPS"
SITECUSTOMIZE = f'''\
"""tests/test_onion.py: record every host name this process asks the resolver for."""
import os
import socket


def _recording(lookup):
    def recorded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        with open(os.environ["{LOOKUPS_ENV}"], "a", encoding="utf-8") as log:
            log.write(name + "\\n")
        return lookup(host, *args, **kwargs)

    return recorded


for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, _name, _recording(getattr(socket, _name)))
'''


def onion(label: str) -> str:
    """A v3-style onion name: 56 base32 characters."""
    digest = hashlib.shake_256(label.encode()).digest(35)
    return base64.b32encode(digest).decode().lower() + ".onion"


# -- servers on 127.0.0.1 -------------------------------------------------------


@dataclass(frozen=True)
class SocksRequest:
    host: str
    port: int
    username: str | None
    password: str | None


class SocksServer(SlowProxy):
    """A SOCKS5 server (RFC 1928: CONNECT to a domain name; RFC 1929 username and
    password when the client offers them, as Tor prefers) that connects the names in
    `routes` to ports on 127.0.0.1 and records every request. The TCP part (accept
    loop, pipes) is SlowProxy's, without delay."""

    def __init__(self, routes: dict[str, int]) -> None:
        self.routes = routes
        self.requests: list[SocksRequest] = []
        super().__init__(upstream_port=0)

    def _serve(self, client: socket.socket) -> None:
        try:
            username, password = self._authenticate(client)
            version, command, _, address_type = _read(client, 4)
            if version != 5 or command != 1 or address_type != 3:
                client.sendall(_reply(7 if command != 1 else 8))  # unsupported
                raise ConnectionError("only CONNECT to a domain name is served")
            host = _read(client, _read(client, 1)[0]).decode("ascii")
            (port,) = struct.unpack("!H", _read(client, 2))
            self.requests.append(SocksRequest(host, port, username, password))
            if host not in self.routes:
                client.sendall(_reply(4))  # host unreachable, as Tor answers
                raise ConnectionError(f"no route to {host}")
            upstream = socket.create_connection(("127.0.0.1", self.routes[host]))
            client.sendall(_reply(0))
        except (OSError, ValueError):
            client.close()
            return
        threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
        self._pipe(upstream, client, True)

    @staticmethod
    def _authenticate(client: socket.socket) -> tuple[str | None, str | None]:
        version, count = _read(client, 2)
        methods = _read(client, count)
        if version != 5:
            raise ValueError("not SOCKS5")
        if 2 not in methods:
            client.sendall(b"\x05\x00")
            return None, None
        client.sendall(b"\x05\x02")
        _, length = _read(client, 2)
        username = _read(client, length).decode()
        password = _read(client, _read(client, 1)[0]).decode()
        client.sendall(b"\x01\x00")
        return username, password


def _read(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        if not (chunk := client.recv(size - len(data))):
            raise ConnectionError("the client closed the connection")
        data += chunk
    return data


def _reply(code: int) -> bytes:
    return bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Silent: the tests read what the servers record."""


class _Forward(_Quiet):
    """An HTTP proxy (absolute-URI GETs) and a TLS front (relative GETs, to the
    server's upstream port) in one: forwards to 127.0.0.1 only, records each GET."""

    protocol_version = "HTTP/1.1"
    server: Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.seen.append((self.path, self.headers.get("Proxy-Authorization")))
        if parts.hostname not in (None, "127.0.0.1"):
            self.send_error(502, "this test proxy forwards to 127.0.0.1 only")
            return
        upstream = http.client.HTTPConnection("127.0.0.1", parts.port or self.server.upstream)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        upstream.request("GET", path, headers={"User-Agent": self.headers["User-Agent"] or ""})
        answer = upstream.getresponse()
        body = answer.read()
        upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Endless(_Quiet):
    """A page that never ends (no Content-Length, HTTP/1.0: ended by closing)."""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        chunk = b"<p>" + b"endless " * 8192 + b"</p>\n"
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:
            return  # the crawler hung up: what the test expects


class _LinksToOnion(_Quiet):
    """A clear-web page that links to a .onion address, and a redirect to one."""

    server: Server

    def do_GET(self) -> None:
        target = f"http://{self.server.onion}"
        if self.path == "/go":
            self.send_response(302)
            self.send_header("Location", f"{target}/redirected")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path != "/":
            self.send_error(404)
            return
        body = f'<a class="product-link" href="{target}/product/1">on Tor</a>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream: int = 0
    onion: str = ""

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.seen: list[tuple[str, str | None]] = []
        self.port = int(self.server_address[1])
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def tls_context(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (as onion services have)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_certificate(directory))
    return context


# -- crawls -------------------------------------------------------------------


MARKET, TLS_MARKET, ALICE, HUGE, ENDLESS, GONE, UNLISTED = (
    onion(label) for label in ("market", "tls", "alice", "huge", "endless", "gone", "unlisted")
)
"""GONE has no route at the SOCKS server (an onion service that is offline)."""


def lookups_env(directory: Path) -> tuple[dict[str, str], Path]:
    """Environment for a crawl child that records its name lookups, and the record."""
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = directory / "lookups.txt"
    log.touch()
    path = os.pathsep.join(p for p in (str(directory), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, LOOKUPS_ENV: str(log)}, log


def crawl_recording_lookups(
    demo_sites: DemoSites, directory: Path, config: Path, returncode: int = 0
) -> tuple[subprocess.CompletedProcess[str], Path, list[str]]:
    """Crawl every source of `config` into `directory/data` (exiting `returncode`); the
    crawl, its data directory and the host names its process looked up."""
    env, log = lookups_env(directory)
    data_dir = directory / "data"
    result = crawl(demo_sites, data_dir, config=config, env=env)
    assert result.returncode == returncode, result.stdout + result.stderr
    return result, data_dir, log.read_text().splitlines()


@dataclass
class OnionCrawl:
    sites: DemoSites
    data_dir: Path
    socks: SocksServer
    tls_front: Server
    lookups: list[str]
    stdout: str


@pytest.fixture(scope="module")
def onion_crawl(
    demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OnionCrawl]:
    """One crawl of three onion sources through the SOCKS server: the whole demo
    market (plus a huge page, an endless one and an offline service), a few pages of
    it over https, and a few with the proxy URL's own credentials (and the proxy
    named 'localhost')."""
    directory = tmp_path_factory.mktemp("onion")
    market_port = urlsplit(demo_sites.urls["market"]).port
    assert market_port is not None
    tls_front = Server(_Forward, tls=tls_context(directory))
    tls_front.upstream = market_port
    endless = Server(_Endless)
    routes = {MARKET: market_port, ALICE: market_port, TLS_MARKET: tls_front.port}
    routes |= {HUGE: urlsplit(demo_sites.urls["classifieds"]).port or 0, ENDLESS: endless.port}
    socks = SocksServer(routes)
    proxy = f"socks5h://127.0.0.1:{socks.port}"
    sources = [
        demo_source(
            "demo-market",
            name="onion-market",
            start_urls=[
                f"http://{MARKET}/",
                f"http://{HUGE}{HUGE_PATH}",
                f"http://{ENDLESS}/",
                f"http://{GONE}/",
            ],
            allowed_domains=[MARKET, HUGE, ENDLESS, GONE],
            proxy=proxy,
            caps={"max_download_bytes": 1024 * 1024},
        ),
        demo_source(
            "demo-market",
            name="onion-tls",
            start_urls=[f"https://{TLS_MARKET}/"],
            allowed_domains=[TLS_MARKET],
            proxy=proxy,
            caps={"max_pages": 8},
        ),
        demo_source(
            "demo-market",
            name="onion-alice",
            start_urls=[f"http://{ALICE}/"],
            allowed_domains=[ALICE],
            proxy=f"socks5h://alice:s%40cret@localhost:{socks.port}",
            caps={"max_pages": 3},
        ),
    ]
    config = write_config(directory, *sources)
    try:
        result, data_dir, lookups = crawl_recording_lookups(demo_sites, directory, config)
        yield OnionCrawl(demo_sites, data_dir, socks, tls_front, lookups, result.stdout)
    finally:
        for server in (tls_front, endless):
            server.close()
        socks.close()


def stored(data_dir: Path, source: str) -> dict[str, Any]:
    found = open_store(data_dir).search(SearchQuery(sources=(source,), limit=10_000))
    return {listing.url: listing for listing in found.listings}


def test_onion_source_crawls_the_whole_market_through_socks(onion_crawl: OnionCrawl) -> None:
    listings = stored(onion_crawl.data_dir, "onion-market")
    expected = {f"http://{MARKET}{r['path']}": r for r in onion_crawl.sites.expected("market")}
    assert set(listings) == set(expected)
    for url, record in expected.items():
        assert listings[url].title == record["title"]
        assert listings[url].seller == record["seller"]
    asked = {(r.host, r.port) for r in onion_crawl.socks.requests}
    assert {(MARKET, 80), (HUGE, 80), (ENDLESS, 80), (TLS_MARKET, 443)} <= asked
    started = audit_events(onion_crawl.data_dir, "onion-market")[0]
    assert started["proxy"] == f"socks5h://127.0.0.1:{onion_crawl.socks.port}"


def test_no_onion_name_reaches_the_local_resolver(onion_crawl: OnionCrawl) -> None:
    # The instrumentation works: the proxy of onion-alice is named 'localhost',
    # which this host resolves (a proxy's own name is not secret).
    assert "localhost" in onion_crawl.lookups
    assert not [name for name in onion_crawl.lookups if ".onion" in name.lower()]


def test_https_through_the_socks_tunnel(onion_crawl: OnionCrawl) -> None:
    fetched = [
        e for e in audit_events(onion_crawl.data_dir, "onion-tls") if e["event"] == "fetched"
    ]
    assert fetched and all(e["url"].startswith(f"https://{TLS_MARKET}/") for e in fetched)
    assert {e["status"] for e in fetched} == {200}
    assert "/" in [path for path, _ in onion_crawl.tls_front.seen]  # TLS ended at the front
    assert stored(onion_crawl.data_dir, "onion-tls")


def test_each_onion_source_has_its_own_socks_credentials(onion_crawl: OnionCrawl) -> None:
    by_host: dict[str, set[tuple[str | None, str | None]]] = {}
    for request in onion_crawl.socks.requests:
        by_host.setdefault(request.host, set()).add((request.username, request.password))
    market = by_host[MARKET] | by_host[HUGE] | by_host[ENDLESS]
    assert len(market) == 1 and len(by_host[TLS_MARKET]) == 1  # one circuit per source
    (market_user, market_password), (tls_user, tls_password) = (*market, *by_host[TLS_MARKET])
    assert (market_user, tls_user) == ("armswatch-onion-market", "armswatch-onion-tls")
    assert market_password and tls_password and market_password != tls_password
    assert by_host[ALICE] == {("alice", "s@cret")}  # the proxy URL's own credentials


def test_size_cap_holds_through_the_socks_tunnel(onion_crawl: OnionCrawl) -> None:
    failed = {
        urlsplit(e["url"]).hostname: e["reason"]
        for e in audit_events(onion_crawl.data_dir, "onion-market")
        if e["event"] == "fetch_failed"
    }
    assert set(failed) == {HUGE, ENDLESS, GONE}
    assert "max size" in failed[HUGE] and "announced" in failed[HUGE]  # never read
    assert "max size" in failed[ENDLESS] and "received" in failed[ENDLESS]  # stopped reading
    stats = last_stats(onion_crawl.data_dir, "onion-market")
    assert stats["armswatch/fetch_failed"] == 3
    assert "retry/reason_count/scrapy.exceptions.DownloadCancelledError" not in stats


def test_socks_errors_are_retried_with_tor_defaults(onion_crawl: OnionCrawl) -> None:
    (reason,) = [
        e["reason"]
        for e in audit_events(onion_crawl.data_dir, "onion-market")
        if e["event"] == "fetch_failed" and GONE in e["url"]
    ]
    assert "could not reach" in reason and "Host unreachable" in reason
    stats = last_stats(onion_crawl.data_dir, "onion-market")
    assert stats["retry/reason_count/scrapy.exceptions.DownloadFailedError"] >= 5
    # robots.txt, then the page: each tried once and retried crawl.tor.retries (5) times
    assert [r.host for r in onion_crawl.socks.requests].count(GONE) == 2 * (1 + 5)


def test_http_proxy_source(demo_sites: DemoSites, tmp_path: Path) -> None:
    proxy = Server(_Forward)
    try:
        source = demo_source(
            "demo-market",
            name="proxied-market",
            start_urls=[f"{demo_sites.urls['market']}/"],
            proxy=f"http://agent:pa%3Ass@127.0.0.1:{proxy.port}",
        )
        result = crawl(demo_sites, tmp_path / "data", config=write_config(tmp_path, source))
    finally:
        proxy.close()
    assert result.returncode == 0, result.stdout + result.stderr
    expected = {demo_sites.urls["market"] + r["path"] for r in demo_sites.expected("market")}
    assert set(stored(tmp_path / "data", "proxied-market")) == expected
    through_proxy = {url for url, _ in proxy.seen}
    assert expected | {f"{demo_sites.urls['market']}/robots.txt"} <= through_proxy
    credentials = base64.b64encode(b"agent:pa:ss").decode()
    assert {auth for _, auth in proxy.seen} == {f"Basic {credentials}"}


def test_links_and_redirects_to_onion_refused_on_clear_web(
    demo_sites: DemoSites, tmp_path: Path
) -> None:
    site = Server(_LinksToOnion)
    site.onion = UNLISTED
    source = demo_source(
        "demo-market",
        name="clear-web",
        start_urls=[f"http://127.0.0.1:{site.port}/", f"http://127.0.0.1:{site.port}/go"],
    )
    env, log = lookups_env(tmp_path)
    try:
        result = crawl(
            demo_sites, tmp_path / "data", config=write_config(tmp_path, source), env=env
        )
    finally:
        site.close()
    assert result.returncode == 0, result.stdout + result.stderr
    refused = [e for e in audit_events(tmp_path / "data", "clear-web") if e["event"] == "refused"]
    onion_refusals = [e for e in refused if UNLISTED in e["url"]]
    assert sorted(urlsplit(e["url"]).path for e in onion_refusals) == ["/product/1", "/redirected"]
    assert all("socks5h://" in e["reason"] for e in onion_refusals)
    stats = last_stats(tmp_path / "data", "clear-web")
    assert stats["armswatch/onion_refused"] == 2
    assert stats["armswatch/refused"] >= 2
    assert not [name for name in log.read_text().splitlines() if ".onion" in name]


# -- configuration --------------------------------------------------------------


def onion_source_config(tmp_path: Path, **proxies: str | None) -> Path:
    """A config whose sources (one per keyword: name=proxy) crawl a .onion market."""
    config: Path | None = None
    for name, proxy in proxies.items():
        changes: dict[str, Any] = {"name": name, "start_urls": [f"http://{MARKET}/"]}
        changes["allowed_domains"] = [MARKET]
        if proxy is not None:
            changes["proxy"] = proxy
        source = demo_source("demo-market", **changes)
        if config is None:
            config = write_config(tmp_path, source)
        else:
            (config / "sources" / f"{name}.yaml").write_text(yaml.safe_dump(source))
    assert config is not None
    return config


def test_onion_source_without_socks5h_is_refused(tmp_path: Path) -> None:
    config = onion_source_config(
        tmp_path, **{"no-proxy": None, "local-dns": "socks5://127.0.0.1:9050"}
    )
    check = run_cli("--config", config, "config", "check")
    assert check.returncode == 2, check.stdout + check.stderr
    problems = " ".join(check.stderr.split())
    assert "no-proxy.yaml: proxy: a 'socks5h://HOST:PORT' proxy" in problems
    assert MARKET in problems and "never asks the local resolver" in problems
    assert "local-dns.yaml: proxy: 'socks5h://', not 'socks5://'" in problems
    assert "resolve host names itself" in problems
    crawled = run_cli("--config", config, "--data-dir", tmp_path / "data", "crawl", "no-proxy")
    assert crawled.returncode == 2 and "socks5h://" in crawled.stderr
    assert not (tmp_path / "data" / "audit").exists()


@pytest.mark.parametrize(
    ("proxy", "fragment"),
    [
        ("http://127.0.0.1:3128", "'socks5h://HOST:PORT' proxy"),  # names leave Tor
        ("ftp://127.0.0.1:21", "starting socks5h://, http:// or https://"),
        ("socks5h://127.0.0.1", "with host and port"),
        ("socks5h://127.0.0.1:9050/tor", "without path"),
        ("socks5h://solo@127.0.0.1:9050", "both user and password"),
    ],
)
def test_bad_proxy_is_explained(tmp_path: Path, proxy: str, fragment: str) -> None:
    config = onion_source_config(tmp_path, market=proxy)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert [str(p) for p in caught.value.problems if fragment in str(p)], caught.value


def test_tor_defaults_and_what_wins_over_them(tmp_path: Path) -> None:
    config = load_config(onion_source_config(tmp_path, market="socks5h://127.0.0.1:9050"))
    source = config.sources["market"]
    settings = crawler_settings(config, source)
    tor = config.settings.crawl.tor
    assert (tor.timeout, tor.concurrency_per_domain, tor.retries) == (90, 1, 5)
    assert settings["DOWNLOAD_TIMEOUT"] == 90
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["RETRY_TIMES"] == 5
    own = source.model_copy(
        update={
            "caps": source.caps.model_copy(update={"timeout": 200.0}),
            "rate_limit": source.rate_limit.model_copy(update={"concurrency_per_domain": 2}),
        }
    )
    settings = crawler_settings(config, own)
    assert (settings["DOWNLOAD_TIMEOUT"], settings["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (200, 2)
    demo = load_config(DEMO_CONFIG)  # a clear-web source keeps the crawl defaults
    assert crawler_settings(demo, demo.sources["demo-market"])["DOWNLOAD_TIMEOUT"] == 10
