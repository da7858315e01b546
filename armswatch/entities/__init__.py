"""Entity extraction: the leads in a listing an investigation follows.

Payment addresses, PGP keys, contact points, file hosts and files, firearm
makes, models and calibers, shipping countries and prices, each normalized so
that the same lead found on two sites is the same value.

    >>> extract("Glock 19, 9mm", "Ships from: Germany. BTC only").calibers
    ('9x19mm',)
"""

from __future__ import annotations

import re

from crawlers.extraction.clean import strip_invisible

from .contacts import find_emails, find_handles, find_phones
from .crypto import find_addresses
from .filehosts import find_file_hosts
from .files import find_files
from .firearms import find_calibers, find_makes_models
from .model import Entities, FileRef, Handle, MakeModel, PgpKey, Price
from .onion import find_onions
from .pgp import find_fingerprints, find_keys, without_key_blocks
from .places import WORLDWIDE, country_code, find_shipping
from .prices import prices_in

__all__ = [
    "WORLDWIDE",
    "Entities",
    "FileRef",
    "Handle",
    "MakeModel",
    "PgpKey",
    "Price",
    "country_code",
    "extract",
]

# Identifiers whose digits would otherwise read as prices, phone numbers or
# calibers ("ETH 0x52...": no price of 0 ETH): URLs, e-mail addresses and long
# letter-digit runs (addresses, hashes, keys).
_IDENTIFIERS = re.compile(
    r"(?i:\b(?:https?|ftp|magnet|lbry):\S+|\bwww\.\S+|[^\s@]{1,64}@[^\s@]+)|[0-9A-Za-z]{25,}"
)


def extract(title: str, text: str, *, country: str | None = None) -> Entities:
    """Every entity in a listing's title and text.

    `country` is where the source is (a code or name, "DE" or "Germany"): phone
    numbers written without their country code are read as that country's.
    """
    full = strip_invisible(f"{title}\n{text}")
    region = country_code(country) if country else None
    keys = find_keys(full)
    plain = without_key_blocks(full)
    addresses = find_addresses(plain)
    bare = _IDENTIFIERS.sub(lambda match: " " * len(match.group()), plain)
    ships_from, ships_to = find_shipping(bare)
    return Entities(
        btc=tuple(addresses["btc"]),
        eth=tuple(addresses["eth"]),
        xmr=tuple(addresses["xmr"]),
        ltc=tuple(addresses["ltc"]),
        pgp_fingerprints=tuple(
            dict.fromkeys([key.fingerprint for key in keys] + find_fingerprints(plain))
        ),
        pgp_keys=tuple(keys),
        emails=tuple(find_emails(plain)),
        phones=tuple(find_phones(bare, region)),
        onions=tuple(find_onions(plain)),
        handles=tuple(find_handles(plain, region)),
        file_hosts=tuple(find_file_hosts(plain)),
        files=tuple(find_files(plain)),
        calibers=tuple(find_calibers(bare)),
        makes_models=tuple(find_makes_models(bare)),
        ships_from=tuple(ships_from),
        ships_to=tuple(ships_to),
        prices=tuple(prices_in(bare)),
    )
