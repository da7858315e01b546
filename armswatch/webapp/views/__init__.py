"""The app's pages, one module per concept, each a blueprint."""

from __future__ import annotations

from armswatch.webapp.views import (
    actions,
    admin,
    cases,
    dashboard,
    exports,
    listing,
    queue,
    search,
)

BLUEPRINTS = (
    queue.bp,
    search.bp,
    listing.bp,
    actions.bp,
    cases.bp,
    exports.bp,
    dashboard.bp,
    admin.bp,
)
