"""`forum`: a multilingual forum; every post is one listing.

Layout: `/` lists boards (`a.board-link`); `/board/<slug>[?page=N]` lists four
threads a page (`a.thread-link`, `<a rel="next" class="next-page">`);
`/thread/<n>[?page=N]` shows five posts a page, each an
`<article class="post" id="p<number>">`. The staff board lives under
`/private/` (disallowed by robots.txt, linked from the index). The crawler
trap: every page links an event calendar, `/calendar/2026/12`, whose "next
month" link never ends; the demo source config never follows it.
"""

from __future__ import annotations

import re
from itertools import groupby

from armswatch.demo.pages import document, esc, file_list, page_number, pager, paragraphs
from armswatch.demo.pages import shown_date as shown
from armswatch.demo.records import POSTS_PER_PAGE, PRIVATE_PREFIX, Catalog, Record
from armswatch.demo.server import NOT_FOUND, Response

THREADS_PER_PAGE = 4
CALENDAR_START = "/calendar/2026/12"
PRIVATE_BOARD = "staff"
_BOARD = re.compile(r"(?:/private)?/board/([a-z-]+)")
_THREAD = re.compile(r"(?:/private)?/thread/(\d+)")
_CALENDAR = re.compile(r"/calendar/(\d{4})/(\d{2})")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class Forum:
    """The forum site. Its posts do not change between editions."""

    name = "forum"
    robots_txt = f"User-agent: *\nDisallow: {PRIVATE_PREFIX}/\n"

    def __init__(self, catalog: Catalog) -> None:
        self._boards = catalog.sections[self.name]
        posts = catalog.records(self.name, 1)
        self._threads: dict[int, list[Record]] = {
            number: list(thread) for number, thread in groupby(posts, key=lambda r: r["thread"])
        }

    def respond(self, path: str, query: dict[str, list[str]]) -> Response:
        page = page_number(query)
        if path == "/":
            return self._index()
        board = _BOARD.fullmatch(path)
        if board and board[1] in self._boards and self._board_path(board[1]) == path:
            return self._board(board[1], page)
        number = _THREAD.fullmatch(path)
        thread = self._threads.get(int(number[1])) if number else None
        if thread and _thread_path(thread) == path:
            return self._thread(path, thread, page)
        if match := _CALENDAR.fullmatch(path):
            return _calendar(int(match[1]), int(match[2]))
        return NOT_FOUND

    def _board_path(self, slug: str) -> str:
        prefix = PRIVATE_PREFIX if slug == PRIVATE_BOARD else ""
        return f"{prefix}/board/{slug}"

    def _index(self) -> Response:
        items = "".join(
            f'<li><a class="board-link" href="{self._board_path(slug)}">{esc(title)}</a> '
            f'<span class="count">{sum(t[0]["board"] == slug for t in self._threads.values())}'
            " threads</span></li>"
            for slug, title in self._boards.items()
        )
        body = (
            "<h1>Forum</h1>\n"
            f'<p><a class="calendar-link" href="{CALENDAR_START}">Event calendar</a></p>\n'
            f'<ul class="boards">{items}</ul>'
        )
        return document(self.name, "Forum", body)

    def _board(self, slug: str, page: int) -> Response:
        threads = sorted(
            (t for t in self._threads.values() if t[0]["board"] == slug),
            key=lambda t: t[-1]["posted_at"],
            reverse=True,
        )
        pages = max(1, -(-len(threads) // THREADS_PER_PAGE))
        if page > pages:
            return NOT_FOUND
        rows = "\n".join(
            f'<tr class="thread-row"><td><a class="thread-link" '
            f'href="{esc(_thread_path(t))}">{esc(t[0]["title"])}</a> '
            f'<span class="starter">by {esc(t[0]["seller"])}</span></td>'
            f'<td class="replies">{len(t) - 1}</td>'
            f'<td class="last-post">{esc(shown(t[-1]["posted_at"]))}</td></tr>'
            for t in threads[(page - 1) * THREADS_PER_PAGE : page * THREADS_PER_PAGE]
        )
        title = self._boards[slug]
        body = (
            f"<h1>{esc(title)}</h1>\n"
            f'<p><a class="calendar-link" href="{CALENDAR_START}">Event calendar</a></p>\n'
            '<table class="threads">\n<tr><th>Thread</th><th>Replies</th><th>Last post</th>'
            f"</tr>\n{rows}\n</table>\n" + pager(self._board_path(slug), page, pages, "next-page")
        )
        return document(self.name, title, body)

    def _thread(self, path: str, thread: list[Record], page: int) -> Response:
        board = thread[0]["board"]
        crumbs = (
            f'<a href="/">Forum</a> › <a href="{self._board_path(board)}">'
            f"{esc(self._boards[board])}</a>"
        )
        body = thread_body(crumbs, path, thread, page)
        if body is None:
            return NOT_FOUND
        return document(self.name, thread[0]["title"], body, lang=thread[0]["lang"])


def _thread_path(thread: list[Record]) -> str:
    """Page 1 of a thread: where its first post is shown, without the fragment."""
    return thread[0]["path"].split("#")[0]


def _post(record: Record) -> str:
    anchor = record["path"].split("#")[1]
    files = file_list(record, "attachments")
    return (
        f'<article class="post" id="{anchor}">\n'
        f'<header class="post-header"><span class="author">{esc(record["seller"])}</span> '
        f'<time class="posted" datetime="{esc(record["posted_at"])}">'
        f"{esc(shown(record['posted_at']))}</time> "
        f'<a class="permalink" href="#{anchor}">#{record["post"]}</a></header>\n'
        f'<div class="post-body" lang="{esc(record["lang"])}">{paragraphs(record["text"])}</div>\n'
        + (f"{files}\n" if files else "")
        + "</article>"
    )


def _calendar(year: int, month: int) -> Response:
    """An empty month, linking the next month, and the next, forever."""
    if not 1 <= month <= 12 or year < 1:
        return NOT_FOUND
    after = (year + month // 12, month % 12 + 1)
    before = (year - (month == 1), (month - 2) % 12 + 1)
    body = (
        f"<h1>Events – {_MONTHS[month - 1]} {year}</h1>\n<p>No events this month.</p>\n"
        f'<nav class="pager"><a rel="prev" href="/calendar/{before[0]:04d}/{before[1]:02d}">'
        f"‹ Previous month</a> "
        f'<a rel="next" class="next-page" href="/calendar/{after[0]:04d}/{after[1]:02d}">'
        "Next month ›</a></nav>"
    )
    return document("forum", f"Events {year}-{month:02d}", body)


def thread_body(crumbs: str, path: str, thread: list[Record], page: int) -> str | None:
    """A page of a thread's posts under its breadcrumb and title (None past the end)."""
    pages = -(-len(thread) // POSTS_PER_PAGE)
    if page > pages:
        return None
    posts = "\n".join(_post(r) for r in thread[(page - 1) * POSTS_PER_PAGE : page * POSTS_PER_PAGE])
    return (
        f'<nav class="breadcrumb">{crumbs}</nav>\n'
        f'<h1 class="thread-title">{esc(thread[0]["title"])}</h1>\n'
        f'<div class="posts">\n{posts}\n</div>\n' + pager(path, page, pages, "next-page")
    )
