"""How listings, runs and crawl reports are shown: rich tables for people,
JSON Lines (`--json`) for scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from rich.columns import Columns
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from armswatch import LABELS
from armswatch.entities.model import Entities
from armswatch.listing import Attachment, Listing, price_text
from armswatch.stores import CrawlRun, ListingVersion
from armswatch.stores.base import HIGHLIGHT_END, HIGHLIGHT_START

if TYPE_CHECKING:
    from crawlers.runner import SourceReport

Highlights = Mapping[str, list[str]]
"""One listing's highlight fragments per field (see `SearchResult.highlights`)."""


def json_line(listing: Listing, highlights: Highlights | None = None) -> str:
    """The listing's record; with the matched words of a text search under "highlights"."""
    record = listing.to_record()
    if highlights:
        record["highlights"] = dict(highlights)
    return json.dumps(record, ensure_ascii=False)


def facets_json(total: int, facets: Mapping[str, list[tuple[str, int]]]) -> str:
    """The matches' count and their facet counts, as one JSON object."""
    counts = {
        name: [{"value": value, "count": count} for value, count in values]
        for name, values in facets.items()
    }
    return json.dumps({"total": total, "facets": counts}, ensure_ascii=False)


SHORT_ID = 12
"""Characters of an id shown in tables; `armswatch show` accepts them."""

HIGHLIGHT_STYLE = "bold yellow"
"""How the table shows the words a text search matched."""
_MARKS = re.compile(f"({HIGHLIGHT_START}|{HIGHLIGHT_END})")


def highlighted(fragment: str, style: str = HIGHLIGHT_STYLE) -> Text:
    """A highlight fragment with its matched words in `style`.

    Built piece by piece, never read as rich markup: listing text is what a
    seller wrote, brackets included, and a stray marker in it (the marks are
    ordinary private-use characters) must not break the table.
    """
    text = Text()
    marked = False
    for piece in _MARKS.split(fragment):
        if piece in (HIGHLIGHT_START, HIGHLIGHT_END):
            marked = piece == HIGHLIGHT_START
        elif piece:
            text.append(piece, style if marked else None)
    return text


def listings_table(
    listings: Iterable[Listing],
    title: str | None = None,
    highlights: Mapping[str, Highlights] | None = None,
) -> Table:
    """One row per listing: the title (with source, language and price under it)
    gets the width, as it is what an analyst scans. With `highlights` (a text
    search), the matched words stand out, the part of the text that matched is
    shown under the title, and a matching seller beside the price."""
    table = Table(title=title, show_lines=False)
    table.add_column("id", style="dim", no_wrap=True, min_width=SHORT_ID)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("labels", style="bold red", max_width=24)
    table.add_column("listing", overflow="fold", ratio=1)
    for listing in listings:
        marks = (highlights or {}).get(listing.id, {})
        cell = highlighted(marks["title"][0]) if marks.get("title") else Text(listing.title)
        cell = cell[:160]
        if marks.get("text"):
            cell.append("\n")
            cell.append_text(highlighted(" ".join(marks["text"])))
        facts = " · ".join(
            [listing.source, listing.lang or "?", price_text(listing.price, listing.currency)]
        )
        cell.append("\n")
        cell.append(facts, "dim")
        if marks.get("seller"):
            cell.append(" · seller ", "dim")
            cell.append_text(highlighted(marks["seller"][0]))
        table.add_row(
            listing.id[:SHORT_ID],
            f"{listing.threat_score:.2f}",
            "\n".join(listing.labels) or "-",
            cell,
        )
    return table


def facet_tables(facets: Mapping[str, list[tuple[str, int]]]) -> Columns:
    """A small count table per facet, side by side as the width allows."""
    tables = []
    for name, values in facets.items():
        table = Table(title=f"by {name}", title_justify="left")
        table.add_column(name, overflow="fold", max_width=40)
        table.add_column("count", justify="right")
        for value, count in values:
            table.add_row(Text(value), str(count))
        if not values:
            table.add_row(Text("(none)", style="dim"), "")
        tables.append(table)
    return Columns(tables)


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
    facts.add_row("vendor", listing.vendor_id or "-")
    facts.add_row("near-duplicates", listing.duplicate_cluster or "-")

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
    leads = Entities.from_json(listing.entities).keys()
    if leads:
        parts.append(Panel(Text("\n".join(leads)), title="leads", title_align="left"))
    if listing.attachments:
        parts.append(attachments_table(listing.attachments))
    if listing.images:
        parts.append(Text("images: " + ", ".join(listing.images)))
    parts.append(history)
    return Group(*parts)  # type: ignore[arg-type]


def attachments_table(attachments: list[Attachment]) -> Table:
    """Linked files; for fetched ones (`fetch_attachments`) also their SHA-256, archive
    members, hash-list matches, or why they were not kept."""
    fetched = any(a.sha256 or a.fetch_error for a in attachments)
    files = Table(
        title="attachments" if fetched else "attachments (not downloaded)", title_justify="left"
    )
    for column in ("name", "type", "size", "url", *(("fetched",) if fetched else ())):
        files.add_column(column, overflow="fold")
    for a in attachments:
        row = [a.name, a.ext, a.size or "?", a.url]
        if fetched:
            notes = [f"sha256 {a.sha256}, {a.bytes:,} bytes"] if a.sha256 else []
            notes += [f"{len(a.members)} archive members"] if a.members else []
            notes += [
                f"ON HASH LIST {m.hashlist}: {m.label}" + (f" ({m.member})" if m.member else "")
                for m in a.hash_matches
            ]
            notes += [a.fetch_error] if a.fetch_error else []
            row.append("\n".join(notes) or "-")
        files.add_row(*row)
    return files


def report_table(reports: list[SourceReport]) -> Table:
    table = Table(
        title="crawl summary",
        caption="failed: fetches that failed (see the audit trail); refused: not fetched "
        "(robots.txt, .onion without Tor); dropped: pages with no listing text, or refused "
        "by the store",
    )
    table.add_column("source", no_wrap=True)
    table.add_column("status", min_width=6)
    columns = ("pages", "new", "changed", "same", "flagged", "failed", "refused", "dropped")
    for column in columns:
        table.add_column(column, justify="right", min_width=len(column))
    for r in reports:
        figures = r.summary()
        table.add_row(
            r.source,
            Text(r.status, style="green" if r.ok else "bold red"),
            *(str(figures[column]) for column in columns),
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
