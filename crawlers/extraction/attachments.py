"""Linked files: 3D-printable gun files, CAD/CNC files, archives, manuals.

Only names, URLs, extensions and shown sizes are recorded here; the files are
fetched only for sources with `fetch_attachments: true` (pipelines.attachments).
Links are found three ways: the source's configured selector, any link to a
file-like URL or a file-hosting site, and bare URLs or magnets pasted as text
(forum posts often carry "mega.nz/..." without a link).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml import etree

from armswatch.entities.data import table
from armswatch.listing import Attachment

from .clean import single_line
from .urls import absolute

FILE_EXTENSIONS = tuple(
    extension for spec in table("file_types")["types"].values() for extension in spec["extensions"]
)
"""The extensions of gun, CAD and CNC files, manuals and archives: the file-type
table entity extraction names files by (armswatch/entities/data/file_types.yaml)."""

# File hosts and share links; bunkr moves between top-level domains.
_SHARE_HOST = (
    r"mega\.nz|mega\.co\.nz|mega\.io|anonfiles\.com|anonfile\.com|bayfiles\.com|"
    r"mediafire\.com|dropbox\.com|dropboxusercontent\.com|drive\.google\.com|gofile\.io|"
    r"pixeldrain\.com|catbox\.moe|bunkrr?\.[a-z]{2,6}|files\.fm|1fichier\.com|"
    r"wetransfer\.com|we\.tl|sendspace\.com|zippyshare\.com|krakenfiles\.com|"
    r"workupload\.com|uptobox\.com|rapidgator\.net|nitroflare\.com|disk\.yandex\.ru|yadi\.sk|"
    r"cloud\.mail\.ru|transfer\.sh"
)
_SHARE_HOST_RE = re.compile(rf"(?:^|\.)(?:{_SHARE_HOST})$", re.IGNORECASE)
_MEGA_HOST_RE = re.compile(r"(?:^|\.)mega\.(?:nz|co\.nz|io)$", re.IGNORECASE)
_EXTENSION = "|".join(re.escape(ext) for ext in sorted(FILE_EXTENSIONS, key=len, reverse=True))
_FILE_NAME_RE = re.compile(rf"[^/\\<>|\n]{{0,200}}\.({_EXTENSION})", re.IGNORECASE)
_URL_END = r"[^\s<>\"'`]+"
_TEXT_URL_RE = re.compile(
    rf"magnet:\?{_URL_END}|(?:https?|ftp)://{_URL_END}"
    rf"|(?<![\w./@-])(?:www\.)?(?:{_SHARE_HOST}|[a-z2-7]{{16,56}}\.onion)/{_URL_END}",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\")]}>"
_SIZE = (
    r"(?<![\w.,])\d{1,6}(?:[.,]\d{1,3})?\s?"
    r"(?:[KkMmGgTt]i?[Bb]|[KMGT]o|[КкМмГгТт][Бб]|bytes?)(?![^\W\d_])"
)
_SIZE_RE = re.compile(_SIZE)
_SIZE_RIGHT_AFTER_RE = re.compile(rf"\s*[(\[\-–:|,]?\s*({_SIZE})")
_SIZE_IN_NAME_RE = re.compile(rf"\(\s*{_SIZE}\s*\)|\[\s*{_SIZE}\s*\]|{_SIZE}")
_PARENT_TEXT_MAX = 300  # a parent with more text is a page section, not a file's label
_LINK_SCHEMES = frozenset({"http", "https", "ftp", "magnet"})
_VISIBLE_TEXT = ".//text()[not(ancestor::script or ancestor::style)]"


def from_elements(results: Iterable[object], base: str) -> list[Attachment]:
    """Attachments from a configured selector's results: <a> elements, or bare hrefs.

    Whatever the selector points at is recorded, file-like or not; an element
    without href stands for the links inside it.
    """
    attachments = []
    for result in results:
        if isinstance(result, etree._Element) and isinstance(result.tag, str):
            links = [result] if result.get("href") else result.xpath(".//a[@href]")
            attachments.extend(filter(None, (_from_link(link, base, True) for link in links)))
        elif isinstance(result, str):
            url = absolute(result, base, schemes=_LINK_SCHEMES)
            if url:
                attachments.append(Attachment(_name_from_url(url), url, _kind(url, "", True)))
    return attachments


def detect(scope: etree._Element, base: str) -> list[Attachment]:
    """File links and share links anywhere in `scope`, as links or as plain text."""
    attachments = [
        attachment
        for link in scope.xpath(".//a[@href] | .//area[@href]")
        if (attachment := _from_link(link, base, False))
    ]
    text = "\n".join(scope.xpath(_VISIBLE_TEXT))
    for match in _TEXT_URL_RE.finditer(text):
        shown = _trim(match.group())
        has_scheme = "://" in shown or shown.lower().startswith("magnet:")
        url = absolute(shown if has_scheme else "https://" + shown, base, schemes=_LINK_SCHEMES)
        kind = _kind(url, "", False) if url else None
        if url and kind:
            size = _SIZE_RIGHT_AFTER_RE.match(text, match.start() + len(shown))
            attachments.append(
                Attachment(_name_from_url(url), url, kind, size.group(1) if size else None)
            )
    return attachments


def merge(*groups: list[Attachment]) -> list[Attachment]:
    """One attachment per URL, the first found kept (a later one may add the size)."""
    by_url: dict[str, Attachment] = {}
    for attachment in (a for group in groups for a in group):
        kept = by_url.setdefault(attachment.url, attachment)
        if kept.size is None:
            kept.size = attachment.size
    return list(by_url.values())


def _from_link(link: etree._Element, base: str, configured: bool) -> Attachment | None:
    url = absolute(link.get("href") or "", base, schemes=_LINK_SCHEMES)
    if not url:
        return None
    text = single_line("".join(link.xpath(_VISIBLE_TEXT)))
    name = single_line(_SIZE_IN_NAME_RE.sub(" ", text)).strip(" -–|,:")
    kind = _kind(url, name, configured)
    if kind is None:
        return None
    return Attachment(name or _name_from_url(url), url, kind, _size_near(link, text))


def _kind(url: str, name: str, configured: bool) -> str | None:
    """The extension, else "magnet"/"mega"/"link" for share links, else None (no file)."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "magnet":
        return "magnet"
    segment = unquote(parts.path.rstrip("/").rpartition("/")[2])
    query_values = [value for _, value in parse_qsl(parts.query)]
    for candidate in (segment, *query_values, name):
        match = _FILE_NAME_RE.fullmatch(candidate.strip())
        if match:
            return match.group(1).lower()
    host = parts.hostname or ""
    if _MEGA_HOST_RE.search(host):
        return "mega"
    if _SHARE_HOST_RE.search(host):
        return "link"
    if not configured:
        return None
    other = re.search(r"\.([A-Za-z0-9]{1,8})$", segment)
    return other.group(1).lower() if other else "link"


