"""Field extraction over real parsel Selectors: selectors, fallbacks, prices,
attachments, hostile HTML, and real Agora (2014) product pages."""

from __future__ import annotations

import json
import time
from pathlib import Path

import parsel
import pytest

from armswatch.config.models import FieldSelectors, Query
from armswatch.listing import Attachment
from crawlers.extraction import ExtractedFields, extract_fields, parse_price, select

BASE = "http://shop.example/listing/42"
_REPO = Path(__file__).resolve().parents[1]
_AGORA_PAGES = "data/agora-2014-04-06-weapons-html/2014-04-06/p"
# shared/ sits inside the checkout or beside it (as in CI)
AGORA = next(
    (
        folder
        for folder in (_REPO / "shared" / _AGORA_PAGES, _REPO.parent / "shared" / _AGORA_PAGES)
        if folder.is_dir()
    ),
    _REPO.parent / "shared" / _AGORA_PAGES,
)


def page(body: str, head: str = "") -> parsel.Selector:
    return parsel.Selector(text=f"<html><head>{head}</head><body>{body}</body></html>")


def extract(body: str, head: str = "", **selectors: str | dict[str, str]) -> ExtractedFields:
    return extract_fields(page(body, head), BASE, FieldSelectors.model_validate(selectors))


def json_ld(data: object) -> str:
    # escaped as sites must, or a "</script>" inside a string would end the block
    escaped = json.dumps(data).replace("</", "<\\/")
    return f'<script type="application/ld+json">{escaped}</script>'


PRODUCT = {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "Glock 19 Gen 5",
    "description": "Like new, two magazines.",
    "image": ["/img/g19.jpg", {"@type": "ImageObject", "url": "https://cdn.example/g19b.jpg"}],
    "offers": {
        "@type": "Offer",
        "price": "1250.00",
        "priceCurrency": "EUR",
        "seller": {"@type": "Person", "name": "gunsmith_77"},
    },
}


# --- select ---------------------------------------------------------------------------


def test_select_strips_strings_and_turns_elements_into_visible_text() -> None:
    sel = page(
        '<div class="d"> Hello <b>world</b><script>evil()</script><style>p{}</style></div>'
        '<a href="/f.stl" title=" T ">x</a><p>  </p>'
    )
    assert select(sel, Query(css=".d")) == ["Hello world"]
    assert select(sel, Query(css=".d ::text")) == ["Hello", "world"]  # no script body
    assert select(sel, Query(css="a::attr(href)")) == ["/f.stl"]
    assert select(sel, Query(xpath="//a/@title")) == ["T"]
    assert select(sel, Query(css="p")) == []
    assert select(sel, Query(xpath="count(//a)")) == ["1"]


def test_select_accepts_selector_lists_and_removes_zero_width_characters() -> None:
    sel = page("<ul><li>G\u200blo\u200dck</li><li>\ufeffAR-15</li></ul>")
    assert select(sel.css("li"), Query(xpath="./text()")) == ["Glock", "AR-15"]


def test_select_rejects_invalid_queries() -> None:
    with pytest.raises(ValueError, match="CSS"):
        select(page("<p>x</p>"), Query(css="a["))
    with pytest.raises(ValueError):
        select(page("<p>x</p>"), Query(xpath="//["))


# --- order of sources -----------------------------------------------------------------


def test_configured_selectors_win_over_structured_data() -> None:
    head = json_ld(PRODUCT) + '<meta property="og:title" content="OG title">'
    fields = extract(
        '<h1>Heading</h1><div class="t">Custom title</div><div class="p">$ 900</div>'
        '<div class="desc"><p>First.</p><p>Second.</p></div><span class="s">bob</span>'
        '<img class="pic" src="/own.jpg">',
        head,
        title=".t",
        price=".p",
        text=".desc",
        seller=".s",
        images=".pic",
    )
    assert fields.title == "Custom title"
    assert (fields.price, fields.currency) == (900.0, "USD")
    assert fields.text == "First.\n\nSecond."
    assert fields.seller == "bob"
    assert fields.images == ["http://shop.example/own.jpg"]


