"""Logged-in crawling: real crawls of the members-only demo forum on 127.0.0.1
(armswatch/demo/privateforum.py), whose sessions end after a set number of pages.
The crawler logs in through the form, notices an expired session and logs in
again, keeps the session for the next crawl, stops with "login needed" when a
login fails, takes imported cookie jars instead of a login, and refuses to start
without the credential variables. No credential ever shows in output, logs,
audit trail or data directory."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from armswatch.config import ConfigError, load_config
from armswatch.demo.privateforum import (
    DEMO_PASSWORD,
    DEMO_USER,
    LOGIN_OK,
    PASSWORD_ENV,
    SESSION_COOKIE,
    USER_ENV,
    PrivateForum,
)
from armswatch.demo.records import Catalog
from armswatch.demo.server import SiteServer
from armswatch.listing import listing_id
from armswatch.scheduling.history import FAILED, RunHistory
from armswatch.stores import SearchQuery
from crawlers.session import CookieFileError, login_problems, read_cookie_file, session_file
from tests.conftest import DEMO_CONFIG, audit_events, open_store, run_cli
from tests.test_crawl_lifecycle import demo_source, last_stats, write_config
from tests.test_onion import lookups_env

SOURCE = "demo-privateforum"
URL_ENV = "ARMSWATCH_DEMO_PRIVATEFORUM"
WRONG_PASSWORD = "not-the-password-4711"


@contextmanager
def private_forum(session_views: int = 8) -> Iterator[tuple[PrivateForum, SiteServer]]:
    """The members-only forum on a free port, with a log of its own."""
    site = PrivateForum(Catalog.load(), session_views=session_views)
    server = SiteServer(site)
    server.start()
    try:
        yield site, server
    finally:
        server.stop()


def forum_cli(
    server: SiteServer,
    *args: str | Path,
    password: str = DEMO_PASSWORD,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`armswatch ARGS` pointed at the forum, with the demo account (or `password`)."""
    account = {URL_ENV: server.url, USER_ENV: DEMO_USER, PASSWORD_ENV: password}
    return run_cli(*args, env={**account, **(env or {})})


