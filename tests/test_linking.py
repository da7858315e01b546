"""Linking across listings: vendor profiles through shared keys, addresses,
contacts and seller names within a market family; near-duplicate clusters; and
relinking a real SQLite store as listings change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from armswatch.config import Config, load_config
from armswatch.entities import extract
from armswatch.linking import DuplicateFinder, ListingFacts, VendorLinker, linking_keys, relink
from armswatch.stores.base import VendorLink
from armswatch.stores.sqlite import SqliteStore
from tests.conftest import DEMO_CONFIG
from tests.listings import T0, T1, T2, fill, make

BTC = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
FINGERPRINT = "7FC84A7EEA9F4CFEBA9BCE5BAA7895FD2BA5689B"
GROUPED_FINGERPRINT = "7FC8 4A7E EA9F 4CFE BA9B CE5B AA78 95FD 2BA5 689B"

PISTOL = (
    "Glock 19 Gen 4 in 9x19, bought new two years ago, about 300 rounds through it, "
    "always cleaned after use. Comes with the original case, two magazines and a loader. "
    "Vacuum sealed and shipped in stealth packaging inside an electronics box, tracked, "
    "usually out within two working days. Escrow is fine, finalize early only for "
    "returning buyers. Encrypt your address with my key, plain messages get deleted."
)
REPOSTED = PISTOL.replace("two working days", "three working days")
OTHER_PISTOL = (
    "CZ 75 B in 9x19 with three magazines, a holster and a cleaning kit, shot very little. "
    "Bought from a collector last spring, comes in its box with the manual. Local pickup "
    "preferred, shipping possible for a fee, cash or crypto, serious buyers only please."
)


def facts(listing_id: str, source: str = "market-a", **fields: object) -> ListingFacts:
    values: dict[str, object] = {
        "seller": None,
        "first_seen": T0,
        "last_seen": T0,
        "labels": (),
    } | fields
    return ListingFacts(listing_id, source, **values)  # type: ignore[arg-type]


# --- vendors ------------------------------------------------------------------------


def test_listings_sharing_a_key_or_an_address_are_one_vendor_with_the_evidence() -> None:
    linker = VendorLinker()
    linker.add(
        facts("a", seller="Kestrel", last_seen=T1, labels=("firearm",)), [f"pgp:{FINGERPRINT}"]
    )
    linker.add(
        facts("b", "market-b", seller="kestrel_eu", first_seen=T1, last_seen=T2),
        [f"pgp:{FINGERPRINT}", f"btc:{BTC}"],
    )
    linker.add(facts("c", "forum", labels=("ammunition",)), [f"btc:{BTC}"])
    linker.add(facts("d"), [f"btc:{BECH32}"])  # an address no other listing has
    linker.add(facts("e"), [])

    [profile] = linker.profiles()

    assert profile.listing_ids == ("a", "b", "c")  # a-b through the key, b-c the address
    assert profile.sources == ("forum", "market-a", "market-b")
    assert profile.sellers == ("Kestrel", "kestrel_eu")
    assert profile.links == (
        VendorLink(f"btc:{BTC}", ("b", "c")),
        VendorLink(f"pgp:{FINGERPRINT}", ("a", "b")),
    )
    assert (profile.first_seen, profile.last_seen) == (T0, T2)
    assert profile.labels == ("firearm", "ammunition")


def test_a_vendor_keeps_its_id_when_listings_join_it() -> None:
    linker = VendorLinker()
    linker.add(facts("a"), [f"btc:{BTC}"])
    linker.add(facts("b"), [f"btc:{BTC}"])
    before = linker.profiles()[0].id
    linker.add(facts("c", "market-b"), [f"btc:{BTC}", "email:someone@example.org"])
    linker.add(facts("d", "market-c"), ["email:someone@example.org"])

    [profile] = linker.profiles()

    assert profile.id == before and profile.listing_ids == ("a", "b", "c", "d")


def test_only_identifying_entities_and_family_seller_names_are_linking_keys() -> None:
    found = extract(
        "Glock 19, 9mm",
        f"Ships from Germany. Pay {BTC}, telegram @shadow_arms, fpr {GROUPED_FINGERPRINT}",
    ).to_json()

    keys = linking_keys(found, "ShadowArms", None)

    assert sorted(keys) == sorted(
        [f"btc:{BTC}", f"pgp:{FINGERPRINT}", "handle:telegram:shadow_arms"]
    )  # no caliber, make or country: thousands of sellers share those
    assert linking_keys(found, "ShadowArms", "hydra")[-1] == "seller:hydra:shadowarms"
    assert linking_keys({}, "ShadowArms", "hydra") == ["seller:hydra:shadowarms"]
    assert linking_keys({}, None, "hydra") == []


# --- near-duplicates ----------------------------------------------------------------


def test_a_repost_under_a_new_title_is_a_near_duplicate_and_another_listing_is_not() -> None:
    finder = DuplicateFinder()
    finder.add("original", "Glock 19 Gen 4, two mags, tracked shipping", PISTOL)
    finder.add("repost", "G19 pistol + 2 magazines, ships tracked", REPOSTED)
    finder.add("other", "CZ 75 B, three mags", OTHER_PISTOL)
    finder.add("bump-1", "Glock 19 Gen 4", "Bump, still available")
    finder.add("bump-2", "Glock 19 Gen 4", "Bump, still available")

    clusters = finder.clusters()

    assert clusters["original"] == clusters["repost"]
    assert set(clusters) == {"original", "repost"}  # the bumps are too short to compare


def test_a_cluster_id_comes_from_its_members_not_from_the_order_they_were_read() -> None:
    one, two = DuplicateFinder(), DuplicateFinder()
    for listing_id, title, text in [("x1", "Glock 19", PISTOL), ("x2", "G19 repost", REPOSTED)]:
        one.add(listing_id, title, text)
    for listing_id, title, text in [("x2", "G19 repost", REPOSTED), ("x1", "Glock 19", PISTOL)]:
        two.add(listing_id, title, text)

    assert one.clusters() == two.clusters() and len(set(one.clusters().values())) == 1


def test_a_shared_pgp_key_block_does_not_make_listings_near_duplicates() -> None:
    key_block = pgp_key_block()
    finder = DuplicateFinder()
    finder.add("pistol", "Glock 19 Gen 4", f"{PISTOL}\n\n{key_block}")
    finder.add("other", "CZ 75 B", f"{OTHER_PISTOL}\n\n{key_block}")

    assert finder.clusters() == {}
    assert extract("", key_block).pgp_fingerprints  # the block is a real, readable key


def pgp_key_block() -> str:
    """A real armored public key, made here (pgpy), with a long base64 body."""
    import pgpy
    from pgpy.constants import KeyFlags, PubKeyAlgorithm

    key = pgpy.PGPKey.new(PubKeyAlgorithm.RSAEncryptOrSign, 2048)
    key.add_uid(pgpy.PGPUID.new("Kestrel"), usage={KeyFlags.Sign})
    return str(key.pubkey)


def test_the_threshold_keeps_the_demo_templates_apart() -> None:
    """The documented reason for `THRESHOLD`, checked on two demo listings of one
    template (other quantity and town)."""
    finder = DuplicateFinder()
    finder.add(
        "250",
        "250 rds .380 ACP – PPU",
        "Boxed PPU .380 ACP, 250 rounds, kept in dry storage. Discount if you take the lot. "
        "Collect Houston.",
    )
    finder.add(
        "200",
        "200 rds .380 ACP – PPU",
        "Boxed PPU .380 ACP, 200 rounds, kept in dry storage. Discount if you take the lot. "
        "Collect Manchester.",
    )
    assert finder.clusters() == {}


# --- relinking a store --------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The demo configuration, demo-market and demo-jsmarket made one family."""
    loaded = load_config(DEMO_CONFIG, data_dir=tmp_path / "data")
    sources = {
        name: source.model_copy(update={"family": "demo-mk"})
        if name in {"demo-market", "demo-jsmarket"}
        else source
        for name, source in loaded.sources.items()
    }
    return dataclasses.replace(loaded, sources=sources)