def test_selectors_that_match_nothing_fall_back() -> None:
    fields = extract("<h1>Heading</h1>", json_ld(PRODUCT), title=".missing", price=".missing")
    assert fields.title == "Glock 19 Gen 5"
    assert (fields.price, fields.currency) == (1250.0, "EUR")


def test_currency_selector_overrides_the_parsed_currency() -> None:
    fields = extract('<b class="p">1.250,00 €</b><i class="c">CHF</i>', price=".p", currency=".c")
    assert (fields.price, fields.currency) == (1250.0, "CHF")
    fields = extract('<b class="p">0.5</b><i class="c">฿</i>', price=".p", currency=".c")
    assert (fields.price, fields.currency) == (0.5, "BTC")


def test_price_split_over_text_nodes_keeps_its_currency() -> None:
    fields = extract('<span class="p"><i>$</i><b>1,250</b></span>', price=".p ::text")
    assert (fields.price, fields.currency) == (1250.0, "USD")


def test_multiple_text_matches_are_joined_with_blank_lines() -> None:
    fields = extract('<p class="x">One</p><p class="x">Two \n \n\n\nThree</p>', text=".x::text")
    assert fields.text == "One\n\nTwo\n\nThree"


# --- structured data ------------------------------------------------------------------


def test_json_ld_product_fallback() -> None:
    fields = extract("<h1>Heading</h1><p>Body text</p>", json_ld(PRODUCT))
    assert fields.title == "Glock 19 Gen 5"
    assert fields.text == "Like new, two magazines."
    assert (fields.price, fields.currency) == (1250.0, "EUR")
    assert fields.seller == "gunsmith_77"
    assert fields.images == ["http://shop.example/img/g19.jpg", "https://cdn.example/g19b.jpg"]


@pytest.mark.parametrize(
    "data",
    [
        [{"@type": "BreadcrumbList"}, PRODUCT],
        {"@context": "https://schema.org", "@graph": [{"@type": "WebSite"}, PRODUCT]},
        {"@type": "ItemPage", "mainEntity": PRODUCT},
        {"@type": ["Product", "Thing"], **{k: v for k, v in PRODUCT.items() if k != "@type"}},
    ],
    ids=["list", "graph", "nested-in-item-page", "type-list"],
)
def test_json_ld_product_is_found_wherever_it_sits(data: object) -> None:
    fields = extract("<h1>Heading</h1>", json_ld(data))
    assert fields.title == "Glock 19 Gen 5"
    assert (fields.price, fields.currency) == (1250.0, "EUR")


def test_json_ld_offer_references_aggregate_offers_and_price_specifications() -> None:
    graph = {
        "@graph": [
            {"@type": "Product", "name": "AR-15 lower", "offers": {"@id": "#offer"}},
            {"@id": "#offer", "@type": "AggregateOffer", "lowPrice": 300, "priceCurrency": "usd"},
        ]
    }
    fields = extract("", json_ld(graph))
    assert (fields.title, fields.price, fields.currency) == ("AR-15 lower", 300.0, "USD")
    spec = {
        "@type": "Product",
        "name": "Suppressor",
        "offers": [{"priceSpecification": {"price": 0.05, "priceCurrency": "BTC"}}],
    }
    assert extract("", json_ld(spec)).price == 0.05


def test_broken_json_ld_blocks_do_not_spoil_the_good_ones() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "Product", "name": </script>'
        '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
        '<script type="application/ld+json"><!-- {"@type": "Product", "name": "Kept",'
        ' "offers": {"price": "10", "priceCurrency": "GBP"},} --></script>'
    )
    fields = extract("<h1>Heading</h1>", head)
    assert (fields.title, fields.price, fields.currency) == ("Kept", 10.0, "GBP")


def test_json_ld_description_html_and_scripts_never_reach_the_text() -> None:
    product = {
        "@type": "Product",
        "name": "Pistol",
        "description": "<p>Clean &amp; oiled</p><script>alert(1)</script>"
        "&lt;script&gt;alert(2)&lt;/script&gt;",
    }
    fields = extract("", json_ld(product))
    assert fields.text == "Clean & oiled"


