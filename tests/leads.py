"""Listings with leads, as the entities, attachment and linking steps leave them: two
listings on two markets sharing a PGP key and a Bitcoin address (one vendor, one
near-duplicate cluster), one with a fetched archive whose member is on a hash list,
and one without any. Entities come from the real extraction; "files" are dummy bytes."""

from __future__ import annotations

import hashlib

from armswatch.entities import extract
from armswatch.listing import ArchiveMember, Attachment, HashMatch, Listing
from armswatch.stores import Store
from armswatch.stores.base import VendorLink, VendorProfile
from tests.listings import T0, T1, T2, fill, make
from tests.test_entities import GNUPG_FINGERPRINT, GNUPG_KEY

A, B, C = "1" * 32, "2" * 32, "3" * 32
VENDOR = "v" + "0" * 15
CLUSTER = "d" + "0" * 15
BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
XMR = (
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsa"
    "BYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)
LTC = "LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1"
ONION = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
MEGA = "https://mega.nz/file/AbCdEfGh#key"
EMAIL = "dealer@example.org"
HANDLE = "gun_dealer99"
PHONE = "+4915123456789"

ARCHIVE_NAME = '=HYPERLINK("http://evil.example/")<script>x</script>.zip'
"""A hostile attachment name: a formula for spreadsheets, markup for the web app."""
ARCHIVE = hashlib.sha256(b"dummy archive bytes").hexdigest()
MEMBER = hashlib.sha256(b"dummy member bytes").hexdigest()
MEMBER_NAME = "frame/<b>lower</b>.stl"
BIG_MEMBER = "huge.bin"
FETCH_ERROR = "over the 50 MB cap (attachments.max_bytes): not fetched"

TEXT_A = f"""Glock 19 9mm, ships from Germany to worldwide. 950 EUR or 0.02 BTC.
Pay BTC {BTC} or ETH {ETH}
XMR {XMR}
LTC {LTC}
Mail {EMAIL}, telegram @{HANDLE}, call +49 151 23456789.
Mirror {ONION}
Files: {MEGA} fgc9.stl
{GNUPG_KEY}
"""
TEXT_B = f"Glock 19, 9mm. Same vendor as on the market: key {GNUPG_FINGERPRINT}, BTC {BTC}."


def lead_listings() -> list[Listing]:
    """A (flagged, demo-market, every kind of lead, a fetched archive and a file that
    was not fetched), B (demo-classifieds, the same key and address), C (no leads)."""
    a = make(
        A,
        title="Glock 19 for sale",
        text=TEXT_A,
        seller="@dealer",
        price=950.0,
        currency="EUR",
        lang="en",
        last_seen=T1,
        labels=["firearm"],
        scores={"firearm": 0.95},
        threat_score=0.95,
        entities=extract("Glock 19 for sale", TEXT_A).to_json(),
        attachments=[
            Attachment(
                ARCHIVE_NAME,
                "https://market.example/files/parts.zip",
                "zip",
                "1 KB",
                sha256=ARCHIVE,
                bytes=1024,
                quarantine_path=f"quarantine/{ARCHIVE[:2]}/{ARCHIVE}",
                members=[
                    ArchiveMember(MEMBER_NAME, 18, MEMBER),
                    ArchiveMember(BIG_MEMBER, 10**10, None),
                ],
                hash_matches=[HashMatch(MEMBER, "blueprints", "known-files.txt", MEMBER_NAME)],
            ),
            Attachment(
                "manual.pdf",
                "https://market.example/files/manual.pdf",
                "pdf",
                "80 MB",
                fetch_error=FETCH_ERROR,
            ),
        ],
    )
    b = make(
        B,
        source="demo-classifieds",
        title="Glock 19 9mm",
        text=TEXT_B,
        seller="dealer_two",
        lang="en",
        last_seen=T2,
        entities=extract("Glock 19 9mm", TEXT_B).to_json(),
    )
    c = make(C, title="Heat gun 2000W", text="for shrink wrap", seller="quiet_shop", lang="en")
    return [a, b, c]


PROFILE = VendorProfile(
    id=VENDOR,
    listing_ids=(A, B),
    sources=("demo-classifieds", "demo-market"),
    sellers=("@dealer", "dealer_two"),
    links=(
        VendorLink(f"pgp:{GNUPG_FINGERPRINT}", (A, B)),
        VendorLink(f"btc:{BTC}", (A, B)),
    ),
    first_seen=T0,
    last_seen=T2,
    labels=("firearm",),
)


def store_leads(store: Store) -> list[Listing]:
    """Write the listings, link A and B to one vendor and one cluster, and return them
    as the store reads them back."""
    listings = lead_listings()
    fill(store, *listings)
    store.set_links({A: VENDOR, B: VENDOR}, {A: CLUSTER, B: CLUSTER})
    store.replace_vendors([PROFILE])
    found = store.get_many([listing.id for listing in listings])
    return [found[listing.id] for listing in listings]
