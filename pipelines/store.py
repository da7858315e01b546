"""Store: write listings to the configured store and commit them in batches.

A crash loses at most the uncommitted batch (the next crawl fetches it again).
A listing the store refuses is written to `<data_dir>/rejected/<source>.jsonl`
with the reason, never dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from armswatch.listing import Listing
from crawlers import signals
from pipelines.base import RuntimePipeline

COMMIT_AFTER_SECONDS = 2.0
logger = logging.getLogger(__name__)


class StorePipeline(RuntimePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.uncommitted: list[Listing] = []
        self.timer: asyncio.TimerHandle | None = None

    async def process_item(self, item: Listing) -> Listing:
        try:
            self.runtime.store.write(item)
        except Exception as exc:
            path = self.reject([item], exc)
            raise DropItem(f"the store refused {item.url} ({exc}); saved to {path}") from exc
        self.uncommitted.append(item)
        if len(self.uncommitted) >= self.batch_size:
            self.commit()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(COMMIT_AFTER_SECONDS, self.commit)
        return item

    @property
    def batch_size(self) -> int:
        """Listings per commit: per the store's own setting."""
        settings = self.runtime.config.settings
        if settings.store == "elasticsearch":
            return settings.elasticsearch.batch_size
        return settings.sqlite.batch_size

    def commit(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.uncommitted = self.uncommitted, []
        try:
            self.runtime.store.commit()
        except Exception as exc:
            self.reject(batch, exc)
        else:
            self.crawler.stats.inc_value("armswatch/stored", len(batch))
        # Committed, or kept in rejected/: either way the pages they came from are done.
        self.crawler.signals.send_catch_log(signals.listings_committed, listings=batch)

    def reject(self, items: list[Listing], exc: Exception) -> Path:
        """Keep listings the store could not take, with the reason, for a later import."""
        path = self.runtime.data_dir / "rejected" / f"{self.crawler.spider.name}.jsonl"  # type: ignore[union-attr]
        path.parent.mkdir(parents=True, exist_ok=True)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as out:
            for item in items:
                line = {
                    "at": at,
                    "error": f"{type(exc).__name__}: {exc}",
                    "listing": item.to_record(),
                }
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.crawler.stats.inc_value("armswatch/rejected", len(items))
        logger.error(
            "the store refused %d listing(s) (%s); they were saved to %s", len(items), exc, path
        )
        return path

    async def close_spider(self) -> None:
        self.commit()
