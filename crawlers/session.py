"""The cookies of a source that needs an account (`login:` in its file).

A session (its cookies) is kept between crawls in `<data_dir>/sessions/<source>.json`,
readable by its owner only, so that the next crawl does not log in again while the
site still accepts it. Cookies exported from a browser can stand in for a login:
a Netscape cookies.txt (curl, "Get cookies.txt" extensions) or JSON (a list of
cookies as browser extensions export them, or Playwright's storage state). Cookie
values are credentials: no message here ever shows one.
"""

from __future__ import annotations

import json
import logging
import os
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any

from armswatch.config import Config, ConfigProblem, Source
from armswatch.evidence import write_atomically

SESSIONS_DIR = "sessions"
NETSCAPE_HEADER = "# Netscape HTTP Cookie File"
HTTPONLY_PREFIX = "#HttpOnly_"
logger = logging.getLogger(__name__)


class CookieFileError(ValueError):
    """A cookie file that cannot be used; the message names the file and the line."""


def session_file(data_dir: Path, source: str) -> Path:
    return data_dir / SESSIONS_DIR / f"{source}.json"


def make_cookie(
    name: str,
    value: str,
    domain: str,
    path: str = "/",
    *,
    secure: bool = False,
    expires: int | None = None,
    http_only: bool = False,
) -> Cookie:
    """A cookie as http.cookiejar keeps it: a leading dot on `domain` makes it a
    domain cookie (sent to subdomains too), else it is the host's own."""
    domain_cookie = domain.startswith(".")
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=domain.lower(),
        domain_specified=domain_cookie,
        domain_initial_dot=domain_cookie,
        path=path or "/",
        path_specified=True,
        secure=secure,
        expires=expires,
        discard=expires is None,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""} if http_only else {},
    )


def cookie_json(cookie: Cookie) -> dict[str, Any]:
    """A cookie in the JSON the session files use (Playwright's fields)."""
    return {
        "name": cookie.name,
        "value": cookie.value,
        "domain": cookie.domain,
        "path": cookie.path,
        "expires": cookie.expires if cookie.expires is not None else -1,
        "secure": cookie.secure,
        "httpOnly": cookie.has_nonstandard_attr("HttpOnly"),
    }


