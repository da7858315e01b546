"""What the item pipelines share: the crawler, and through it the crawl's runtime."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler

from crawlers.runtime import Runtime


class CrawlerPipeline:
    """A pipeline step built from the crawler (for its stats, signals, spider)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class RuntimePipeline(CrawlerPipeline):
    """A pipeline step that needs the store, classifier or config of the crawl."""

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.crawler.spider.runtime  # type: ignore[union-attr]
        return runtime
