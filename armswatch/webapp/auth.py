"""Log-in, log-out, and who may see what.

Every page needs a log-in (the static CSS and JS aside). The session cookie holds
a random token (the workspace keeps only its hash); it is HttpOnly, SameSite=Strict,
and Secure when `review.secure_cookies` is set. Failed log-ins are throttled per
name and per address, and every attempt is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from armswatch.webapp.backend import backend, workspace
from armswatch.webapp.csrf import LOGIN_COOKIE, new_login_token
from armswatch.workspace import User

SESSION_COOKIE = "armswatch_session"
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
MAX_NAME = 64

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def user() -> User:
    """The logged-in user (pages past the log-in check always have one)."""
    found = current_user()
    if found is None:
        abort(401)
    return found


def load_session() -> None:
    """Find the request's web session from its cookie (before every request)."""
    g.user = None
    g.web_session = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and request.endpoint != "static":
        session = workspace().sessions.get(token)
        if session is not None:
            g.web_session = session
            g.user = session.user


def require_login() -> Response | None:
    """Send a visitor without a session to the log-in page, then back here."""
    if g.user is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    wanted = request.full_path if request.method == "GET" else "/"
    return redirect(url_for("auth.login", next=wanted.rstrip("?")))


def admin_only(view: F) -> F:
    """Only admins manage users and read the audit log."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if user().role != "admin":
            abort(403, "Only an admin may do this; ask one of your unit's admins.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "GET":
        if current_user() is not None:
            return redirect(local_path(request.args.get("next")))
        return login_page(status=200)
    name = request.form.get("name", "").strip()[:MAX_NAME]
    password = request.form.get("password", "")
    address = request.remote_addr or "?"
    ws = workspace()
    wait = ws.throttle.wait_seconds(name, address)
    if wait > 0:
        ws.audit.record(name or "?", "login_failed", address=address, reason="throttled")
        minutes = max(1, round(wait / 60))
        return login_page(
            f"Too many failed log-ins for this name or from this computer: wait {minutes} "
            "minute(s), then try again. An admin can reset a forgotten password with "
            "'armswatch user passwd NAME'.",
            status=429,
        )
    found = ws.accounts.verify(name, password) if name and password else None
    if found is None:
        ws.throttle.failed(name, address)
        ws.audit.record(
            name or "?", "login_failed", address=address, reason="wrong name or password"
        )
        return login_page("Wrong user name or password.", status=401)
    ws.throttle.succeeded(name, address)
    hours = backend().config.settings.review.session_hours
    token, _ = ws.sessions.create(found.name, timedelta(hours=hours))
    ws.audit.record(found.name, "login", address=address)
    response = redirect(local_path(request.form.get("next")))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="Strict",
        secure=backend().config.settings.review.secure_cookies,
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


def login_page(error: str = "", status: int = 200) -> Response:
    """The log-in form, with a fresh double-submit CSRF token unless one is set."""
    token = request.cookies.get(LOGIN_COOKIE) or new_login_token()
    g.csrf_token_for_form = token
    next_path = local_path(request.values.get("next"))
    page = render_template("login.html", problem=error, next=next_path)
    response = make_response(page, status)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=backend().config.settings.review.secure_cookies,
    )
    return response


@bp.post("/logout")
def logout() -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    ws = workspace()
    ws.sessions.end(token)
    ws.audit.record(user().name, "logout")
    response = redirect(url_for("auth.login"))
    response.delete_cookie(SESSION_COOKIE)
    return response
