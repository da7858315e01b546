"""What an alert says, and what every channel does with it.

A message is what one channel receives at once: one listing (immediate rules)
or all of a rule's new listings (digest rules). Each listing in it is an
*alert*: its id, title, URL, source, labels and scores, and the link into the
review app when one is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from armswatch.alerts.config import Mode
from armswatch.listing import Listing


class ChannelError(Exception):
    """A channel did not take a message; the text says why and what to do."""

    def __init__(self, message: str, attempted: bool = True) -> None:
        super().__init__(message)
        self.attempted = attempted
        """False when nothing was sent at all (e.g. a credential is not set)."""


@dataclass(frozen=True)
class AlertMessage:
    rule: str
    mode: Mode
    alerts: list[dict[str, Any]]

    def body(self) -> dict[str, Any]:
        """The JSON a webhook receives."""
        return {
            "rule": self.rule,
            "mode": self.mode,
            "count": len(self.alerts),
            "alerts": self.alerts,
        }


class Sender(Protocol):
    """One channel, open for one dispatch."""

    def send(self, message: AlertMessage) -> None:
        """Deliver `message`, or raise ChannelError."""
        ...

    def close(self) -> None: ...


def alert_of(listing: Listing, review_url: str | None) -> dict[str, Any]:
    """What an alert tells of a listing; kept in the ledger as it was when matched,
    so that a retry sends the same alert even if the store cannot be read."""
    alert: dict[str, Any] = {
        "id": listing.id,
        "title": listing.title,
        "url": listing.url,
        "source": listing.source,
        "labels": list(listing.labels),
        "scores": dict(listing.scores),
        "threat_score": listing.threat_score,
        "lang": listing.lang,
        "seller": listing.seller,
        "first_seen": listing.first_seen,
    }
    if review_url:
        alert["review_url"] = f"{review_url.rstrip('/')}/listings/{listing.id}"
    return alert
