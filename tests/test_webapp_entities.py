"""The review web app's leads over HTTP (`armswatch review serve` in a child process) on
SQLite and Elasticsearch (noida-db): the listing page's entities, each a link to the
search for it, its vendor profile with the evidence that links it, its near-duplicates,
fetched attachments with hash-list matches and fetch errors, the vendor page, the new
search filters and facets, and hostile entity values shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from armswatch.stores.elastic import ElasticsearchStore
from tests.conftest import CLI_STORES, cli_store
from tests.leads import (
    ARCHIVE,
    BTC,
    CLUSTER,
    EMAIL,
    FETCH_ERROR,
    HANDLE,
    MEMBER,
    ONION,
    VENDOR,
    A,
    B,
    C,
    store_leads,
)
from tests.listings import fill, make
from tests.test_entities import GNUPG_FINGERPRINT
from tests.test_webapp import App, Elements, row_ids, served

HOSTILE = "e" * 32
HOSTILE_HANDLE = "<script>alert(1)</script>"
HOSTILE_FILE = '<img src=x onerror="alert(2)">.stl'


@pytest.fixture(scope="module", params=CLI_STORES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app over the lead listings (linked), a listing with hostile entity values,
    and one analyst, on each store."""
    with cli_store(request.param, tmp_path_factory.mktemp(f"leads-{request.param}")) as cli:
        store = cli.open()
        try:
            if isinstance(store, ElasticsearchStore):
                store.init()
            store_leads(store)
            hostile = make(
                HOSTILE,
                title="Hostile leads",
                entities={
                    "handles": [{"network": "telegram", "handle": HOSTILE_HANDLE}],
                    "files": [{"name": HOSTILE_FILE, "type": "STL", "design": None}],
                },
            )
            fill(store, hostile)
        finally:
            store.close()
        yield from served(cli, (("alice", "analyst"),))


def links(page: str) -> list[str]:
    return [str(attrs["href"]) for tag, attrs in Elements(page).found if tag == "a"]


def searches(page: str) -> list[dict[str, list[str]]]:
    """The query of every search the page links to."""
    return [parse_qs(urlsplit(href).query) for href in links(page) if href.startswith("/search?")]


def test_listing_page_links_each_entity_to_its_search(app: App) -> None:
    client = app.client()
    page = client.get(f"/listing/{A}")
    assert page.status_code == 200
    entities = {query["entity"][0] for query in searches(page.text) if "entity" in query}
    assert {
        f"btc:{BTC}",
        f"pgp:{GNUPG_FINGERPRINT}",
        f"email:{EMAIL}",
        "phone:+4915123456789",
        f"handle:telegram:{HANDLE}",
        f"onion:{ONION}",
        "caliber:9x19mm",
        "model:Glock 19",
        "design:FGC-9",
        "ships_from:DE",
        "ships_to:worldwide",
    } <= entities
    for group in ("Payment addresses", "PGP keys", "Contacts", "Onion addresses", "File hosts"):
        assert f"<h3>{group}</h3>" in page.text
    # The key block's details; prices and file-host links are shown as text.
    assert "Demo Vendor &lt;vendor@example.org&gt;" in page.text
    assert f"key id {GNUPG_FINGERPRINT[-16:]}" in page.text
    prices = page.text.split("<h3>Prices</h3>")[1].split("</ul>")[0]
    assert "950 EUR" in prices and "0.02 BTC" in prices
    assert '<code class="url">https://mega.nz/file/AbCdEfGh#key</code>' in page.text
    # Following an address's link finds both listings that give it.
    search = client.get(f"/search?entity=btc:{BTC}&sort=newest")
    assert search.status_code == 200 and sorted(row_ids(search.text)) == [A, B]
    only_a = client.get(f"/search?entity=email:{EMAIL}")
    assert row_ids(only_a.text) == [A]


