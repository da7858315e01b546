"""Hostile and broken sites, each crawled by a source of its own in one real
`armswatch crawl` beside a healthy source: the crawl finishes, the run history
and the audit trail say what happened, and the healthy source is unaffected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from armswatch.listing import listing_id
from armswatch.stores import CrawlRun
from crawlers.downloadermiddlewares.retryafter import retry_after_seconds
from tests.conftest import audit_events, open_store, run_cli
from tests.hostile_server import CAFE, HostileSite
from tests.test_crawl_lifecycle import write_config

MAX_BYTES = 1024 * 1024
MAX_PAGES = 12
MAX_DEPTH = 4
TIMEOUT = 2.0

SOURCES = {
    # source name: the path its list page links to
    "healthy": "/ok/1",
    "error-500": "/error/500",
    "error-503": "/error/503-once",
    "too-many": "/error/429",
    "too-long": "/error/429-for-an-hour",
    "reset": "/reset",
    "hang": "/hang",
    "trickle": "/trickle",
    "huge": "/huge",
    "gzip-bomb": "/gzip-bomb",
    "redirect-loop": "/loop/a",
    "redirect-chain": "/chain/0",
    "cs-wrong-utf8": "/charset/declared-utf8-sent-cp1252",
    "cs-wrong-latin1": "/charset/declared-latin1-sent-utf8",
    "cs-missing-cp1252": "/charset/missing-cp1252",
    "cs-missing-utf8": "/charset/missing-utf8",
    "cs-mixed": "/charset/mixed",
    "binary": "/binary",
    "malformed": "/malformed",
}
SHORT_TIMEOUT = ("hang", "trickle")
"""Sources that must hit the timeout; the others get a long one, so that a busy
machine never times them out instead."""
TRAPS = {"pages": "/pages/0", "calendar": "/calendar/2026/01"}
"""Sources whose start page is itself an endless list."""
ROBOTS = ("missing", "error", "huge")
"""Sources on hosts of their own, with a robots.txt that is missing, a 5xx or huge."""


def source(name: str, start_url: str, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "classifieds",
        "start_urls": [start_url],
        "allowed_domains": ["127.0.0.1"],
        "listings": {"links": "a.listing::attr(href)", "next_page": "a[rel=next]::attr(href)"},
        "fields": {"title": "h1.title::text", "text": "div.text"},
        **more,
    }


@dataclass
class Crawled:
    site: HostileSite
    robots_sites: dict[str, HostileSite]
    data_dir: Path
    returncode: int
    output: str
    runs: dict[str, CrawlRun]

    def events(self, source: str, event: str | None = None) -> list[dict[str, Any]]:
        return [e for e in audit_events(self.data_dir, source) if event in (None, e["event"])]

    def title(self, source: str, path: str) -> str | None:
        store = open_store(self.data_dir)
        listing = store.get(listing_id(source, self.site.url + path))
        store.close()
        return listing.title if listing else None


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("hostile")
    with (
        HostileSite() as site,
        HostileSite("missing") as no_robots,
        HostileSite("error") as robots_error,
        HostileSite("huge") as robots_huge,
    ):
        robots_sites = {"missing": no_robots, "error": robots_error, "huge": robots_huge}
        sources = [
            source(name, f"{site.url}/only{path}", caps={"timeout": 30})
            for name, path in SOURCES.items()
            if name not in SHORT_TIMEOUT
        ]
        sources += [
            source(name, f"{site.url}/only{SOURCES[name]}", caps={"timeout": TIMEOUT})
            for name in SHORT_TIMEOUT
        ]
        sources += [
            source("pages", site.url + TRAPS["pages"], caps={"max_pages": MAX_PAGES}),
            source("calendar", site.url + TRAPS["calendar"], caps={"max_depth": MAX_DEPTH}),
        ]
        sources += [
            source(f"robots-{kind}", f"{robots_sites[kind].url}/only/ok/2", caps={"timeout": 30})
            for kind in ROBOTS
        ]
        config = write_config(
            tmp,
            *sources,
            retries=1,
            max_download_bytes=MAX_BYTES,
            concurrency_per_domain=2,
        )
        data_dir = tmp / "data"
        result = run_cli("--config", config, "--data-dir", data_dir, "crawl", timeout=240)
        store = open_store(data_dir)
        runs = store.last_runs()
        store.close()
        yield Crawled(
            site, robots_sites, data_dir, result.returncode, result.stdout + result.stderr, runs
        )


def test_the_crawl_finishes_and_the_healthy_sources_are_unaffected(crawled: Crawled) -> None:
    assert crawled.returncode == 1, crawled.output  # incomplete: two robots.txt unavailable
    assert set(crawled.runs) == {*SOURCES, *TRAPS, *(f"robots-{kind}" for kind in ROBOTS)}
    for name in ("healthy", "robots-missing"):
        assert crawled.runs[name].status == "finished"
        assert crawled.runs[name].stats["armswatch/listings_new"] == 1
        assert not crawled.events(name, "fetch_failed") and not crawled.events(name, "refused")
    assert crawled.title("healthy", "/ok/1") == "Healthy listing one"
    for name in SOURCES:
        assert crawled.events(name)[-1]["event"] == "crawl_finished", name


def failures(crawled: Crawled, source: str) -> list[str]:
    """The reasons of the source's failed fetches, in the audit trail."""
    return [e["reason"] for e in crawled.events(source, "fetch_failed")]


