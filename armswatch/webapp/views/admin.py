"""Admins only: the users who may log in, and the audit log (view, filter, export).
Every change to users and every export of the log is itself audited."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from armswatch.cli.audit import entry_json
from armswatch.webapp.auth import admin_only, user
from armswatch.webapp.backend import workspace
from armswatch.webapp.views.exports import attachment, stamp
from armswatch.workspace import MIN_PASSWORD_LENGTH, ROLES, AuditEntry, WorkspaceError

AUDIT_PAGE = 200
"""Entries the audit page shows (the latest); the export has them all."""

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@admin_only
def users() -> str:
    return render_template(
        "users.html", users=workspace().accounts.all(), roles=ROLES, min_length=MIN_PASSWORD_LENGTH
    )


@bp.post("/users")
@admin_only
def add_user() -> Response:
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "analyst")
    ws = workspace()
    try:
        added = ws.accounts.add(name, request.form.get("password", ""), role)
    except WorkspaceError as exc:
        abort(400, str(exc))
    ws.audit.record(user().name, "user_add", user=added.name, role=added.role)
    return redirect(url_for("admin.users", done="user_added"))


@bp.post("/users/<name>/remove")
@admin_only
def remove_user(name: str) -> Response:
    ws = workspace()
    try:
        ws.accounts.remove(name)
    except WorkspaceError as exc:
        abort(400, str(exc))
    ws.audit.record(user().name, "user_remove", user=name)
    return redirect(url_for("admin.users", done="user_removed"))


@bp.post("/users/<name>/password")
@admin_only
def set_password(name: str) -> Response:
    ws = workspace()
    try:
        ws.accounts.set_password(name, request.form.get("password", ""))
    except WorkspaceError as exc:
        abort(400, str(exc))
    ws.audit.record(user().name, "user_passwd", user=name)
    return redirect(url_for("admin.users", done="password_set"))


def audit_filters() -> dict[str, str]:
    """The audit page's filters that are set: actor, action, listing, since."""
    names = ("actor", "action", "listing_id", "since")
    return {name: value for name in names if (value := request.values.get(name, "").strip())}


def matching(limit: int | None) -> list[AuditEntry]:
    try:
        return workspace().audit.entries(**audit_filters(), limit=limit)  # type: ignore[arg-type]
    except WorkspaceError as exc:
        abort(400, str(exc))


@bp.get("/audit")
@admin_only
def audit() -> str:
    entries = matching(AUDIT_PAGE)
    return render_template(
        "audit.html",
        entries=list(reversed(entries)),
        filters=audit_filters(),
        limit=AUDIT_PAGE,
        broken=workspace().audit.verify(),
    )


@bp.post("/audit/export")
@admin_only
def export_audit() -> Response:
    """The matching entries as JSON Lines, oldest first; the export is audited (after
    the entries are read, so the file does not contain its own entry)."""
    entries = matching(None)
    body = "".join(entry_json(entry) + "\n" for entry in entries)
    workspace().audit.record(
        user().name, "audit_export", count=len(entries), filters=audit_filters()
    )
    return attachment(body.encode(), "application/x-ndjson", f"armswatch-audit-{stamp()}.jsonl")
