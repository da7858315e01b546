"""Alerts: rules match newly flagged listings, and the alerts reach a real webhook
receiver and a real SMTP server on 127.0.0.1 once each, also when a receiver
was down at first; a real crawl of the demo sites sends what it flagged."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from armswatch import LABELS
from armswatch.alerts.config import Rule
from armswatch.alerts.dispatch import AlertReport, RuleMatcher, dispatch
from armswatch.alerts.ledger import LEDGER_FILE, Ledger
from armswatch.cli.alerts import alerts_group
from armswatch.config import Config, ConfigError, load_config
from armswatch.demo import DemoSites
from armswatch.listing import Listing
from armswatch.stores import SearchQuery
from armswatch.stores.sqlite import SqliteStore
from pipelines.stats import newly_flagged
from tests.alert_receivers import SmtpReceiver, WebhookReceiver
from tests.conftest import DEMO_CONFIG, REPO, crawl, open_store, run_cli
from tests.listings import make
from tests.noida import free_port

SECRET = "a webhook secret shared with the receiver"
SECRET_ENV = "ARMSWATCH_TEST_WEBHOOK_SECRET"
SMTP_USER, SMTP_PASSWORD = "armswatch", "an smtp password"
REVIEW = "http://127.0.0.1:8780/review/listings/"
"""tests/alerts.yaml sets review_url http://127.0.0.1:8780/review."""


def flagged(id: str, scores: dict[str, float], **fields: object) -> Listing:
    """A classified listing: labelled where its score reaches 0.4."""
    all_scores = {label: 0.05 for label in LABELS} | scores
    labels = [label for label in LABELS if all_scores[label] >= 0.4]
    defaults: dict[str, object] = {
        "title": f"listing {id}",
        "text": "details in the listing",
        "lang": "en",
        "seller": "NovaGoods",
    }
    return make(
        id,
        scores=all_scores,
        labels=labels,
        threat_score=max(all_scores.values()),
        **(defaults | fields),
    )


# -- rules ----------------------------------------------------------------------

GLOCK = flagged(
    "glock",
    {"firearm": 0.8, "parts": 0.3},
    title="Glock 19 Gen5, low round count",
    text="Comes with two mags. Ships discreetly.",
    source="demo-market",
)


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ({}, True),
        ({"labels": ["firearm"]}, True),
        ({"labels": ["blueprints", "ammunition"]}, False),
        ({"labels": ["parts"]}, False),  # scored 0.3, not flagged
        ({"min_score": 0.8}, True),
        ({"min_score": 0.81}, False),
        ({"labels": ["firearm", "parts"], "min_score": 0.5}, True),
        ({"sources": ["agora", "demo-market"]}, True),
        ({"sources": ["agora"]}, False),
        ({"langs": ["de", "en"]}, True),
        ({"langs": ["de"]}, False),
        ({"terms": ["glock 19"]}, True),
        ({"terms": ["GLOCK-19"]}, True),
        ({"terms": ["mags"]}, True),  # in the text
        ({"terms": ["glock 17", "mag"]}, False),  # whole words: "mag" is not "mags"
        ({"terms": ["mag*"]}, True),
        ({"labels": ["firearm"], "min_score": 0.5, "langs": ["en"], "terms": ["glock 19"]}, True),
        ({"labels": ["firearm"], "min_score": 0.5, "langs": ["en"], "terms": ["sig"]}, False),
    ],
)
def test_rule_matching(rule: dict[str, object], matches: bool) -> None:
    matcher = RuleMatcher(Rule.model_validate({"name": "r", "channels": ["c"], **rule}))
    assert matcher.matches(GLOCK) is matches


def test_unflagged_listings_and_parts_of_words_never_match_joined_words_do() -> None:
    everything = RuleMatcher(Rule(name="all", channels=["c"]))
    assert not everything.matches(flagged("plain", {"firearm": 0.2}))
    glock = RuleMatcher(Rule(name="glock", channels=["c"], terms=["glock"]))
    assert not glock.matches(flagged("bells", {"firearm": 0.5}, title="Glockenspiel for sale"))
    written_together = flagged("slide", {"parts": 0.5}, title="GLOCK19 slide, new")
    assert RuleMatcher(Rule(name="g19", channels=["c"], terms=["glock 19"])).matches(
        written_together
    )


