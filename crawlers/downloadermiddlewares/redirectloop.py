"""Report redirect loops as failed fetches.

Scrapy follows A -> B -> A until the scheduler's duplicate filter silently drops
the second A: the page would vanish without a trace. Here a redirect back to a URL
of the same chain fails the request with the whole chain as the reason (in the
audit trail, counted as a failed fetch). Endless chains of new URLs still stop
at REDIRECT_MAX_TIMES.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response
from w3lib.url import canonicalize_url

REDIRECTS = {301, 302, 303, 307, 308}


class RedirectLoop(Exception):
    """A redirect leads back to a URL already visited on the way."""


class RedirectLoopMiddleware:
    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in REDIRECTS or location is None:
            return response
        chain = [*request.meta.get("redirect_urls", ()), request.url]
        target = urljoin(request.url, location.decode("latin-1"))
        if canonicalize_url(target) in {canonicalize_url(url) for url in chain}:
            raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, target])}")
        return response