def crawl_forum(
    server: SiteServer,
    data_dir: Path,
    *sources: str,
    config: Path = DEMO_CONFIG,
    password: str = DEMO_PASSWORD,
    extra: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    args = ("--config", config, "--data-dir", data_dir, "crawl", *(sources or (SOURCE,)))
    return forum_cli(server, *args, *extra, password=password)


def expected_ids(site: PrivateForum, base: str, source: str = SOURCE) -> set[str]:
    """Every post, under its thread's first page (as the forum spider stores posts)."""
    ids = set()
    for record in site.expected():
        page, fragment = record["path"].split("#")
        ids.add(listing_id(source, f"{base}{page.split('?')[0]}#{fragment}"))
    return ids


def stored_ids(data_dir: Path, source: str = SOURCE) -> set[str]:
    store = open_store(data_dir)
    try:
        found = store.search(SearchQuery(sources=(source,), limit=10_000)).listings
    finally:
        store.close()
    return {listing.id for listing in found}


def assert_no_secret(
    data_dir: Path, result: subprocess.CompletedProcess[str], *secrets: str
) -> None:
    """Neither the output, nor the logs and audit trail, nor any file of the data
    directory (sessions included) holds a credential."""
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
        for path in data_dir.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_logs_in_notices_expired_sessions_and_crawls_every_post(tmp_path: Path) -> None:
    with private_forum(session_views=8) as (site, server):
        result = crawl_forum(server, tmp_path)
        requested, base = server.requests(), server.url
    assert result.returncode == 0, result.stdout + result.stderr
    # The forum needs about twenty member pages; a session shows eight.
    assert site.logins.count(LOGIN_OK) >= 2 and set(site.logins) == {LOGIN_OK}
    assert stored_ids(tmp_path) == expected_ids(site, base)  # every post, no login page
    stats = last_stats(tmp_path, SOURCE)
    assert stats["armswatch/logins"] == len(site.logins)
    assert stats["armswatch/logged_out"] >= 1
    assert stats["armswatch/listings_new"] == len(site.expected())
    assert "/logout" not in requested
    kept = session_file(tmp_path, SOURCE)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert [c["name"] for c in json.loads(kept.read_text())["cookies"]] == [SESSION_COOKIE]
    assert_no_secret(tmp_path, result, DEMO_PASSWORD)
    logs = [*tmp_path.glob("logs/*.log"), *tmp_path.glob("audit/*/*.jsonl")]
    assert all(DEMO_USER not in path.read_text() for path in logs)


def test_next_crawl_reuses_the_kept_session(tmp_path: Path) -> None:
    with private_forum(session_views=1000) as (site, server):
        first = crawl_forum(server, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert site.logins == [LOGIN_OK]
        before = len(server.requests())
        second = crawl_forum(server, tmp_path)
        again = server.requests()[before:]
    assert second.returncode == 0, second.stdout + second.stderr
    assert site.logins == [LOGIN_OK]  # no second login
    assert not [path for path in again if path.startswith("/login")]
    stats = last_stats(tmp_path, SOURCE)
    assert stats["armswatch/listings_unchanged"] == len(site.expected())
    assert "armswatch/logins" not in stats


def test_wrong_password_stops_the_source_with_login_needed(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with private_forum() as (site, server):
        result = crawl_forum(server, tmp_path, password=WRONG_PASSWORD, extra=("--report", report))
        requested = server.requests()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "login needed" in result.stdout
    (summary,) = json.loads(report.read_text())["sources"]
    assert summary["status"] == "login needed" and summary["ok"] is False
    assert site.logins == ["wrong user name or password"]  # one try, then it stops
    assert not [p for p in requested if p.startswith(("/board", "/thread"))]
    assert stored_ids(tmp_path) == set()
    assert not session_file(tmp_path, SOURCE).exists()
    log = "\n".join(path.read_text() for path in tmp_path.glob("logs/*.log"))
    assert f"${USER_ENV} and ${PASSWORD_ENV}" in log  # says where the credentials come from
    assert_no_secret(tmp_path, result, WRONG_PASSWORD, DEMO_USER)
    finished = [e for e in audit_events(tmp_path, SOURCE) if e["event"] == "crawl_finished"]
    assert finished[-1]["reason"] == "login_needed"


def test_failed_login_after_the_session_expired_stops_the_source(tmp_path: Path) -> None:
    """The kept session expires during the next (scheduled) crawl, and logging in
    again fails (the password in the environment is wrong now): the source stops,
    and the run history says why."""
    with private_forum(session_views=8) as (site, server):
        first = crawl_forum(server, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        logins = len(site.logins)
        args = ("--config", DEMO_CONFIG, "--data-dir", tmp_path, "run-now", SOURCE)
        second = forum_cli(server, *args, password=WRONG_PASSWORD)
        base = server.url
    assert second.returncode == 1, second.stdout + second.stderr
    (run,) = RunHistory(tmp_path).runs(limit=10)
    assert (run.status, run.errors) == (FAILED, f"{SOURCE}: login needed")
    assert site.logins[logins:] == ["wrong user name or password"]
    assert stored_ids(tmp_path) == expected_ids(site, base)  # the first crawl's, no more
    assert not session_file(tmp_path, SOURCE).exists()  # a new login is needed
    assert_no_secret(tmp_path, second, WRONG_PASSWORD)


def cookie_source(name: str, cookie_file: str) -> dict:
    login = {"cookies": cookie_file, "logged_out": "a.login-link"}
    return demo_source(SOURCE, name=name, login=login)


def test_imported_cookie_jars_work_without_a_form_login(tmp_path: Path) -> None:
    with private_forum(session_views=1000) as (site, server):
        config = write_config(tmp_path, cookie_source("pf-netscape", "cookies.txt"))
        for name, file in (("pf-json", "cookies.json"), ("pf-stale", "stale.json")):
            (config / "sources" / f"{name}.yaml").write_text(
                yaml.safe_dump(cookie_source(name, file))
            )
        (config / "cookies.txt").write_text(
            "# Netscape HTTP Cookie File\n# exported from the analyst's browser\n\n"
            f"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\t{SESSION_COOKIE}\t{site.open_session()}\n"
        )
        browser_export = [  # as browser extensions export them; other sites' cookies too
            {"name": "pref", "value": "x", "domain": ".example.org", "hostOnly": False},
            {
                "name": SESSION_COOKIE,
                "value": site.open_session(),
                "domain": "127.0.0.1",
                "path": "/",
                "hostOnly": True,
                "httpOnly": True,
                "session": True,
            },
        ]
        (config / "cookies.json").write_text(json.dumps(browser_export))
        stale = {
            "cookies": [
                {
                    "name": SESSION_COOKIE,
                    "value": "ended-long-ago",
                    "domain": "127.0.0.1",
                    "path": "/",
                    "expires": -1,
                }
            ]
        }
        (config / "stale.json").write_text(json.dumps(stale))  # Playwright's storage state
        data_dir = tmp_path / "data"
        report = tmp_path / "report.json"
        result = crawl_forum(
            server,
            data_dir,
            "pf-netscape",
            "pf-json",
            "pf-stale",
            config=config,
            extra=("--report", report),
        )
        requested, base = server.requests(), server.url
    assert result.returncode == 1, result.stdout + result.stderr  # pf-stale
    status = {s["source"]: s["status"] for s in json.loads(report.read_text())["sources"]}
    assert status == {"pf-netscape": "ok", "pf-json": "ok", "pf-stale": "login needed"}
    assert site.logins == [] and not [p for p in requested if p.startswith("/login")]
    for source in ("pf-netscape", "pf-json"):
        assert stored_ids(data_dir, source) == expected_ids(site, base, source)
    assert stored_ids(data_dir, "pf-stale") == set()
    kept = json.loads(session_file(data_dir, "pf-json").read_text())["cookies"]
    assert [c["domain"] for c in kept] == ["127.0.0.1"]  # example.org's cookie left out
    assert "ended-long-ago" not in result.stdout + "".join(
        path.read_text() for path in data_dir.glob("logs/*.log")
    )


def test_missing_credential_variables_are_a_config_error(tmp_path: Path) -> None:
    with private_forum() as (site, server):
        env = {URL_ENV: server.url, USER_ENV: "", PASSWORD_ENV: ""}
        result = run_cli("--config", DEMO_CONFIG, "--data-dir", tmp_path, "crawl", SOURCE, env=env)
        requested = server.requests()
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert f"the environment variable {USER_ENV} is not set" in message
    assert f"the environment variable {PASSWORD_ENV} is not set" in message
    assert "demo-privateforum.yaml" in message and "Nothing was crawled" in message
    assert requested == [] and site.logins == []


# -- configuration and cookie files, without a crawl ----------------------------------------


def source_with(login: dict) -> dict:
    return demo_source(SOURCE, name="pf", login=login)


def problems_for(tmp_path: Path, login: dict) -> str:
    config = write_config(tmp_path, source_with(login))
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return " ".join(str(caught.value).split())


FORM = yaml.safe_load((DEMO_CONFIG / "sources" / f"{SOURCE}.yaml").read_text())["login"]["form"]


def test_login_config_is_typed(tmp_path: Path) -> None:
    config = write_config(tmp_path, demo_source(SOURCE))
    login = load_config(config).sources[SOURCE].login
    assert login is not None and login.form is not None and login.cookies is None
    assert (login.form.user_env, login.form.password_env) == (USER_ENV, PASSWORD_ENV)
    assert login.form.success.selector is not None and login.form.success.url == "/"
    assert login.logged_out is not None and login.logged_out.css == "a.login-link"


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ({"form": FORM, "cookies": "c.txt"}, "exactly one of 'form'"),
        ({"cookies": "c.txt"}, "'logged_out' with 'cookies'"),
        ({"form": {**FORM, "password_env": "hunter2 !"}}, "the NAME of an environment variable"),
        ({"form": {**FORM, "success": {}}}, "a 'selector' (an element only logged-in pages"),
        (
            {"form": {**FORM, "url": "https://sso.example.org/login"}},
            "a login page on the source's allowed_domains (127.0.0.1), not on sso.example.org",
        ),
        ({"form": {**FORM, "password": "x"}}, "login.form.password: an unknown option"),
    ],
)
def test_login_config_mistakes_are_explained(tmp_path: Path, login: dict, expected: str) -> None:
    assert expected in problems_for(tmp_path, login)


def test_cookie_files_are_checked_without_showing_cookies(tmp_path: Path) -> None:
    broken = tmp_path / "cookies.txt"
    broken.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tsecret-value\n")
    with pytest.raises(CookieFileError, match="line 2: seven tab-separated fields") as caught:
        read_cookie_file(broken, ["127.0.0.1"])
    assert "secret-value" not in str(caught.value)
    other = tmp_path / "other.json"
    other.write_text(json.dumps([{"name": "a", "value": "secret-value", "domain": "example.org"}]))
    with pytest.raises(CookieFileError, match=r"no unexpired cookie for 127\.0\.0\.1") as caught:
        read_cookie_file(other, ["127.0.0.1"])
    assert "secret-value" not in str(caught.value)
    plain = tmp_path / "plain.txt"
    plain.write_text(f"{SESSION_COOKIE}=secret-value\n")
    with pytest.raises(CookieFileError, match="neither a JSON cookie export nor a Netscape"):
        read_cookie_file(plain, ["127.0.0.1"])


def test_unreadable_cookie_file_is_a_config_problem_before_the_crawl(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, cookie_source("pf", "missing.txt")))
    (problem,) = login_problems(config, list(config.sources.values()))
    assert problem.field == "login.cookies" and problem.file.name == "pf.yaml"
    assert f"cannot read the cookie file {config.directory / 'missing.txt'}" in problem.expected


def test_cookies_cost_no_request_outside_the_crawl(tmp_path: Path) -> None:
    """Checking a cookie's domain must not fetch the public suffix list from the
    internet (a request outside the source's proxy and the audit trail)."""
    (tmp_path / "probe").mkdir()
    env, lookups = lookups_env(tmp_path / "probe")
    env["TLDEXTRACT_CACHE"] = str(tmp_path / "tldextract")  # nothing fetched before
    with private_forum(session_views=1000) as (_, server):
        args = ("--config", DEMO_CONFIG, "--data-dir", tmp_path / "data", "crawl", SOURCE)
        result = forum_cli(server, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    names = set(lookups.read_text().split())
    assert names and names <= {"127.0.0.1", "localhost"}, names