# -- configuration --------------------------------------------------------------


def demo_config(tmp_path: Path, alerts: str | None = None) -> Path:
    """The demo config in tmp_path (its watchlist found again), with `alerts` as
    alerts.yaml, or the test rules (tests/alerts.yaml) when not given."""
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    settings = yaml.safe_load((config / "armswatch.yaml").read_text())
    settings["classifier"]["watchlist"] = str(REPO / "config" / "watchlist.yaml")
    (config / "armswatch.yaml").write_text(yaml.safe_dump(settings))
    if alerts is None:
        shutil.copy(REPO / "tests" / "alerts.yaml", config / "alerts.yaml")
    else:
        (config / "alerts.yaml").write_text(alerts)
    return config


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    return [str(p) for p in caught.value.problems]


CHANNELS = """\
channels:
  hook: {type: webhook, url: "http://127.0.0.1:9/", secret_env: HOOK_SECRET}
"""


def test_mistakes_in_alerts_yaml_name_file_field_and_value(tmp_path: Path) -> None:
    fields = demo_config(
        tmp_path / "fields",
        """\
channels:
  hook: {type: webhook, url: "http://127.0.0.1:9/", secret_env: "s3cret!"}
  pager: {type: pager}
rules:
  - {name: guns, labels: [guns], channels: [hook], colour: red}
  - {name: de, langs: [German], terms: ["gl*ck"], channels: [hook]}
""",
    )
    file = fields / "alerts.yaml"
    assert problems_of(fields) == [
        f"{file}: channels.hook.webhook.secret_env: the NAME of an environment variable "
        "(e.g. ARMSWATCH_WEBHOOK_SECRET), never the secret itself (found 's3cret!')",
        f"{file}: channels.pager: Input tag 'pager' found using 'type' does not match any "
        "of the expected tags: 'webhook', 'email' (found {'type': 'pager'})",
        f"{file}: rules.0.labels.0: Input should be 'firearm', 'parts', 'ammunition' or "
        "'blueprints' (found 'guns')",
        f"{file}: rules.0.colour: an unknown option (check the spelling against the config "
        "reference in README.md) (found 'red')",
        f"{file}: rules.1.langs.0: an ISO 639-1 language code in lower case, e.g. 'en' or "
        "'de' (found 'German')",
        f"{file}: rules.1.terms.0: '*' may only stand at the start or end of a term "
        "(found 'gl*ck')",
    ]
    # Once every field is right, the rules are checked against the channels and sources.
    cross = demo_config(
        tmp_path / "cross",
        CHANNELS
        + """\
rules:
  - {name: guns, channels: [hook, opsmail]}
  - {name: guns, sources: [demo-market, demo-bazaar], channels: [hook]}
""",
    )
    file = cross / "alerts.yaml"
    assert problems_of(cross) == [
        f"{file}: rules.0.channels.1: a channel defined under 'channels:' (defined: hook) "
        "(found 'opsmail')",
        f"{file}: rules.1.name: a unique rule name (found 'guns')",
    ]
    cross.joinpath("alerts.yaml").write_text(
        CHANNELS + "rules:\n  - {name: guns, sources: [demo-bazaar], channels: [hook]}\n"
    )
    configured = ", ".join(sorted(p.stem for p in (DEMO_CONFIG / "sources").glob("*.yaml")))
    assert "demo-market" in configured
    assert problems_of(cross) == [
        f"{file}: rules.0.sources.0: a configured source ({configured}) (found 'demo-bazaar')"
    ]
    result = run_cli("--config", cross, "config", "check")
    assert result.returncode == 2
    assert "rules.0.sources.0: a configured source" in result.stderr


