"""The analysts' review web app: triage, search, label, keep notes and cases, export,
everything audited. Server-rendered Flask pages served by waitress
(`armswatch review serve`); listings come through the store interface, the app's own
records (accounts, sessions, audit log, cases, notes) from the workspace.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from armswatch import LABELS
from armswatch.config import Config
from armswatch.listing import price_text
from armswatch.stores import NOT_REVIEWED, StoreError
from armswatch.webapp import auth
from armswatch.webapp.auth import current_user
from armswatch.webapp.backend import EXTENSION, Backend, close_workspace
from armswatch.webapp.csrf import check_csrf, csrf_field
from armswatch.webapp.headers import add_security_headers
from armswatch.webapp.marks import highlighted
from armswatch.webapp.views import BLUEPRINTS
from armswatch.workspace import WorkspaceError

__all__ = ["create_app"]

MAX_FORM_BYTES = 1024 * 1024
"""No form of ours comes near this; a bigger request is refused before it is read."""

DONE = {
    "reviewed": "Verdict recorded.",
    "noted": "Note added.",
    "case_added": "Added to the case.",
    "case_created": "Case created.",
    "case_removed": "Removed from the case.",
    "user_added": "User added.",
    "user_removed": "User removed; their sessions are ended.",
    "password_set": "Password changed; the user's sessions are ended.",
}
"""What the page after a form says (`?done=KEY`): fixed texts, so that no link can
make the app say something else."""

VERDICT_NAMES = {
    "confirmed": "confirmed",
    "false_positive": "false positive",
    "follow_up": "needs follow-up",
}
VERDICT_FILTERS = {NOT_REVIEWED: "not reviewed", **VERDICT_NAMES}
"""The search page's verdict filter and facet: the latest verdict, or none yet."""


def create_app(config: Config) -> Flask:
    """The app for this configuration (its store, data directory and `review:` settings)."""
    app = Flask(__name__)
    app.jinja_options = {**app.jinja_options, "autoescape": True}
    app.config.update(MAX_CONTENT_LENGTH=MAX_FORM_BYTES, TEMPLATES_AUTO_RELOAD=False)
    app.extensions[EXTENSION] = Backend(config)

    app.before_request(auth.load_session)
    app.before_request(auth.require_login)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    app.teardown_appcontext(close_workspace)

    app.register_blueprint(auth.bp)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    app.add_template_global(csrf_field)
    app.add_template_global(current_user)
    app.add_template_global(done_message)
    app.jinja_env.globals.update(
        LABELS=LABELS, VERDICT_NAMES=VERDICT_NAMES, VERDICT_FILTERS=VERDICT_FILTERS
    )
    app.add_template_filter(highlighted)
    app.add_template_filter(price_text)
    app.add_template_filter(short_time)

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(StoreError, unavailable)
    app.register_error_handler(WorkspaceError, unavailable)
    return app


def done_message() -> str:
    return DONE.get(request.args.get("done", ""), "")


def short_time(moment: str | None) -> str:
    """An ISO 8601 time as a person reads it: "2026-11-20 10:00" (UTC, as stored)."""
    if not moment:
        return "-"
    return moment.replace("T", " ")[:16]


def http_error(error: HTTPException) -> Any:
    """Errors as a page in the app's layout (a 400 says why the form was refused)."""
    return render_template("error.html", error=error), error.code or 500


def unavailable(error: Exception) -> Any:
    """The store or the workspace cannot be used: say so, with what to do."""
    return render_template("error.html", error=None, message=str(error)), 503