def listing(listing_id: str, source: str, title: str, text: str, seller: str, **fields: object):  # type: ignore[no-untyped-def]
    return make(
        listing_id,
        source=source,
        title=title,
        text=text,
        seller=seller,
        entities=extract(title, text).to_json(),
        **fields,
    )


def test_relink_stores_vendors_and_clusters_and_undoes_them_when_listings_change(
    tmp_path: Path, config: Config
) -> None:
    store = SqliteStore(tmp_path / "data" / "armswatch.sqlite3")
    fill(
        store,
        listing(
            "m1", "demo-market", "Glock 19", f"{PISTOL} BTC: {BTC}", "Kestrel", labels=["firearm"]
        ),
        listing(
            "c1",
            "demo-classifieds",
            "G19 pistol, ships tracked",
            f"{REPOSTED} BTC: {BTC}",
            "kestrel_eu",
        ),
        listing("f1", "demo-market", "Ammo", "9x19 FMJ, 1000 rounds", "ShadowArms"),
        listing("f2", "demo-jsmarket", "Ammo", "7.62x39, 500 rounds", "shadowarms"),
        listing("f3", "demo-forum", "Ammo", "5.56, 200 rounds", "ShadowArms"),
        listing("o1", "demo-forum", "CZ 75 B", OTHER_PISTOL, "somebody"),
    )

    summary = relink(store, config)

    assert (summary.listings, summary.vendors, summary.linked_listings) == (6, 2, 4)
    assert (summary.clusters, summary.clustered_listings) == (1, 2)
    by_seller, by_address = sorted(store.vendors(), key=lambda v: v.links[0].key, reverse=True)
    assert by_address.listing_ids == ("c1", "m1")
    assert by_address.links == (VendorLink(f"btc:{BTC}", ("c1", "m1")),)
    assert by_address.labels == ("firearm",)
    # one seller name on the family's two markets; the forum is in no family
    assert by_seller.listing_ids == ("f1", "f2")
    assert by_seller.links == (VendorLink("seller:demo-mk:shadowarms", ("f1", "f2")),)
    stored = store.get_many(["m1", "c1", "f1", "f2", "f3", "o1"])
    assert stored["m1"].vendor_id == stored["c1"].vendor_id == by_address.id
    assert stored["f3"].vendor_id is None and stored["o1"].vendor_id is None
    cluster = stored["m1"].duplicate_cluster
    assert cluster is not None and stored["c1"].duplicate_cluster == cluster
    assert all(stored[i].duplicate_cluster is None for i in ("f1", "f2", "f3", "o1"))
    assert store.vendors("demo-jsmarket") == [by_seller]

    # The re-post now says it is sold, with no address: it leaves the cluster and the vendor.
    fill(
        store,
        listing(
            "c1", "demo-classifieds", "G19 pistol", "Sold, thanks.", "kestrel_eu", change="changed"
        ),
    )
    again = relink(store, config)

    assert (again.vendors, again.clusters, again.changed) == (1, 0, 2)
    stored = store.get_many(["m1", "c1", "f1"])
    assert all(stored[i].duplicate_cluster is None for i in ("m1", "c1"))
    assert stored["m1"].vendor_id is None and stored["c1"].vendor_id is None
    assert stored["f1"].vendor_id == by_seller.id  # unchanged, kept
    assert [v.id for v in store.vendors()] == [by_seller.id]
    store.close()