def test_microdata_product_fallback() -> None:
    body = """
    <div itemscope itemtype="https://schema.org/Product">
      <h2 itemprop="name">Ruger 10/22</h2>
      <img itemprop="image" src="/img/ruger.jpg">
      <div itemprop="description">Semi-auto rimfire.<script>evil()</script></div>
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        <span itemprop="price" content="349.99">$349.99</span>
        <meta itemprop="priceCurrency" content="USD">
        <div itemprop="seller" itemscope itemtype="https://schema.org/Organization">
          <span itemprop="name">Rimfire Depot</span></div>
      </div>
    </div>"""
    fields = extract(body)
    assert fields.title == "Ruger 10/22"
    assert fields.text == "Semi-auto rimfire."
    assert (fields.price, fields.currency) == (349.99, "USD")
    assert fields.seller == "Rimfire Depot"
    assert fields.images == ["http://shop.example/img/ruger.jpg"]


def test_opengraph_fallback() -> None:
    head = """
    <meta property="og:title" content="80% lower receiver">
    <meta property="og:description" content="Jig included.">
    <meta property="og:image" content="/img/lower.jpg">
    <meta property="og:image" content="javascript:alert(1)">
    <meta property="product:price:amount" content="89.50">
    <meta property="product:price:currency" content="USD">"""
    fields = extract("<p>Other text</p>", head)
    assert fields.title == "80% lower receiver"
    assert fields.text == "Jig included."
    assert (fields.price, fields.currency) == (89.5, "USD")
    assert fields.images == ["http://shop.example/img/lower.jpg"]


# --- readable fallback ----------------------------------------------------------------


def test_readable_fallback_keeps_main_content_only() -> None:
    body = """
    <header><a href="/">Logo</a></header>
    <nav><a href="/a">Guns</a> <a href="/b">Ammo</a></nav>
    <main>
      <h1>Glock 17 slide</h1>
      <p>Milled slide, RMR cut.</p>
      <p>Ships in 2 days.</p>
      <script>var tracking = "secret";</script>
      <form><input name="q"><button>Search</button></form>
      <noscript>Enable JavaScript</noscript>
    </main>
    <aside>Related: Glock 19</aside>
    <footer>© 2026 Shop</footer>"""
    fields = extract(body, "<title>Shop | Glock 17 slide</title>")
    assert fields.title == "Glock 17 slide"
    assert fields.text == "Glock 17 slide\n\nMilled slide, RMR cut.\n\nShips in 2 days."


def test_readable_fallback_on_a_bare_body_drops_menus_and_chrome() -> None:
    body = """
    <div id="menu"><a href="/1">Drugs</a> <a href="/2">Weapons</a> <a href="/3">Data</a></div>
    <div role="navigation">Home / Weapons</div>
    <div class="content">Selling a <a href="/vendor/x">vendor</a> pistol.<br>Mint condition.</div>
    <footer>Contact</footer>"""
    fields = extract(body, "<title>Only a title</title>")
    assert fields.title == "Only a title"
    assert fields.text == "Selling a vendor pistol.\nMint condition."


def test_every_outermost_article_is_main_content() -> None:
    body = "<article><p>First</p><article><p>Inner</p></article></article><article>Second</article>"
    assert extract(body).text == "First\n\nInner\n\nSecond"


def test_a_form_wrapping_the_whole_page_is_kept() -> None:
    body = '<form id="aspnetForm"><h1>Title</h1><p>Long description of the item.</p></form>'
    assert "Long description of the item." in extract(body).text


def test_price_next_to_the_title_is_used_as_a_last_resort() -> None:
    fields = extract("<h1>Glock 19</h1><div>$450</div><p>Great pistol, ships $20 extra.</p>")
    assert (fields.price, fields.currency) == (450.0, "USD")
    fields = extract("<h1>Glock 19 - 450 EUR</h1><p>Fair price.</p>")
    assert (fields.price, fields.currency) == (450.0, "EUR")