def test_email_login_needs_both_variables_and_starttls(tmp_path: Path) -> None:
    config = demo_config(
        tmp_path,
        """\
channels:
  mail: {type: email, host: smtp.test.example, starttls: false, user_env: SMTP_USER,
         sender: armswatch@test.example, to: [analysts@test.example]}
""",
    )
    file = config / "alerts.yaml"
    assert problems_of(config) == [
        f"{file}: channels.mail.email.user_env: 'password_env' too: a login needs both (or "
        "neither, for no login) (found 'SMTP_USER')",
        f"{file}: channels.mail.email.starttls: true for a login: without STARTTLS the "
        "password travels in clear (found False)",
    ]


def test_no_alerts_yaml_means_no_rules_and_the_example_is_valid(tmp_path: Path) -> None:
    assert load_config(REPO / "config").alerts.rules == []
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    shutil.copy(config / "alerts.example.yaml", config / "alerts.yaml")
    alerts = load_config(config).alerts
    assert [rule.name for rule in alerts.rules] == ["blueprints", "de-ammunition", "glock-watch"]
    assert set(alerts.channels) == {"ops-webhook", "analysts-mail"}


# -- dispatch to real receivers ---------------------------------------------------


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[SmtpReceiver]:
    with SmtpReceiver(tmp_path, SMTP_USER, SMTP_PASSWORD) as receiver:
        yield receiver


def receiver_env(hook: WebhookReceiver, mail: SmtpReceiver) -> dict[str, str]:
    """What tests/alerts.yaml reads from the environment."""
    return {
        "ARMSWATCH_TEST_WEBHOOK_URL": hook.url,
        SECRET_ENV: SECRET,
        "ARMSWATCH_TEST_SMTP_PORT": str(mail.port),
        "ARMSWATCH_TEST_SMTP_CA": str(mail.ca_certs),
        "ARMSWATCH_TEST_SMTP_USER": SMTP_USER,
        "ARMSWATCH_TEST_SMTP_PASSWORD": SMTP_PASSWORD,
    }


def alert_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: WebhookReceiver, mail: SmtpReceiver
) -> Config:
    for name, value in receiver_env(hook, mail).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "250")  # wide tables: whole errors on one line
    return load_config(demo_config(tmp_path), data_dir=tmp_path / "data")


def crawled(config: Config, *listings: Listing) -> None:
    """Store listings as a crawl does, recording the newly flagged ones as candidates."""
    store = SqliteStore(config.data_dir / "armswatch.sqlite3")
    for listing in listings:
        store.write(listing)
    store.commit()
    store.close()
    with Ledger(config.data_dir / LEDGER_FILE) as ledger:
        for listing in filter(newly_flagged, listings):
            ledger.add_candidate(listing.id, listing.source)


def dispatch_now(config: Config) -> AlertReport:
    store = SqliteStore(config.data_dir / "armswatch.sqlite3")
    try:
        return dispatch(config, store)
    finally:
        store.close()


def alerts_cli(config: Config, *args: str) -> Result:
    """`armswatch alerts ARGS` with the test's config and data directory."""
    options = ["--config", str(config.directory), "--data-dir", str(config.data_dir)]
    return CliRunner().invoke(alerts_group, [*args, *options])


def mail_ids(mail: SmtpReceiver) -> list[str]:
    return [i for m, _, _ in mail.messages for i in re.findall(r"id: (\w+)", m.get_content())]


GUN_FILE = flagged(
    "gunfile",
    {"blueprints": 0.92, "parts": 0.45},
    title="FGC-9 MKII files, full package",
    seller="printer",
    lang="de",
)
WEAK_FILE = flagged("weakfile", {"blueprints": 0.42}, title="STL pack, maybe useful")
RIFLE = flagged("rifle", {"firearm": 0.71}, title="AK-47 underfolder", source="agora")
PLAIN = flagged("plain", {"firearm": 0.1}, title="Airsoft gas blowback pistol")


