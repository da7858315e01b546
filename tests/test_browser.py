"""Browser rendering: real Chromium crawls the JavaScript demo market (jsmarket) on
127.0.0.1, whose listings exist only after scripts run and partly only after "Load
more" clicks or scrolls. One crawl runs six sources side by side: the browser
source, its infinite-scroll twin, the same site over HTTP (which finds nothing and
says why), `render: auto` on the JavaScript market and on the plain market, and the
browser source as an onion service through a real SOCKS5 server. Screenshots are
kept as evidence."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from armswatch.config import ConfigError, load_config
from armswatch.demo import PRIVATE_PREFIX, DemoSites
from armswatch.demo.jsmarket import PER_BATCH, JsMarket
from armswatch.demo.server import SiteServer
from armswatch.evidence import RENDERED_NOTE
from armswatch.stores import SearchQuery
from tests.conftest import audit_events, crawl, open_store, run_cli
from tests.test_crawl_lifecycle import demo_source, last_stats, write_config
from tests.test_onion import SocksServer, crawl_recording_lookups, onion

JS_ONION, GONE = onion("jsmarket"), onion("gone")
"""GONE has no route at the SOCKS server: an onion service that is offline."""
PAGES_PER_CONTEXT = 7
ONION_PAGES = 10


def events(data_dir: Path, source: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in audit_events(data_dir, source) if e["event"] == kind]


def source_without_browser(file_name: str, **changes: Any) -> dict[str, Any]:
    source = demo_source(file_name, **changes)
    source.pop("browser", None)
    return source


@dataclass
class BrowserCrawl:
    sites: DemoSites
    data_dir: Path
    socks: SocksServer
    onion_site: SiteServer
    lookups: list[str]
    stdout: str

    def stored(self, source: str) -> dict[str, Any]:
        found = open_store(self.data_dir).search(SearchQuery(sources=(source,), limit=10_000))
        return {listing.url: listing for listing in found.listings}

    def expected(self, site: str, base: str | None = None) -> dict[str, dict[str, Any]]:
        base = base or self.sites.urls[site]
        return {base + record["path"]: record for record in self.sites.expected(site)}

    def stats(self, source: str) -> dict[str, Any]:
        return last_stats(self.data_dir, source)


@pytest.fixture(scope="module")
def browser_crawl(
    demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserCrawl]:
    directory = tmp_path_factory.mktemp("browser")
    # The onion service: a jsmarket of its own, reached only through the SOCKS server.
    onion_site = SiteServer(JsMarket(lambda: demo_sites.catalog.records("market", 1)))
    onion_site.start()
    onion_port = urlsplit(onion_site.url).port
    assert onion_port is not None
    socks = SocksServer({JS_ONION: onion_port})
    browser = demo_source("demo-jsmarket")["browser"]
    sources = [
        demo_source("demo-jsmarket", browser={**browser, "pages_per_context": PAGES_PER_CONTEXT}),
        source_without_browser("demo-jsmarket", name="jsmarket-http", render="http"),
        demo_source("demo-jsmarket", name="jsmarket-auto", render="auto"),
        demo_source(
            "demo-jsmarket",
            name="jsmarket-scroll",
            start_urls=[demo_sites.urls["jsmarket"] + "/scroll"],
            browser={"wait_for": browser["wait_for"], "scrolls": 20, "timeout": 15},
        ),
        demo_source("demo-market", name="market-auto", render="auto"),
        demo_source(
            "demo-jsmarket",
            name="onion-jsmarket",
            start_urls=[f"http://{JS_ONION}/", f"http://{GONE}/"],
            allowed_domains=[JS_ONION, GONE],
            proxy=f"socks5h://127.0.0.1:{socks.port}",
            caps={"max_pages": ONION_PAGES},
        ),
    ]
    config = write_config(directory, *sources)
    try:
        # Exit 1: jsmarket-http finds no listing (its selectors match nothing), as meant.
        result, data_dir, lookups = crawl_recording_lookups(demo_sites, directory, config, 1)
        yield BrowserCrawl(demo_sites, data_dir, socks, onion_site, lookups, result.stdout)
    finally:
        socks.close()
        onion_site.stop()


# -- what the browser finds -------------------------------------------------------


def test_browser_source_finds_every_listing_behind_load_more(browser_crawl: BrowserCrawl) -> None:
    stored = browser_crawl.stored("demo-jsmarket")
    expected = browser_crawl.expected("jsmarket")
    assert set(stored) == set(expected)
    assert len(expected) > 4 * PER_BATCH  # most only appear after "Load more"
    for url, record in expected.items():
        listing = stored[url]
        assert listing.title == record["title"], url
        assert listing.seller == record["seller"], url
        assert listing.price == pytest.approx(record["price"]), url
        assert listing.currency == "BTC", url
        assert listing.posted_at and listing.posted_at.startswith(record["posted_at"][:16])
        assert " ".join(listing.text.split()) == " ".join(record["text"].split()), url
        assert [a.name for a in listing.attachments] == [a["name"] for a in record["attachments"]]
    requested = browser_crawl.sites.requests("jsmarket")
    batches = [path for path in requested if path.startswith("/api/products?page=")]
    assert len(batches) >= len(expected) // PER_BATCH  # the browser loaded them all
    stats = browser_crawl.stats("demo-jsmarket")
    listed = len(expected) + 1  # the private product is listed too
    assert stats["armswatch/browser_clicks"] == -(-listed // PER_BATCH) - 1
    assert stats["armswatch/browser_pages"] == stats["response_received_count"] - 1  # robots.txt
    # robots.txt still decides which pages are requested: the private product is
    # listed by the script, and refused.
    assert not [path for path in requested if path.startswith(PRIVATE_PREFIX)]
    refused = events(browser_crawl.data_dir, "demo-jsmarket", "refused")
    assert [urlsplit(e["url"]).path.startswith(PRIVATE_PREFIX) for e in refused] == [True]


def test_scrolling_loads_an_infinite_list(browser_crawl: BrowserCrawl) -> None:
    expected = browser_crawl.expected("jsmarket")
    assert set(browser_crawl.stored("jsmarket-scroll")) == set(expected)
    stats = browser_crawl.stats("jsmarket-scroll")
    batches = -(-(len(expected) + 1) // PER_BATCH)  # the private product is listed too
    assert stats["armswatch/browser_scrolls"] == batches - 1
    assert "armswatch/browser_clicks" not in stats


def test_http_source_finds_none_and_says_why(browser_crawl: BrowserCrawl) -> None:
    assert browser_crawl.stored("jsmarket-http") == {}
    advice = "the site may need render: browser"
    note = f"0 listings: the list pages have no links matching listings.links; {advice}"
    stats = browser_crawl.stats("jsmarket-http")
    assert stats["armswatch/note"].startswith(note)
    assert stats["armswatch/list_pages_without_links"] == 1
    assert "armswatch/browser_pages" not in stats
    summary = " ".join(browser_crawl.stdout.split())
    assert f"jsmarket-http: {note}" in summary
    assert "jsmarket-http │ selectors match nothing" in summary
    run = open_store(browser_crawl.data_dir).last_runs()["jsmarket-http"]
    assert run.stats["armswatch/note"].startswith(note)


def test_auto_renders_only_pages_whose_selectors_find_nothing(
    browser_crawl: BrowserCrawl,
) -> None:
    js = browser_crawl.expected("jsmarket")
    assert set(browser_crawl.stored("jsmarket-auto")) == set(js)
    stats = browser_crawl.stats("jsmarket-auto")
    # Every page needed the browser: the list page and each product page.
    assert stats["armswatch/browser_fallbacks"] == 1 + len(js)
    assert stats["armswatch/browser_pages"] == 1 + len(js)

    plain = browser_crawl.stored("market-auto")
    assert set(plain) == set(browser_crawl.expected("market"))
    stats = browser_crawl.stats("market-auto")
    assert "armswatch/browser_fallbacks" not in stats  # served HTML had it all
    assert "armswatch/browser_pages" not in stats
    assert "playwright/context_count" not in stats  # not even a browser context


def test_browser_contexts_are_rotated_and_pages_closed(browser_crawl: BrowserCrawl) -> None:
    stats = browser_crawl.stats("demo-jsmarket")
    pages = stats["armswatch/browser_pages"]
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == pages
    assert stats["playwright/context_count"] == -(-pages // PAGES_PER_CONTEXT)
    assert stats["armswatch/browser_contexts_closed"] == pages // PAGES_PER_CONTEXT
    concurrency = 8  # config/demo: crawl.concurrency_per_domain
    assert (
        stats["playwright/context_count/max_concurrent"] <= -(-concurrency // PAGES_PER_CONTEXT) + 1
    )


# -- evidence ---------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking its signature and CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(data[12:29]) == crc
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots_are_real_pngs_listed_in_the_manifest(
    browser_crawl: BrowserCrawl, tmp_path: Path
) -> None:
    data_dir = browser_crawl.data_dir
    stored = browser_crawl.stored("demo-jsmarket")
    for listing in stored.values():
        manifest = json.loads(
            (data_dir / "evidence" / "listings" / listing.id / "manifest.json").read_text()
        )
        shots = [e for e in manifest["files"] if e["kind"] == "screenshot"]
        assert len(shots) == 1, listing.url
        shot = shots[0]
        data = (data_dir / shot["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == shot["sha256"]
        assert len(data) == shot["size"]
        assert shot["raw_sha256"] == listing.raw_sha256 and shot["url"] == listing.url
        assert shot["captured_at"] and shot["crawler_version"]
        width, height = png_size(data)
        assert width == 1280 and height >= 720  # the viewport, the whole page
        with Image.open(data_dir / shot["path"]) as image:
            assert image.size == (width, height)
            colours = image.convert("L").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 2  # text was drawn, not a blank page
    # The HTTP source's pages were not rendered: no screenshot anywhere in its evidence.
    market = browser_crawl.stored("market-auto")
    some = next(iter(market.values()))
    manifest = (data_dir / "evidence" / "listings" / some.id / "manifest.json").read_text()
    assert '"screenshot"' not in manifest

    flagged = next(listing for listing in stored.values() if listing.labels)
    out = tmp_path / "bundle"
    result = run_cli("--data-dir", data_dir, "evidence", flagged.id, "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {e["kind"] for e in json.loads((out / "manifest.json").read_text())["files"]}
    assert kinds == {"raw_page", "warc", "screenshot"}
    assert list(out.glob("evidence/screenshots/*/*.png"))
    warc = next(out.glob("evidence/warc/*/*.warc.gz")).read_bytes()
    assert " ".join(RENDERED_NOTE.split()[:6]).encode() in zlib.decompress(warc, 31)


# -- through a SOCKS proxy (Tor) ---------------------------------------------------


def test_onion_browser_source_goes_through_its_socks_proxy(browser_crawl: BrowserCrawl) -> None:
    stored = browser_crawl.stored("onion-jsmarket")
    expected = browser_crawl.expected("jsmarket", base=f"http://{JS_ONION}")
    assert stored and set(stored) <= set(expected)
    for url, listing in stored.items():
        assert listing.title == expected[url]["title"]
    # Only the SOCKS server knows where the onion name leads: whatever the service got,
    # the pages and their own requests ("Load more"), came through it...
    served = browser_crawl.onion_site.requests()
    assert {"/", "/robots.txt", "/api/products?page=2"} <= set(served)
    assert {urlsplit(url).path for url in stored} <= set(served)
    # ... with the source's own credentials, as its HTTP requests (one circuit per source)
    asked = [r for r in browser_crawl.socks.requests if r.host == JS_ONION]
    assert {r.username for r in asked} == {"armswatch-onion-jsmarket"}
    assert len({r.password for r in asked}) == 1
    assert not [name for name in browser_crawl.lookups if ".onion" in name.lower()]
    stats = browser_crawl.stats("onion-jsmarket")
    assert stats["armswatch/browser_pages"] >= 2


def test_onion_browser_failures_are_retried_and_reported(browser_crawl: BrowserCrawl) -> None:
    (failed,) = [
        e
        for e in events(browser_crawl.data_dir, "onion-jsmarket", "fetch_failed")
        if e["url"] == f"http://{GONE}/"
    ]
    assert "the browser could not load the page" in failed["reason"]
    assert "ERR_" in failed["reason"]  # Chromium's own words for the refused connection
    assert "could not connect to" in failed["reason"]  # and the proxy's, through the relay
    assert "Host unreachable" in failed["reason"]
    stats = browser_crawl.stats("onion-jsmarket")
    assert stats["retry/reason_count/scrapy.exceptions.DownloadFailedError"] >= 5  # Tor: 5
    # The SOCKS server was asked for it, with the source's credentials, every time.
    tries = [r for r in browser_crawl.socks.requests if r.host == GONE]
    assert len(tries) >= 2 * (1 + 5)  # robots.txt and the page, each tried 6 times
    assert {r.username for r in tries} == {"armswatch-onion-jsmarket"}


# -- configuration and set-up -----------------------------------------------------


@pytest.mark.parametrize(
    ("browser", "field", "fragment"),
    [
        ({"click": "button[["}, "browser.click", "a valid CSS selector"),
        ({"wait_for": "a.item::attr(href)"}, "browser.wait_for", "without '::text'"),
        ({"wait_for": " "}, "browser.wait_for", "not empty"),
        ({"scrolls": -1}, "browser.scrolls", "greater than or equal to 0"),
        ({"max_clicks": -2}, "browser.max_clicks", "greater than or equal to 0"),
        ({"timeout": -5}, "browser.timeout", "greater than 0"),
        ({"pages_per_context": 0}, "browser.pages_per_context", "greater than 0"),
        ({"wait_until": "idle"}, "browser.wait_until", "'networkidle'"),
        ({"clicks": 3}, "browser.clicks", "unknown option"),
    ],
)
def test_bad_browser_options_are_explained(
    tmp_path: Path, browser: dict[str, Any], field: str, fragment: str
) -> None:
    source = demo_source("demo-jsmarket", browser=browser)
    config = write_config(tmp_path, source)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    path = config / "sources" / "demo-jsmarket.yaml"
    problems = [str(p) for p in caught.value.problems]
    assert any(f"{path}: {field}:" in p and fragment in p for p in problems), problems


def test_browser_options_need_a_browser_source(tmp_path: Path) -> None:
    config = write_config(tmp_path, demo_source("demo-jsmarket", render="http"))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "apply to 'render: browser' or 'render: auto'" in str(caught.value)
    good = load_config(write_config(tmp_path / "ok", demo_source("demo-jsmarket")))
    options = good.sources["demo-jsmarket"].browser
    assert (options.click, options.max_clicks, options.pages_per_context) == (
        "button.load-more",
        20,
        100,
    )


def test_missing_chromium_is_explained(demo_sites: DemoSites, tmp_path: Path) -> None:
    config = write_config(tmp_path, demo_source("demo-jsmarket"))
    missing = tmp_path / "no-chromium"
    result = crawl(
        demo_sites, tmp_path / "data", config=config, env={"ARMSWATCH_CHROMIUM": str(missing)}
    )
    assert result.returncode == 1
    assert "unreachable" in result.stdout
    failed = events(tmp_path / "data", "demo-jsmarket", "fetch_failed")
    assert failed and all(f"needs Chromium at {missing}" in e["reason"] for e in failed)
    assert all("./install.sh" in e["reason"] for e in failed)
