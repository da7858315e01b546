"""Nightly crawls per source on APScheduler.

Not built yet: the scheduler issue turns this module into the scheduling
daemon. Until then, crawls run with `armswatch crawl`; each source's
`schedule` (cron string) is already validated when the config is loaded.
"""
