"""Dedupe and version: compare a crawled listing with its stored state.

An unchanged listing keeps its scores and entities (it is neither classified
nor extracted again) and only its `last_seen` moves; changed text, title,
seller or price makes a new version, so the price history is kept.
"""

from __future__ import annotations

import logging

from armswatch.listing import CLASSIFICATION_FIELDS, Listing, same_content
from armswatch.stores import StoreUnavailable
from pipelines.base import RuntimePipeline

logger = logging.getLogger(__name__)

KEPT_WHEN_UNCHANGED = (*CLASSIFICATION_FIELDS, "entities", "attachments")
"""What an unchanged listing takes over from its stored state (its attachments with
what fetching them found, pipelines.attachments)."""


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
        if same_content(vars(stored), vars(item)):
            item.change = "unchanged"
            for name in KEPT_WHEN_UNCHANGED:
                setattr(item, name, getattr(stored, name))
        else:
            item.change = "changed"
        return item
