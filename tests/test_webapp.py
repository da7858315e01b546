"""The review web app over HTTP, as `armswatch review serve` runs it (waitress in a child
process on 127.0.0.1) over a store filled by a demo crawl: log-in on every page,
throttled wrong passwords, CSRF refusals, security headers, verdicts stored in the
store and audited, the queue's tabs and filters, cases, hostile listing text escaped,
exports, and the command's refusals.

Tests of what the app asks of the store (`any_app`) run on SQLite and on Elasticsearch
(noida-db); the others on SQLite (`app`)."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

from armswatch import LABELS
from armswatch.demo import DemoSites
from armswatch.listing import Listing
from armswatch.stores import Review, SearchQuery
from armswatch.stores.base import HIGHLIGHT_END, HIGHLIGHT_START
from armswatch.webapp.headers import HEADERS
from armswatch.webapp.marks import highlighted, term_classes, with_terms
from armswatch.webapp.precision import ANY_LABEL, model_precision
from armswatch.workspace import AuditEntry, Workspace, workspace_path
from armswatch.workspace.throttle import NAME_LIMIT
from tests.conftest import CLI_STORES, DEMO_CONFIG, REPO, CliStore, cli_store, crawl, run_cli
from tests.listings import fill, make

PASSWORD = "correct horse battery staple"
HOSTILE_ID = "f" * 32
HOSTILE_TITLE = '<script>alert("pwned")</script> Glock 19 <img src=x onerror=alert(2)>'
HOSTILE_TEXT = 'Glock 19, two mags. </div><script>document.title="owned"</script>'
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def add_hostile_listing(cli: CliStore) -> None:
    """A flagged listing whose title and text are script markup, as a hostile page has."""
    store = cli.open()
    try:
        hostile = make(
            HOSTILE_ID,
            title=HOSTILE_TITLE,
            text=HOSTILE_TEXT,
            seller="<b>evil</b>",
            labels=["firearm"],
            scores={"firearm": 0.97},
            threat_score=0.97,
            explanations={"firearm": ["Glock 19"]},
            lang="en",
        )
        fill(store, hostile)
    finally:
        store.close()


@dataclass
class App:
    url: str
    cli: CliStore
    process: subprocess.Popen[str]

    @property
    def data_dir(self) -> Path:
        return self.cli.data_dir

    def client(self, name: str | None = "alice") -> Client:
        """A browser-like client, logged in as `name` (None: not logged in)."""
        client = Client(self.url)
        if name is not None:
            response = client.login(name, PASSWORD)
            assert response.status_code == 302, response.text
        return client

    def reviews(self, listing_id: str | None = None) -> list[Review]:
        """The reviews of a listing (None: of every listing), oldest first."""
        store = self.cli.open()
        try:
            return store.reviews(None if listing_id is None else [listing_id])
        finally:
            store.close()

    def audit(self, **filters: Any) -> list[AuditEntry]:
        with Workspace.open(workspace_path(self.data_dir)) as ws:
            return ws.audit.entries(**filters)

    def listings(self, **query: Any) -> list[Listing]:
        store = self.cli.open()
        try:
            return store.search(SearchQuery(limit=1000, **query)).listings
        finally:
            store.close()

    def add(self, *listings: Listing) -> None:
        store = self.cli.open()
        try:
            fill(store, *listings)
        finally:
            store.close()


class Client(requests.Session):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def get(self, path: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return super().get(self.url + path, allow_redirects=False, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return super().post(self.url + path, allow_redirects=False, **kwargs)

    def token(self, path: str = "/") -> str:
        """The CSRF token the page at `path` puts in its forms."""
        page = self.get(path)
        assert page.status_code == 200, page.text
        found = TOKEN.search(page.text)
        assert found, f"no CSRF field on {path}"
        return found.group(1)

    def login(self, name: str, password: str, next_path: str = "/") -> requests.Response:
        token = self.token("/login")
        form = {"name": name, "password": password, "csrf_token": token, "next": next_path}
        return self.post("/login", data=form)

    def form(self, path: str, data: dict[str, Any], page: str = "/") -> requests.Response:
        """POST a form of ours, with the CSRF token of `page`."""
        return self.post(path, data={**data, "csrf_token": self.token(page)})


def serving(
    kind: str,
    sites: DemoSites,
    directory: Path,
    sources: tuple[str, ...] = ("demo-market",),
    accounts: tuple[tuple[str, str], ...] = (("alice", "admin"),),
) -> Iterator[App]:
    """A crawl of `sources` into a store of `kind`, the hostile listing, `accounts` (name,
    role; password PASSWORD), and `armswatch review serve` over them."""
    with cli_store(kind, directory) as cli:
        result = crawl(sites, cli.data_dir, *sources, env=cli.env)
        assert result.returncode == 0, result.stdout + result.stderr
        add_hostile_listing(cli)
        yield from served(cli, accounts)


def served(cli: CliStore, accounts: tuple[tuple[str, str], ...]) -> Iterator[App]:
    """`accounts` (name, role; password PASSWORD) and `armswatch review serve` over the
    store of `cli`, stopped afterwards."""
    with Workspace.open(workspace_path(cli.data_dir)) as ws:
        for name, role in accounts:
            ws.accounts.add(name, PASSWORD, role)
    port = free_port()
    process = serve(cli.data_dir, "--port", str(port), env=cli.env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process)
        yield App(url, cli, process)
    finally:
        process.terminate()
        process.communicate(timeout=30)


USERS = (("alice", "admin"), ("bob", "analyst"), ("carol", "analyst"))
"""An admin, an analyst, and an analyst kept for the throttle test."""


@pytest.fixture(scope="module")
def app(demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app over a SQLite store: one crawl of the demo market, the hostile listing."""
    yield from serving("sqlite", demo_sites, tmp_path_factory.mktemp("webapp"), accounts=USERS)


