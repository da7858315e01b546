"""Analysts' verdicts as the pages need them: the latest per listing (reviews are only
ever added, so a later verdict replaces an earlier one)."""

from __future__ import annotations

from collections.abc import Iterable

from armswatch.stores import Review, Store


def latest(store: Store, listing_ids: Iterable[str] | None = None) -> dict[str, Review]:
    """The latest review of each listing among `listing_ids` (default: all reviewed)."""
    ids = None if listing_ids is None else list(listing_ids)
    if ids == []:
        return {}
    return {review.listing_id: review for review in store.reviews(ids)}