def test_alerts_reach_webhook_and_mail_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mail: SmtpReceiver
) -> None:
    with WebhookReceiver(SECRET.encode(), free_port()) as hook:
        config = alert_setup(tmp_path, monkeypatch, hook, mail)
        crawled(config, GUN_FILE, WEAK_FILE, RIFLE, PLAIN)
        report = dispatch_now(config)
        # flagged (digest): 3 listings in one message; blueprints (0.5 and up): the
        # gun file, once to the webhook and once by mail.
        assert (report.sent, report.messages, report.pending, report.errors) == (5, 3, 0, {})
        assert hook.rejected == 0  # every signature checked out
        digest, gun_file = sorted(hook.messages, key=lambda m: m["rule"], reverse=True)
        assert digest["mode"] == "digest" and digest["count"] == 3
        assert sorted(alert["id"] for alert in digest["alerts"]) == ["gunfile", "rifle", "weakfile"]
        assert gun_file == {
            "rule": "blueprints",
            "mode": "immediate",
            "count": 1,
            "alerts": [
                {
                    "id": "gunfile",
                    "title": "FGC-9 MKII files, full package",
                    "url": "https://market.example/item/gunfile",
                    "source": "demo-market",
                    "labels": ["parts", "blueprints"],
                    "scores": GUN_FILE.scores,
                    "threat_score": 0.92,
                    "lang": "de",
                    "seller": "printer",
                    "first_seen": GUN_FILE.first_seen,
                    "review_url": REVIEW + "gunfile",
                }
            ],
        }
        [(email, over_tls, logged_in)] = mail.messages
        assert over_tls and logged_in and mail.failed_logins == 0
        assert (
            email["Subject"].strip()  # the stdlib may fold a long one before its first word
            == "[armswatch] blueprints: parts, blueprints: FGC-9 MKII files, full package"
        )
        assert email["To"] == "analysts@test.example, duty@test.example"
        body = email.get_content()
        for text in ("https://market.example/item/gunfile", REVIEW + "gunfile", "blueprints 0.92"):
            assert text in body

        # Sent is sent: neither a second dispatch nor the listing flagged again
        # by a later crawl sends anything more.
        crawled(config, replace(GUN_FILE, change="changed", text="now with a print guide"))
        again = dispatch_now(config)
        assert (again.sent, again.messages, again.pending) == (0, 0, 0)
        assert len(hook.messages) == 2 and len(mail.messages) == 1

    status = alerts_cli(config, "status")
    assert status.exit_code == 0, status.output
    rows = {tuple(line.split("│")[1:4]) for line in status.stdout.splitlines() if "│" in line}
    assert {(r.strip(), c.strip(), p.strip()) for r, c, p in rows} >= {
        ("flagged", "hook", "0"),
        ("blueprints", "hook", "0"),
        ("blueprints", "mail", "0"),
    }
    assert "0 flagged listing(s) wait to be matched" in status.stdout


def test_digest_sends_one_message_and_immediate_one_per_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mail: SmtpReceiver
) -> None:
    files = [flagged(f"file{i}", {"blueprints": 0.6 + i / 10}) for i in range(3)]
    with WebhookReceiver(SECRET.encode(), free_port()) as hook:
        config = alert_setup(tmp_path, monkeypatch, hook, mail)
        crawled(config, *files, RIFLE)
        report = dispatch_now(config)
    assert (report.sent, report.messages) == (4 + 3 + 3, 1 + 3 + 3)
    by_rule = {
        rule: [m for m in hook.messages if m["rule"] == rule] for rule in ("flagged", "blueprints")
    }
    assert [m["count"] for m in by_rule["flagged"]] == [4]
    assert [m["count"] for m in by_rule["blueprints"]] == [1, 1, 1]
    assert sorted(hook.alert_ids("blueprints")) == ["file0", "file1", "file2"]
    assert sorted(mail_ids(mail)) == ["file0", "file1", "file2"]


