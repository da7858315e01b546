"""`privateforum`: a members-only forum, for crawls that must log in.

Logged out, `/` shows a "Log in" link (`a.login-link`) and nothing else, and
every other page redirects to `/login?next=<page>`. `/login` is a form
(`form#login-form`, after a search form) with a single-use CSRF-style hidden
token, `username`, `password` and `remember`; a right answer sets the
`pf_session` cookie (a browser session cookie) and redirects to `next` or `/`,
a wrong one shows the form again with an error. Logged in, every page has a
"Log out" link (`a.logout-link`, to `/logout`) and the forum looks like `forum`
(same markup): `/` -> boards -> threads -> posts, five posts a page. Only the
listing-level boards are here (WTS/WTB and the German board), so the ground
truth is those boards' posts.

A session ends after `session_views` member pages, so a crawl sees it expire
at a known point, whatever the timing. `logins` records every login attempt.
"""

from __future__ import annotations

import copy
import secrets
import threading
from itertools import groupby
from urllib.parse import quote

from armswatch.demo.forum import THREADS_PER_PAGE, _thread_path, thread_body
from armswatch.demo.pages import document, esc, page_number, pager
from armswatch.demo.pages import shown_date as shown
from armswatch.demo.records import PRIVATE_PREFIX, Catalog, Record
from armswatch.demo.server import NOT_FOUND, Request, Response

BOARDS = ("wts-wtb", "de")
DEMO_USER = "demo-analyst"
DEMO_PASSWORD = "demo-password-not-secret"
USER_ENV = "ARMSWATCH_DEMO_PRIVATEFORUM_USER"
PASSWORD_ENV = "ARMSWATCH_DEMO_PRIVATEFORUM_PASSWORD"
"""The variables config/demo/sources/demo-privateforum.yaml reads the account from."""
SESSION_COOKIE = "pf_session"
SESSION_VIEWS = 8
"""Member pages a session shows by default; the forum has about twenty, so a
crawl sees its session expire and logs in two or three times."""
LOGIN_OK = "ok"


def _redirect(location: str, *headers: tuple[str, str]) -> Response:
    return Response(status=302, headers=(("Location", location), *headers))


