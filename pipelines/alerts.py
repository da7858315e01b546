"""Alerts: record newly flagged listings in the alert ledger.

Only the record is made here, durably, while the crawl runs; matching against
the rules and sending happen after the crawl (`armswatch.alerts.dispatch`), so
that a slow or broken channel never slows a crawl down and a crash between
crawl and dispatch loses no alert. Nothing is recorded without alert rules.
"""

from __future__ import annotations

import logging
import sqlite3

from scrapy.crawler import Crawler

from armswatch.alerts.ledger import LEDGER_FILE, Ledger, LedgerError
from armswatch.listing import Listing
from pipelines.base import RuntimePipeline
from pipelines.stats import newly_flagged

logger = logging.getLogger(__name__)


class AlertsPipeline(RuntimePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.ledger: Ledger | None = None

    def process_item(self, item: Listing) -> Listing:
        if not (newly_flagged(item) and self.runtime.config.alerts.rules):
            return item
        try:
            if self.ledger is None:
                self.ledger = Ledger(self.runtime.data_dir / LEDGER_FILE)
            self.ledger.add_candidate(item.id, item.source)
        except (LedgerError, sqlite3.Error) as exc:
            # The listing is stored all the same; only its alert is missed.
            self.crawler.stats.inc_value("armswatch/alert_record_failed")
            logger.error("no alert can be recorded for %s (%s): %s", item.id, item.url, exc)
        else:
            self.crawler.stats.inc_value("armswatch/alert_candidates")
        return item

    def close_spider(self) -> None:
        if self.ledger is not None:
            self.ledger.close()
