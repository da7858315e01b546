"""The spider for forums: index -> boards -> threads -> posts, each post one
listing (titled by its thread), following board and thread pagination."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from parsel import Selector
from scrapy.http import Response, TextResponse

from armswatch.config import ForumNavigation
from crawlers.extraction import ExtractedFields, extract_fields, select
from crawlers.spiders.base import SourceSpider, nodes


class ForumSpider(SourceSpider):
    evidence_callbacks = ("parse_thread",)

    @property
    def navigation(self) -> ForumNavigation:
        assert self.source.forum is not None  # guaranteed by the Source model
        return self.source.forum

    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests_for(self.parse_index):
            yield request

    def parse_index(self, response: Response) -> Iterator[Any]:
        """The forum index: boards when configured, else the start page is a board."""
        if self.navigation.boards is None:
            yield from self.parse_board(response)
            return
        yield from self.follow_all(response, self.navigation.boards, self.parse_board)

    def parse_board(self, response: Response) -> Iterator[Any]:
        nav = self.navigation
        if not isinstance(response, TextResponse):
            return
        for href in select(response.selector, nav.threads):
            thread_url = response.urljoin(href)
            if request := self.request(thread_url, self.parse_thread, thread_url=thread_url):
                yield request
        yield from self.follow_all(response, nav.board_next_page, self.parse_board)

    def parse_thread(self, response: Response, thread_url: str) -> Iterator[Any]:
        """One page of a thread: every post becomes a listing under the thread's URL."""
        if not isinstance(response, TextResponse):
            return
        nav = self.navigation
        capture = self.keep_raw(response)
        thread_title = next(iter(select(response.selector, nav.thread_title)), "")
        for post in nodes(response.selector, nav.posts):
            fields = extract_fields(post, response.url, self.source.fields, page=response.selector)
            if not fields.title:
                fields.title = thread_title
            post_url = f"{thread_url.split('#')[0]}#{self._post_anchor(post, fields)}"
            yield self.make_listing(post_url, fields, capture)
        yield from self.follow_all(
            response, nav.thread_next_page, self.parse_thread, thread_url=thread_url
        )

    def _post_anchor(self, post: Selector, fields: ExtractedFields) -> str:
        """The post's own id when configured and present, else a hash of its content."""
        if self.navigation.post_id is not None:
            found = select(post, self.navigation.post_id)
            if found:
                return found[0]
        digest = hashlib.sha256(f"{fields.seller}\n{fields.text}".encode()).hexdigest()
        return f"post-{digest[:16]}"