class PrivateForum:
    """The members-only forum: one account, sessions that end after a few pages."""

    name = "privateforum"
    robots_txt = f"User-agent: *\nDisallow: {PRIVATE_PREFIX}/\n"

    def __init__(
        self,
        catalog: Catalog,
        *,
        user: str = DEMO_USER,
        password: str = DEMO_PASSWORD,
        session_views: int = SESSION_VIEWS,
    ) -> None:
        self._account = (user, password)
        self._views = session_views
        sections = catalog.sections["forum"]
        self._boards = {slug: sections[slug] for slug in BOARDS}
        self._posts = [r for r in catalog.public("forum", 1) if r["board"] in BOARDS]
        for record in self._posts:
            record["site"] = self.name
        self._threads = {
            number: list(thread)
            for number, thread in groupby(self._posts, key=lambda r: r["thread"])
        }
        self._sessions: dict[str, int] = {}
        """Session token -> member pages it may still show."""
        self._tokens: set[str] = set()
        """CSRF tokens handed out with the form and not used yet."""
        self._lock = threading.Lock()
        self.logins: list[str] = []
        """Every login attempt, in order: LOGIN_OK or why it was refused."""

    def expected(self) -> list[Record]:
        """Ground truth: every post, as the records of `forum` they come from."""
        return copy.deepcopy(self._posts)

    def open_session(self) -> str:
        """A session as a member's browser would have after logging in (to export its
        cookie for an imported cookie jar); not counted in `logins`."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._sessions[token] = self._views
        return token

    def handle(self, request: Request) -> Response:
        if request.path == "/login":
            if request.method == "POST":
                return self._log_in(request)
            return self._login_page(request.query.get("next", [""])[0])
        token = request.cookies.get(SESSION_COOKIE, "")
        if request.path == "/logout":
            with self._lock:
                self._sessions.pop(token, None)
            return _redirect("/", ("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0"))
        if not self._visit(token):
            if request.path == "/":
                body = "<h1>Members' forum</h1>\n<p>Members only: log in to read the boards.</p>"
                return self._page("Members' forum", body, member=False)
            query = "&".join(
                f"{k}={quote(v)}" for k, values in request.query.items() for v in values
            )
            wanted = f"{request.path}?{query}" if query else request.path
            return _redirect(f"/login?next={quote(wanted, safe='')}")
        return self._member_page(request.path, page_number(request.query))

    def _visit(self, token: str) -> bool:
        """Count a member page against the session; False when there is none (left)."""
        with self._lock:
            left = self._sessions.get(token, 0)
            if left <= 0:
                self._sessions.pop(token, None)
                return False
            self._sessions[token] = left - 1
            return True

    def _log_in(self, request: Request) -> Response:
        field = {name: values[0] for name, values in request.form.items()}
        with self._lock:
            fresh_token = field.get("csrf_token", "") in self._tokens
            self._tokens.discard(field.get("csrf_token", ""))
        if not fresh_token:
            self.logins.append("missing or used csrf_token")
            body = '<h1>Log in</h1>\n<p class="error">The form expired: load it again.</p>'
            page = self._page("Log in", body, member=False)
            return Response(page.body, status=403)
        if (field.get("username"), field.get("password")) != self._account:
            self.logins.append("wrong user name or password")
            return self._login_page(field.get("next", ""), error="Wrong user name or password.")
        self.logins.append(LOGIN_OK)
        token = self.open_session()
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
        target = field.get("next", "")
        return _redirect(target if target.startswith("/") else "/", ("Set-Cookie", cookie))

    def _login_page(self, next_page: str, error: str = "") -> Response:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens.add(token)
        shown_error = f'<p class="error">{esc(error)}</p>\n' if error else ""
        body = (
            f"<h1>Log in</h1>\n{shown_error}"
            '<form class="search" action="/search"><input name="q"> <button>Search</button>'
            "</form>\n"
            '<form id="login-form" method="post" action="/login">\n'
            f'<input type="hidden" name="csrf_token" value="{token}">\n'
            f'<input type="hidden" name="next" value="{esc(next_page)}">\n'
            '<label>User name <input name="username" autocomplete="username"></label>\n'
            '<label>Password <input type="password" name="password"></label>\n'
            '<label><input type="checkbox" name="remember" value="1"> Stay logged in</label>\n'
            '<button type="submit">Log in</button>\n</form>'
        )
        return self._page("Log in", body, member=False)

    def _page(self, title: str, body: str, *, member: bool, lang: str = "en") -> Response:
        """A page with the account bar: who is logged in and 'Log out', or 'Log in'."""
        account = (
            f'Logged in as <span class="member">{esc(self._account[0])}</span> · '
            '<a class="logout-link" href="/logout">Log out</a>'
            if member
            else '<a class="login-link" href="/login">Log in</a>'
        )
        return document(
            self.name, title, f'<nav class="account">{account}</nav>\n{body}', lang=lang
        )

    def _member_page(self, path: str, page: int) -> Response:
        if path == "/":
            items = "".join(
                f'<li><a class="board-link" href="/board/{slug}">{esc(title)}</a></li>'
                for slug, title in self._boards.items()
            )
            return self._page(
                "Members' forum",
                f'<h1>Members\' forum</h1>\n<ul class="boards">{items}</ul>',
                member=True,
            )
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "board" and parts[1] in self._boards:
            return self._board(parts[1], page)
        if len(parts) == 2 and parts[0] == "thread" and parts[1].isdigit():
            thread = self._threads.get(int(parts[1]))
            if thread is not None:
                return self._thread(thread, page)
        return NOT_FOUND

    def _board(self, slug: str, page: int) -> Response:
        threads = [t for t in self._threads.values() if t[0]["board"] == slug]
        pages = -(-len(threads) // THREADS_PER_PAGE)
        if page > pages:
            return NOT_FOUND
        rows = "\n".join(
            f'<tr class="thread-row"><td><a class="thread-link" href="{esc(_thread_path(t))}">'
            f'{esc(t[0]["title"])}</a></td><td class="replies">{len(t) - 1}</td>'
            f'<td class="last-post">{esc(shown(t[-1]["posted_at"]))}</td></tr>'
            for t in threads[(page - 1) * THREADS_PER_PAGE : page * THREADS_PER_PAGE]
        )
        body = (
            f'<h1>{esc(self._boards[slug])}</h1>\n<table class="threads">\n{rows}\n</table>\n'
            + pager(f"/board/{slug}", page, pages, "next-page")
        )
        return self._page(self._boards[slug], body, member=True)

    def _thread(self, thread: list[Record], page: int) -> Response:
        board = thread[0]["board"]
        crumbs = (
            f'<a href="/">Members\' forum</a> › <a href="/board/{board}">'
            f"{esc(self._boards[board])}</a>"
        )
        body = thread_body(crumbs, _thread_path(thread), thread, page)
        if body is None:
            return NOT_FOUND
        return self._page(thread[0]["title"], body, member=True, lang=thread[0]["lang"])
