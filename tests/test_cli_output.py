"""What operators read: crawl statuses, the progress line, the summary table."""

from __future__ import annotations

from rich.console import Console

from armswatch.cli.output import progress_line, report_table
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
