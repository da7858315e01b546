"""Configuration errors that tell an operator which file, which field, what
value was found and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in one configuration file."""

    file: Path
    field: str
    value: Any
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else str(self.file)
        value = "" if self.value is _MISSING else f" (found {self.value!r})"
        return f"{where}: {self.expected}{value}"


_MISSING: Any = object()
"""Marks a problem that has no offending value (a missing field, a YAML syntax error)."""


class ConfigError(Exception):
    """Raised when one or more configuration files are invalid."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{len(problems)} problem(s) in the configuration:\n{lines}\n"
            "Fix the file(s) above and run 'armswatch config check' again."
        )


def missing() -> Any:
    """The marker for a problem with no offending value."""
    return _MISSING