@pytest.fixture(scope="module")
def es_app(demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The same over an Elasticsearch store (noida-db)."""
    directory = tmp_path_factory.mktemp("webapp-es")
    yield from serving("elasticsearch", demo_sites, directory, accounts=USERS)


@pytest.fixture(params=CLI_STORES)
def any_app(request: pytest.FixtureRequest) -> App:
    """The app on each store, for the tests of what it asks of the store."""
    found: App = request.getfixturevalue("app" if request.param == "sqlite" else "es_app")
    return found


def serve(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "armswatch", "--config", str(DEMO_CONFIG)]
    command += ["--data-dir", str(data_dir), "review", "serve", *args]
    return subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    """Poll until the app answers (the child imports Flask and opens the store first)."""
    for _ in range(600):
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"review serve exited {process.returncode}: {out}{err}")
        try:
            requests.get(url + "/login", timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("review serve did not answer")


def flagged_ids(app: App, count: int, offset: int) -> list[str]:
    """Distinct flagged demo listings for a test of its own (the hostile one aside)."""
    listings = app.listings(labels=LABELS, sort="score")
    ids = [listing.id for listing in listings if listing.id != HOSTILE_ID]
    assert len(ids) >= offset + count
    return ids[offset : offset + count]


ROW = re.compile(r'<a data-open href="/listing/([0-9a-f]+)"')
NEXT_PAGE = re.compile(r'<a rel="next" href="([^"]+)"')


def row_ids(page: str) -> list[str]:
    """The listings a page of results shows, in order."""
    return ROW.findall(page)


def latest_verdicts(app: App) -> dict[str, str]:
    """Each reviewed listing's latest verdict, from the store's records of reviews."""
    return {review.listing_id: review.verdict for review in app.reviews()}


PAGES = [
    "/",
    "/?tab=follow_up",
    "/search?q=glock",
    f"/listing/{HOSTILE_ID}",
    f"/listing/{HOSTILE_ID}/evidence/0",
    "/cases",
    "/cases/1",
    "/dashboard",
    "/admin/users",
    "/admin/audit",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_login(app: App, path: str) -> None:
    response = app.client(None).get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "armswatch_session" not in response.headers.get("Set-Cookie", "")


def test_forms_need_a_login_and_change_nothing(app: App) -> None:
    (listing_id,) = flagged_ids(app, 1, offset=0)
    anonymous = app.client(None)
    token = anonymous.token("/login")  # a log-in form's token is no session
    for path, data in [
        (f"/listing/{listing_id}/review", {"verdict": "false_positive"}),
        (f"/listing/{listing_id}/note", {"text": "hello"}),
        ("/export", {"what": "search", "format": "csv"}),
    ]:
        response = anonymous.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert app.reviews(listing_id) == []


def test_login_sets_a_strict_http_only_session_cookie(any_app: App) -> None:
    client = Client(any_app.url)
    response = client.login("alice", PASSWORD, next_path="/dashboard")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    cookie = next(c for c in response.raw.headers.getlist("Set-Cookie") if "armswatch_session" in c)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # review.secure_cookies is off for plain-HTTP loopback
    assert client.get("/dashboard").status_code == 200
    entries = any_app.audit(actor="alice", action="login")
    assert entries and entries[-1].detail["address"] == "127.0.0.1"


def test_login_never_redirects_off_site(app: App) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = Client(app.url).login("alice", PASSWORD, next_path=target)
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_wrong_password_is_refused_then_throttled(app: App) -> None:
    client = Client(app.url)
    for _ in range(NAME_LIMIT):
        response = client.login("carol", "not the password at all")
        assert response.status_code == 401
        assert "Wrong user name or password" in response.text
        assert "armswatch_session" not in response.headers.get("Set-Cookie", "")
    # Blocked now: even the right password is refused, and nothing says whether it was right.
    response = client.login("carol", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.text
    assert client.get("/").status_code == 302
    failed = app.audit(actor="carol", action="login_failed")
    assert [entry.detail["reason"] for entry in failed][-NAME_LIMIT - 1 :] == [
        *["wrong name or password"] * NAME_LIMIT,
        "throttled",
    ]
    assert not app.audit(actor="carol", action="login")
    # Another user logs in from the same address as before.
    assert Client(app.url).login("bob", PASSWORD).status_code == 302


def test_unknown_user_is_refused_like_a_wrong_password(app: App) -> None:
    response = Client(app.url).login("mallory", PASSWORD)
    assert response.status_code == 401 and "Wrong user name or password" in response.text


def test_login_form_needs_its_csrf_token(app: App) -> None:
    client = Client(app.url)
    client.token("/login")  # sets the log-in token cookie
    form = {"name": "alice", "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 400
    assert client.post("/login", data={**form, "csrf_token": "forged"}).status_code == 400
    # Another site can post the form but cannot read or set our cookie.
    assert Client(app.url).post("/login", data={**form, "csrf_token": "x"}).status_code == 400


def test_posts_without_the_session_csrf_token_are_refused(app: App) -> None:
    (listing_id,) = flagged_ids(app, 1, offset=1)
    client = app.client("bob")
    other = app.client("alice").token()  # a real token, of another session
    path = f"/listing/{listing_id}/review"
    form = {"verdict": "confirmed", "label": "firearm"}
    for data in (form, {**form, "csrf_token": ""}, {**form, "csrf_token": other}):
        response = client.post(path, data=data)
        assert response.status_code == 400
        assert "did not carry this session" in response.text
    assert app.reviews(listing_id) == []
    assert client.form(path, form).status_code == 302
    assert [r.verdict for r in app.reviews(listing_id)] == ["confirmed"]


def test_security_headers_on_every_response(app: App) -> None:
    client = app.client("bob")
    responses = [
        Client(app.url).get("/login"),
        Client(app.url).get("/"),
        client.get("/static/app.css"),
        client.get("/static/app.js"),
        client.get("/"),
        client.get(f"/listing/{HOSTILE_ID}"),
        client.get("/listing/" + "0" * 32),
        client.get("/search?min_score=lots"),
        client.get("/admin/users"),
        client.post("/logout"),
    ]
    assert [r.status_code for r in responses] == [200, 302, 200, 200, 200, 200, 404, 400, 403, 400]
    for response in responses:
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (response.url, name)
    assert "script-src 'self'" in HEADERS["Content-Security-Policy"]
    assert "'unsafe-inline'" not in HEADERS["Content-Security-Policy"]


class Elements(HTMLParser):
    """Every element of a page with its attributes, as a browser's parser reads them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def test_pages_have_no_inline_script_or_style(app: App) -> None:
    client = app.client("alice")
    for path in ["/", "/search?q=glock", f"/listing/{HOSTILE_ID}", "/dashboard", "/admin/audit"]:
        elements = Elements(client.get(path).text).found
        scripts = [attrs for tag, attrs in elements if tag == "script"]
        assert scripts == [{"src": "/static/app.js", "defer": None}], path
        assert not [tag for tag, _ in elements if tag == "style"], path
        for tag, attrs in elements:
            assert not [name for name in attrs if name == "style" or name.startswith("on")], tag


def test_hostile_listing_is_shown_as_text(app: App) -> None:
    client = app.client("bob")
    page = client.get(f"/listing/{HOSTILE_ID}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;/div&gt;&lt;script&gt;document.title=&#34;owned&#34;&lt;/script&gt;" in page
    assert "&lt;b&gt;evil&lt;/b&gt;" in page
    # Watchlist words are marked after escaping, inside the escaped text.
    assert '<mark class="term">Glock 19</mark>' in page
    # In search results, highlights are escaped first, then marked.
    results = client.get("/search?q=pwned").text
    assert "<script>" not in results.replace('<script src="/static/app.js" defer>', "")
    assert "&lt;script&gt;alert(&#34;<mark>pwned</mark>&#34;)" in results
    queue = client.get("/").text
    assert "&lt;script&gt;alert" in queue and "<script>alert" not in queue


def test_verdicts_are_stored_as_training_data_and_audited(any_app: App) -> None:
    confirmed, benign, unsure = flagged_ids(any_app, 3, offset=2)
    client = any_app.client("bob")
    path = "/listing/{}/review"
    # Confirmed with labels the analyst chose, which differ from the model's.
    form = {"verdict": "confirmed", "label": ["ammunition", "firearm"], "note": "two mags"}
    response = client.form(path.format(confirmed), form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/listing/{confirmed}?done=reviewed"
    client.form(path.format(benign), {"verdict": "false_positive", "label": "firearm"})
    client.form(path.format(unsure), {"verdict": "follow_up", "next": "/?sort=newest"})

    (review,) = any_app.reviews(confirmed)
    assert (review.verdict, review.labels, review.analyst, review.note) == (
        "confirmed",
        ("firearm", "ammunition"),
        "bob",
        "two mags",
    )
    assert [(r.verdict, r.labels) for r in any_app.reviews(benign)] == [("false_positive", ())]
    assert [r.verdict for r in any_app.reviews(unsure)] == ["follow_up"]
    audited = {e.listing_id: e for e in any_app.audit(actor="bob", action="review")}
    assert audited[confirmed].detail == {
        "verdict": "confirmed",
        "labels": ["firearm", "ammunition"],
        "note": "two mags",
        "review_id": review.id,
    }
    assert audited[benign].detail["verdict"] == "false_positive"
    assert audited[unsure].detail["verdict"] == "follow_up"

    # The queue leaves reviewed listings out; follow-ups have their own tab.
    queue = client.get("/").text + client.get("/?sort=newest").text
    for listing_id in (confirmed, benign, unsure):
        assert f"/listing/{listing_id}" not in queue
    assert f"/listing/{unsure}" in client.get("/?tab=follow_up").text
    page = client.get(f"/listing/{confirmed}").text
    assert "confirmed</span> (firearm, ammunition) by bob" in page
    # Search finds them by their verdict.
    assert confirmed in row_ids(client.get("/search?verdict=confirmed").text)
    unreviewed = row_ids(client.get("/search?verdict=none&label=firearm&label=parts").text)
    assert unreviewed and not {confirmed, benign, unsure} & set(unreviewed)


def test_a_confirmation_needs_labels(app: App) -> None:
    (listing_id,) = flagged_ids(app, 1, offset=5)
    client = app.client("bob")
    response = client.form(f"/listing/{listing_id}/review", {"verdict": "confirmed"})
    assert response.status_code == 400 and "tick the labels you agree with" in response.text
    response = client.form(f"/listing/{listing_id}/review", {"verdict": "maybe"})
    assert response.status_code == 400
    assert app.reviews(listing_id) == []


def test_notes_and_cases_are_kept_and_audited(app: App) -> None:
    first, second = flagged_ids(app, 2, offset=6)
    client = app.client("bob")
    note = "Seller also on <i>forum</i>"
    assert client.form(f"/listing/{first}/note", {"text": note}).status_code == 302
    assert client.form(f"/listing/{first}/note", {"text": "  "}).status_code == 400
    page = client.get(f"/listing/{first}").text
    assert "Seller also on &lt;i&gt;forum&lt;/i&gt;" in page
    (entry,) = app.audit(actor="bob", action="note")
    assert entry.listing_id == first and entry.detail["text"] == note

    response = client.form(f"/listing/{first}/case", {"new_case": "Operation Kestrel"})
    assert response.status_code == 302
    with Workspace.open(workspace_path(app.data_dir)) as ws:
        case = ws.cases.get("Operation Kestrel")
    assert case is not None and case.created_by == "bob"
    client.form(f"/listing/{second}/case", {"case": str(case.id)})
    page = client.get(f"/cases/{case.id}").text
    assert f"/listing/{first}" in page and f"/listing/{second}" in page
    client.form(f"/cases/{case.id}/remove", {"listing_id": second}, page=f"/cases/{case.id}")
    with Workspace.open(workspace_path(app.data_dir)) as ws:
        assert ws.cases.listing_ids(case.id) == [first]
    actions = [(e.action, e.listing_id) for e in app.audit(actor="bob") if "case" in e.action]
    assert actions == [
        ("case_create", None),
        ("case_add", first),
        ("case_add", second),
        ("case_remove", second),
    ]
    taken = client.form(f"/listing/{second}/case", {"new_case": "Operation Kestrel"})
    assert taken.status_code == 400


def test_queue_tabs_have_real_totals_filters_and_pages(any_app: App) -> None:
    # Sixty flagged listings of a source of their own, scored below every demo listing.
    scores = {f"{n:032x}": round(0.3 + n / 1000, 3) for n in range(60)}
    any_app.add(
        *(
            make(listing_id, source="bulk", title="Magazine lot", labels=["parts"],
                 scores={"parts": score}, threat_score=score)
            for listing_id, score in scores.items()
        )
    )  # fmt: skip
    expected = sorted(scores, key=lambda listing_id: -scores[listing_id])
    client = any_app.client("bob")

    first = client.get("/?source=bulk")
    assert "60 flagged listing(s) nobody has reviewed yet" in first.text
    assert 'name="max_score"' in first.text and '<select name="verdict">' not in first.text
    assert row_ids(first.text) == expected[:50]
    link = NEXT_PAGE.search(first.text)
    assert link is not None
    second = client.get(html.unescape(link.group(1))).text
    assert "60 flagged listing(s)" in second and "a later page" in second
    assert row_ids(second) == expected[50:] and not NEXT_PAGE.search(second)

    # A score range, both ends included.
    ranged = client.get("/?source=bulk&min_score=0.31&max_score=0.32").text
    assert "11 flagged listing(s)" in ranged
    assert row_ids(ranged) == [i for i in expected if 0.31 <= scores[i] <= 0.32]

    # A verdict moves a listing from one tab to the other, with the same filters.
    top = expected[0]
    form = {"verdict": "follow_up", "next": "/?source=bulk"}
    response = client.form(f"/listing/{top}/review", form)
    assert response.headers["Location"] == "/?source=bulk&done=reviewed"
    todo = client.get("/?source=bulk").text
    assert "59 flagged listing(s)" in todo and top not in row_ids(todo)
    waiting = client.get("/?tab=follow_up&source=bulk").text
    assert row_ids(waiting) == [top]
    assert '1 listing(s) whose latest verdict is "needs follow-up"' in html.unescape(waiting)
    assert row_ids(client.get("/?tab=follow_up&source=bulk&max_score=0.35").text) == []
    everywhere = row_ids(client.get("/?tab=follow_up").text)
    assert top in everywhere
    assert set(everywhere) == {i for i, v in latest_verdicts(any_app).items() if v == "follow_up"}

    refused = client.get("/?min_score=0.8&max_score=0.2")
    assert refused.status_code == 400 and "above the maximum" in refused.text


def test_search_filters_and_counts_by_the_latest_verdict(any_app: App) -> None:
    changed, benign = flagged_ids(any_app, 2, offset=11)
    client = any_app.client("bob")
    path = "/listing/{}/review"
    client.form(path.format(changed), {"verdict": "false_positive"})
    client.form(path.format(changed), {"verdict": "confirmed", "label": "parts"})
    client.form(path.format(benign), {"verdict": "false_positive"})
    latest = latest_verdicts(any_app)

    page = client.get("/search?verdict=false_positive").text
    assert set(row_ids(page)) == {i for i, v in latest.items() if v == "false_positive"}
    assert benign in row_ids(page) and changed not in row_ids(page)
    assert '<option value="false_positive" selected>' in page
    everything = client.get("/search").text
    facet = everything[everything.index("facet-verdict") :]
    facet = facet[: facet.index("</section>")]
    counts = dict(re.findall(r'>([a-z -]+)</a> <span class="n">(\d+)</span>', facet))
    confirmed = sum(v == "confirmed" for v in latest.values())
    assert counts["confirmed"] == str(confirmed) and int(counts["not reviewed"]) > 0
    assert "verdict=false_positive" in facet

    refused = client.get("/search?verdict=maybe")
    assert refused.status_code == 400 and "choose one of" in refused.text


def test_ticked_listings_are_added_to_a_case(any_app: App) -> None:
    first, second, third = flagged_ids(any_app, 3, offset=13)
    client = any_app.client("alice")
    results = client.get("/search?label=firearm").text
    assert 'formaction="/cases/add"' in results and 'form="selection"' in results
    form = {"id": [first, second], "new_case": "Operation Osprey", "next": "/search?label=firearm"}

    assert client.post("/cases/add", data=form).status_code == 400  # no CSRF token
    response = client.form("/cases/add", form, page="/search")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?label=firearm&done=case_added"
    with Workspace.open(workspace_path(any_app.data_dir)) as ws:
        case = ws.cases.get("Operation Osprey")
        assert case is not None and ws.cases.listing_ids(case.id) == [first, second]
    # From the queue, into the case just made: only the new one is added (and audited).
    response = client.form("/cases/add", {"id": [second, third], "case": str(case.id)})
    assert response.headers["Location"] == f"/cases/{case.id}?done=case_added"
    for refused, status in [
        ({"case": str(case.id)}, 400),  # nothing ticked
        ({"id": "d" * 32, "case": str(case.id)}, 404),  # not in the store
        ({"id": first}, 400),  # no case chosen
        ({"id": first, "case": "999"}, 400),
    ]:
        assert client.form("/cases/add", refused).status_code == status
    with Workspace.open(workspace_path(any_app.data_dir)) as ws:
        assert ws.cases.listing_ids(case.id) == [first, second, third]
    audited = [
        (e.action, e.listing_id)
        for e in any_app.audit(actor="alice")
        if e.detail.get("case") == "Operation Osprey"
    ]
    assert audited == [
        ("case_create", None),
        ("case_add", first),
        ("case_add", second),
        ("case_add", third),
    ]
    page = client.get(f"/cases/{case.id}").text
    assert all(f"/listing/{i}" in page for i in (first, second, third))


def test_search_export_matches_the_search_and_is_audited(any_app: App) -> None:
    client = any_app.client("bob")
    expected = {listing.id for listing in any_app.listings(text="glock", sources=("demo-market",))}
    assert expected
    form = {"what": "search", "format": "csv", "q": "glock", "source": "demo-market"}
    response = client.form("/export", form)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["id"] for row in rows} == expected
    entry = any_app.audit(actor="bob", action="export")[-1]
    assert entry.detail["what"] == "search" and entry.detail["count"] == len(expected)
    assert entry.detail["query"] == {"q": "glock", "source": "demo-market", "sort": "relevance"}


def test_selection_export_as_json_lines(app: App) -> None:
    chosen = flagged_ids(app, 2, offset=8)
    response = app.client("bob").form(
        "/export", {"what": "selection", "format": "jsonl", "id": chosen}
    )
    assert response.status_code == 200
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [record["id"] for record in records] == chosen
    entry = app.audit(actor="bob", action="export")[-1]
    assert entry.detail["listing_ids"] == chosen and entry.detail["format"] == "jsonl"


def test_raw_pages_are_downloads_never_html(app: App) -> None:
    (listing_id,) = flagged_ids(app, 1, offset=10)
    client = app.client("bob")
    page = client.get(f"/listing/{listing_id}").text
    assert "Every kept file matches its SHA-256" in page
    response = client.get(f"/listing/{listing_id}/evidence/0")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert b"<html" in response.content.lower()
    assert client.get(f"/listing/{listing_id}/evidence/99").status_code == 404


def test_admin_pages_are_for_admins(app: App) -> None:
    analyst = app.client("bob")
    assert analyst.get("/admin/users").status_code == 403
    assert analyst.get("/admin/audit").status_code == 403
    assert analyst.form("/admin/users", {"name": "eve", "password": PASSWORD}).status_code == 403
    admin = app.client("alice")
    form = {"name": "dave", "password": PASSWORD, "role": "analyst"}
    assert admin.form("/admin/users", form, page="/admin/users").status_code == 302
    assert "dave" in admin.get("/admin/users").text
    assert app.client("dave").get("/").status_code == 200
    admin.form("/admin/users/dave/remove", {}, page="/admin/users")
    assert Client(app.url).login("dave", PASSWORD).status_code == 401
    actions = [(e.action, e.detail.get("user")) for e in app.audit(actor="alice")]
    assert ("user_add", "dave") in actions and ("user_remove", "dave") in actions


def test_audit_log_export_is_itself_audited(app: App) -> None:
    admin = app.client("alice")
    page = admin.get("/admin/audit?action=login").text
    assert "hash chain of the audit log is intact" in page
    response = admin.form("/admin/audit/export", {"action": "login"}, page="/admin/audit")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    entries = [json.loads(line) for line in response.text.splitlines()]
    assert entries and {entry["action"] for entry in entries} == {"login"}
    last = app.audit(action="audit_export")[-1]
    assert last.actor == "alice" and last.detail["count"] == len(entries)


def test_logout_ends_the_session(app: App) -> None:
    client = app.client("bob")
    assert client.form("/logout", {}).status_code == 302
    assert client.get("/").status_code == 302
    assert app.audit(actor="bob", action="logout")


def test_dashboard_counts_and_plot(any_app: App) -> None:
    page = any_app.client("bob").get("/dashboard").text
    flagged = len(any_app.listings(labels=LABELS))
    assert f"{flagged} flagged" in page
    assert '<svg class="chart"' in page and '<rect class="bar"' in page
    assert "demo-market" in page


def test_serve_refuses_a_port_in_use(app: App) -> None:
    port = app.url.rsplit(":", 1)[1]
    result = run_cli(
        "--config", DEMO_CONFIG, "--data-dir", app.data_dir, "review", "serve", "--port", port
    )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_serve_refuses_to_start_without_accounts(tmp_path: Path) -> None:
    result = run_cli("--data-dir", tmp_path, "review", "serve", "--port", str(free_port()))
    assert result.returncode == 2
    assert "user add NAME --role admin" in result.stderr


def test_marks_are_added_to_escaped_text_only() -> None:
    start, end = HIGHLIGHT_START, HIGHLIGHT_END
    assert highlighted(f"<b>{start}glock{end}</b> {end}x{start}y") == (
        "&lt;b&gt;<mark>glock</mark>&lt;/b&gt; x<mark>y</mark>"
    )
    classes = term_classes({"firearm": ["Glock 19", "-airsoft", "?WTB", "+live rounds"]})
    assert classes == {"glock 19": "term", "airsoft": "negative"}
    assert with_terms("<i>GLOCK 19</i> airsoft <mark>", classes) == (
        '&lt;i&gt;<mark class="term">GLOCK 19</mark>&lt;/i&gt; '
        '<mark class="negative">airsoft</mark> &lt;mark&gt;'
    )


def test_precision_counts_each_label_against_the_latest_verdicts() -> None:
    def listing(listing_id: str, *labels: str) -> Listing:
        return make(listing_id, labels=list(labels))

    def verdict(listing_id: str, verdict: str, *labels: str) -> Review:
        return Review(listing_id, verdict, "bob", "2026-11-20T10:00:00+00:00", labels)

    listings = {
        "a": listing("a", "firearm", "parts"),
        "b": listing("b", "firearm"),
        "c": listing("c", "ammunition"),
        "d": listing("d"),
    }
    verdicts = {
        "a": verdict("a", "confirmed", "firearm"),
        "b": verdict("b", "false_positive"),
        "c": verdict("c", "follow_up"),
        "d": verdict("d", "confirmed", "parts"),  # the model missed it: no flag to judge
    }
    found = {p.label: (p.agreed, p.disagreed, p.value) for p in model_precision(listings, verdicts)}
    assert found == {
        "firearm": (1, 1, 0.5),
        "parts": (0, 1, 0.0),
        "ammunition": (0, 0, None),
        "blueprints": (0, 0, None),
        ANY_LABEL: (1, 1, 0.5),
    }
