"""The review web app end to end in real headless Chromium (Playwright), against
`armswatch review serve` over a store filled by a demo crawl: an analyst's day from
log-in to a case's evidence package, every step in the audit log; ticked search
results put in a case; a listing whose title is script markup runs nothing; the
keyboard shortcuts work."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import stix2
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from armswatch.demo import DemoSites
from armswatch.export import verify_package
from armswatch.workspace import Workspace, workspace_path
from crawlers.browser import CHROMIUM_ARGS
from tests.test_webapp import (
    HOSTILE_ID,
    HOSTILE_TITLE,
    PASSWORD,
    App,
    flagged_ids,
    serving,
)

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [arg for arg in CHROMIUM_ARGS if not arg.startswith("--host-resolver-rules")]


@pytest.fixture(scope="module")
def app(demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The demo market (HTTP) and jsmarket (rendered: listings with screenshots), a
    hostile listing, an admin; the app serving them."""
    directory = tmp_path_factory.mktemp("webapp-browser")
    yield from serving("sqlite", demo_sites, directory, ("demo-market", "demo-jsmarket"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """What a page did besides rendering: dialogs it opened, errors it logged."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def watched() -> Watched:
    return Watched()


@pytest.fixture
def page(browser: Browser, watched: Watched) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose dialogs and errors are `watched`."""
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    opened.on("dialog", watched.dialog)
    opened.on("console", watched.console)
    opened.on("pageerror", lambda error: watched.errors.append(str(error)))
    yield opened
    context.close()


def log_in(page: Page, app: App, name: str = "alice") -> None:
    page.goto(app.url + "/")
    expect(page).to_have_url(f"{app.url}/login?next=/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    expect(page.locator("h1")).to_have_text("Queue")


def download(page: Page, tmp_path: Path, fmt: str) -> Path:
    """Export the case page's case in `fmt` and save the file the browser receives."""
    page.select_option("select[name=format]", fmt)
    with page.expect_download() as info:
        page.click("form.export button[type=submit]")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_an_analysts_day(app: App, page: Page, watched: Watched, tmp_path: Path) -> None:
    log_in(page, app)

    # Search, with the matched words marked.
    page.click("header nav >> text=Search")
    page.fill("input[data-search]", "glock")
    page.press("input[data-search]", "Enter")
    expect(page.locator("h1")).to_have_text("Search")
    expect(page.locator("table.listings tbody tr").first).to_be_visible()
    assert page.locator("table.listings mark").count() > 0
    assert all(
        "glock" in text.lower() for text in page.locator("table.listings mark").all_inner_texts()
    )

    # Filter: one label, one source.
    page.check("fieldset.labels input[value=parts]")
    page.select_option("select[name=source]", "demo-jsmarket")
    page.click("form.filters button:has-text('Apply')")
    rows = page.locator("table.listings tbody tr")
    expect(rows.first).to_be_visible()
    facts = rows.locator("td.listing .facts").all_inner_texts()
    assert facts and all(text.startswith("demo-jsmarket ·") for text in facts)
    assert all("parts" in text for text in rows.locator("td.labels").all_inner_texts())

    # Open a listing: its rendered page was captured, the screenshot shows.
    page.click("table.listings tbody tr >> nth=0 >> a[data-open]")
    expect(page.locator("section.actions-panel")).to_be_visible()
    confirmed_id = page.url.rsplit("/", 1)[1]
    screenshot = page.locator("figure.screenshot img")
    expect(screenshot).to_be_visible()
    assert screenshot.evaluate("img => img.naturalWidth") > 0
    expect(page.locator("p.ok")).to_contain_text("Every kept file matches")

    # Confirm with the labels the analyst agrees with (not the model's).
    panel = page.locator("section.actions-panel")
    panel.locator("input[name=label][value=parts]").uncheck()
    panel.locator("input[name=label][value=firearm]").check()
    panel.locator("input[name=note]").fill("vendor known from case 12")
    panel.locator("button:has-text('Confirm')").click()
    expect(page.locator("p.done")).to_have_text("Verdict recorded.")
    expect(page.locator("ul.reviews")).to_contain_text("confirmed (firearm) by alice")

    # A note, and a new case.
    page.fill("form.note-form textarea", "Same photos as on the forum.")
    page.click("form.note-form button")
    expect(page.locator("ul.notes")).to_contain_text("Same photos as on the forum.")
    page.fill("form.case-form input[name=new_case]", "Operation Bluebird")
    page.click("form.case-form button")
    expect(page.locator("p.done")).to_have_text("Added to the case.")

    # Another listing: a false positive, also put in the case.
    other = next(i for i in flagged_ids(app, 5, offset=0) if i != confirmed_id)
    page.goto(f"{app.url}/listing/{other}")
    page.click("section.actions-panel button:has-text('False positive')")
    expect(page.locator("ul.reviews")).to_contain_text("false positive by alice")
    page.select_option("form.case-form select[name=case]", label="Operation Bluebird")
    page.click("form.case-form button")
    page.click("text=Operation Bluebird")
    expect(page.locator("h1")).to_have_text("Case: Operation Bluebird")
    case_ids = {confirmed_id, other}

    # Exports of the case: CSV, STIX 2.1, the evidence package.
    with download(page, tmp_path, "csv").open(encoding="utf-8-sig") as text:
        rows_csv = list(csv.DictReader(text))
    assert {row["id"] for row in rows_csv} == case_ids
    stix_file = download(page, tmp_path, "stix")
    bundle = stix2.parse(stix_file.read_text(encoding="utf-8"), allow_custom=True)
    assert bundle.type == "bundle"
    urls = {obj.value for obj in bundle.objects if obj.type == "url"}
    listings = app.listings(sources=("demo-market", "demo-jsmarket"))
    by_id = {listing.id: listing for listing in listings}
    assert {by_id[i].url for i in case_ids} <= urls
    indicators = [obj for obj in bundle.objects if obj.type == "indicator"]
    # The false positive is not flagged; the confirmed one carries the analyst's label.
    assert [obj.labels for obj in indicators] == [["firearm"]]
    package = download(page, tmp_path, "package")
    assert package.suffix == ".zip"
    assert verify_package(package) == []

    # The audit log shows every step, to an admin.
    steps = [(e.action, e.listing_id) for e in app.audit(actor="alice")]
    assert steps[0] == ("login", None)
    for step in [
        ("review", confirmed_id),
        ("note", confirmed_id),
        ("case_create", None),
        ("case_add", confirmed_id),
        ("review", other),
        ("case_add", other),
    ]:
        assert step in steps
    exports = [e.detail for e in app.audit(actor="alice", action="export")]
    assert [(d["format"], d["what"], d["count"]) for d in exports] == [
        ("csv", "case", 2),
        ("stix", "case", 2),
        ("package", "case", 2),
    ]
    page.goto(f"{app.url}/admin/audit?actor=alice")
    table = page.locator("table.audit").inner_text()
    for action in ("login", "review", "note", "case_create", "case_add", "export"):
        assert f"\t{action}\t" in table
    assert watched.errors == [] and watched.dialogs == []


def test_ticked_results_go_into_a_case(app: App, page: Page, watched: Watched) -> None:
    log_in(page, app)
    page.goto(f"{app.url}/search?label=ammunition")
    rows = page.locator("table.listings tbody tr")
    expect(rows.nth(2)).to_be_visible()
    ticked = []
    for n in (0, 2):
        rows.nth(n).locator("input[name=id]").check()
        ticked.append(rows.nth(n).locator("a[data-open]").get_attribute("href").rsplit("/", 1)[1])

    page.fill("form.selection input[name=new_case]", "Operation Heron")
    page.click("form.selection button:has-text('Add ticked to case')")

    expect(page.locator("p.done")).to_have_text("Added to the case.")
    expect(page).to_have_url(re.compile(r"/search\?label=ammunition&"))
    with Workspace.open(workspace_path(app.data_dir)) as ws:
        case = ws.cases.get("Operation Heron")
        assert case is not None and ws.cases.listing_ids(case.id) == ticked
    added = [e.listing_id for e in app.audit(actor="alice", action="case_add")]
    assert added[-2:] == ticked
    assert watched.errors == [] and watched.dialogs == []


def test_script_markup_in_a_title_runs_nothing(app: App, page: Page, watched: Watched) -> None:
    log_in(page, app)
    page.goto(f"{app.url}/listing/{HOSTILE_ID}")
    expect(page.locator("h1.listing-title")).to_have_text(HOSTILE_TITLE)
    assert page.title() == f"{HOSTILE_TITLE} · armswatch review"
    assert page.locator("h1.listing-title script, h1.listing-title img").count() == 0
    assert page.locator("div.listing-text script").count() == 0
    page.goto(f"{app.url}/search?q=pwned")
    expect(page.locator("table.listings tbody tr")).to_have_count(1)
    expect(page.locator(f"a[href='/listing/{HOSTILE_ID}']")).to_contain_text("<script>")
    assert page.evaluate("document.scripts.length") == 1
    assert watched.dialogs == []
    assert watched.errors == []  # nothing refused by the CSP either


def test_keyboard_triage(app: App, page: Page, watched: Watched) -> None:
    log_in(page, app)
    page.keyboard.press("/")
    expect(page.locator("input[data-search]")).to_be_focused()
    page.locator("input[data-search]").blur()
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator("tr[data-row]").nth(1)
    expect(second).to_have_class("selected")
    listing_id = second.locator("a[data-open]").get_attribute("href").rsplit("/", 1)[1]
    page.keyboard.press("k")
    expect(page.locator("tr[data-row]").first).to_have_class("selected")
    page.keyboard.press("j")
    page.keyboard.press("u")  # needs follow-up, for the selected row
    expect(page.locator("p.done")).to_have_text("Verdict recorded.")
    assert [r.verdict for r in app.reviews(listing_id)] == ["follow_up"]
    assert page.locator(f"a[href='/listing/{listing_id}']").count() == 0
    page.goto(f"{app.url}/listing/{listing_id}")
    page.keyboard.press("f")  # on a listing's page: its own buttons
    expect(page.locator("ul.reviews")).to_contain_text("false positive by alice")
    assert [r.verdict for r in app.reviews(listing_id)] == ["follow_up", "false_positive"]
    assert watched.errors == []