def _name_from_url(url: str) -> str:
    """A magnet's display name, else the URL's last path segment, else its host."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "magnet":
        return dict(parse_qsl(parts.query)).get("dn") or "magnet"
    segment = unquote(parts.path.rstrip("/").rpartition("/")[2])
    return single_line(segment) or parts.hostname or url


def _size_near(link: etree._Element, text: str) -> str | None:
    """A size shown in the link, its title, right after it, or in a parent of its own."""
    for candidate in (text, link.get("title") or ""):
        found = _SIZE_RE.search(candidate)
        if found:
            return found.group()
    after = link.tail or ""
    following = link.getnext()
    if following is not None and following.tag != "a" and isinstance(following.tag, str):
        after += " " + "".join(following.itertext())
    found = _SIZE_RIGHT_AFTER_RE.match(single_line(after))
    if found:
        return found.group(1)
    parent = link.getparent()
    if parent is not None and len(parent.xpath(".//a")) == 1:
        parent_text = single_line("".join(parent.xpath(_VISIBLE_TEXT)))
        found = _SIZE_RE.search(parent_text) if len(parent_text) <= _PARENT_TEXT_MAX else None
        if found:
            return found.group()
    return None


def _trim(url: str) -> str:
    """A URL pasted in text, without the sentence's punctuation after it."""
    while url and url[-1] in _TRAILING_PUNCTUATION:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url
