"""Signals of armswatch's own, sent through Scrapy's signal manager."""

fetch_failed = object()
"""A request was not completed. Arguments: `request`, `reason` (one line), and
`refused`: True when armswatch chose not to fetch it (robots.txt, offsite),
False when fetching failed (network error, timeout, size cap)."""

listings_committed = object()
"""The store committed the listings written so far (pipelines.store). Arguments:
`listings`, those of this commit (empty for a commit at the end of a crawl)."""
