"""Cases: named collections of listings that an investigation hands on together."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from armswatch.export import FORMATS
from armswatch.webapp.auth import user
from armswatch.webapp.backend import store, workspace
from armswatch.webapp.verdicts import latest
from armswatch.workspace import Case, WorkspaceError

MAX_DESCRIPTION = 5_000

bp = Blueprint("cases", __name__)


@bp.get("/cases")
def cases() -> str:
    ws = workspace()
    return render_template("cases.html", cases=ws.cases.all(), sizes=ws.cases.sizes())


@bp.post("/cases")
def create() -> Response:
    name = request.form.get("name", "").strip()
    description = request.form.get("description", "").strip()[:MAX_DESCRIPTION]
    ws = workspace()
    try:
        case = ws.cases.create(name, user().name, description)
    except WorkspaceError as exc:
        abort(400, str(exc))
    ws.audit.record(user().name, "case_create", case_id=case.id, case=case.name)
    return redirect(url_for("cases.show", case_id=case.id, done="case_created"))


def find(case_id: int) -> Case:
    case = workspace().cases.get(case_id)
    if case is None:
        abort(404, "No such case: choose one from the case list.")
    return case


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> str:
    case = find(case_id)
    ids = workspace().cases.listing_ids(case.id)
    opened = store()
    found = opened.get_many(ids)
    return render_template(
        "case.html",
        case=case,
        listings=[found[i] for i in ids if i in found],
        missing=[i for i in ids if i not in found],
        verdicts=latest(opened, ids),
        formats=FORMATS,
    )


@bp.post("/cases/<int:case_id>/remove")
def remove(case_id: int) -> Response:
    case = find(case_id)
    listing_id = request.form.get("listing_id", "")
    ws = workspace()
    if ws.cases.remove(case.id, listing_id):
        ws.audit.record(user().name, "case_remove", listing_id, case_id=case.id, case=case.name)
    return redirect(url_for("cases.show", case_id=case.id, done="case_removed"))
