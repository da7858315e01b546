"""`armswatch train`, `evaluate` and `model info`: the transformer classifier's
life cycle, from labeled data to a versioned model with its measurements."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from armswatch import LABELS
from armswatch.cli.context import (
    Exit,
    classifier_of,
    common_options,
    console,
    fail,
    load,
    progress_bar,
    store_of,
)

MODEL_OPTION = click.option(
    "--model",
    "model",
    help="A model directory written by 'armswatch train', or a shipped version "
    "(default: the configured model, else the shipped one).",
)


def metrics_table(title: str, result: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="right" if column != "label" else "left")
    for label in LABELS:
        scores = result["labels"][label]
        table.add_row(
            label,
            f"{scores['precision']:.3f}",
            f"{scores['recall']:.3f}",
            f"{scores['f1']:.3f}",
            str(scores["support"]),
        )
    table.caption = (
        f"macro-F1 {result['macro_f1']:.3f} · exact match {result['exact_match']:.3f} · "
        f"false alarms on benign {result['benign_false_positive_rate']:.1%} · "
        f"n={result['count']}"
    )
    return table


def language_table(result: dict[str, Any]) -> Table:
    table = Table(title="macro-F1 by language", title_justify="left")
    table.add_column("lang")
    table.add_column("macro-F1", justify="right")
    table.add_column("listings", justify="right")
    counts = result.get("language_counts", {})
    for lang, value in sorted(result["by_language"].items()):
        table.add_row(lang, f"{value:.3f}", str(counts.get(lang, "")))
    return table


@click.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Labeled listings (JSON Lines with 'split': train, validation, test), repeatable; "
    "default: the shipped set in classifiers/data/.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the model (default: <data_dir>/models/<version>).",
)
@click.option("--version", "version", help="Model version name (default: a timestamp).")
@click.option(
    "--head",
    type=click.Choice(["best", "linear", "lora"]),
    default="best",
    show_default=True,
    help="'linear': a head on the frozen encoder (about 2 minutes); 'lora': adapters and "
    "head fine-tuned with the encoder (about 23 minutes on 2 cores); 'best': train both "
    "and keep the better on validation.",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="For 'lora'.",
)
@click.option(
    "--adapt-from-layer",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="For 'lora': the lowest encoder layer that gets adapters; the layers below stay "
    "frozen and need no backward pass (4: about 30% faster, but a lower test score).",
)
@click.option(
    "--include-reviews",
    is_flag=True,
    help="Also train on the analysts' reviews in the store ('armswatch review label'): "
    "confirmed listings with their labels, false positives as benign.",
)
@click.option("--seed", type=int, default=13, show_default=True)
@common_options
def train(
    data: tuple[Path, ...],
    out: Path | None,
    version: str | None,
    head: str,
    epochs: int,
    adapt_from_layer: int,
    include_reviews: bool,
    seed: int,
) -> None:
    """Train a new model version on the labeled listings, and measure it.

    Fits the candidate heads on the train split, chooses thresholds and the
    weight of the watchlist rules on the validation split, keeps the better
    candidate, and reports on the test splits beside two baselines. The same
    data and seed give the same model.
    """
    from classifiers.dataset import Example, reviewed_examples
    from classifiers.encoder import Encoder
    from classifiers.finetune import FineTuneSettings
    from classifiers.rules import RuleClassifier
    from classifiers.training import DEFAULT_DATA, HEADS, REAL_TEST, TrainingDataError
    from classifiers.training import train as train_model

    config = load()
    reviewed: list[Example] = []
    if include_reviews:
        with store_of(config) as store:
            reviewed = reviewed_examples(store)
        console.print(f"{len(reviewed)} reviewed listing(s) join the train split")
    settings = config.settings.classifier
    rules = RuleClassifier.from_file(config.path(settings.watchlist), settings.thresholds)
    version = version or "e5-head-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out or config.data_dir / "models" / version
    encoder = Encoder.load(settings.encoder)
    layers = encoder.model.config.num_hidden_layers
    if head != "linear" and adapt_from_layer >= layers:
        fail(
            f"--adapt-from-layer {adapt_from_layer}: the encoder has layers 0 to {layers - 1}; "
            "choose one of them (0 adapts every layer)",
            Exit.BAD_CONFIG,
        )
    with progress_bar() as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)

        try:
            artifact = train_model(
                version,
                out,
                rules,
                encoder,
                settings.encoder,
                data=data or (DEFAULT_DATA,),
                real_test_data=None if data else REAL_TEST,
                seed=seed,
                reviewed=reviewed,
                heads=HEADS if head == "best" else (head,),
                fine_tuning=FineTuneSettings(epochs=epochs, from_layer=adapt_from_layer),
                progress=report,
            )
        except TrainingDataError as exc:
            fail(str(exc), Exit.BAD_INPUT)
    notes = artifact.info.notes
    for kind, candidate in notes["candidates"].items():
        chosen = "kept" if kind == notes["head_kind"] else "not kept"
        validation = candidate["metrics"]["validation"]["macro_f1"]
        console.print(f"{kind} head ({chosen}): validation macro-F1 {validation:.3f}")
    for split, result in artifact.info.metrics.items():
        console.print(metrics_table(f"{version} on {split}", result))
    weights = ", ".join(f"{label} {w}" for label, w in notes["rule_weights"].items())
    console.print(f"rule weights chosen on validation: {weights}")
    console.print(f"model written to {out}; use it with --model {out} or classifier.model")


@click.command()
@click.argument("data", metavar="DATA.jsonl", type=click.Path(path_type=Path, exists=True))
@MODEL_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("evaluation"),
    show_default=True,
    help="Folder for report.json and pr.png.",
)
@common_options
def evaluate(data: Path, model: str | None, out: Path) -> None:
    """Measure the configured classifier (or --model) on labeled listings.

    Prints per-label precision, recall and F1, macro-F1, false alarms on
    benign listings, and macro-F1 per language; writes a JSON report with a
    confusion table by label and a precision-recall plot.
    """
    from classifiers.dataset import read_examples
    from classifiers.evaluation import evaluate as run_evaluation
    from classifiers.evaluation import write_report

    config = load()
    if model is not None:
        settings = config.settings.classifier.model_copy(
            update={"kind": "transformer", "model": model}
        )
        config = config.with_classifier(settings)
    try:
        examples = read_examples(data)
    except (ValueError, KeyError) as exc:
        fail(f"{data} is not labeled JSON Lines: {exc}", Exit.BAD_INPUT)
    classifier = classifier_of(config)
    with progress_bar() as progress:
        task = progress.add_task("classifying", total=len(examples))
        result = run_evaluation(
            classifier,
            examples,
            plot=out / "pr.png",
            progress=lambda n: progress.advance(task, n),
        )
    write_report(result, out / "report.json")
    console.print(metrics_table(f"{classifier.version} on {data.name}", result))
    console.print(language_table(result))
    console.print(f"report: {out / 'report.json'}, plot: {out / 'pr.png'}")


@click.group(name="model")
def model_group() -> None:
    """Inspect the transformer classifier's model."""


