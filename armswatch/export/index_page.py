"""The index page of a case package: what a prosecutor opens first.

A static page with no script, no external resource and no link to a crawled
address (those are shown as text); everything crawled is escaped, since sellers
write it. A Content-Security-Policy forbids anything but its own styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from armswatch import __version__
from armswatch.listing import Listing, price_text
from armswatch.stores import Review


@dataclass(frozen=True)
class Entry:
    """One listing's row on the page."""

    listing: Listing
    review: Review | None
    evidence: str | None
    """The folder of its evidence bundle in the package; None when none was kept."""

    @property
    def price(self) -> str:
        return price_text(self.listing.price, self.listing.currency)


TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>Case {{ case }}: evidence package</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #eee; }
.text { white-space: pre-wrap; max-width: 60em; }
.url, .id { font-family: monospace; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>Case {{ case }}</h1>
{% if description %}<p class="text">{{ description }}</p>{% endif %}
<p>Exported {{ exported_at }} by {{ exported_by }} with armswatch {{ version }}:
{{ entries | length }} listing(s).</p>
<p>Every file of this package is listed with its SHA-256 and size in MANIFEST.json; check
them with <code>sha256sum -c SHA256SUMS</code> in the unpacked folder. The listings are also
in listings.csv (spreadsheets), listings.jsonl and bundle.stix.json (STIX 2.1). Web addresses
are shown as text: they were not visited to make this page, and may lead to criminal sites.</p>
<table>
<thead><tr><th>#</th><th>listing</th><th>seen</th><th>classification</th>
<th>analyst verdict</th><th>evidence</th></tr></thead>
<tbody>
{% for entry in entries %}{% set l = entry.listing %}
<tr>
<td>{{ loop.index }}</td>
<td><strong>{{ l.title or "(no title)" }}</strong><br>
<span class="url">{{ l.url }}</span><br>
source {{ l.source }}; seller {{ l.seller or "-" }}; price {{ entry.price }};
language {{ l.lang or "-" }}<br>
<span class="id">id {{ l.id }}</span>
<details><summary>text</summary><div class="text">{{ l.text or "(no text)" }}</div></details>
{% if l.attachments %}<details><summary>{{ l.attachments | length }} attachment(s), not
downloaded</summary><ul>{% for a in l.attachments %}
<li>{{ a.name }} ({{ a.ext }}, {{ a.size or "size unknown" }})
<span class="url">{{ a.url }}</span></li>
{% endfor %}</ul></details>{% endif %}
</td>
<td>first {{ l.first_seen or "-" }}<br>last {{ l.last_seen or "-" }}</td>
<td>{{ l.labels | join(", ") or "not flagged" }}<br>threat score
{{ "%.2f" | format(l.threat_score) }}<br>classifier {{ l.classifier_version or "none" }}</td>
<td>{% if entry.review %}{{ entry.review.verdict | replace("_", " ") }}
{% if entry.review.labels %}({{ entry.review.labels | join(", ") }}){% endif %}<br>
by {{ entry.review.analyst }}, {{ entry.review.reviewed_at }}
{% if entry.review.note %}<div class="text">{{ entry.review.note }}</div>{% endif %}
{% else %}not reviewed{% endif %}</td>
<td>{% if entry.evidence %}<a href="{{ entry.evidence }}summary.txt">summary</a>,
<a href="{{ entry.evidence }}manifest.json">manifest</a>{% else %}none kept{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""

_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    TEMPLATE
)


def index_html(
    case: str,
    description: str,
    entries: Sequence[Entry],
    *,
    exported_by: str,
    exported_at: str,
) -> str:
    """The page of a case's package."""
    return _TEMPLATE.render(
        case=case,
        description=description,
        entries=entries,
        exported_by=exported_by,
        exported_at=exported_at,
        version=__version__,
    )
