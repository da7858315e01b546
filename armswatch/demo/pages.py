"""HTML building blocks shared by the demo sites.

The page shell carries no class attributes, so that a site can offer pages
whose only structure is semantic HTML (the JSON-LD fallback test needs one).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from armswatch.demo.records import Record
from armswatch.demo.server import Response

IMAGE = Response(
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    content_type="image/gif",
)
"""A 1x1 GIF answered for every product photo."""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def document(site: str, title: str, body: str, head: str = "", lang: str = "en") -> Response:
    """A complete page in the shell every demo site shares."""
    return Response(
        body=(
            f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(title)} – {esc(site)}</title>\n{head}</head>\n<body>\n"
            f'<header><a href="/">{esc(site)}</a></header>\n<main>\n{body}\n</main>\n'
            f"<footer><p>{esc(site)} is a demo site served on 127.0.0.1 for armswatch tests."
            "</p></footer>\n</body>\n</html>\n"
        ).encode()
    )


def paragraphs(text: str) -> str:
    """Blank lines become paragraphs, single newlines line breaks."""
    return "".join(
        "<p>" + "<br>".join(esc(line) for line in block.split("\n")) + "</p>"
        for block in text.split("\n\n")
    )


def shown_date(timestamp: str) -> str:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").strftime("%d %b %Y, %H:%M")


def amount(value: float, places: int = 2) -> str:
    """A price as shown: fixed decimals, crypto amounts without trailing zeros."""
    shown = f"{value:.{places}f}"
    return shown.rstrip("0").rstrip(".") if places > 2 else shown


def pager(base: str, page: int, pages: int, css: str) -> str:
    """Previous/next links with rel attributes; `css` names the link class."""
    if pages <= 1:
        return ""
    sep = "&" if "?" in base else "?"
    links = []
    if page > 1:
        prev = base if page == 2 else f"{base}{sep}page={page - 1}"
        links.append(f'<a rel="prev" href="{esc(prev)}">« Previous</a>')
    links.append(f"<span>Page {page} of {pages}</span>")
    if page < pages:
        links.append(
            f'<a rel="next" class="{css}" href="{esc(f"{base}{sep}page={page + 1}")}">Next »</a>'
        )
    return f'<nav class="pager">{" ".join(links)}</nav>'


def page_number(query: dict[str, list[str]]) -> int:
    """The `page` query parameter; anything unreadable is page 1."""
    raw = query.get("page", ["1"])[0]
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def file_list(record: Record, css: str) -> str:
    """Attachment links with name and shown size (`<a class="file">` + `<span class="size">`)."""
    if not record["attachments"]:
        return ""
    items = "".join(
        f'<li><a class="file" href="{esc(a["path"])}">{esc(a["name"])}</a> '
        f'<span class="size">{esc(a["size"])}</span></li>'
        for a in record["attachments"]
    )
    return f'<ul class="{css}">{items}</ul>'


def json_ld(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def meta_tags(pairs: Iterable[tuple[str, str]]) -> str:
    return "".join(f'<meta property="{esc(k)}" content="{esc(v)}">\n' for k, v in pairs)