def test_server_errors_are_retried_then_recorded(crawled: Crawled) -> None:
    assert crawled.site.count("/error/500") == 2  # once, and one retry (retries: 1)
    assert failures(crawled, "error-500") == ["HTTP 500 (HttpError: Ignoring non-200 response)"]
    stats = crawled.runs["error-500"].stats
    assert stats["armswatch/fetch_failed"] == 1 and "armswatch/refused" not in stats
    assert stats["retry/reason_count/500 Internal Server Error"] == 1
    # A 503 that passes: retried, stored, and the retry is in the run history.
    assert crawled.title("error-503", "/error/503-once") == "Back after a 503"
    assert crawled.runs["error-503"].stats["retry/reason_count/503 Service Unavailable"] == 1


def test_429_retry_after_is_honoured_and_recorded(crawled: Crawled) -> None:
    hits = [hit.at for hit in crawled.site.hits if hit.path == "/error/429"]
    assert len(hits) == 2
    assert hits[1] - hits[0] >= 2.0  # Retry-After: 2 (RetryMiddleware alone asks at once)
    assert crawled.title("too-many", "/error/429") == "Back after a 429"
    stats = crawled.runs["too-many"].stats
    assert stats["armswatch/retry_after_waits"] == 1
    assert stats["armswatch/retry_after_seconds"] == 2.0
    assert stats["retry/reason_count/429 Unknown Status"] == 1


def test_retry_after_longer_than_armswatch_waits_is_a_failure(crawled: Crawled) -> None:
    assert crawled.site.count("/error/429-for-an-hour") == 1  # not retried
    assert failures(crawled, "too-long") == ["HTTP 429 (HttpError: Ignoring non-200 response)"]
    stats = crawled.runs["too-long"].stats
    assert stats["armswatch/retry_after_too_long"] == 1
    assert "armswatch/retry_after_waits" not in stats


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Mon, 07 Dec 2026 12:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Mon, 07 Dec 2026 11:00:00 GMT", now) == 0.0  # past: now
    assert retry_after_seconds("soon", now) is None


def test_connection_resets_and_timeouts_fail_after_retries(crawled: Crawled) -> None:
    assert crawled.site.count("/reset") >= 2  # Twisted itself may try a reset request twice
    assert ["ConnectionLost" in reason for reason in failures(crawled, "reset")] == [True]
    for name, path in (("hang", "/hang"), ("trickle", "/trickle")):
        assert crawled.site.count(path) == 2
        [reason] = failures(crawled, name)
        assert reason.startswith("DownloadTimeoutError") and f"longer than {TIMEOUT}" in reason
        assert crawled.runs[name].stats["retry/reason_count/scrapy.exceptions.DownloadTimeoutError"]


