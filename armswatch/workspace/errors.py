"""What goes wrong in the workspace, worded for the analyst or operator who sees it."""

from __future__ import annotations


class WorkspaceError(Exception):
    """The workspace cannot do what was asked; the message says what happened and what to do."""


class AccountError(WorkspaceError):
    """A user name, password or role is not acceptable, or the change would lock admins out."""


class CaseError(WorkspaceError):
    """A case cannot be created or changed as asked."""