def test_listing_page_shows_the_vendor_and_its_evidence(app: App) -> None:
    client = app.client()
    page = client.get(f"/listing/{A}").text
    assert f'href="/vendor/{VENDOR}"' in page
    assert "demo-classifieds, demo-market" in page
    section = page.split('<div class="vendor">')[1].split('<div class="duplicates">')[0]
    evidence = [query["entity"][0] for query in searches(section) if "entity" in query]
    assert evidence == [f"pgp:{GNUPG_FINGERPRINT}", f"btc:{BTC}"]
    assert section.count(f'href="/listing/{B}"') == 3  # in both links, and its other listing
    assert {"vendor": [VENDOR], "sort": ["newest"]} not in searches(section)  # all shown
    vendor = client.get(f"/vendor/{VENDOR}")
    assert vendor.status_code == 200
    assert sorted(row_ids(vendor.text)) == [A, B]
    assert f"btc:{BTC}" in vendor.text and "dealer_two" in vendor.text
    by_vendor = client.get(f"/search?vendor={VENDOR}")
    assert sorted(row_ids(by_vendor.text)) == [A, B]
    missing = client.get("/vendor/no-such-vendor")
    assert missing.status_code == 404 and "No vendor profile has this id" in missing.text


def test_listing_page_shows_near_duplicates(app: App) -> None:
    client = app.client()
    page = client.get(f"/listing/{B}").text
    duplicates = page.split("<h2>Near-duplicates</h2>")[1].split("</section>")[0]
    assert f'href="/listing/{A}"' in duplicates and f'href="/listing/{B}"' not in duplicates
    assert {"cluster": [CLUSTER], "sort": ["newest"]} in searches(page)
    cluster = client.get(f"/search?cluster={CLUSTER}")
    assert sorted(row_ids(cluster.text)) == [A, B]


def test_listing_page_shows_fetched_attachments(app: App) -> None:
    page = app.client().get(f"/listing/{A}").text
    attachments = page.split("<h2>Attachments</h2>")[1].split("</section>")[0]
    assert f"1024 bytes, SHA-256 <code>{ARCHIVE}</code>" in attachments
    assert '<tr class="hash-match">' in attachments  # the archive and its matching member
    assert attachments.count('<tr class="hash-match">') == 2
    assert "On hash list known-files.txt as <strong>blueprints</strong>" in attachments
    assert f"<code>{MEMBER}</code>" in attachments
    assert "not read (over the caps)" in attachments
    assert f"Not fetched in full: {FETCH_ERROR}" in attachments


def test_unlinked_listing_says_so(app: App) -> None:
    page = app.client().get(f"/listing/{C}").text
    assert "Not extracted yet" in page
    assert "Not linked to a vendor" in page
    assert "None found." in page.split("<h2>Near-duplicates</h2>")[1]


def test_hostile_entity_values_are_text(app: App) -> None:
    client = app.client()
    page = client.get(f"/listing/{HOSTILE}").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;.stl" in page
    # Hostile attachment and archive member names, and the vendor page, too.
    listing = client.get(f"/listing/{A}").text
    assert "<script>x</script>" not in listing and "<b>lower</b>" not in listing
    assert "&lt;script&gt;x&lt;/script&gt;" in listing and "&lt;b&gt;lower&lt;/b&gt;" in listing
    for path in (f"/listing/{HOSTILE}", f"/listing/{A}", f"/vendor/{VENDOR}"):
        elements = Elements(client.get(path).text).found
        assert [a for tag, a in elements if tag == "script"] == [
            {"src": "/static/app.js", "defer": None}
        ]
        for tag, attrs in elements:
            assert not [name for name in attrs if name == "style" or name.startswith("on")], tag


def test_search_counts_and_filters_by_lead(app: App) -> None:
    client = app.client()
    page = client.get("/search?q=glock").text
    types = page.split("<h2>Lead type</h2>")[1].split("</section>")[0]
    assert "btc" in types and "pgp" in types
    by_type = client.get("/search?q=glock&entity=pgp")
    assert sorted(row_ids(by_type.text)) == [A, B]
    assert 'name="entity" size="18" value="pgp"' in by_type.text  # kept in the form
    vendors = page.split("<h2>Vendor</h2>")[1].split("</section>")[0]
    assert f"vendor={VENDOR}" in vendors
