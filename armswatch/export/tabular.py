"""Listings as rows: CSV for spreadsheets, JSON Lines for scripts.

Both carry the same fields: the listing as crawled, the model's labels and
scores, the leads found in it (entities, fetched attachments' hashes), what
linking tied it to (vendor, near-duplicate cluster), and the analyst's latest
verdict where one was given. Listing text is written by sellers, so CSV cells
that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any, TextIO

from armswatch import LABELS
from armswatch.entities.model import Entities
from armswatch.listing import Listing
from armswatch.stores import Review

LISTING_FIELDS = (
    "id",
    "source",
    "url",
    "title",
    "text",
    "price",
    "currency",
    "seller",
    "lang",
    "first_seen",
    "last_seen",
    "labels",
    "threat_score",
    "classifier_version",
    "vendor_id",
    "duplicate_cluster",
)
"""The listing's own fields in an export, in column order."""

ENTITY_COLUMNS = ("entities", "file_hosts", "attachment_sha256", "hash_matches")
"""The leads in a CSV row, each a "; "-joined list: the entity keys the search filters
by ("btc:bc1q...", "pgp:<FINGERPRINT>", "handle:telegram:name"), file-host links, and
the fetched attachments' hashes and hash-list matches."""

REVIEW_FIELDS = ("verdict", "verdict_labels", "verdict_note", "analyst", "reviewed_at")
"""The analyst's verdict in a CSV row (empty cells without one)."""

CSV_COLUMNS = (
    *LISTING_FIELDS,
    *(f"score_{label}" for label in LABELS),
    *ENTITY_COLUMNS,
    "attachments",
    *REVIEW_FIELDS,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""A cell starting with one of these is read as a formula (or trimmed into one) by
Excel, LibreOffice or Google Sheets: `=HYPERLINK(...)` in a title would run."""


def export_record(listing: Listing, review: Review | None = None) -> dict[str, Any]:
    """One listing as an export record (a JSON Lines line): its fields, a score for
    every label, its entities (as `armswatch entities` writes them; {} before
    extraction ran), its attachments with what fetching them found, and `review`
    (null without a verdict)."""
    record: dict[str, Any] = {name: getattr(listing, name) for name in LISTING_FIELDS}
    record["scores"] = {label: listing.scores.get(label, 0.0) for label in LABELS}
    record["entities"] = listing.entities
    record["attachments"] = [asdict(attachment) for attachment in listing.attachments]
    record["review"] = (
        None
        if review is None
        else {
            "verdict": review.verdict,
            "labels": list(review.labels),
            "note": review.note,
            "analyst": review.analyst,
            "reviewed_at": review.reviewed_at,
        }
    )
    return record


def write_jsonl(
    listings: Iterable[Listing], out: TextIO, verdicts: Mapping[str, Review] | None = None
) -> int:
    """One JSON object per listing per line (UTF-8 as is); returns the lines written."""
    verdicts = verdicts or {}
    count = 0
    for listing in listings:
        record = export_record(listing, verdicts.get(listing.id))
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(
    listings: Iterable[Listing], out: TextIO, verdicts: Mapping[str, Review] | None = None
) -> int:
    """A header and one row per listing; returns the rows written. Labels are joined
    by "; ", attachments are a JSON array (without their empty fields), scores have a
    column per label, leads a column per kind (ENTITY_COLUMNS). Open `out` with
    newline="" (the csv module writes the line ends)."""
    verdicts = verdicts or {}
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for listing in listings:
        writer.writerow(csv_row(export_record(listing, verdicts.get(listing.id))))
        count += 1
    return count


def csv_row(record: Mapping[str, Any]) -> list[str]:
    """An export record as CSV cells in CSV_COLUMNS order, every text cell neutralised."""
    review = record["review"] or {}
    cells: dict[str, Any] = {name: record[name] for name in LISTING_FIELDS}
    cells["labels"] = "; ".join(record["labels"])
    cells |= {f"score_{label}": score for label, score in record["scores"].items()}
    cells |= lead_cells(record)
    attachments = [
        {name: value for name, value in attachment.items() if value not in (None, [])}
        for attachment in record["attachments"]
    ]
    cells["attachments"] = json.dumps(attachments, ensure_ascii=False) if attachments else ""
    cells |= {
        "verdict": review.get("verdict"),
        "verdict_labels": "; ".join(review.get("labels", ())),
        "verdict_note": review.get("note"),
        "analyst": review.get("analyst"),
        "reviewed_at": review.get("reviewed_at"),
    }
    return [_cell(cells[column]) for column in CSV_COLUMNS]


def lead_cells(record: Mapping[str, Any]) -> dict[str, str]:
    """The ENTITY_COLUMNS cells of an export record, readable in a spreadsheet."""
    entities = Entities.from_json(record["entities"])
    attachments = record["attachments"]
    return {
        "entities": "; ".join(entities.keys()),
        "file_hosts": "; ".join(entities.file_hosts),
        "attachment_sha256": "; ".join(
            f"{a['name']}: {a['sha256']}" for a in attachments if a["sha256"]
        ),
        "hash_matches": "; ".join(
            f"{match['label']} ({match['hashlist']}): "
            f"{'/'.join(filter(None, (a['name'], match['member'])))} {match['sha256']}"
            for a in attachments
            for match in a["hash_matches"]
        ),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return repr(value)  # written by us, not the seller: exact, and never a formula
    return neutralised(str(value))


def neutralised(text: str) -> str:
    """`text` as a spreadsheet shows it but never evaluates it: a leading apostrophe
    (which spreadsheets hide) before a formula start, or before leading blanks that
    a spreadsheet may trim in front of one."""
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text
