"""CSRF protection: every POST carries a token that only our own pages know.

Logged in, it is the web session's token (kept server-side in the workspace). The
log-in form itself has no session yet: it uses a random token that is both in a
cookie and in the form (double submit), so another site cannot log a browser into
an account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, g, request
from markupsafe import Markup, escape

FIELD = "csrf_token"
LOGIN_COOKIE = "armswatch_login_csrf"

REFUSED = (
    "This form was refused: it did not carry this session's security token (it may be "
    "from an old page or another site). Go back, reload the page and submit it again."
)


def expected_token() -> str | None:
    """The token this request's POST must carry: the log-in form's own, else the session's."""
    if request.endpoint != "auth.login" and g.get("web_session") is not None:
        token: str = g.web_session.csrf_token
        return token
    return request.cookies.get(LOGIN_COOKIE)


def check_csrf() -> None:
    """Refuse (400) a POST without the expected token."""
    if request.method != "POST":
        return
    expected = expected_token()
    given = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(400, REFUSED)


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_field() -> Markup:
    """The hidden field every form of ours carries (a template global)."""
    token = g.get("csrf_token_for_form") or expected_token() or ""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">')
