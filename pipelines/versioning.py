"""Dedupe and version: compare a crawled listing with its stored state.

An unchanged listing keeps its scores (it is not classified again) and only
its `last_seen` moves; changed text, title, seller or price makes a new
version, so the price history is kept.
"""

from __future__ import annotations

import logging

from armswatch.listing import Listing
from armswatch.stores import StoreUnavailable
from pipelines.base import RuntimePipeline

logger = logging.getLogger(__name__)


class VersioningPipeline(RuntimePipeline):
    """Marks each listing new, changed or unchanged; the store numbers the versions
    and keeps `first_seen` when it writes."""

    def process_item(self, item: Listing) -> Listing:
        try:
            stored = self.runtime.store.get(item.id)
        except StoreUnavailable as exc:
            # The crawl goes on: the listing is classified as if new, and the store
            # numbers its version against what it finds once the cluster is back.
            if not self.crawler.stats.get_value("armswatch/store_unavailable"):
                logger.warning("%s; listings are kept in the outbox meanwhile", exc)
            self.crawler.stats.inc_value("armswatch/store_unavailable")
            stored = None
        if stored is None:
            item.change = "new"
            return item
        same_content = stored.content_sha256 == item.content_sha256
        same_price = (stored.price, stored.currency) == (item.price, item.currency)
        if same_content and same_price:
            item.change = "unchanged"
            item.scores = stored.scores
            item.labels = stored.labels
            item.threat_score = stored.threat_score
            item.classifier_version = stored.classifier_version
            item.explanations = stored.explanations
        else:
            item.change = "changed"
        return item
