"""Classify: score new and changed listings in batches.

Items wait (as awaitables) until a batch is full or a short timer fires, so
the classifier sees batches, never one model call per item. Listings left
unclassified by a classifier failure are still stored, and classified on the
next crawl that sees them.
"""

from __future__ import annotations

import asyncio

from scrapy.crawler import Crawler

from armswatch.listing import Listing
from classifiers import ListingText
from pipelines.base import RuntimePipeline

FLUSH_AFTER_SECONDS = 0.25


def needs_classifying(item: Listing) -> bool:
    return item.change != "unchanged" or item.classifier_version is None


class ClassifyPipeline(RuntimePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pending: list[tuple[Listing, asyncio.Future[None]]] = []
        self.timer: asyncio.TimerHandle | None = None

    @property
    def batch_size(self) -> int:
        return self.runtime.config.settings.classifier.batch_size

    async def process_item(self, item: Listing) -> Listing:
        if not needs_classifying(item):
            return item
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self.pending.append((item, done))
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(FLUSH_AFTER_SECONDS, self.flush)
        await done
        return item

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        classifier = self.runtime.classifier
        stats = self.crawler.stats
        try:
            predictions = classifier.predict(
                [ListingText(item.title, item.text, item.lang) for item, _ in batch]
            )
        except Exception:
            self.crawler.spider.logger.exception(  # type: ignore[union-attr]
                "the classifier failed on a batch of %d listings; they are stored "
                "unclassified and will be classified on the next crawl",
                len(batch),
            )
            stats.inc_value("armswatch/classifier_failed", len(batch))
        else:
            for (item, _), prediction in zip(batch, predictions, strict=True):
                item.scores = prediction.scores
                item.labels = prediction.labels
                item.threat_score = prediction.threat_score
                item.explanations = prediction.explanations
                item.classifier_version = classifier.version
            stats.inc_value("armswatch/classified", len(batch))
            stats.inc_value("armswatch/classifier_batches")
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    async def close_spider(self) -> None:
        self.flush()