def test_ambiguous_prices_near_the_title_give_no_price() -> None:
    fields = extract("<h1>Glock 19</h1><p>Was $500, now $450 plus $20 shipping.</p>")
    assert (fields.price, fields.currency) == (None, None)
    assert extract("<h1>Glock 19</h1><p>Nice gun, 15 rounds.</p>").price is None


# --- forum posts ----------------------------------------------------------------------


FORUM = """
<html><head>{json_ld}<meta property="og:title" content="Thread page">
<base href="http://forum.example/board/"></head><body>
<h1>WTS: files</h1>
<div class="post" id="p1"><span class="author">alice</span>
  <time datetime="2026-03-01T10:15:00+01:00">1 March</time>
  <div class="body"><p>Selling the FGC-9 pack.</p><p>mega.nz/file/AbC123#KeyXyz</p></div>
  <div class="sig"><a href="frame.stl">frame.stl</a> (2.4 MB)</div></div>
<div class="post" id="p2"><span class="author">bob</span><div class="body">Thanks!</div></div>
</body></html>"""


def test_forum_post_scope_ignores_page_level_structured_data() -> None:
    doc = parsel.Selector(text=FORUM.format(json_ld=json_ld(PRODUCT)))
    post = doc.css(".post")[0]
    fields = extract_fields(post, "http://forum.example/t/1", FieldSelectors(), page=doc)
    assert fields.title == ""  # the thread title comes from the forum navigation
    assert fields.price is None and fields.seller is None and fields.images == []
    assert fields.text.startswith("alice")
    assert "Selling the FGC-9 pack." in fields.text and "Thanks!" not in fields.text
    assert [(a.name, a.url, a.ext, a.size) for a in fields.attachments] == [
        ("frame.stl", "http://forum.example/board/frame.stl", "stl", "2.4 MB"),
        ("AbC123", "https://mega.nz/file/AbC123#KeyXyz", "mega", None),
    ]


def test_forum_post_with_configured_fields() -> None:
    doc = parsel.Selector(text=FORUM.format(json_ld=""))
    selectors = FieldSelectors(
        text=Query(css=".body"), seller=Query(css=".author"), posted_at=Query(css="time")
    )
    first, second = (
        extract_fields(post, "http://forum.example/t/1", selectors, page=doc)
        for post in doc.css(".post")
    )
    assert first.text == "Selling the FGC-9 pack.\n\nmega.nz/file/AbC123#KeyXyz"
    assert (first.seller, first.posted_at) == ("alice", "2026-03-01T10:15:00+01:00")
    assert (second.text, second.seller, second.posted_at, second.attachments) == (
        "Thanks!",
        "bob",
        None,
        [],
    )


# --- prices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,250.00", (1250.0, "USD")),
        ("1.250,00 €", (1250.0, "EUR")),
        ("€ 450", (450.0, "EUR")),
        ("450 EUR", (450.0, "EUR")),
        ("0.0123 BTC", (0.0123, "BTC")),
        ("฿0.0123", (0.0123, "BTC")),
        ("4.85308391 BTC", (4.85308391, "BTC")),
        ("1.85 XMR", (1.85, "XMR")),
        ("£99", (99.0, "GBP")),
        ("₽ 15 000", (15000.0, "RUB")),
        ("15 000 руб.", (15000.0, "RUB")),
        ("USD 300", (300.0, "USD")),
        ("R$ 500", (500.0, "BRL")),
        ("zł 1200", (1200.0, "PLN")),
        ("1 250,50\u00a0€", (1250.5, "EUR")),
        ("CHF 1'250.50", (1250.5, "CHF")),
        ("0,5 btc", (0.5, "BTC")),
        ("12 mBTC", (0.012, "BTC")),
        ("US$ 99.99", (99.99, "USD")),
        ("AR15 lower, $500", (500.0, "USD")),
        ("0.05 BTC (~$20)", (0.05, "BTC")),
        ("Price: 450", (450.0, None)),
        ("try 300", (300.0, None)),
        ("$ 4\u200b50", (450.0, "USD")),
        ("free", (None, None)),
        ("", (None, None)),
        ("9" * 300 + " $", (None, None)),
    ],
)
def test_parse_price(text: str, expected: tuple[float | None, str | None]) -> None:
    assert parse_price(text) == expected


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ('<time datetime="2026-03-01T10:00:00Z">yesterday</time>', "2026-03-01T10:00:00+00:00"),
        ("<span>2026-03-01</span>", "2026-03-01"),
        ("<span>01.03.2026</span>", "2026-03-01"),
        ("<span>March 1, 2026</span>", "2026-03-01"),
        ("<span>Posted: Sun Mar 01, 2026 2:35 pm</span>", "2026-03-01T14:35:00"),
        ("<span>1 марта 2026 в 09:05</span>", "2026-03-01T09:05:00"),
        ("<span>13/04/2026</span>", "2026-04-13"),
        ("<span>03/04/2026</span>", "03/04/2026"),  # day or month first? kept raw
        ("<span>31.02.2026</span>", "31.02.2026"),
        ("<span>2 hours  ago</span>", "2 hours ago"),
    ],
)
def test_posted_at_is_iso_when_it_parses_else_raw(shown: str, expected: str) -> None:
    assert extract(f'<div class="d">{shown}</div>', posted_at=".d").posted_at == expected


