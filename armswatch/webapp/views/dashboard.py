"""The dashboard: what is in the store, how the crawls went, and how often the model
was right by the analysts' verdicts."""

from __future__ import annotations

from flask import Blueprint, render_template

from armswatch import LABELS
from armswatch.scheduling.history import RunHistory
from armswatch.stores import SearchQuery
from armswatch.webapp.backend import backend, store
from armswatch.webapp.plot import bar_chart, daily_counts
from armswatch.webapp.precision import model_precision
from armswatch.webapp.verdicts import latest

FACET_SIZE = 20
PLOT_DAYS = 90
RECENT_RUNS = 20

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
def dashboard() -> str:
    opened = store()
    everything = opened.facets(SearchQuery(), size=FACET_SIZE)
    flagged_query = SearchQuery(labels=LABELS, limit=1)
    flagged = opened.facets(flagged_query, size=PLOT_DAYS)
    verdicts = latest(opened)
    reviewed = opened.get_many(verdicts)
    config = backend().config
    return render_template(
        "dashboard.html",
        total=opened.count(),
        flagged_total=opened.search(flagged_query).total,
        everything=everything,
        flagged=flagged,
        chart=bar_chart(
            daily_counts(flagged["day"]), "Flagged listings per day (the day last seen)"
        ),
        last_runs=opened.last_runs(),
        scheduled=RunHistory(config.data_dir).runs(limit=RECENT_RUNS),
        sources=list(config.sources),
        precision=model_precision(reviewed, verdicts),
        reviewed=len(verdicts),
    )
