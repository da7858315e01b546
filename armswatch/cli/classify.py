"""`armswatch classify`: score listings from a JSON Lines file, in order."""

from __future__ import annotations

import json
from typing import IO, Any

import click
from rich.progress import Progress

from armswatch.cli.context import classifier_of, common_options, load, progress_bar
from armswatch.cli.jsonl_input import JsonlInput, input_and_output
from classifiers import Classifier, ListingText, Prediction

BATCH = 64


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


def classify_stream(
    classifier: Classifier, listings: JsonlInput, out: IO[str], progress: Progress | None
) -> None:
    """Write one result line per good input line, in order."""
    for batch in listings.batches(BATCH, progress, "classifying"):
        predictions = classifier.predict([ListingText(item.title, item.text) for item in batch])
        for item, prediction in zip(batch, predictions, strict=True):
            out.write(output_line(item.id, prediction) + "\n")


@click.command()
@input_and_output
@common_options
def classify(input_file: IO[str], output: IO[str]) -> None:
    """Score the listings of INPUT.jsonl ('-' for standard input) with the configured classifier.

    Each input line is a JSON object with 'id', 'title' and 'text'. Each output
    line has 'id', 'scores', 'labels', 'threat_score' and 'explanation', in
    input order. Malformed lines are reported with their number and skipped;
    the exit code is then 5.
    """
    classifier = classifier_of(load())
    listings = JsonlInput(input_file)
    with progress_bar() as progress:
        classify_stream(classifier, listings, output, progress)
    listings.exit_if_bad()
