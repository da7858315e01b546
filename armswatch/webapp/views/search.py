"""Search: full text with the matched words marked, the queue's filters and the latest
verdict, sort, facet counts, and keyset pages (a cursor, not an offset: as fast on
page 500 as on page 1)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from armswatch.webapp.backend import backend, store, workspace
from armswatch.webapp.filters import FilterError, Filters
from armswatch.webapp.verdicts import latest

PAGE_SIZE = 50
FACET_SIZE = 10

bp = Blueprint("search", __name__)


@bp.get("/search")
def search() -> tuple[str, int] | str:
    def page(filters: Filters, **shown: Any) -> str:
        sources = list(backend().config.sources)
        return render_template("search.html", filters=filters, sources=sources, **shown)

    try:
        filters = Filters.read(request.args)
    except FilterError as exc:
        return page(Filters(), problem=str(exc)), 400
    query = filters.query(limit=PAGE_SIZE, after=request.args.get("after") or None)
    opened = store()
    try:
        result = opened.search(query)
    except ValueError:
        problem = (
            "This page link does not fit the search any more (its words, filters or sort "
            "changed): start from the first page."
        )
        return page(filters, problem=problem), 400
    return page(
        filters,
        result=result,
        facets=opened.facets(query, size=FACET_SIZE),
        verdicts=latest(opened, [listing.id for listing in result.listings]),
        cases=workspace().cases.all(),
        paged=query.after is not None,
        here=url_for("search.search", after=query.after, **filters.params()),
    )
