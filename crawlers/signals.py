"""Signals of armswatch's own, sent through Scrapy's signal manager."""

fetch_failed = object()
"""A request could not be completed (network error, timeout, size cap, robots.txt).
Arguments: `request`, `reason` (a one-line explanation)."""
