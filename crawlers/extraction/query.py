"""Running one configured `Query` (CSS or XPath, Scrapy syntax) against a scope."""

from __future__ import annotations

from typing import Any

import html_text
import parsel
from cssselect import SelectorError
from lxml import etree

from armswatch.config.models import Query

from .clean import paragraphs, strip_invisible

_INVISIBLE_CONTAINERS = frozenset({"script", "style", "template"})


class _SmartSelector(parsel.Selector):
    """A Selector whose text and attribute results remember their parent element.

    Plain parsel results are bare strings, so `::text` would silently return the
    body of a <script> inside a description; with lxml "smart strings" those text
    nodes can be recognised and dropped.
    """

    _lxml_smart_strings = True


def run_query(scope: parsel.Selector | parsel.SelectorList, query: Query) -> list[Any]:
    """The raw lxml results of `query`: elements, (smart) strings or numbers.

    Raises ValueError for a query that is not valid CSS/XPath: that is a
    configuration error, not something the page can cause.
    """
    results: list[Any] = []
    for selector in scope if isinstance(scope, parsel.SelectorList) else [scope]:
        if not isinstance(selector.root, etree._Element):
            continue  # a text/attribute result used as scope has nothing to query
        smart = _SmartSelector(root=selector.root, type="html")
        try:
            found = smart.css(query.css) if query.css is not None else smart.xpath(query.xpath)
        except SelectorError as exc:
            raise ValueError(f"invalid CSS query {query.css!r}: {exc}") from exc
        results.extend(item.root for item in found)
    return results


def is_visible_string(value: str) -> bool:
    """False for a text node inside <script>/<style>: never shown, never extracted."""
    parent_of = getattr(value, "getparent", None)
    if parent_of is None or getattr(value, "is_attribute", False):
        return True
    container = parent_of()
    if container is not None and getattr(value, "is_tail", False):
        container = container.getparent()
    return container is None or container.tag not in _INVISIBLE_CONTAINERS


def element_text(element: etree._Element) -> str:
    """Visible text of an element with paragraph breaks (no script/style, comments)."""
    if not isinstance(element.tag, str):
        return ""  # comments and processing instructions are not visible
    return paragraphs(html_text.extract_text(element, guess_layout=True))


def select(scope: parsel.Selector | parsel.SelectorList, query: Query) -> list[str]:
    """Every non-empty result of `query` as text.

    Strings (text nodes, attributes, XPath values) are stripped; elements become
    their visible text, so a selector that points at a container still works.
    """
    values: list[str] = []
    for result in run_query(scope, query):
        if isinstance(result, etree._Element):
            value = element_text(result)
        elif isinstance(result, str):
            value = strip_invisible(result).strip() if is_visible_string(result) else ""
        elif isinstance(result, bool):
            value = "true" if result else "false"
        elif isinstance(result, float) and result.is_integer():
            value = str(int(result))
        else:
            value = str(result)
        if value:
            values.append(value)
    return values
