"""Exports of listings with leads, read back from a real SQLite store: CSV columns for
entity keys, links and fetched files (formula-safe), JSON Lines with every field, and
STIX 2.1 observables for addresses, keys, contacts, onions and files, which parse back
with the stix2 library without custom content (the new observable types through their
extension definitions)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stix2

from armswatch.entities.model import Entities
from armswatch.export import stix_bundle, write_csv, write_jsonl
from armswatch.export.stix_leads import CryptocurrencyWallet, PgpKeyObservable
from armswatch.listing import Listing
from armswatch.stores.sqlite import SqliteStore
from tests.leads import (
    ARCHIVE,
    ARCHIVE_NAME,
    BIG_MEMBER,
    BTC,
    CLUSTER,
    EMAIL,
    ETH,
    FETCH_ERROR,
    HANDLE,
    LTC,
    MEGA,
    MEMBER,
    MEMBER_NAME,
    ONION,
    PHONE,
    VENDOR,
    XMR,
    A,
    B,
    store_leads,
)
from tests.test_entities import GNUPG_FINGERPRINT
from tests.test_export import of_type, parsed, refs


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[list[Listing]]:
    """A, B and C as a SQLite store reads them back, linked."""
    store = SqliteStore(tmp_path / "armswatch.sqlite3")
    try:
        yield store_leads(store)
    finally:
        store.close()


# -- CSV and JSON Lines ---------------------------------------------------------------


def test_csv_has_columns_for_leads_links_and_fetched_files(stored: list[Listing]) -> None:
    out = io.StringIO(newline="")
    assert write_csv(stored, out) == 3
    a, b, c = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
    assert a["entities"].split("; ") == Entities.from_json(stored[0].entities).keys()
    assert f"btc:{BTC}" in a["entities"] and f"handle:telegram:{HANDLE}" in a["entities"]
    assert b["entities"] == f"btc:{BTC}; pgp:{GNUPG_FINGERPRINT}; caliber:9x19mm; " + (
        "make:Glock; model:Glock 19"
    )
    assert (a["vendor_id"], a["duplicate_cluster"]) == (VENDOR, CLUSTER)
    assert (b["vendor_id"], b["duplicate_cluster"]) == (VENDOR, CLUSTER)
    assert a["file_hosts"] == MEGA
    # The hostile file name starts the cell: a spreadsheet shows it, never runs it.
    assert a["attachment_sha256"] == f"'{ARCHIVE_NAME}: {ARCHIVE}"
    assert a["hash_matches"] == (
        f"blueprints (known-files.txt): {ARCHIVE_NAME}/{MEMBER_NAME} {MEMBER}"
    )
    attachments = json.loads(a["attachments"])
    assert attachments[0]["members"][1] == {"name": BIG_MEMBER, "size": 10**10, "sha256": None}
    assert attachments[1] == {
        "name": "manual.pdf",
        "url": "https://market.example/files/manual.pdf",
        "ext": "pdf",
        "size": "80 MB",
        "fetch_error": FETCH_ERROR,
    }  # empty fields left out
    for name in ("entities", "file_hosts", "attachment_sha256", "hash_matches", "vendor_id"):
        assert c[name] == ""


def test_jsonl_carries_entities_links_and_fetch_results(stored: list[Listing]) -> None:
    out = io.StringIO()
    assert write_jsonl(stored, out) == 3
    a, b, c = (json.loads(line) for line in out.getvalue().splitlines())
    assert a["entities"] == stored[0].entities
    assert a["entities"]["pgp_keys"][0]["fingerprint"] == GNUPG_FINGERPRINT
    assert a["entities"]["handles"] == [{"network": "telegram", "handle": HANDLE}]
    assert (a["vendor_id"], b["duplicate_cluster"]) == (VENDOR, CLUSTER)
    archive, manual = a["attachments"]
    assert (archive["name"], archive["sha256"], archive["bytes"]) == (ARCHIVE_NAME, ARCHIVE, 1024)
    assert archive["members"][0] == {"name": MEMBER_NAME, "size": 18, "sha256": MEMBER}
    assert archive["hash_matches"] == [
        {
            "sha256": MEMBER,
            "label": "blueprints",
            "hashlist": "known-files.txt",
            "member": MEMBER_NAME,
        }
    ]
    assert (manual["sha256"], manual["fetch_error"]) == (None, FETCH_ERROR)
    assert c["entities"] == {} and c["vendor_id"] is None and c["duplicate_cluster"] is None


# -- STIX 2.1 -------------------------------------------------------------------------


def by_value(objects: dict[str, Any], kind: str, name: str = "value") -> dict[str, Any]:
    return {obj[name]: obj for obj in of_type(objects, kind)}


def test_stix_leads_are_observables_that_parse_back(stored: list[Listing]) -> None:
    objects = parsed(stix_bundle(stored))
    for obj in objects.values():
        for ref in refs(obj):
            assert ref in objects, f"{obj.id} refers to {ref}, which is not in the bundle"

    wallets = by_value(objects, "cryptocurrency-wallet")
    assert {value: w.currency for value, w in wallets.items()} == {
        BTC: "BTC",
        ETH: "ETH",
        XMR: "XMR",
        LTC: "LTC",
    }
    (key,) = of_type(objects, "pgp-key")
    assert key.fingerprint == GNUPG_FINGERPRINT and key.key_id == GNUPG_FINGERPRINT[-16:]
    assert key.user_ids == [
        "Demo Vendor <vendor@example.org>",
        "Demo Vendor (second) <vendor2@example.net>",
    ]
    assert key.version == 4
    assert set(by_value(objects, "email-addr")) == {EMAIL}
    accounts = [(u.account_type, u.account_login) for u in of_type(objects, "user-account")]
    assert accounts == [("telegram", HANDLE)]
    assert set(by_value(objects, "domain-name")) == {ONION}
    assert MEGA in by_value(objects, "url")

    # The new observable types name their extension definitions, which the bundle carries.
    definitions = {d.name: d for d in of_type(objects, "extension-definition")}
    assert set(definitions) == {"cryptocurrency-wallet", "pgp-key"}
    for name, definition in definitions.items():
        assert definition.extension_types == ["new-sco"]
        for obj in of_type(objects, name):
            assert dict(obj.extensions[definition.id]) == {"extension_type": "new-sco"}
            assert not obj.has_custom  # defined by extension, not custom content

    # The fetched archive is a file with its hash, listing its members; the file that
    # was not fetched has no hash to give and is no file object.
    files = {f.name: f for f in of_type(objects, "file")}
    assert set(files) == {ARCHIVE_NAME, MEMBER_NAME, BIG_MEMBER}
    archive = files[ARCHIVE_NAME]
    assert (archive.hashes, archive.size) == ({"SHA-256": ARCHIVE}, 1024)
    members = archive.extensions["archive-ext"].contains_refs
    assert members == [files[MEMBER_NAME].id, files[BIG_MEMBER].id]
    assert files[MEMBER_NAME].hashes == {"SHA-256": MEMBER} and "hashes" not in files[BIG_MEMBER]

    # A and B observed the same wallet and key: one object each, related to both.
    observed = {o.external_references[0].external_id: o for o in of_type(objects, "observed-data")}
    for listing_id in (A, B):
        assert {wallets[BTC].id, key.id} <= set(observed[listing_id].object_refs)
    assert archive.id in observed[A].object_refs
    relations = {
        (r.source_ref, r.relationship_type, r.target_ref) for r in of_type(objects, "relationship")
    }
    for listing_id in (A, B):
        assert (observed[listing_id].id, "related-to", wallets[BTC].id) in relations
    assert (observed[A].id, "related-to", archive.id) in relations
    # Addresses, keys and contacts are related to the seller who gave them.
    (dealer,) = (o for o in of_type(objects, "threat-actor") if o.name == "@dealer")
    for lead in (
        wallets[XMR],
        key,
        *of_type(objects, "email-addr"),
        *of_type(objects, "user-account"),
    ):
        assert (dealer.id, "related-to", lead.id) in relations
    assert (dealer.id, "related-to", by_value(objects, "domain-name")[ONION].id) not in relations

    notes = {n.object_refs[0]: n.content for n in of_type(objects, "note")}
    note = notes[observed[A].id]
    assert f"Vendor profile: {VENDOR}" in note and f"Near-duplicate cluster: {CLUSTER}" in note
    assert f"phone:{PHONE}" in note  # no STIX observable for phones: in the note
    assert f"fetched: 1024 bytes, SHA-256 {ARCHIVE}" in note
    assert f"on hash list known-files.txt as blueprints: {MEMBER_NAME}, SHA-256 {MEMBER}" in note
    assert f"not fetched in full: {FETCH_ERROR}" in note


def test_stix_lead_ids_are_deterministic(stored: list[Listing]) -> None:
    first = parsed(stix_bundle(stored))
    assert set(first) == set(parsed(stix_bundle(stored)))
    # Ids are STIX's own deterministic ones: any producer derives the same.
    wallet = CryptocurrencyWallet(value=BTC, currency="BTC")
    assert wallet.id in first
    assert stix2.EmailAddress(value=EMAIL).id in first
    # B exported alone: the same wallet and key objects, the key with its fingerprint only.
    alone = parsed(stix_bundle([stored[1]]))
    assert wallet.id in alone
    (key,) = of_type(alone, "pgp-key")
    assert key.id == PgpKeyObservable(fingerprint=GNUPG_FINGERPRINT).id
    assert key.id in first and "user_ids" not in key
    # C has no leads: no observable beyond its page's url, no extension definitions.
    only_c = parsed(stix_bundle([stored[2]]))
    kinds = {obj.type for obj in only_c.values()}
    assert kinds == {"identity", "url", "observed-data", "note", "relationship"}
