"""Demo sites on 127.0.0.1 for `armswatch demo` and the test-suite.

Three generated sites (classifieds, forum, market) render the records in
`data/*.jsonl`, so every page has a known ground truth (`expected()`); the
fourth (agora) serves real saved darknet pages; jsmarket shows the market's
records on pages built by JavaScript (only a browser sees them); privateforum
shows some of the forum's posts to logged-in members only. Each site runs its own
server on a free port, records every request path (`requests()`), and can
switch to a second edition of its data (`set_edition(2)`) to test versioning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from armswatch.demo.agora import AGORA_ENV, Agora, agora_candidates, find_agora_dir
from armswatch.demo.classifieds import HUGE_BYTES, HUGE_PATH, INJECTED_SCRIPT, Classifieds
from armswatch.demo.forum import CALENDAR_START, Forum
from armswatch.demo.jsmarket import JsMarket
from armswatch.demo.market import Market
from armswatch.demo.privateforum import (
    DEMO_PASSWORD,
    DEMO_USER,
    PASSWORD_ENV,
    USER_ENV,
    PrivateForum,
)
from armswatch.demo.records import EDITIONS, PRIVATE_PREFIX, Catalog, Record
from armswatch.demo.server import SessionSite, Site, SiteServer

__all__ = [
    "CALENDAR_START",
    "DEFAULT_PORTS",
    "HUGE_BYTES",
    "HUGE_PATH",
    "INJECTED_SCRIPT",
    "PRIVATE_PREFIX",
    "DemoSites",
]

log = logging.getLogger(__name__)

DEFAULT_PORTS = {
    "classifieds": 8701,
    "forum": 8702,
    "market": 8703,
    "agora": 8704,
    "privateforum": 8705,
    "jsmarket": 8706,
}
"""The ports the demo source configs fall back to when their env variable is unset."""


class DemoSites:
    """All demo sites, started and stopped together (a context manager)."""

    def __init__(
        self, agora_dir: Path | None = None, ports: Mapping[str, int] | None = None
    ) -> None:
        """`ports` pins ports per site (e.g. DEFAULT_PORTS, for a long-running demo);
        by default every site gets a free port."""
        self.catalog = Catalog.load()
        self._edition = 1
        self._lock = threading.Lock()
        self.privateforum = PrivateForum(self.catalog)
        sites: list[Site | SessionSite] = [
            Classifieds(self.catalog, self.edition),
            Forum(self.catalog),
            Market(self.catalog, self.edition),
            JsMarket(lambda: self.catalog.records("market", self.edition())),
            self.privateforum,
        ]
        self.skipped: dict[str, str] = {}
        """Sites not offered, with the reason (agora when its pages are missing)."""
        agora_root = find_agora_dir(agora_dir)
        self._agora: Agora | None = Agora(agora_root) if agora_root else None
        if self._agora is not None:
            sites.append(self._agora)
        else:
            where = " or ".join(str(folder) for folder in agora_candidates(agora_dir))
            self.skipped["agora"] = (
                f"the saved Agora pages were not found in {where}; set {AGORA_ENV} to the "
                "folder that holds index.html to serve them"
            )
            log.warning("agora demo site not offered: %s", self.skipped["agora"])
        ports = ports or {}
        self._servers = {site.name: SiteServer(site, ports.get(site.name, 0)) for site in sites}
        self.urls: dict[str, str] = {}

    def start(self) -> None:
        """Bind every site on 127.0.0.1, each its own server and port."""
        for name, server in self._servers.items():
            server.start()
            self.urls[name] = server.url

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self.urls.clear()

    def __enter__(self) -> DemoSites:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def sites(self) -> list[str]:
        """The names of the sites offered."""
        return list(self._servers)

    def env(self) -> dict[str, str]:
        """The variables the demo source configs read, e.g. ARMSWATCH_DEMO_FORUM."""
        return {f"ARMSWATCH_DEMO_{name.upper()}": url for name, url in self.urls.items()}

    def credentials(self) -> dict[str, str]:
        """The demo account of privateforum, in the variables its source config names
        (a real source's account is never in a file; the demo's is no secret)."""
        return {USER_ENV: DEMO_USER, PASSWORD_ENV: DEMO_PASSWORD}

    def edition(self) -> int:
        with self._lock:
            return self._edition

    def set_edition(self, edition: int) -> None:
        """Switch classifieds and market to another edition of their data (1 or 2):
        about five listings change, one disappears and two appear in edition 2."""
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
        with self._lock:
            self._edition = edition

    def requests(self, site: str) -> list[str]:
        """Request paths (with query string) the site received so far, in order."""
        return self._server(site).requests()

    def expected(self, site: str) -> list[Record]:
        """Ground truth: the listing records a robots.txt-obeying crawl of the site can
        find in the current edition (for agora: its reachable product pages, unlabeled)."""
        self._server(site)
        if site == "agora" and self._agora is not None:
            return self._agora.expected()
        if site == PrivateForum.name:
            return self.privateforum.expected()
        if site == JsMarket.name:  # the market's records, built by scripts
            return self.catalog.public("market", self.edition())
        return self.catalog.public(site, self.edition())

    def _server(self, site: str) -> SiteServer:
        if site not in self._servers:
            reason = self.skipped.get(site, f"the demo sites are {', '.join(self._servers)}")
            raise KeyError(f"no demo site '{site}': {reason}")
        return self._servers[site]
