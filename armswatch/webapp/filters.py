"""The filters of the queue, the search page and search exports, read from a request.

One reading for all three, so that "export this search" exports what the page showed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from armswatch import LABELS
from armswatch.stores import NOT_REVIEWED, SORTS, VERDICTS, SearchQuery

MAX_TEXT = 500
"""Longer query text is cut: no analyst types more, and it bounds the work a query costs."""


class FilterError(ValueError):
    """A filter value that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class Filters:
    text: str = ""
    labels: tuple[str, ...] = ()
    min_score: float | None = None
    max_score: float | None = None
    source: str = ""
    lang: str = ""
    seller: str = ""
    since: str = ""
    """A day (YYYY-MM-DD): last seen on or after it."""
    until: str = ""
    """A day: last seen on or before it (to its end)."""
    verdict: str = ""
    """The latest verdict (one of VERDICTS), NOT_REVIEWED, or "" for any."""
    entity: str = ""
    """An entity key ("btc:bc1q...", "handle:telegram:name") or a bare type ("pgp")."""
    vendor: str = ""
    """A vendor profile's id: the listings linked to it."""
    cluster: str = ""
    """A near-duplicate cluster's id: the listings in it."""
    sort: str = "relevance"

    @classmethod
    def read(cls, args: MultiDict[str, str], default_sort: str = "relevance") -> Filters:
        """The filters in `args`; FilterError for a value that makes no sense."""
        labels = tuple(label for label in LABELS if label in args.getlist("label"))
        sort = args.get("sort") or default_sort
        if sort not in SORTS:
            raise FilterError(f"Sort by one of {', '.join(SORTS)}.")
        verdict = args.get("verdict", "").strip()
        if verdict not in ("", *VERDICTS, NOT_REVIEWED):
            choices = ", ".join((*VERDICTS, NOT_REVIEWED))
            raise FilterError(f"Verdict {verdict!r}: choose one of {choices}, or any.")
        low = _score(args.get("min_score", "").strip(), "Minimum")
        high = _score(args.get("max_score", "").strip(), "Maximum")
        if low is not None and high is not None and low > high:
            raise FilterError(
                f"The minimum score {low:g} is above the maximum {high:g}: swap them."
            )
        filters = cls(
            text=args.get("q", "").strip()[:MAX_TEXT],
            labels=labels,
            min_score=low,
            max_score=high,
            source=args.get("source", "").strip(),
            lang=args.get("lang", "").strip(),
            seller=args.get("seller", "").strip(),
            since=args.get("since", "").strip(),
            until=args.get("until", "").strip(),
            verdict=verdict,
            entity=args.get("entity", "").strip()[:MAX_TEXT],
            vendor=args.get("vendor", "").strip()[:MAX_TEXT],
            cluster=args.get("cluster", "").strip()[:MAX_TEXT],
            sort=sort,
        )
        filters.moments()  # checks the dates
        return filters

    def moments(self) -> tuple[datetime | None, datetime | None]:
        """`since` as the start of its day and `until` as the end of its day, in UTC."""
        since = _day(self.since, "From")
        until = _day(self.until, "To")
        end = until + timedelta(days=1, microseconds=-1) if until else None
        return since, end

    def query(self, *, limit: int, after: str | None = None, flagged: bool = False) -> SearchQuery:
        """The store query; `flagged`: only listings with a label (any, unless chosen)."""
        since, until = self.moments()
        return SearchQuery(
            text=self.text,
            labels=self.labels or (LABELS if flagged else ()),
            min_score=self.min_score,
            max_score=self.max_score,
            sources=(self.source,) if self.source else (),
            langs=(self.lang,) if self.lang else (),
            sellers=(self.seller,) if self.seller else (),
            since=since,
            until=until,
            verdicts=(self.verdict,) if self.verdict else (),
            entities=(self.entity,) if self.entity else (),
            vendors=(self.vendor,) if self.vendor else (),
            duplicate_clusters=(self.cluster,) if self.cluster else (),
            limit=limit,
            sort=self.sort,  # type: ignore[arg-type]  # checked in read()
            after=after,
        )

    def params(self, **changes: Any) -> dict[str, Any]:
        """URL parameters that give these filters (with `changes`), empty ones left out."""
        chosen = replace(self, **changes)
        names = {"text": "q", "labels": "label"}
        params: dict[str, Any] = {}
        for field in fields(chosen):
            value = getattr(chosen, field.name)
            if value not in ("", (), None):
                params[names.get(field.name, field.name)] = (
                    list(value) if isinstance(value, tuple) else value
                )
        return params

    def pairs(self) -> list[tuple[str, str]]:
        """`params()` as name/value pairs, for hidden form fields."""
        pairs = []
        for name, value in self.params().items():
            for one in value if isinstance(value, list) else [value]:
                pairs.append((name, str(one)))
        return pairs


def _score(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        score = -1.0
    if not 0 <= score <= 1:
        raise FilterError(f"{name} score {value!r}: write a number from 0 to 1, e.g. 0.7.")
    return score


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} date {value!r}: write a day as 2026-11-01.") from None
    return datetime.combine(day, time(), tzinfo=UTC)