def test_posted_at_from_an_attribute() -> None:
    fields = extract('<abbr data-time="1709251200">x</abbr>', posted_at="abbr::attr(data-time)")
    assert fields.posted_at == "2024-03-01T00:00:00+00:00"


# --- attachments ----------------------------------------------------------------------


def test_attachments_by_selector_with_sizes() -> None:
    body = """
    <ul class="files">
      <li><a href="/dl/1">FGC9 frame.stl (2.4 MB)</a></li>
      <li><a href="/dl/2" title="Receiver, 350 KB">receiver.step</a></li>
      <li><a href="/dl/3">Manual</a> <small>(1,2 Go)</small></li>
      <li><span>Size: 12 MB</span> <a href="/dl/barrel.gcode"></a></li>
      <li><a href="/dl/4">Readme</a></li>
    </ul>"""
    fields = extract(body, attachments=".files a")
    assert fields.attachments == [
        Attachment("FGC9 frame.stl", "http://shop.example/dl/1", "stl", "2.4 MB"),
        Attachment("receiver.step", "http://shop.example/dl/2", "step", "350 KB"),
        Attachment("Manual", "http://shop.example/dl/3", "link", "1,2 Go"),
        Attachment("barrel.gcode", "http://shop.example/dl/barrel.gcode", "gcode", "12 MB"),
        Attachment("Readme", "http://shop.example/dl/4", "link", None),
    ]


def test_attachments_are_detected_by_extension_and_file_host() -> None:
    body = """
    <a href="files/lower.STL">Lower</a>
    <a href="http://abcdefghijklmnop.onion/d/kit.tar.gz">kit</a>
    <a href="/get?file=glock%20switch.3mf">get</a>
    <a href="/attachments/991/">slide.f3d</a>
    <a href="https://www.mediafire.com/file/xyz">mirror</a>
    <a href="https://drive.google.com/file/d/abc/view">drive</a>
    <a href="/about">About</a> <a href="/img/photo.jpg">photo</a>
    <a href="mailto:x@example.org">mail</a>"""
    found = {(a.name, a.url, a.ext) for a in extract(body).attachments}
    assert found == {
        ("Lower", "http://shop.example/listing/files/lower.STL", "stl"),
        ("kit", "http://abcdefghijklmnop.onion/d/kit.tar.gz", "tar.gz"),
        ("get", "http://shop.example/get?file=glock%20switch.3mf", "3mf"),
        ("slide.f3d", "http://shop.example/attachments/991/", "f3d"),
        ("mirror", "https://www.mediafire.com/file/xyz", "link"),
        ("drive", "https://drive.google.com/file/d/abc/view", "link"),
    }


