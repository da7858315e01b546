"""A listing's entities grouped as an analyst follows them: payment addresses, keys,
contacts, onions, files, firearm specifics, places, prices. Each lead carries the
entity key the search filters by, so that the listing page links to every other
listing with the same lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from armswatch.entities.model import Entities
from armswatch.listing import price_text

COINS = {"btc": "Bitcoin", "eth": "Ethereum", "xmr": "Monero", "ltc": "Litecoin"}


@dataclass(frozen=True)
class Lead:
    kind: str
    """What it is, as a person reads it ("Bitcoin", "e-mail", "telegram")."""
    value: str
    key: str | None = None
    """The entity key to search by; None where the stores do not index one."""
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeadGroup:
    title: str
    leads: tuple[Lead, ...]


def lead_groups(entities: dict[str, list[Any]]) -> list[LeadGroup]:
    """The groups that have a lead, in the order the listing page shows them."""
    found = Entities.from_json(entities)
    keyed = {key.fingerprint: key for key in found.pgp_keys}
    groups = [
        LeadGroup(
            "Payment addresses",
            tuple(
                Lead(COINS[coin], address, f"{coin}:{address}")
                for coin in COINS
                for address in getattr(found, coin)
            ),
        ),
        LeadGroup(
            "PGP keys",
            tuple(
                Lead(
                    "fingerprint",
                    fingerprint,
                    f"pgp:{fingerprint}",
                    _key_details(keyed, fingerprint),
                )
                for fingerprint in found.pgp_fingerprints
            ),
        ),
        LeadGroup(
            "Contacts",
            (
                *(Lead("e-mail", email, f"email:{email}") for email in found.emails),
                *(Lead("phone", phone, f"phone:{phone}") for phone in found.phones),
                *(
                    Lead(h.network, h.handle, f"handle:{h.network}:{h.handle}")
                    for h in found.handles
                ),
            ),
        ),
        LeadGroup("Onion addresses", tuple(Lead("onion", o, f"onion:{o}") for o in found.onions)),
        LeadGroup("File hosts", tuple(Lead("link", link) for link in found.file_hosts)),
        LeadGroup(
            "Files",
            tuple(
                Lead(
                    f.type or "file",
                    f.name or f.design or f.type or "",
                    f"design:{f.design}" if f.design else f"file:{f.type}",
                    (f"design {f.design}",) if f.design and f.name else (),
                )
                for f in found.files
            ),
        ),
        LeadGroup("Calibers", tuple(Lead("caliber", c, f"caliber:{c}") for c in found.calibers)),
        LeadGroup(
            "Makes and models",
            tuple(
                Lead("model", m.model, f"model:{m.model}")
                if m.model
                else Lead("make", m.make or "", f"make:{m.make}")
                for m in found.makes_models
            ),
        ),
        LeadGroup(
            "Ships from and to",
            (
                *(Lead("from", c, f"ships_from:{c}") for c in found.ships_from),
                *(Lead("to", c, f"ships_to:{c}") for c in found.ships_to),
            ),
        ),
        LeadGroup(
            "Prices", tuple(Lead("price", price_text(p.amount, p.currency)) for p in found.prices)
        ),
    ]
    return [group for group in groups if group.leads]


def _key_details(keyed: dict[str, Any], fingerprint: str) -> tuple[str, ...]:
    key = keyed.get(fingerprint)
    if key is None:
        return ("written in the text, without its key block",)
    return (
        f"key id {key.key_id}",
        f"created {key.created}",
        *(f"user id {user_id}" for user_id in key.user_ids),
    )