def read_cookie_file(path: Path, domains: list[str]) -> list[Cookie]:
    """The unexpired cookies in `path` for `domains` (and their subdomains); cookies
    of other sites in a whole browser's export are left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise CookieFileError(f"cannot read the cookie file {path}: {reason}") from None
    if text.lstrip().startswith(("[", "{")):
        cookies = _json_cookies(text, path)
    elif text.startswith(("# Netscape HTTP Cookie File", "# HTTP Cookie File")):
        cookies = _netscape_cookies(text, path)
    else:
        raise CookieFileError(
            f"{path} is neither a JSON cookie export nor a Netscape cookies.txt (whose first "
            f"line is '{NETSCAPE_HEADER}')"
        )
    mine = [c for c in cookies if _for_domains(c, domains) and not c.is_expired()]
    if not mine:
        raise CookieFileError(
            f"{path} has no unexpired cookie for {', '.join(domains)}: export the cookies "
            "again from a browser that is logged in to the site"
        )
    return mine


def _json_cookies(text: str, path: Path) -> list[Cookie]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CookieFileError(f"{path}: invalid JSON at line {exc.lineno}") from None
    entries = data.get("cookies") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise CookieFileError(f"{path}: a JSON list of cookies, or an object with 'cookies'")
    cookies = []
    for number, entry in enumerate(entries, start=1):
        fields = entry if isinstance(entry, dict) else {}
        name, value, domain = (fields.get(key) for key in ("name", "value", "domain"))
        if not (isinstance(name, str) and isinstance(value, str) and isinstance(domain, str)):
            raise CookieFileError(
                f"{path}: cookie {number} needs text 'name', 'value' and 'domain'"
            )
        if fields.get("hostOnly") is False and not domain.startswith("."):
            domain = f".{domain}"  # browser extensions mark domain cookies this way
        # -1 or 0 (Playwright) and a missing date (extensions) mean a session cookie.
        expires = fields.get("expires", fields.get("expirationDate"))
        expires = int(expires) if isinstance(expires, int | float) and expires > 0 else None
        cookies.append(
            make_cookie(
                name,
                value,
                domain,
                str(fields.get("path") or "/"),
                secure=bool(fields.get("secure")),
                expires=expires,
                http_only=bool(fields.get("httpOnly")),
            )
        )
    return cookies


def _netscape_cookies(text: str, path: Path) -> list[Cookie]:
    """domain, include-subdomains, path, secure, expires, name, value: tab-separated;
    `#HttpOnly_` before the domain marks an HttpOnly cookie; expires 0 a session one."""
    cookies = []
    for number, line in enumerate(text.splitlines(), start=1):
        http_only = line.startswith(HTTPONLY_PREFIX)
        line = line.removeprefix(HTTPONLY_PREFIX)
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 7 or not fields[4].strip().isdigit():
            raise CookieFileError(
                f"{path}, line {number}: seven tab-separated fields (domain, subdomains, "
                "path, secure, expires, name, value)"
            )
        domain, subdomains, cookie_path, secure, expires, name, value = fields
        if subdomains.upper() == "TRUE" and not domain.startswith("."):
            domain = f".{domain}"
        cookies.append(
            make_cookie(
                name,
                value,
                domain,
                cookie_path,
                secure=secure.upper() == "TRUE",
                expires=int(expires) or None,
                http_only=http_only,
            )
        )
    return cookies


def _for_domains(cookie: Cookie, domains: list[str]) -> bool:
    """Whether the cookie is sent to one of `domains` or their subdomains."""
    host = cookie.domain.lstrip(".")
    return any(
        host == d
        or host.endswith(f".{d}")
        or (cookie.domain.startswith(".") and d.endswith(f".{host}"))
        for d in domains
    )


def load_session(path: Path, domains: list[str]) -> list[Cookie]:
    """The kept session's cookies; none when there is no session, or none still valid."""
    if not path.exists():
        return []
    try:
        return read_cookie_file(path, domains)
    except CookieFileError as exc:
        logger.warning("the kept session is not used (%s); logging in afresh", exc)
        return []


def save_session(path: Path, source: str, cookies: list[Cookie]) -> None:
    """Keep the session for the next crawl: written atomically, readable by its owner
    only (its folder too), as it lets anyone who reads it act as the account."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    data = {"source": source, "cookies": [cookie_json(c) for c in cookies]}
    write_atomically(path, (json.dumps(data, indent=1) + "\n").encode())
    os.chmod(path, 0o600)


def login_problems(config: Config, sources: list[Source]) -> list[ConfigProblem]:
    """Before a crawl: every credential variable the sources' logins name is set, and
    every cookie file can be read; else nothing is crawled (and no login page fetched)."""
    problems = []
    for source in sources:
        if source.login is None:
            continue
        file = config.source_files.get(source.name, config.directory)
        form = source.login.form
        if form is not None:
            for field, variable, holds in (
                ("user_env", form.user_env, "user name"),
                ("password_env", form.password_env, "password"),
            ):
                if not os.environ.get(variable):
                    problems.append(
                        ConfigProblem(
                            file,
                            f"login.form.{field}",
                            variable,
                            f"the environment variable {variable} is not set: set it to the "
                            f"{holds} of the account, where armswatch crawls (the scheduler's "
                            "service too); a source file never holds it",
                        )
                    )
        if source.login.cookies is not None:
            cookie_path = config.path(source.login.cookies)
            try:
                read_cookie_file(cookie_path, source.allowed_domains)
            except CookieFileError as exc:
                problems.append(ConfigProblem(file, "login.cookies", str(cookie_path), str(exc)))
    return problems
