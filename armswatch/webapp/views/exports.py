"""Exports a person hands on: CSV, JSON Lines or STIX 2.1 of the ticked listings, of a
whole search, or of a case; and a case's evidence package (ZIP). Each is audited.

Every export is a POST with the session's CSRF token: a link from elsewhere cannot
make an analyst's browser export (and audit) in their name.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, request, send_file

from armswatch.export import FORMATS, PackageError, write_case_package, write_export
from armswatch.listing import Listing
from armswatch.webapp.auth import user
from armswatch.webapp.backend import backend, store, workspace
from armswatch.webapp.filters import FilterError, Filters
from armswatch.webapp.verdicts import latest
from armswatch.workspace import Case

EXPORT_PAGE = 500
"""Listings read per store page while exporting a search."""
MAX_SEARCH_EXPORT = 50_000
"""More than this is an export for the command line (`armswatch export`), which streams."""

CONTENT_TYPES = {
    "csv": ("text/csv", "csv", "utf-8-sig"),  # the BOM tells spreadsheets it is UTF-8
    "jsonl": ("application/x-ndjson", "jsonl", "utf-8"),
    "stix": ("application/json", "stix.json", "utf-8"),
}
PACKAGE = "package"

bp = Blueprint("exports", __name__)


@bp.post("/export")
def export() -> Response:
    fmt = request.form.get("format", "")
    what = request.form.get("what", "")
    if fmt not in (*FORMATS, PACKAGE):
        abort(400, f"Choose an export format: {', '.join(FORMATS)} or an evidence package.")
    detail: dict[str, Any]
    if what == "selection":
        listings, detail = selection()
    elif what == "search":
        listings, detail = search_matches()
    elif what == "case":
        case = chosen_case()
        listings, detail = case_listings(case), {"case_id": case.id, "case": case.name}
        if fmt == PACKAGE:
            return package(case, listings)
    else:
        abort(400, "Choose what to export: the ticked listings, the search, or a case.")
    if fmt == PACKAGE:
        abort(400, "Evidence packages are made for a case: add the listings to a case first.")
    mimetype, extension, encoding = CONTENT_TYPES[fmt]
    text = io.StringIO()
    count = write_export(fmt, listings, text, latest(store(), [item.id for item in listings]))
    workspace().audit.record(user().name, "export", format=fmt, what=what, count=count, **detail)
    name = f"armswatch-{what}-{stamp()}.{extension}"
    return attachment(text.getvalue().encode(encoding), mimetype, name)


def selection() -> tuple[list[Listing], dict[str, Any]]:
    ids = list(dict.fromkeys(request.form.getlist("id")))
    if not ids:
        abort(400, "No listing is ticked: tick the listings to export, or export the search.")
    found = store().get_many(ids)
    listings = [found[i] for i in ids if i in found]
    return listings, {"listing_ids": [listing.id for listing in listings]}


def search_matches() -> tuple[list[Listing], dict[str, Any]]:
    """Every match of the search in the form, page by page in its order."""
    try:
        filters = Filters.read(request.form)
    except FilterError as exc:
        abort(400, str(exc))
    query = filters.query(limit=EXPORT_PAGE)
    opened = store()
    listings: list[Listing] = []
    while True:
        result = opened.search(query)
        if result.total > MAX_SEARCH_EXPORT:
            abort(
                400,
                f"The search has {result.total} matches, more than the {MAX_SEARCH_EXPORT} "
                "the web app exports: narrow it with filters, or use 'armswatch export' on "
                "the command line.",
            )
        listings += result.listings
        if result.next_cursor is None:
            return listings, {"query": filters.params(), "total": result.total}
        query = replace(query, after=result.next_cursor)


def chosen_case() -> Case:
    chosen = request.form.get("case_id", "")
    case = workspace().cases.get(int(chosen)) if chosen.isdigit() else None
    if case is None:
        abort(404, "No such case: it may have been removed. Choose one from the case list.")
    return case


def case_listings(case: Case) -> list[Listing]:
    ids = workspace().cases.listing_ids(case.id)
    found = store().get_many(ids)
    return [found[i] for i in ids if i in found]


def package(case: Case, listings: list[Listing]) -> Response:
    """The case's evidence package, written to a temporary folder and sent as a ZIP."""
    opened = store()
    ids = [listing.id for listing in listings]
    folder = Path(tempfile.mkdtemp(prefix="armswatch-web-package-"))
    out = folder / f"case-{slug(case.name)}-{stamp()}.zip"
    try:
        report = write_case_package(
            case.name,
            listings,
            backend().locker,
            out,
            exported_by=user().name,
            description=case.description,
            versions={listing_id: opened.versions(listing_id) for listing_id in ids},
            verdicts=latest(opened, ids),
        )
    except PackageError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        abort(409, str(exc))
    workspace().audit.record(
        user().name,
        "export",
        format=PACKAGE,
        what="case",
        count=report.listings,
        case_id=case.id,
        case=case.name,
        files=report.files,
        without_evidence=report.without_evidence,
    )
    response = send_file(out, mimetype="application/zip", as_attachment=True)
    response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    return response


def attachment(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def slug(name: str) -> str:
    """A case name as a file name part: letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:60] or "case"
