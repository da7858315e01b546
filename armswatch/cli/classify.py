"""`armswatch classify`: score listings from a JSON Lines file, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import click
from rich.progress import Progress

from armswatch.cli.context import Exit, classifier_of, common_options, errors, load, progress_bar
from classifiers import Classifier, ListingText, Prediction

BATCH = 64


def parse_line(line: str) -> tuple[Any, ListingText]:
    """The id and text of one input line; ValueError says what is wrong."""
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
    return record["id"], ListingText(title, text)


def output_line(listing_id: Any, prediction: Prediction) -> str:
    explanation = list(
        dict.fromkeys(
            term
            for label in prediction.labels or prediction.explanations
            for term in prediction.explanations.get(label, [])
        )
    )
    return json.dumps(
        {
            "id": listing_id,
            "scores": prediction.scores,
            "labels": prediction.labels,
            "threat_score": prediction.threat_score,
            "explanation": explanation,
        },
        ensure_ascii=False,
    )


def batches(source: IO[str]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(source, start=1):
        if line.strip():
            batch.append((number, line))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def classify_stream(
    classifier: Classifier, source: IO[str], out: IO[str], progress: Progress | None
) -> int:
    """Write one result line per good input line, in order; return the bad-line count."""
    bad = 0
    task = progress.add_task("classifying", total=None) if progress else None
    for batch in batches(source):
        good: list[tuple[Any, ListingText]] = []
        for number, line in batch:
            try:
                good.append(parse_line(line))
            except ValueError as exc:
                bad += 1
                errors.print(f"line {number}: {exc}; skipped", highlight=False, markup=False)
        predictions = classifier.predict([text for _, text in good])
        for (listing_id, _), prediction in zip(good, predictions, strict=True):
            out.write(output_line(listing_id, prediction) + "\n")
        if progress and task is not None:
            progress.advance(task, len(batch))
    return bad


@click.command()
@click.argument("input_file", metavar="INPUT.jsonl", type=click.File("r", encoding="utf-8"))
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write results (default: standard output).",
)
@common_options
def classify(input_file: IO[str], output: IO[str]) -> None:
    """Score the listings of INPUT.jsonl ('-' for standard input) with the configured classifier.

    Each input line is a JSON object with 'id', 'title' and 'text'. Each output
    line has 'id', 'scores', 'labels', 'threat_score' and 'explanation', in
    input order. Malformed lines are reported with their number and skipped;
    the exit code is then 5.
    """
    classifier = classifier_of(load())
    with progress_bar() as progress:
        bad = classify_stream(classifier, input_file, output, progress)
    if bad:
        errors.print(f"{bad} malformed line(s) skipped (see above).", highlight=False)
        raise SystemExit(int(Exit.BAD_INPUT))
