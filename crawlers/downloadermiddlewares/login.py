"""Crawl sources that need an account (`login:` in their file).

Before the first page, the source's session is taken from
`<data_dir>/sessions/<source>.json` when one was kept; else armswatch logs in
through the site's form (hidden fields such as CSRF tokens sent as served, user
name and password from the environment) or takes the imported cookie jar. Every
page is then checked: a redirect to the login page, or the configured
`logged_out` element, means the session has expired. armswatch logs in again,
once per expired session, and fetches the page again. When that does not work
(a wrong password, a CAPTCHA, a login that does not hold) the source stops with
the close reason `login_needed`, reported as "login needed", instead of crawling
login pages. Logged-out pages and the login's own pages never reach the spider,
so they are never stored as listings. No message shows a credential.

The cookies themselves stay in Scrapy's cookie middleware (700: it sees every
redirect hop); this middleware seeds and reads its jar. At 580 it gets responses
after decompression (590) and redirects (600), so it reads pages as the spider
will and knows which ones were redirected to the login page.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import FormRequest, Response, TextResponse
from scrapy.http.cookies import CookieJar
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from armswatch.config.models import FormLogin, Login, Query
from crawlers.session import (
    CookieFileError,
    load_session,
    read_cookie_file,
    save_session,
    session_file,
)
from crawlers.spiders.base import SourceSpider, nodes

LOGIN_NEEDED = "login_needed"
"""The close reason of a source that could not log in; crawlers.runner reports it."""
LOGIN_META = "armswatch_login"
"""On the login's own requests: never checked, never handed to the spider."""
SESSION_META = "armswatch_session"
"""The number (in this crawl) of the session a request was sent with."""
REFETCH_META = "armswatch_refetched"
MAX_REFETCHES = 3
"""Times one page is fetched again after logging in before the source stops: a
site that logs out faster than pages can be fetched cannot be crawled."""
PASSWORD_INPUT = '//form[.//input[@type="password"]]'

logger = logging.getLogger(__name__)


class LoginFailed(Exception):
    """Logging in did not work; the message says why, and never shows a credential."""


def query_text(query: Query) -> str:
    return f"'{query.css if query.css is not None else query.xpath}'"


