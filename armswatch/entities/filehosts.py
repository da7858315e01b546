"""Links to where files are shared: Mega, Odysee/LBRY, magnet links and .torrent files.

Recorded as written in the text; nothing is fetched (attachment fetching is an
opt-in of its own, per source).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HOSTS = frozenset({"mega.nz", "mega.co.nz", "mega.io", "odysee.com", "lbry.tv", "open.lbry.com"})
_SCHEMES = frozenset({"magnet", "lbry"})
# a link runs to the next space or quote and does not end in sentence punctuation
_REST = r"[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]"
_BARE_HOST = "|".join(re.escape(host) for host in sorted(_HOSTS))
_LINK = re.compile(
    rf"(?<![\w.@-])(?:(?i:https?|ftp)://|(?i:magnet:\?|lbry://)|(?:www\.)?(?i:{_BARE_HOST})/){_REST}"
)


def find_file_hosts(text: str) -> list[str]:
    """File-host, magnet and .torrent links, each once, in order."""
    return list(dict.fromkeys(m.group() for m in _LINK.finditer(text) if _is_file_link(m.group())))


def _is_file_link(link: str) -> bool:
    try:
        parts = urlsplit(link if ":" in link.split("/", 1)[0] else "//" + link)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return (
        parts.scheme.lower() in _SCHEMES
        or host in _HOSTS
        or parts.path.lower().endswith(".torrent")
    )
