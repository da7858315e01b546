"""What a reader sees as the page's (or post's) title, text and price.

The last fallback, for sites without configured selectors or structured data.
"""

from __future__ import annotations

import copy

import parsel
from lxml import etree

from .clean import paragraphs, single_line
from .price import find_prices, lone_price
from .query import element_text

_MAIN_CONTENT = (".//main", ".//article", ".//*[@role='main']")
_BOILERPLATE = (
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "script",
    "style",
    "noscript",
    "template",
)
_BOILERPLATE_ROLES = ("navigation", "banner", "contentinfo", "complementary", "search")
_BOILERPLATE_XPATH = " | ".join(
    [f".//{tag}" for tag in _BOILERPLATE] + [f".//*[@role='{role}']" for role in _BOILERPLATE_ROLES]
)
_VISIBLE_TEXT = "text()[not(ancestor::script or ancestor::style)]"
# Blocks that are menus in all but name: mostly link text, several links.
_LINK_LIST_TAGS = frozenset(
    {"div", "ul", "ol", "dl", "menu", "table", "tbody", "tr", "td", "section"}
)
_LINK_LIST_MIN_LINKS = 3
_LINK_LIST_MIN_SHARE = 0.8
_PRICE_WINDOW_CHARS = 200


def title_element(scope: parsel.Selector) -> etree._Element | None:
    """The first non-empty <h1>, preferring one inside the main content over a logo's."""
    root = scope.root
    if not isinstance(root, etree._Element):
        return None
    containers, _ = _main_content(root)
    for container in [*containers, root]:
        for heading in container.iterdescendants("h1"):
            if element_text(heading):
                return heading
    return None


def readable_title(scope: parsel.Selector) -> str:
    """The <h1>, else the <title>; one line."""
    heading = title_element(scope)
    if heading is not None:
        return single_line(element_text(heading))
    titles = scope.xpath(".//title[not(ancestor::svg)]")
    return single_line(element_text(titles[0].root)) if titles else ""


def readable_text(scope: parsel.Selector) -> str:
    """The main content's text with paragraph breaks, without navigation and page chrome.

    Main content is <main>, else every outermost <article>, else [role=main],
    else the whole scope (the <body> of a page, or a forum post).
    """
    root = scope.root
    if not isinstance(root, etree._Element):
        return ""
    containers, whole_page = _main_content(root)
    texts = []
    for container in containers:
        cleaned = copy.deepcopy(container)
        _drop_boilerplate(cleaned)
        if whole_page:
            _drop_link_lists(cleaned)
        texts.append(element_text(cleaned))
    return paragraphs("\n\n".join(texts))


def price_near_title(scope: parsel.Selector) -> tuple[float | None, str | None]:
    """A price shown just after the <h1>, only when that is unambiguous.

    The last resort for pages without selectors or structured data. Shops show
    the price in an element of its own right after the title: the first such
    element within a short window wins. Failing that, prices in the title and
    the window are used only if they all agree: a second amount (shipping, a
    discount, another item) makes the guess unsafe, and then there is none.
    """
    heading = title_element(scope)
    if heading is None:
        return None, None
    window: list[str] = []
    length = 0
    for text in heading.xpath(f"following::{_VISIBLE_TEXT}[position() <= 60]"):
        parent = text.getparent()
        if not _inside(parent, scope.root) or length >= _PRICE_WINDOW_CHARS:
            break
        if not text.is_tail and len(parent) == 0:  # the whole text of a leaf element
            price = lone_price(text)
            if price:
                return price
        window.append(text)
        length += len(text.strip())
    prices = set(find_prices(" ".join([element_text(heading), *window])))
    return prices.pop() if len(prices) == 1 else (None, None)


def _main_content(root: etree._Element) -> tuple[list[etree._Element], bool]:
    """The main-content elements, and whether they are the whole page's <body>."""
    for xpath in _MAIN_CONTENT:
        found = root.xpath(xpath)
        found_set = set(found)
        outermost = [e for e in found if not any(a in found_set for a in e.iterancestors())]
        if outermost:
            return outermost[:1] if xpath == ".//main" else outermost, False
    if root.tag == "html":
        body = root.find("body")
        return [body if body is not None else root], True
    return [root], False


def _drop_boilerplate(container: etree._Element) -> None:
    """Removes navigation, headers, footers, sidebars, forms and invisible elements.

    A form holding most of the text stays: some sites (ASP.NET) wrap the whole
    page in one.
    """
    total = _text_length(container)
    for element in container.xpath(_BOILERPLATE_XPATH):
        if not _inside(element, container):
            continue  # already removed along with an ancestor
        if element.tag == "form" and _text_length(element) * 2 > total:
            continue
        element.drop_tree()  # keeps the text that follows it (its tail)


def _drop_link_lists(container: etree._Element) -> None:
    """Removes menu-like blocks (link text >= 80%, 3+ links) from a page body."""
    chars: dict[etree._Element, tuple[int, int, int]] = {}  # text, link text, links
    for _, element in etree.iterwalk(container, events=("end",)):
        if not isinstance(element.tag, str):
            continue  # a comment's text is not shown
        text = _count(element.text)
        link_text = links = 0
        for child in element:
            child_text, child_link_text, child_links = chars.get(child, (0, 0, 0))
            text += child_text + _count(child.tail)
            link_text += child_link_text
            links += child_links
        if element.tag == "a":
            link_text, links = text, links + 1
        chars[element] = (text, link_text, links)
    doomed = []
    stack = list(container)
    while stack:
        element = stack.pop()
        text, link_text, links = chars.get(element, (0, 0, 0))
        if (
            element.tag in _LINK_LIST_TAGS
            and links >= _LINK_LIST_MIN_LINKS
            and link_text >= _LINK_LIST_MIN_SHARE * text
        ):
            doomed.append(element)
        else:
            stack.extend(element)
    for element in doomed:
        element.drop_tree()  # keeps the text that follows it (its tail)


def _inside(element: etree._Element | None, ancestor: etree._Element) -> bool:
    while element is not None:
        if element is ancestor:
            return True
        element = element.getparent()
    return False


def _text_length(element: etree._Element) -> int:
    return sum(_count(text) for text in element.xpath(f".//{_VISIBLE_TEXT}"))


def _count(text: str | None) -> int:
    """Visible characters, whitespace not counted."""
    return len("".join(text.split())) if text else 0