def same_page(url: str, other: str) -> bool:
    """The same page, whatever its query string or fragment."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc, a.path or "/") == (b.scheme, b.netloc, b.path or "/")


class LoginMiddleware:
    """Keeps one source logged in; disabled for sources without `login:`."""

    def __init__(self, crawler: Crawler, spider: SourceSpider, login: Login) -> None:
        self.crawler = crawler
        self.login = login
        self.source = spider.source.name
        self.domains = spider.source.allowed_domains
        config = spider.runtime.config
        self.session_path = session_file(config.data_dir, self.source)
        self.cookie_file = config.path(login.cookies) if login.cookies is not None else None
        self.login_url = str(login.form.url) if login.form is not None else None
        self.jar: CookieJar | None = None
        self.session = 0
        """The current session's number; 0 before the first."""
        self.fresh = False
        """The current session comes from a login or an import in this crawl."""
        self.proven = False
        """A page was fetched logged in with the current session."""
        self.futile = 0
        """Fresh sessions in a row that were logged out before showing a page logged
        in. One may be a race (its last view taken by another page in flight); a
        second means that logging in does not hold."""
        self.stopped: str | None = None
        self.lock = asyncio.Lock()
        self.closing: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoginMiddleware:
        spider = crawler.spider
        if not isinstance(spider, SourceSpider) or spider.source.login is None:
            raise NotConfigured
        middleware = cls(crawler, spider, spider.source.login)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        cookies = self.crawler.get_downloader_middleware(CookiesMiddleware)
        assert cookies is not None  # COOKIES_ENABLED in crawlers.settings
        self.jar = cookies.jars[None]
        if kept := load_session(self.session_path, self.domains):
            self._begin(kept, fresh=False)
            logger.info("%s: using the session kept in %s", self.source, self.session_path)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Keep the session (the site may have renewed its cookies) for the next crawl;
        one that could not log in is forgotten."""
        if self.stopped is not None:
            self.session_path.unlink(missing_ok=True)
        elif self.session and self.jar is not None:
            save_session(self.session_path, self.source, list(self.jar.jar))

    async def process_request(self, request: Request) -> None:
        if self._exempt(request):
            return
        async with self.lock:  # wait while a login is under way
            if self.stopped is None and not self.session:
                await self._new_session()
            if self.stopped is not None:
                raise IgnoreRequest(self.stopped)
        # A redirect keeps the number of the request it followed: the answer to that
        # request is the one that tells whether its session expired.
        request.meta.setdefault(SESSION_META, self.session)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if self._exempt(request):
            return response
        sign = self._logged_out(request, response)
        if sign is None:
            if request.meta.get(SESSION_META) == self.session:
                self.proven, self.futile = True, 0
            return response
        self.crawler.stats.inc_value("armswatch/logged_out")
        async with self.lock:
            # Only the first page of an expired session logs in again; pages sent with
            # it that come back later are fetched again with the new one.
            if self.stopped is None and request.meta.get(SESSION_META) == self.session:
                if self.fresh and not self.proven:
                    self.futile += 1
                if self.futile > 1:
                    self._stop(f"still logged out right after {self._how()}, twice ({sign})")
                else:
                    logger.info("%s: the session expired (%s); logging in again", self.source, sign)
                    await self._new_session()
        refetched = request.meta.get(REFETCH_META, 0)
        if self.stopped is None and refetched >= MAX_REFETCHES:
            self._stop(f"{response.url} was logged out {refetched + 1} times in a row ({sign})")
        if self.stopped is not None:
            raise IgnoreRequest(self.stopped)
        return self._again(request, refetched + 1)

    def _exempt(self, request: Request) -> bool:
        """The login's own requests, and robots.txt (which every request may wait for)."""
        return bool(request.meta.get(LOGIN_META)) or urlsplit(request.url).path == "/robots.txt"

    def _logged_out(self, request: Request, response: Response) -> str | None:
        """Why `response` is a logged-out page, or None when it is not one."""
        redirected = request.meta.get("redirect_urls")
        if redirected and self.login_url and same_page(response.url, self.login_url):
            return "redirected to the login page"
        query = self.login.logged_out
        if (
            query is not None
            and isinstance(response, TextResponse)
            and nodes(response.selector, query)
        ):
            return f"the page has {query_text(query)}"
        return None

    def _again(self, request: Request, refetched: int) -> Request:
        """The page a logged-out answer stood for (before any redirect to the login
        page), to be fetched again with the current session."""
        meta = {
            k: v
            for k, v in request.meta.items()
            if not k.startswith("redirect_") and k != SESSION_META
        }
        url = request.meta.get("redirect_urls", [request.url])[0]
        return request.replace(url=url, meta={**meta, REFETCH_META: refetched}, dont_filter=True)

    def _how(self) -> str:
        return (
            "logging in"
            if self.login.form is not None
            else f"taking the cookies of {self.cookie_file}"
        )

    async def _new_session(self) -> None:
        """Log in (or take the imported cookies) afresh; stop the source if that fails."""
        try:
            if self.login.form is not None:
                await self._log_in(self.login.form)
            else:
                assert self.cookie_file is not None  # a Login has a form or cookies
                self._begin(read_cookie_file(self.cookie_file, self.domains), fresh=True)
                logger.info("%s: took the cookies of %s", self.source, self.cookie_file)
        except (LoginFailed, CookieFileError) as exc:
            self._stop(str(exc))

    def _begin(self, cookies: list[Any], *, fresh: bool) -> None:
        """Start a session: its cookies replace the jar's, and it gets the next number."""
        assert self.jar is not None
        self.jar.jar.clear()
        for cookie in cookies:
            self.jar.set_cookie(cookie)
        self.session += 1
        self.fresh, self.proven = fresh, False
        if fresh:
            save_session(self.session_path, self.source, cookies)

    async def _log_in(self, form: FormLogin) -> None:
        assert self.jar is not None
        self.jar.jar.clear()  # an expired session's cookies would only confuse the site
        page = await self._fetch(Request(str(form.url)), "the login page")
        if not isinstance(page, TextResponse):
            raise LoginFailed(f"the login page {form.url} is not an HTML page")
        submit = self._fill_in(page, form)
        answer = await self._fetch(submit, "the login form's answer")
        if problem := self._failure(answer, form):
            raise LoginFailed(
                f"logging in at {form.url} did not work: {problem} (a wrong user name or "
                f"password in ${form.user_env} and ${form.password_env}, a CAPTCHA, or a "
                "changed login page)"
            )
        self.crawler.stats.inc_value("armswatch/logins")
        self._begin(list(self.jar.jar), fresh=True)
        logger.info("%s: logged in at %s (session %d)", self.source, form.url, self.session)

    def _fill_in(self, page: TextResponse, form: FormLogin) -> FormRequest:
        """The login form as a browser would submit it: its own fields (hidden tokens
        included), the first named submit button, and the credentials."""
        found = nodes(page.selector, form.form) if form.form else page.xpath(PASSWORD_INPUT)
        element = found[0] if found else None
        if element is None or element.root.tag != "form":
            which = query_text(form.form) if form.form else "with a password field"
            raise LoginFailed(f"the login page {form.url} has no form {which}")
        user = self._field_name(element, form.user_field, "user name")
        password = self._field_name(element, form.password_field, "password")
        ours = {
            **form.extra_fields,
            user: os.environ.get(form.user_env, ""),
            password: os.environ.get(form.password_env, ""),
        }
        data = [(k, v) for k, v in element.root.form_values() if k not in ours]
        button = element.xpath(".//*[self::input or self::button][@type='submit'][@name]")
        if button and button[0].attrib["name"] not in ours:
            data.append((button[0].attrib["name"], button[0].attrib.get("value", "")))
        return FormRequest(
            page.urljoin(element.attrib.get("action") or page.url),
            method="POST" if element.attrib.get("method", "").upper() == "POST" else "GET",
            formdata=[*data, *ours.items()],
        )

    def _field_name(self, form: Selector, field: str | Query, what: str) -> str:
        """The name the form sends `field` under; it must be one of the form's fields."""
        if isinstance(field, str):
            found = form.xpath(".//*[@name=$name]", name=field)
            described = f"named '{field}'"
        else:
            found = nodes(form, field)
            described = f"matching {query_text(field)}"
        name = found[0].attrib.get("name") if found else None
        if not name:
            raise LoginFailed(f"the login form has no {what} field {described}")
        return name

    def _failure(self, answer: Response, form: FormLogin) -> str | None:
        """What the answer to the login form shows wrong, or None when it worked."""
        check = form.success
        if check.url is not None:
            expected = urljoin(str(form.url), check.url)
            if not same_page(answer.url, expected):
                return f"it led to {answer.url}, not {expected}"
        if check.selector is not None:
            found = isinstance(answer, TextResponse) and nodes(answer.selector, check.selector)
            if not found:
                return f"the page it led to has no {query_text(check.selector)}"
        return None

    async def _fetch(self, request: Request, what: str) -> Response:
        """A request of the login itself, through every downloader middleware (robots.txt,
        redirects, cookies) but never to the spider."""
        request = request.replace(meta={**request.meta, LOGIN_META: True}, dont_filter=True)
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:
            raise LoginFailed(
                f"{what} ({request.url}) could not be fetched: {type(exc).__name__}: {exc}"
            ) from None
        if response.status >= 400:
            raise LoginFailed(f"{what} ({response.url}) answered HTTP {response.status}")
        return response

    def _stop(self, reason: str) -> None:
        """Stop the source: no page is fetched any more, and it reports 'login needed'."""
        self.stopped = f"login needed: {reason}"
        self.crawler.stats.set_value("armswatch/login_needed", reason)
        logger.error(
            "%s: %s; the source stops and is reported as 'login needed'", self.source, reason
        )
        self.closing = deferred_from_coro(
            self.crawler.engine.close_spider_async(reason=LOGIN_NEEDED)
        )