def test_redirect_loops_and_endless_chains_are_recorded(crawled: Crawled) -> None:
    [loop] = failures(crawled, "redirect-loop")
    assert loop.startswith("RedirectLoop: redirect loop:")
    assert loop.endswith(
        "/loop/a -> " + crawled.site.url + "/loop/b -> " + crawled.site.url + "/loop/a"
    )
    assert crawled.site.count("/loop/a") == 1 and crawled.site.count("/loop/b") == 1
    [chain] = failures(crawled, "redirect-chain")
    assert "max redirections" in chain
    assert crawled.site.count("/chain/21") == 0  # REDIRECT_MAX_TIMES: 20


def test_endless_lists_stop_at_the_caps(crawled: Crawled) -> None:
    pages = crawled.runs["pages"]
    assert pages.status == "closespider_pagecount"
    assert pages.stats["response_received_count"] <= MAX_PAGES + 2  # plus requests in flight
    assert "stopped at page cap" in crawled.output
    calendar = crawled.runs["calendar"]
    assert calendar.status == "finished"
    assert calendar.stats["request_depth_max"] == MAX_DEPTH
    assert calendar.stats["depth/request_ignored_count"] >= 1
    months = [p for p in crawled.site.paths() if p.startswith("/calendar/")]
    assert len(months) == MAX_DEPTH + 1


def test_huge_pages_and_gzip_bombs_stop_at_the_size_cap(crawled: Crawled) -> None:
    [huge] = failures(crawled, "huge")
    assert huge.startswith("PageTooLarge") and f"size cap of {MAX_BYTES} bytes" in huge
    [bomb] = failures(crawled, "gzip-bomb")
    assert "exceeded DOWNLOAD_MAXSIZE" in bomb and "during decompression" in bomb
    for name in ("huge", "gzip-bomb"):
        assert crawled.runs[name].stats["armswatch/fetch_failed"] == 1
        assert crawled.runs[name].stats.get("armswatch/stored", 0) == 0


@pytest.mark.parametrize("name", [n for n in SOURCES if n.startswith("cs-")])
def test_wrong_missing_and_mixed_charsets_read_right(crawled: Crawled, name: str) -> None:
    store = open_store(crawled.data_dir)
    listing = store.get(listing_id(name, crawled.site.url + SOURCES[name]))
    store.close()
    assert listing is not None
    assert listing.title == CAFE and listing.text == CAFE


def test_binary_served_as_html_is_not_a_listing(crawled: Crawled) -> None:
    assert crawled.site.count("/binary") == 1
    assert crawled.title("binary", "/binary") is None
    stats = crawled.runs["binary"].stats
    assert stats["armswatch/binary_as_html"] == 1 and stats["armswatch/skipped_non_html"] == 1


def test_malformed_html_still_gives_a_listing(crawled: Crawled) -> None:
    store = open_store(crawled.data_dir)
    listing = store.get(listing_id("malformed", crawled.site.url + "/malformed"))
    store.close()
    assert listing is not None
    assert "Malformed listing: holster" in listing.title
    assert "nested text & more" in listing.text


def test_robots_txt_missing_allows_and_unreadable_refuses_the_site(crawled: Crawled) -> None:
    assert crawled.robots_sites["missing"].paths() == ["/robots.txt", "/only/ok/2", "/ok/2"]
    for kind, why in (("error", "answered HTTP 503"), ("huge", "larger than the size cap")):
        site = crawled.robots_sites[kind]
        run = crawled.runs[f"robots-{kind}"]
        assert set(site.paths()) == {"/robots.txt"}, (kind, run.stats)  # nothing else asked
        assert run.stats["armswatch/robots_unavailable"] == 1
        [refused] = crawled.events(f"robots-{kind}", "refused")
        assert why in refused["reason"] and "not crawled in this run" in refused["reason"]
        assert f"robots-{kind}" in crawled.output
    assert "robots.txt unavailable" in crawled.output
