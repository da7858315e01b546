"""The JSON Lines input that `classify` and `entities` read, and its bad-line handling.

One contract for every command that takes listings from a file: a JSON object
per line with 'id', 'title' and 'text' (others ignored, missing ones empty);
a malformed line is reported with its number and skipped, the rest still run,
and the command ends with exit code 5.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

import click
from rich.progress import Progress

from armswatch.cli.context import Exit, errors

F = TypeVar("F", bound=Callable[..., Any])


def input_and_output(command: F) -> F:
    """The INPUT.jsonl argument ('-': standard input) and the -o/--output option."""
    command = click.option(
        "-o",
        "--output",
        type=click.File("w", encoding="utf-8"),
        default="-",
        help="Where to write results (default: standard output).",
    )(command)
    return click.argument(
        "input_file", metavar="INPUT.jsonl", type=click.File("r", encoding="utf-8")
    )(command)


@dataclass(frozen=True)
class InputListing:
    """One good input line."""

    id: Any
    title: str
    text: str
    extra: dict[str, str | None] = field(default_factory=dict)
    """The optional string fields a command asked for (None where missing)."""


def parse_line(line: str, optional: tuple[str, ...] = ()) -> InputListing:
    """The listing of one input line; ValueError says what is wrong with it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if "id" not in record:
        raise ValueError("no 'id' field")
    title, text = record.get("title") or "", record.get("text") or ""
    if not isinstance(title, str) or not isinstance(text, str):
        raise ValueError("'title' and 'text' must be strings")
    extra = {name: record.get(name) or None for name in optional}
    for name, value in extra.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{name}' must be a string")
    return InputListing(record["id"], title, text, extra)


class JsonlInput:
    """The good listings of a JSON Lines stream, in order; bad lines are
    reported on standard error as they come and counted in `bad`."""

    def __init__(self, source: IO[str], *, optional: tuple[str, ...] = ()) -> None:
        self._source = source
        self._optional = optional
        self.bad = 0

    def listings(
        self, progress: Progress | None = None, description: str = ""
    ) -> Iterator[InputListing]:
        """Each good listing, in order; `progress` counts the lines read."""
        task = progress.add_task(description, total=None) if progress else None
        for number, line in enumerate(self._source, start=1):
            if progress and task is not None:
                progress.advance(task)
            if not line.strip():
                continue
            try:
                listing = parse_line(line, self._optional)
            except ValueError as exc:
                self.bad += 1
                errors.print(f"line {number}: {exc}; skipped", highlight=False, markup=False)
                continue
            yield listing

    def batches(
        self, size: int, progress: Progress | None = None, description: str = ""
    ) -> Iterator[list[InputListing]]:
        """The good listings in lists of up to `size`, for commands that work in batches."""
        batch: list[InputListing] = []
        for listing in self.listings(progress, description):
            batch.append(listing)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def exit_if_bad(self) -> None:
        """Exit with Exit.BAD_INPUT, after saying so, where any line was skipped."""
        if self.bad:
            errors.print(f"{self.bad} malformed line(s) skipped (see above).", highlight=False)
            raise SystemExit(int(Exit.BAD_INPUT))
