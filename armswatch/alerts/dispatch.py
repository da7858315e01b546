"""Dispatch: match newly flagged listings against the alert rules and send what
is pending, once per listing, rule and channel.

It runs at the end of every `armswatch crawl` and on `armswatch alerts send`.
Deliveries a channel did not take stay pending with their error and are
retried by the next dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from armswatch.alerts.config import AlertsConfig, Channel, EmailChannel, Rule
from armswatch.alerts.email import EmailSender
from armswatch.alerts.ledger import LEDGER_FILE, Delivery, Ledger
from armswatch.alerts.message import AlertMessage, ChannelError, Sender, alert_of
from armswatch.alerts.webhook import WebhookSender
from armswatch.config import Config
from armswatch.listing import Listing
from armswatch.stores import Store
from classifiers.rules import TermSet


@dataclass
class AlertReport:
    """What one dispatch did."""

    sent: int = 0
    """Deliveries (listing, rule, channel) the channels took."""
    messages: int = 0
    pending: int = 0
    """Deliveries still waiting afterwards."""
    waiting: int = 0
    """Candidates not matched yet: their listing is not in the store (yet)."""
    errors: dict[str, str] = field(default_factory=dict)
    """Per channel that failed: why."""

    def line(self) -> str:
        """One line for the end of a crawl."""
        text = f"alerts: {self.sent} sent, {self.pending} pending"
        if self.waiting:
            text += f", {self.waiting} flagged listing(s) not in the store yet"
        if self.errors:
            text += " (" + "; ".join(f"channel {n}: {e}" for n, e in self.errors.items()) + ")"
        return text


class RuleMatcher:
    """One rule, ready to test listings against (its terms compiled once)."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.terms = TermSet(rule.terms) if rule.terms else None

    def matches(self, listing: Listing) -> bool:
        rule = self.rule
        if rule.sources and listing.source not in rule.sources:
            return False
        if rule.langs and listing.lang not in rule.langs:
            return False
        if not any(
            label in listing.labels and listing.scores.get(label, 0.0) >= rule.min_score
            for label in rule.labels
        ):
            return False
        return self.terms is None or self.terms.found_in(listing.title, listing.text)


def dispatch(config: Config, store: Store) -> AlertReport:
    """Match the waiting candidates against the rules, then send every pending
    delivery (those of earlier dispatches too) per rule and channel."""
    report = AlertReport()
    with Ledger(config.data_dir / LEDGER_FILE) as ledger, ledger.dispatching():
        report.waiting = match_candidates(config.alerts, ledger, store)
        by_channel: dict[str, list[Delivery]] = {}
        for delivery in ledger.pending():
            by_channel.setdefault(delivery.channel, []).append(delivery)
        for name, deliveries in by_channel.items():
            _send_channel(config, name, deliveries, ledger, report)
        report.pending = len(ledger.pending())
    return report


def match_candidates(alerts: AlertsConfig, ledger: Ledger, store: Store) -> int:
    """Turn candidates into deliveries (none when no rule matches); returns how many
    still wait because their listing is not in the store."""
    candidates = ledger.candidates()
    if not candidates:
        return 0
    listings = store.get_many(c.listing_id for c in candidates)
    matchers = [RuleMatcher(rule) for rule in alerts.rules]
    review_url = str(alerts.review_url) if alerts.review_url else None
    waiting = 0
    for candidate in candidates:
        listing = listings.get(candidate.listing_id)
        if listing is None:
            waiting += 1
            continue
        alert = alert_of(listing, review_url)
        deliveries = [
            Delivery(m.rule.name, listing.id, channel, alert)
            for m in matchers
            if m.matches(listing)
            for channel in m.rule.channels
        ]
        ledger.resolve(listing.id, deliveries)
    return waiting


def _send_channel(
    config: Config, name: str, deliveries: list[Delivery], ledger: Ledger, report: AlertReport
) -> None:
    """Send one channel's pending deliveries; at its first failure the rest wait
    too (a channel that is down would fail them all, each after its retries)."""
    channel = config.alerts.channels.get(name)
    if channel is None:
        error = f"channel '{name}' is no longer defined in alerts.yaml: define it again to send"
        ledger.mark_failed([d.key for d in deliveries], error, attempted=False)
        report.errors[name] = error
        return
    rules = {rule.name: rule for rule in config.alerts.rules}
    for gone in {d.rule for d in deliveries} - set(rules):
        error = f"rule '{gone}' is no longer in alerts.yaml: add it again to send its alerts"
        ledger.mark_failed([d.key for d in deliveries if d.rule == gone], error, attempted=False)
    batches = list(_batches(rules, [d for d in deliveries if d.rule in rules]))
    sender = open_sender(config, name, channel)
    try:
        for i, (rule, batch) in enumerate(batches):
            try:
                sender.send(AlertMessage(rule.name, rule.mode, [d.alert for d in batch]))
            except ChannelError as exc:
                ledger.mark_failed([d.key for d in batch], str(exc), exc.attempted)
                rest = [d.key for _, later in batches[i + 1 :] for d in later]
                ledger.mark_failed(rest, str(exc), attempted=False)
                report.errors[name] = str(exc)
                return
            ledger.mark_sent([d.key for d in batch])
            report.sent += len(batch)
            report.messages += 1
    finally:
        sender.close()


def _batches(
    rules: dict[str, Rule], deliveries: Iterable[Delivery]
) -> Iterable[tuple[Rule, list[Delivery]]]:
    """The messages to send: per rule, one with everything (digest) or one per listing."""
    by_rule: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_rule.setdefault(delivery.rule, []).append(delivery)
    for name, group in by_rule.items():
        rule = rules[name]
        if rule.mode == "digest":
            yield rule, group
        else:
            yield from ((rule, [delivery]) for delivery in group)


def open_sender(config: Config, name: str, channel: Channel) -> Sender:
    """The sender of a configured channel."""
    if isinstance(channel, EmailChannel):
        ca_certs = config.path(channel.ca_certs) if channel.ca_certs else None
        return EmailSender(name, channel, ca_certs)
    return WebhookSender(name, channel)
