"""Scrapy settings for one source: crawl defaults overlaid with the source's own.

Each source runs in its own Scrapy crawler, so politeness (robots.txt, delay,
per-domain concurrency) and caps apply per source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from armswatch.config import Config, Source
from crawlers.browser import browser_settings
from crawlers.distributed.scheduler import with_frontier


def job_dir(config: Config, source: Source) -> Path:
    """Where Scrapy keeps the resumable state of an interrupted crawl."""
    return config.data_dir / "jobs" / source.name


def crawler_settings(
    config: Config, source: Source, max_pages: int | None = None
) -> dict[str, Any]:
    """The Scrapy settings a crawl of `source` runs with."""
    crawl = config.settings.crawl
    limits = source.rate_limit
    caps = source.caps
    robots = source.robots if "robots" in source.model_fields_set else crawl.robots
    # Sources reached through Tor start from crawl.tor (slower, gentler, more retries).
    defaults = crawl.tor if source.through_tor else crawl
    concurrency = limits.concurrency_per_domain or defaults.concurrency_per_domain
    autothrottle = crawl.autothrottle if limits.autothrottle is None else limits.autothrottle
    delay = crawl.delay if limits.delay is None else limits.delay
    max_bytes = caps.max_download_bytes or crawl.max_download_bytes
    settings = {
        "BOT_NAME": "armswatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": robots.policy == "obey",
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "AUTOTHROTTLE_ENABLED": autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_REQUESTS": max(concurrency, 8),
        "CLOSESPIDER_PAGECOUNT": max_pages or caps.max_pages or crawl.max_pages,
        "DEPTH_LIMIT": caps.max_depth or crawl.max_depth,
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "DOWNLOAD_TIMEOUT": caps.timeout or defaults.timeout,
        "RETRY_TIMES": defaults.retries,
        "DOWNLOADER_MIDDLEWARES": {
            # Before the offsite and robots.txt middlewares, so that no robots.txt is
            # fetched for a .onion request that is refused.
            "crawlers.downloadermiddlewares.proxy.SourceProxyMiddleware": 30,
            "crawlers.downloadermiddlewares.onion.OnionGuardMiddleware": 40,
            # Sources with `login:` only. After the decompression and redirect
            # middlewares (590, 600) in what it sees of responses, so that it reads pages
            # as the spider will and knows when one was redirected to the login page.
            "crawlers.downloadermiddlewares.login.LoginMiddleware": 580,
            # Hostile and broken sites. Responses pass from high to low numbers: the
            # redirect loop is seen before RedirectMiddleware (600) follows it,
            # Retry-After before RetryMiddleware (550) retries, and the body's type
            # and charset after decompression (590).
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawlers.downloadermiddlewares.robots.ConservativeRobotsTxtMiddleware": 100,
            "crawlers.downloadermiddlewares.retryafter.RetryAfterMiddleware": 560,
            "crawlers.downloadermiddlewares.charset.CharsetMiddleware": 585,
            "crawlers.downloadermiddlewares.binary.BinaryAsHtmlMiddleware": 586,
            "crawlers.downloadermiddlewares.redirectloop.RedirectLoopMiddleware": 610,
            "crawlers.downloadermiddlewares.sizecap.SizeCapMiddleware": 950,
        },
        "SPIDER_MIDDLEWARES": {
            "crawlers.spidermiddlewares.resume.ResumeAfterKillMiddleware": 900,
            "crawlers.spidermiddlewares.selectors.SelectorCheckMiddleware": 910,
        },
        "DOWNLOAD_HANDLERS": {
            "http": "crawlers.handlers.socks.SocksDownloadHandler",
            "https": "crawlers.handlers.socks.SocksDownloadHandler",
        },
        "JOBDIR": str(job_dir(config, source)),
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # no control port beside a crawl holding credentials
        "LOG_LEVEL": "INFO",
        "ITEM_PIPELINES": {
            "pipelines.normalize.NormalizePipeline": 100,
            "pipelines.versioning.VersioningPipeline": 200,
            "pipelines.entities.EntitiesPipeline": 250,
            "pipelines.classify.ClassifyPipeline": 300,
            "pipelines.attachments.AttachmentsPipeline": 350,
            "pipelines.store.StorePipeline": 400,
            "pipelines.evidence.EvidencePipeline": 420,
            "pipelines.alerts.AlertsPipeline": 450,
            "pipelines.stats.StatsPipeline": 500,
        },
        "EXTENSIONS": {
            "crawlers.extensions.audit.AuditTrail": 100,
            "crawlers.extensions.jobstate.JobState": 110,
            "crawlers.extensions.diskspace.DiskSpace": 120,
        },
    } | browser_settings(source)
    distributed = config.settings.distributed
    if distributed.redis_url is not None:
        return with_frontier(settings, distributed.redis_url, distributed.worker_timeout)
    return settings
