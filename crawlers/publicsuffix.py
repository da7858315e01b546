"""No request leaves a crawl except the crawl's own.

Scrapy's cookie middleware asks `tldextract` whether a cookie's domain is a
public suffix, and tldextract fetches the public suffix list from
publicsuffix.org on first use: a request outside the source's proxy (a Tor
source would reveal its host) and outside the audit trail. The list bundled
with tldextract is used instead.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares import cookies
from tldextract import TLDExtract


def use_bundled_suffix_list() -> None:
    """Make Scrapy's cookie handling use tldextract's bundled snapshot, offline."""
    cookies._split_domain = TLDExtract(  # type: ignore[attr-defined]
        suffix_list_urls=(), include_psl_private_domains=True
    )