@model_group.command()
@MODEL_OPTION
@common_options
def info(model: str | None) -> None:
    """Which encoder, which head version, thresholds, metrics, training data hash."""
    from classifiers.model import ModelArtifact, resolve_model_dir

    config = load()
    try:
        directory = resolve_model_dir(model or config.settings.classifier.model)
    except FileNotFoundError as exc:
        fail(str(exc), Exit.NOT_FOUND)
    artifact = ModelArtifact.load(directory)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row("model", f"{artifact.info.version} ({directory})")
    facts.add_row("encoder", artifact.info.encoder)
    facts.add_row("encoder location", artifact.info.encoder_location or "packaged e5 (converted)")
    facts.add_row("labels", ", ".join(artifact.info.labels))
    facts.add_row(
        "thresholds",
        ", ".join(f"{k} {v:.2f}" for k, v in artifact.head.thresholds.items()),
    )
    facts.add_row("head", artifact.info.notes.get("head", "linear"))
    weights = artifact.info.notes.get("rule_weights", {})
    facts.add_row("rule weights", ", ".join(f"{k} {v}" for k, v in weights.items()) or "none")
    facts.add_row("training data sha256", artifact.info.training_data_sha256)
    facts.add_row("seed", str(artifact.info.seed))
    console.print(facts)
    for split, result in artifact.info.metrics.items():
        console.print(metrics_table(split, result))
