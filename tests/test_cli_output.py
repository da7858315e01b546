"""What operators read: crawl statuses, the progress line, the summary table."""

from __future__ import annotations

import io

from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style

from armswatch.cli.output import (
    HIGHLIGHT_STYLE,
    highlighted,
    listings_table,
    progress_line,
    report_table,
)
from armswatch.listing import Listing
from armswatch.stores.base import HIGHLIGHT_END, HIGHLIGHT_START
from crawlers.runner import SourceReport


def render(renderable: object) -> str:
    console = Console(width=160, record=True)
    console.print(renderable)
    return console.export_text()


def test_statuses_say_what_happened() -> None:
    assert SourceReport("a", "finished", {"response_received_count": 3}).status == "ok"
    capped = SourceReport("a", "closespider_pagecount", {"response_received_count": 9})
    assert capped.status == "stopped at page cap" and capped.ok
    down = SourceReport("a", "finished", {"armswatch/fetch_failed": 1})
    assert down.status == "unreachable" and not down.ok
    stopped = SourceReport("a", "shutdown", {"response_received_count": 3})
    assert stopped.status == "interrupted (resumes next run)" and not stopped.ok
    crashed = SourceReport("a", "cancelled", {})
    assert crashed.status == "failed (cancelled)" and not crashed.ok


def test_progress_line_adds_up_sources() -> None:
    reports = [
        SourceReport(
            "a",
            "running",
            {"response_received_count": 10, "armswatch/listings_new": 4, "armswatch/flagged": 1},
        ),
        SourceReport(
            "b",
            "finished",
            {
                "response_received_count": 5,
                "armswatch/listings_changed": 2,
                "armswatch/fetch_failed": 1,
            },
        ),
    ]
    line = progress_line(reports).plain
    assert "1/2 sources running" in line
    assert "pages 15" in line and "new 4" in line and "changed 2" in line
    assert "flagged 1" in line and "failed fetches 1" in line


def test_summary_table_rows() -> None:
    text = render(
        report_table(
            [
                SourceReport(
                    "market",
                    "finished",
                    {
                        "response_received_count": 7,
                        "armswatch/listings_new": 5,
                        "armswatch/refused": 2,
                        "armswatch/dropped_empty": 1,
                    },
                ),
                SourceReport("forum", "finished", {"armswatch/fetch_failed": 3}),
            ]
        )
    )
    market = next(line for line in text.splitlines() if "market" in line)
    assert market.split("│")[2].strip() == "ok"
    assert [cell.strip() for cell in market.split("│")[3:-1]] == [
        "7",
        "5",
        "0",
        "0",
        "0",
        "0",
        "2",
        "1",
    ]
    assert "unreachable" in text


# -- search results -------------------------------------------------------------------

S, E = HIGHLIGHT_START, HIGHLIGHT_END


def test_highlights_are_styled_and_never_read_as_markup() -> None:
    text = highlighted(f"[bold]x[/] {S}Réplique{E} [/] {E}stray {S}open to the end")

    assert text.plain == "[bold]x[/] Réplique [/] stray open to the end"
    assert [(text.plain[span.start : span.end], span.style) for span in text.spans] == [
        ("Réplique", HIGHLIGHT_STYLE),
        ("open to the end", HIGHLIGHT_STYLE),
    ]


def test_results_table_shows_the_matched_words_highlighted() -> None:
    listing = Listing(
        id="a" * 32,
        source="demo-market",
        url="https://market.example/item/a",
        title="Réplique Glock 17 [red]",
        text="Pistolet à billes, réplique en bon état.",
        seller="Replique Shop",
        lang="fr",
    )
    marks = {
        listing.id: {
            "title": [f"{S}Réplique{E} Glock 17 [red]"],
            "text": [f"billes, {S}réplique{E} en bon"],
            "seller": [f"{S}Replique{E} Shop"],
        }
    }
    console = Console(
        file=io.StringIO(), width=160, record=True, force_terminal=True, color_system="standard"
    )

    console.print(listings_table([listing], highlights=marks))

    plain = console.export_text(styles=False, clear=False)
    styled = console.export_text(styles=True)
    assert "Réplique Glock 17 [red]" in plain
    assert "billes, réplique en bon" in plain
    assert "demo-market · fr · - · seller Replique Shop" in plain
    bold_yellow = Style.parse(HIGHLIGHT_STYLE).render("{}", color_system=ColorSystem.STANDARD)
    for word in ("Réplique", "réplique", "Replique"):
        assert bold_yellow.format(word) in styled
    assert S not in plain and E not in plain
