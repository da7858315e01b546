"""How listings, runs and crawl reports are shown: rich tables for people,
JSON Lines (`--json`) for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from armswatch import LABELS
from armswatch.listing import Listing
from armswatch.stores import CrawlRun, ListingVersion

if TYPE_CHECKING:
    from crawlers.runner import SourceReport


def json_line(listing: Listing) -> str:
    return json.dumps(listing.to_record(), ensure_ascii=False)


SHORT_ID = 12
"""Characters of an id shown in tables; `armswatch show` accepts them."""


def listings_table(listings: Iterable[Listing], title: str | None = None) -> Table:
    """One row per listing: the title (with source, language and price under it)
    gets the width, as it is what an analyst scans."""
    table = Table(title=title, show_lines=False)
    table.add_column("id", style="dim", no_wrap=True, min_width=SHORT_ID)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("labels", style="bold red", max_width=24)
    table.add_column("listing", overflow="fold", ratio=1)
    for listing in listings:
        facts = " · ".join(
            [listing.source, listing.lang or "?", price_text(listing.price, listing.currency)]
        )
        table.add_row(
            listing.id[:SHORT_ID],
            f"{listing.threat_score:.2f}",
            "\n".join(listing.labels) or "-",
            Text.assemble(listing.title[:160], "\n", (facts, "dim")),
        )
    return table


def price_text(price: float | None, currency: str | None) -> str:
    if price is None:
        return "-"
    return f"{price:,.8g} {currency or ''}".strip()


def listing_panel(listing: Listing, versions: list[ListingVersion]) -> Group:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    for name in ("id", "source", "url", "seller", "posted_at", "first_seen", "last_seen", "lang"):
        facts.add_row(name, str(getattr(listing, name) or "-"))
    facts.add_row("price", price_text(listing.price, listing.currency))
    facts.add_row("content_sha256", listing.content_sha256 or "-")
    facts.add_row("raw_sha256", listing.raw_sha256 or "-")
    facts.add_row("classifier", listing.classifier_version or "not classified yet")

    scores = Table(title="scores", title_justify="left")
    scores.add_column("label")
    scores.add_column("score", justify="right")
    scores.add_column("flagged")
    scores.add_column("because of", overflow="fold")
    for label in LABELS:
        scores.add_row(
            label,
            f"{listing.scores.get(label, 0.0):.2f}",
            "yes" if label in listing.labels else "",
            ", ".join(listing.explanations.get(label, [])),
        )

    history = Table(title="versions", title_justify="left")
    for column in ("version", "seen", "price", "content_sha256"):
        history.add_column(column)
    for v in versions:
        history.add_row(
            str(v.version), v.seen_at, price_text(v.price, v.currency), v.content_sha256[:16]
        )

    parts: list[object] = [
        Panel(Text(listing.title or "(no title)", style="bold"), subtitle=listing.url),
        facts,
        Panel(Text(listing.text[:4000] or "(no text)"), title="text"),
        scores,
    ]
    if listing.attachments:
        files = Table(title="attachments (not downloaded)", title_justify="left")
        for column in ("name", "type", "size", "url"):
            files.add_column(column, overflow="fold")
        for a in listing.attachments:
            files.add_row(a.name, a.ext, a.size or "?", a.url)
        parts.append(files)
    if listing.images:
        parts.append(Text("images: " + ", ".join(listing.images)))
    parts.append(history)
    return Group(*parts)  # type: ignore[arg-type]


def report_table(reports: list[SourceReport]) -> Table:
    table = Table(
        title="crawl summary",
        caption="failed: fetches that failed (see the audit trail); refused: not fetched "
        "(robots.txt); dropped: pages with no listing text, or refused by the store",
    )
    table.add_column("source", no_wrap=True)
    table.add_column("status", min_width=6)
    for column in ("pages", "new", "changed", "same", "flagged", "failed", "refused", "dropped"):
        table.add_column(column, justify="right", min_width=len(column))
    for r in reports:
        table.add_row(
            r.source,
            Text(r.status, style="green" if r.ok else "bold red"),
            str(r.pages),
            str(r.count("armswatch/listings_new")),
            str(r.count("armswatch/listings_changed")),
            str(r.count("armswatch/listings_unchanged")),
            str(r.count("armswatch/flagged")),
            str(r.count("armswatch/fetch_failed")),
            str(r.count("armswatch/refused")),
            str(r.count("armswatch/dropped_empty") + r.count("armswatch/rejected")),
        )
    return table


def progress_line(reports: list[SourceReport]) -> Text:
    def total(key: str) -> int:
        return sum(r.count(key) for r in reports)

    running = sum(1 for r in reports if r.reason == "running")
    return Text.assemble(
        ("crawling ", "bold"),
        f"{running}/{len(reports)} sources running · ",
        f"pages {sum(r.pages for r in reports)} · ",
        f"new {total('armswatch/listings_new')} · ",
        f"changed {total('armswatch/listings_changed')} · ",
        (f"flagged {total('armswatch/flagged')}", "bold red"),
        f" · failed fetches {total('armswatch/fetch_failed')}",
    )


def runs_cell(run: CrawlRun | None) -> str:
    if run is None:
        return "never"
    pages = run.stats.get("response_received_count", 0)
    new = run.stats.get("armswatch/listings_new", 0)
    return f"{run.finished_at or run.started_at} · {run.status} · {pages} pages · {new} new"