def test_mega_and_magnet_links_pasted_as_text() -> None:
    magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=FGC-9+MKII"
    body = (
        f"<p>Files: https://mega.nz/folder/AbC#k3y, backup {magnet}.</p>"
        "<p>Old: mega.co.nz/#!XyZ!key (1.5 GB) and https://x.example/page.</p>"
    )
    found = [(a.name, a.url, a.ext, a.size) for a in extract(body).attachments]
    assert found == [
        ("AbC", "https://mega.nz/folder/AbC#k3y", "mega", None),
        ("FGC-9 MKII", magnet, "magnet", None),
        ("mega.co.nz", "https://mega.co.nz/#!XyZ!key", "mega", "1.5 GB"),
    ]


def test_attachments_are_deduplicated_by_url() -> None:
    body = """
    <div class="att"><a href="/f/frame.stl">frame.stl</a></div>
    <p><a href="http://shop.example/f/frame.stl">again (2 MB)</a> http://shop.example/f/frame.stl</p>
    <a href="https://mega.nz/file/A#b">https://mega.nz/file/A#b</a>"""
    fields = extract(body, attachments=".att a")
    assert fields.attachments == [
        Attachment("frame.stl", "http://shop.example/f/frame.stl", "stl", "2 MB"),
        Attachment("https://mega.nz/file/A#b", "https://mega.nz/file/A#b", "mega", None),
    ]


# --- hostile HTML ---------------------------------------------------------------------


def test_broken_markup_and_unsafe_urls() -> None:
    html = (
        '<html><head><base href="https://cdn.example/m/"><title>Bro<ken</title></head><body>'
        '<h1>Gl\u200bock <b>19</h1><div class="price">$450<p>Unclosed <img src="javascript:1">'
        '<img class="i" src="data:image/png;base64,AAAA"><img class="i" src=" pics/a.jpg ">'
        '<img class="i" data-src="//img.example/b.jpg" src="blank.gif">'
        '<a href="javascript:download(\'x.stl\')">x.stl</a><a href="data:text/plain,x.zip">z</a>'
        '<a href="  ../f/y.7z ">y</a>'
    )
    fields = extract_fields(
        parsel.Selector(text=html), BASE, FieldSelectors(images=Query(css="img.i"))
    )
    assert fields.title == "Glock 19"
    assert (fields.price, fields.currency) == (450.0, "USD")
    assert fields.images == ["https://cdn.example/m/pics/a.jpg", "https://img.example/b.jpg"]
    assert fields.attachments == [Attachment("y", "https://cdn.example/f/y.7z", "7z")]


def test_scripts_in_descriptions_never_reach_the_output() -> None:
    body = (
        '<div class="d">Sale<script>document.write("<b>x</b>")</script>'
        "<style>.a{}</style><noscript>nojs</noscript> today</div>"
    )
    for query in (".d", ".d ::text"):
        text = extract(body, text=query).text
        assert "document" not in text and ".a{}" not in text
    assert extract(body).text.startswith("Sale")


def test_huge_text_is_kept_whole() -> None:
    paragraph = "Polymer80 frame, jig and parts kit. " * 40
    body = "".join(f"<p>{paragraph}</p>" for _ in range(200))  # ~290 KB
    start = time.perf_counter()
    fields = extract(f"<h1>Kit</h1>{body}")
    assert time.perf_counter() - start < 10
    assert len(fields.text) > 280_000
    assert fields.text.count("\n\n") == 200


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html>",
        "\x00\x01 <p>nul",
        "<h1></h1><title></title>",
        "<div>" * 5000 + "deep",
        '<script type="application/ld+json">{"@type": "Product", "offers": {"price": "NaN"}}'
        "</script>",
        '<script type="application/ld+json">{"@type": "Product", "name": {"x": 1}, '
        '"image": {"@id": 5}, "offers": [null, 1, {"price": 1e999}]}</script>',
        '<a href="http://[::1">broken ipv6.zip</a><a href=>empty</a>',
        "<time datetime=''></time>",
    ],
)
def test_hostile_pages_do_not_raise(html: str) -> None:
    selectors = FieldSelectors(
        title=Query(css="h1"),
        posted_at=Query(css="time"),
        images=Query(css="img"),
        attachments=Query(css="a"),
    )
    fields = extract_fields(parsel.Selector(text=html), BASE, selectors)
    assert isinstance(fields, ExtractedFields)


