"""The triage queue: flagged listings nobody has reviewed yet, and those whose latest
verdict is "needs follow-up", each tab with the page's filters.

The store keeps each listing's latest verdict beside it, so a tab is one search:
real totals and keyset pages, however many listings and reviews there are.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, render_template, request, url_for

from armswatch.stores import NOT_REVIEWED
from armswatch.webapp.backend import backend, store, workspace
from armswatch.webapp.filters import FilterError, Filters
from armswatch.webapp.verdicts import latest

PAGE_SIZE = 50
TABS = {"todo": NOT_REVIEWED, "follow_up": "follow_up"}
"""Each tab's verdict filter."""

bp = Blueprint("queue", __name__)


@bp.get("/")
def queue() -> tuple[str, int] | str:
    tab = "follow_up" if request.args.get("tab") == "follow_up" else "todo"
    tab_params = {"tab": tab} if tab != "todo" else {}

    def page(filters: Filters, **shown: Any) -> str:
        return render_template(
            "queue.html",
            tab=tab,
            tab_params=tab_params,
            params={**tab_params, **filters.params()},
            filters=filters,
            sources=list(backend().config.sources),
            cases=workspace().cases.all(),
            **shown,
        )

    try:
        filters = replace(Filters.read(request.args, default_sort="score"), verdict="")
    except FilterError as exc:
        return page(Filters(sort="score"), problem=str(exc)), 400
    after = request.args.get("after") or None
    # The tab decides the verdict; every other filter is the analyst's.
    chosen = replace(filters, verdict=TABS[tab])
    query = chosen.query(limit=PAGE_SIZE, after=after, flagged=tab == "todo")
    opened = store()
    try:
        result = opened.search(query)
    except ValueError:
        problem = "This page link does not fit the filters any more: start from the first page."
        return page(filters, problem=problem), 400
    # Unreviewed rows have no verdict to show; follow-ups show who asked for it.
    follow_ups = [listing.id for listing in result.listings] if tab == "follow_up" else []
    return page(
        filters,
        result=result,
        verdicts=latest(opened, follow_ups),
        here=url_for("queue.queue", after=after, **tab_params, **filters.params()),
    )
