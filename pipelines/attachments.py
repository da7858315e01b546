"""Attachments: fetch the files a new or changed listing links to, for sources with
`fetch_attachments: true`; keep them in the quarantine, list archive members,
and flag listings whose files are on the unit's hash lists.

Files are fetched through the crawl's own downloader, so the source's proxy,
robots.txt, offsite filter, rate limits, login session and audit trail apply
to them as to pages. Whatever goes wrong with a file (a 404, a timeout, a cap)
is recorded on its attachment and never costs the listing. An unchanged
listing keeps what its stored attachments hold (the versioning step copies
them); its hash-list flags are applied again, so that classifying it again
cannot take them away.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from armswatch.archives import list_members
from armswatch.config.models import AttachmentCaps
from armswatch.hashlists import HASHLISTS_DIR, HashLists, flag_matches, load_hashlists
from armswatch.listing import Attachment, Listing
from armswatch.quarantine import Quarantine
from crawlers.downloadermiddlewares.sizecap import PageTooLarge
from crawlers.spiders.base import SourceSpider
from pipelines.base import RuntimePipeline

logger = logging.getLogger(__name__)


class AttachmentsPipeline(RuntimePipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._hashlists: HashLists | None = None
        self._quarantine: Quarantine | None = None

    @property
    def spider(self) -> SourceSpider:
        spider: SourceSpider = self.crawler.spider  # type: ignore[assignment]
        return spider

    @property
    def hashlists(self) -> HashLists:
        """The config directory's hash lists, read once per crawl (validated with the
        rest of the configuration when it was loaded)."""
        if self._hashlists is None:
            self._hashlists = load_hashlists(self.runtime.config.directory / HASHLISTS_DIR)
        return self._hashlists

    @property
    def quarantine(self) -> Quarantine:
        if self._quarantine is None:
            self._quarantine = Quarantine(self.runtime.data_dir)
        return self._quarantine

    async def process_item(self, item: Listing) -> Listing:
        source = self.spider.source
        if source.fetch_attachments and item.change != "unchanged":
            caps = source.attachment_caps
            for attachment in item.attachments[: caps.max_files_per_listing]:
                await self.fetch(attachment, caps)
            for attachment in item.attachments[caps.max_files_per_listing :]:
                attachment.fetch_error = (
                    f"not fetched: the listing links more than {caps.max_files_per_listing} "
                    "files (attachment_caps.max_files_per_listing)"
                )
        flag_matches(item)
        return item

    async def fetch(self, attachment: Attachment, caps: AttachmentCaps) -> None:
        """Download one file and record what it is, or why it was not kept."""
        scheme = urlsplit(attachment.url).scheme.lower()
        if scheme not in ("http", "https"):
            attachment.fetch_error = f"not fetchable: a {scheme} link, not a web address"
            return
        request = Request(
            attachment.url,
            # The file as served: a compressed transfer would be decoded before hashing.
            headers={"Accept-Encoding": "identity"},
            meta={
                "download_maxsize": caps.max_file_bytes,
                "download_warnsize": caps.max_file_bytes // 2,
            },
        )
        try:
            response = await self.crawler.engine.download_async(request)  # type: ignore[union-attr]
        except (DownloadCancelledError, PageTooLarge):  # announced, or read, over the cap
            attachment.fetch_error = (
                f"not kept: larger than {caps.max_file_bytes:,} bytes "
                "(attachment_caps.max_file_bytes); nothing of it was written"
            )
            self.spider.report_failure(request, attachment.fetch_error, refused=False)
        except IgnoreRequest as exc:
            attachment.fetch_error = f"not fetched: {exc}"
            self.spider.report_failure(request, str(exc), refused=True)
        except Exception as exc:  # any download error is the file's, never the listing's
            reason = f"{type(exc).__name__}: {exc}".strip()
            attachment.fetch_error = f"could not be fetched: {reason}"
            self.spider.report_failure(request, reason, refused=False)
        else:
            if 200 <= response.status < 300:
                await self.examine(attachment, response.body, caps)
            else:
                attachment.fetch_error = f"could not be fetched: HTTP {response.status}"
        kept = attachment.sha256 is not None
        outcome = "attachments_kept" if kept else "attachments_failed"
        self.crawler.stats.inc_value(f"armswatch/{outcome}")

    async def examine(self, attachment: Attachment, body: bytes, caps: AttachmentCaps) -> None:
        """Quarantine, hash and list the file in a worker thread: a large archive
        takes seconds, which the crawl's event loop must not wait for."""
        try:
            sha256, path = await asyncio.to_thread(self.quarantine.keep, body)
        except OSError as exc:
            attachment.fetch_error = f"not kept: the quarantine could not be written ({exc})"
            logger.error("%s (%s): %s", attachment.url, attachment.name, attachment.fetch_error)
            return
        attachment.sha256, attachment.bytes, attachment.quarantine_path = sha256, len(body), path
        listed = await asyncio.to_thread(list_members, body, caps)
        if listed is not None:
            attachment.members, attachment.fetch_error = listed.members, listed.problem
        attachment.hash_matches = self.hashlists.matches(attachment)