# --- real pages: Agora, April 2014 ----------------------------------------------------


@pytest.mark.skipif(not AGORA.is_dir(), reason="Agora sample pages not available")
@pytest.mark.parametrize(
    ("name", "title", "price"),
    [
        ("AJA7vixZq4", "Ruger sr40 C Full EScrow", 4.85308391),
        ("CFuU1LWMXy", "100 X 9mm Luger FMJ Tulammo", 0.49119203),  # "160€ = 220$" below
        ("FLclJ79MjA", "Glock 19 Gen 3 9mm & 2 Mags", 5.7354628),  # "$50 off" below
        (
            "x2m2juhkto",
            "Samurai Katana: Made for cutting, extremely sharp and excellent home defense. $500",
            1.10297361,
        ),
    ],
)
def test_agora_product_pages_without_selectors(name: str, title: str, price: float) -> None:
    html = (AGORA / name).read_text(encoding="utf-8")
    url = f"http://agorahooawayyfoe.onion/p/{name}"
    fields = extract_fields(parsel.Selector(text=html), url, FieldSelectors())
    assert fields.title == title
    assert (fields.price, fields.currency) == (price, "BTC")
    assert title in fields.text and "Brought to you by" in fields.text
    assert "Counterfeits" not in fields.text  # the category menu is not content


@pytest.mark.skipif(not AGORA.is_dir(), reason="Agora sample pages not available")
def test_agora_with_configured_selectors() -> None:
    html = (AGORA / "x2m2juhkto").read_text(encoding="utf-8")
    selectors = FieldSelectors(
        title=Query(css="#single-product h1"),
        price=Query(css=".product-page-price"),
        # Agora writes <a class="gen-user-link" href="..."/>name</a>: the name follows the link
        seller=Query(xpath="//a[@class='gen-user-link']/following-sibling::text()[1]"),
        images=Query(css="#single-product > img::attr(src)"),
    )
    url = "http://agorahooawayyfoe.onion/p/x2m2juhkto"
    fields = extract_fields(parsel.Selector(text=html), url, selectors)
    assert (fields.price, fields.currency, fields.seller) == (1.10297361, "BTC", "SocksRocksLocks")
    assert fields.images == ["http://agorahooawayyfoe.onion/liabilities/p/x2m2juhkto.jpg"]
    assert [(a.url, a.ext) for a in fields.attachments] == [
        ("http://casiberia.com/img/art/pdf/ki-ahern-oct10.pdf", "pdf")
    ]


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (
            json_ld({"@type": "Product", "name": "x", "datePosted": "2026-03-01T10:00:00Z"}),
            "<h1>x</h1>",
            "2026-03-01T10:00:00",
        ),
        (
            json_ld(
                {
                    "@type": "Product",
                    "name": "x",
                    "offers": {"@type": "Offer", "price": "5", "validFrom": "2026-04-02"},
                }
            ),
            "<h1>x</h1>",
            "2026-04-02",
        ),
        (
            '<meta property="article:published_time" content="2026-05-03T08:00:00+00:00">',
            "<h1>x</h1>",
            "2026-05-03T08:00:00",
        ),
        ("", '<h1>x</h1><p>Listed <time datetime="2026-06-04">4 June</time></p>', "2026-06-04"),
    ],
)
def test_posted_at_falls_back_to_structured_data_then_time_element(
    head: str, body: str, expected: str
) -> None:
    posted_at = extract(body, head).posted_at
    assert posted_at is not None and posted_at.startswith(expected)


def test_configured_date_wins_over_fallbacks() -> None:
    body = '<h1>x</h1><span class="d">01.02.2026</span><time datetime="2026-06-04">x</time>'
    posted_at = extract(body, posted_at=".d::text").posted_at
    assert posted_at is not None and posted_at.startswith("2026-02-01")
