"""`armswatch review` on each store, and `armswatch train --include-reviews`
learning from what analysts recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from armswatch.listing import Listing, content_hash
from classifiers.model import ModelArtifact
from classifiers.training import DEFAULT_DATA, data_sha256
from tests.conftest import CLI_STORES, CliStore, cli_store, run_cli

LISTINGS = {
    "a" * 32: ("Glock 19 Gen5, two spare mags", "no papers"),
    "b" * 32: ("Heat gun 2000W", "for shrink wrap"),
    "c" * 32: ("Solvent trap kit", "cleaning only?"),
}


@pytest.fixture(params=CLI_STORES)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CliStore]:
    """Three unreviewed listings in a store."""
    with cli_store(request.param, tmp_path) as cli:
        fill(cli)
        yield cli


def fill(cli: CliStore) -> None:
    store = cli.open()
    for listing_id, (title, text) in LISTINGS.items():
        listing = Listing(
            id=listing_id,
            source="demo-market",
            url=f"http://127.0.0.1/item/{listing_id}",
            title=title,
            text=text,
            lang="en",
            first_seen="2026-11-20T10:00:00+00:00",
            last_seen="2026-11-20T10:00:00+00:00",
            change="new",
        )
        listing.content_sha256 = content_hash(listing)
        store.write(listing)
    store.commit()
    store.close()


def review(cli: CliStore, *args: str) -> tuple[int, str, str]:
    result = run_cli("--data-dir", cli.data_dir, "review", *args, env=cli.env)
    return result.returncode, result.stdout, result.stderr


def test_verdicts_are_recorded_and_listed(cli: CliStore) -> None:
    code, out, err = review(
        cli, "label", "aaaa", "--confirm", "parts,firearm", "--analyst", "alice"
    )
    assert code == 0, err
    assert "aaaaaaaaaaaa confirmed (firearm, parts)" in out
    assert review(cli, "label", "b" * 32, "--false-positive", "--note", "tool")[0] == 0
    assert review(cli, "label", "cccc", "--follow-up")[0] == 0

    code, out, _ = review(cli, "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["listing_id"][0], r["verdict"], r["labels"]) for r in rows] == [
        ("a", "confirmed", ["firearm", "parts"]),
        ("b", "false_positive", []),
        ("c", "follow_up", []),
    ]
    assert rows[0]["analyst"] == "alice" and rows[1]["note"] == "tool"
    code, out, _ = review(cli, "list", "bbb")
    assert code == 0 and "false_positive" in out and "confirmed" not in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("aaaa", "--confirm", "firearm", "--false-positive"), 2, "exactly one"),
        (("aaaa",), 2, "exactly one"),
        (("aaaa", "--confirm", "knives"), 2, "labels among"),
        (("dddd", "--follow-up"), 3, "no listing"),
    ],
)
def test_bad_verdicts_are_refused_and_record_nothing(
    cli: CliStore, args: tuple[str, ...], code: int, message: str
) -> None:
    result = review(cli, "label", *args)
    assert result[0] == code and message in result[2]
    store = cli.open()
    assert store.reviews() == []
    store.close()


def test_train_includes_reviews(cli: CliStore, tmp_path: Path) -> None:
    review(cli, "label", "aaaa", "--follow-up")
    review(cli, "label", "aaaa", "--confirm", "firearm,parts")  # the latest counts
    review(cli, "label", "bbbb", "--false-positive")
    review(cli, "label", "cccc", "--follow-up")  # undecided: not trained on
    data = tmp_path / "small.jsonl"
    taken = {"train": 0, "validation": 0}
    lines = []
    for line in DEFAULT_DATA.read_text(encoding="utf-8").splitlines():
        split = json.loads(line)["split"]
        if split in taken and taken[split] < 60:
            taken[split] += 1
            lines.append(line)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    args = ("train", "--data", data, "--head", "linear", "--out", out, "--version", "rv")
    result = run_cli("--data-dir", cli.data_dir, *args, "--include-reviews", env=cli.env)
    assert result.returncode == 0, result.stderr
    assert "2 reviewed listing(s) join the train split" in result.stdout
    info = ModelArtifact.load(out).info
    assert info.notes["reviewed_examples"] == 2
    assert info.training_data_sha256 != data_sha256([data])