def test_a_receiver_that_is_down_gets_the_alerts_when_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mail: SmtpReceiver
) -> None:
    hook = WebhookReceiver(SECRET.encode(), free_port())  # not started: nothing listens
    config = alert_setup(tmp_path, monkeypatch, hook, mail)
    crawled(config, RIFLE, WEAK_FILE)
    report = dispatch_now(config)
    assert (report.sent, report.pending) == (0, 2)
    assert "Connection refused" in report.errors["hook"]
    assert "Connection refused" in report.line()

    status = alerts_cli(config, "status")
    assert status.exit_code == 0, status.output
    [row] = [line for line in status.stdout.splitlines() if "flagged" in line and "│" in line]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells[:4] == ["flagged", "hook", "2", "1"]  # rule, channel, pending, attempts
    assert hook.url in cells[4] and "Connection refused" in cells[4]

    still_down = alerts_cli(config, "send")
    assert still_down.exit_code == 1
    assert "alerts: 0 sent, 2 pending" in still_down.stdout
    assert "run 'armswatch alerts send' again" in " ".join(still_down.stderr.split())

    with hook:  # back, on the same port
        back = alerts_cli(config, "send")
        assert back.exit_code == 0, back.output
        assert "alerts: 2 sent, 0 pending" in back.stdout
        assert [m["count"] for m in hook.messages] == [2]
        assert sorted(hook.alert_ids()) == ["rifle", "weakfile"]
        after = alerts_cli(config, "send")
        assert after.exit_code == 0 and "alerts: 0 sent, 0 pending" in after.stdout
        assert len(hook.messages) == 1
    assert mail.messages == []  # no listing here reaches the blueprints rule


def test_unset_secret_keeps_alerts_pending_and_says_which_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mail: SmtpReceiver
) -> None:
    with WebhookReceiver(SECRET.encode(), free_port()) as hook:
        config = alert_setup(tmp_path, monkeypatch, hook, mail)
        monkeypatch.delenv(SECRET_ENV)
        crawled(config, RIFLE)
        report = dispatch_now(config)
        assert (report.sent, report.pending) == (0, 1)
        assert f"the environment variable {SECRET_ENV}" in report.errors["hook"]
        assert "is not set" in report.errors["hook"]
        assert hook.messages == [] and hook.rejected == 0  # nothing was posted
        with Ledger(config.data_dir / LEDGER_FILE) as ledger:
            [pending] = ledger.pending()
        assert pending.attempts == 0 and pending.error == report.errors["hook"]
        monkeypatch.setenv(SECRET_ENV, SECRET)
        assert dispatch_now(config).sent == 1
        assert hook.alert_ids() == ["rifle"]


# -- a real crawl -----------------------------------------------------------------


def test_crawl_sends_what_it_flagged_once(
    demo_sites: DemoSites, tmp_path: Path, mail: SmtpReceiver
) -> None:
    data_dir = tmp_path / "data"
    with WebhookReceiver(SECRET.encode(), free_port()) as hook:
        config = demo_config(tmp_path)
        env = receiver_env(hook, mail)
        first = crawl(demo_sites, data_dir, "demo-market", config=config, env=env)
        assert first.returncode == 0, first.stdout + first.stderr

        query = SearchQuery(labels=LABELS, sources=("demo-market",), limit=10_000)
        found = open_store(data_dir).search(query).listings
        assert found
        files = [
            listing.id
            for listing in found
            if "blueprints" in listing.labels and listing.scores["blueprints"] >= 0.5
        ]
        assert files  # the demo market offers gun files: the e-mail path is taken
        assert sorted(hook.alert_ids("flagged")) == sorted(listing.id for listing in found)
        assert sorted(hook.alert_ids("blueprints")) == sorted(files)
        assert sorted(mail_ids(mail)) == sorted(files)
        assert hook.rejected == 0
        assert f"alerts: {len(found) + 2 * len(files)} sent, 0 pending" in first.stdout
        received = (len(hook.messages), len(mail.messages))

        second = crawl(demo_sites, data_dir, "demo-market", config=config, env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "alerts: 0 sent, 0 pending" in second.stdout
        assert (len(hook.messages), len(mail.messages)) == received
