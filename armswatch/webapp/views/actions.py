"""What an analyst does to a listing: a verdict, a note, a case (for one listing, or
for the listings ticked in search or queue results). Each is audited.

Verdicts go to the listing store (`Store.add_review`): they are training data for
`armswatch train --include-reviews`. Notes and cases are the workspace's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, redirect, request, url_for

from armswatch import LABELS
from armswatch.stores import VERDICTS, Review
from armswatch.webapp.auth import local_path, user
from armswatch.webapp.backend import store, workspace
from armswatch.webapp.views.listing import find
from armswatch.workspace import Case, WorkspaceError

MAX_NOTE = 10_000

bp = Blueprint("actions", __name__)


def back(default: str, done: str) -> Response:
    """To the page the form came from (the queue keeps its place), else to `default`."""
    target = local_path(request.form.get("next"), default)
    separator = "&" if "?" in target else "?"
    return redirect(f"{target}{separator}done={done}")


def to_listing(listing_id: str) -> str:
    return url_for("listing.show", listing_id=listing_id)


@bp.post("/listing/<listing_id>/review")
def review(listing_id: str) -> Response:
    listing = find(listing_id)
    verdict = request.form.get("verdict", "")
    if verdict not in VERDICTS:
        abort(400, "Choose a verdict: confirm, false positive or needs follow-up.")
    chosen = request.form.getlist("label")
    labels = tuple(label for label in LABELS if label in chosen)
    if verdict == "confirmed" and not labels:
        abort(
            400,
            "To confirm a listing, tick the labels you agree with (at least one); if it "
            "is no threat, mark it a false positive instead.",
        )
    if verdict != "confirmed":
        labels = ()
    note = request.form.get("note", "").strip()[:MAX_NOTE]
    analyst = user().name
    recorded = store().add_review(
        Review(
            listing_id=listing.id,
            verdict=verdict,
            analyst=analyst,
            reviewed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            labels=labels,
            note=note,
        )
    )
    workspace().audit.record(
        analyst,
        "review",
        listing.id,
        verdict=verdict,
        labels=list(labels),
        note=note,
        review_id=recorded.id,
    )
    return back(to_listing(listing.id), "reviewed")


@bp.post("/listing/<listing_id>/note")
def note(listing_id: str) -> Response:
    listing = find(listing_id)
    text = request.form.get("text", "").strip()
    if not text:
        abort(400, "The note is empty: write something before adding it.")
    if len(text) > MAX_NOTE:
        abort(400, f"The note is longer than {MAX_NOTE} characters: shorten it.")
    ws = workspace()
    added = ws.notes.add(listing.id, user().name, text)
    ws.audit.record(user().name, "note", listing.id, note_id=added.id, text=text)
    return back(to_listing(listing.id), "noted")


@bp.post("/listing/<listing_id>/case")
def add_to_case(listing_id: str) -> Response:
    """Add the listing to a chosen case, or to a new one named in the form."""
    listing = find(listing_id)
    case = chosen_case()
    add_listings(case, [listing.id])
    return back(to_listing(listing.id), "case_added")


@bp.post("/cases/add")
def add_ticked_to_case() -> Response:
    """Add the listings ticked in search or queue results to a case (chosen or new)."""
    ticked = list(dict.fromkeys(request.form.getlist("id")))
    if not ticked:
        abort(400, "No listing is ticked: tick the listings to add to the case.")
    found = store().get_many(ticked)
    if not found:
        abort(404, "None of the ticked listings is in the store any more: search again.")
    case = chosen_case()
    add_listings(case, [listing_id for listing_id in ticked if listing_id in found])
    return back(url_for("cases.show", case_id=case.id), "case_added")


def chosen_case() -> Case:
    """The case a form names: a new one (created and audited) or one chosen from the list."""
    ws = workspace()
    name = request.form.get("new_case", "").strip()
    if name:
        try:
            case = ws.cases.create(name, user().name)
        except WorkspaceError as exc:
            abort(400, str(exc))
        ws.audit.record(user().name, "case_create", case_id=case.id, case=case.name)
        return case
    chosen = request.form.get("case", "")
    found = ws.cases.get(int(chosen)) if chosen.isdigit() else None
    if found is None:
        abort(400, "Choose a case, or name a new one.")
    return found


def add_listings(case: Case, listing_ids: list[str]) -> None:
    """Add listings to a case, auditing each one that was not in it yet."""
    ws = workspace()
    for listing_id in listing_ids:
        if ws.cases.add(case.id, listing_id, user().name):
            ws.audit.record(user().name, "case_add", listing_id, case_id=case.id, case=case.name)
