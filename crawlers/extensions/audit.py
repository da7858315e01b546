"""The audit trail: every fetch, refusal, failure and dropped item of a crawl,
one JSON line each, plus a run record in the store with the crawl's totals.

Analysts and courts ask what the crawler did and when; this answers it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from armswatch.stores import CrawlRun
from crawlers import signals as armswatch_signals
from crawlers.downloadermiddlewares.proxy import without_credentials
from crawlers.spiders.base import SourceSpider, utc_now


class AuditTrail:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.file: IO[str] | None = None
        self.run: CrawlRun | None = None
        self.path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AuditTrail:
        ext = cls(crawler)
        connect = crawler.signals.connect
        connect(ext.spider_opened, signal=signals.spider_opened)
        connect(ext.spider_closed, signal=signals.spider_closed)
        connect(ext.response_received, signal=signals.response_received)
        connect(ext.item_dropped, signal=signals.item_dropped)
        connect(ext.item_error, signal=signals.item_error)
        connect(ext.fetch_failed, signal=armswatch_signals.fetch_failed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        assert isinstance(spider, SourceSpider)
        started = utc_now()
        self.run = spider.runtime.store.start_run(spider.name, started)
        stamp = started.replace(":", "").replace("+0000", "Z")
        self.path = spider.runtime.data_dir / "audit" / spider.name / f"{stamp}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a", encoding="utf-8")
        settings = self.crawler.settings
        self._write(
            "crawl_started",
            source=spider.name,
            user_agent=settings.get("USER_AGENT"),
            robots_obeyed=settings.getbool("ROBOTSTXT_OBEY"),
            robots_justification=spider.source.robots.justification,
            max_pages=settings.getint("CLOSESPIDER_PAGECOUNT"),
            proxy=without_credentials(proxy) if (proxy := spider.source.proxy) else None,
        )

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        self._write(
            "fetched",
            url=response.url,
            status=response.status,
            bytes=len(response.body),
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
        )

    def fetch_failed(self, request: Request, reason: str, refused: bool) -> None:
        self._write("refused" if refused else "fetch_failed", url=request.url, reason=reason)

    def item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        self._write("item_dropped", url=getattr(item, "url", None), reason=str(exception))

    def item_error(self, item: Any, response: Response, failure: Any) -> None:
        self._write("item_error", url=getattr(item, "url", None), reason=str(failure.value))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert isinstance(spider, SourceSpider)
        stats = {k: _jsonable(v) for k, v in (self.crawler.stats.get_stats() or {}).items()}
        self._write("crawl_finished", reason=reason, stats=stats)
        if self.file:
            self.file.close()
        if self.run is not None:
            self.run.finished_at = utc_now()
            self.run.status = reason
            self.run.stats = stats
            spider.runtime.store.finish_run(self.run)
            spider.runtime.store.commit()

    def _write(self, event: str, **fields: Any) -> None:
        if self.file is None:
            return
        record = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        self.file.write(json.dumps({**record, **fields}, ensure_ascii=False) + "\n")
        self.file.flush()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
