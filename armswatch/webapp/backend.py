"""Where a request finds the listing store, the workspace and the evidence.

The store is opened once per server thread (a SQLite connection serves only the
thread that opened it, and reopening it per request would take its write lock
for the schema check each time); the workspace is opened per request, which its
design makes cheap, and closed when the request ends.
"""

from __future__ import annotations

import threading

from flask import current_app, g

from armswatch.config import Config
from armswatch.evidence import EvidenceLocker
from armswatch.stores import Store, open_store
from armswatch.workspace import Workspace, workspace_path

EXTENSION = "armswatch"


class Backend:
    """The app's data: one per app, shared by its threads."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.locker = EvidenceLocker(config.data_dir)
        self.workspace_path = workspace_path(config.data_dir)
        self._local = threading.local()

    def store(self) -> Store:
        """This thread's store, opened on first use (StoreError if it cannot be)."""
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.config)
            self._local.store = store
        return store


def backend() -> Backend:
    backend: Backend = current_app.extensions[EXTENSION]
    return backend


def store() -> Store:
    return backend().store()


def workspace() -> Workspace:
    """The request's workspace, opened on first use and closed with the request."""
    if "workspace" not in g:
        g.workspace = Workspace.open(backend().workspace_path)
    opened: Workspace = g.workspace
    return opened


def close_workspace(_error: BaseException | None = None) -> None:
    opened: Workspace | None = g.pop("workspace", None)
    if opened is not None:
        opened.close()
