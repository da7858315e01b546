"""The `armswatch entities` contract: classify's input, one result line per
listing in order, every field, bad lines, stdin, -o, the country hint."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

FIELDS = [
    "btc",
    "eth",
    "xmr",
    "ltc",
    "pgp_fingerprints",
    "pgp_keys",
    "emails",
    "phones",
    "onions",
    "handles",
    "file_hosts",
    "files",
    "calibers",
    "makes_models",
    "ships_from",
    "ships_to",
    "prices",
]
LINES = [
    {
        "id": "a",
        "title": "Glock 19 Gen5, 9mm",
        "text": "0.021 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa. Telegram: @vendor_one. "
        "Ships from: Germany, ships to: EU. Handy 01512 3456789",
        "country": "DE",
        "price": 120,
    },
    {"id": 2, "title": "Heat gun 2000W", "text": "for shrink wrap and crafts"},
    {"id": "c", "text": "FGC-9 MKII files, fgc9_frame.stl on mega.nz/file/AbC#key"},
    {"id": "d", "title": "Handy 01512 3456789 (no country given)", "extra": {"x": 1}},
]


def write_input(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_results_in_input_order_with_every_field(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.jsonl", [json.dumps(line) for line in LINES])
    result = run_cli("entities", source, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["a", 2, "c", "d"]
    for row in rows:
        assert set(row) == {"id", "entities"}
        assert list(row["entities"]) == FIELDS
    first = rows[0]["entities"]
    assert first["btc"] == ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]
    assert first["handles"] == [{"network": "telegram", "handle": "vendor_one"}]
    assert first["makes_models"] == [{"make": "Glock", "model": "Glock 19"}]
    assert first["calibers"] == ["9x19mm"]
    assert (first["ships_from"], first["ships_to"]) == (["DE"], ["EU"])
    assert first["prices"] == [{"amount": 0.021, "currency": "BTC"}]
    assert first["phones"] == ["+4915123456789"]  # read as German: the line's country
    assert all(value == [] for value in rows[1]["entities"].values())
    assert rows[2]["entities"]["files"] == [
        {"name": "fgc9_frame.stl", "type": "STL", "design": "FGC-9"}
    ]
    assert rows[2]["entities"]["file_hosts"] == ["mega.nz/file/AbC#key"]
    assert rows[3]["entities"]["phones"] == []  # no country: a national number is not read


def test_bad_lines_reported_with_numbers_and_skipped(tmp_path: Path) -> None:
    lines = [
        json.dumps(LINES[0]),
        "{not json",
        "",
        '["a list"]',
        '{"title": "no id"}',
        '{"id": 7, "text": ["not", "a string"]}',
        '{"id": 8, "country": 49}',
        json.dumps(LINES[1]),
    ]
    result = run_cli("entities", write_input(tmp_path / "in.jsonl", lines))
    assert result.returncode == 5
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", 2]
    assert "line 2: not valid JSON" in result.stderr
    assert "line 4: not a JSON object" in result.stderr
    assert "line 5: no 'id' field" in result.stderr
    assert "line 6: 'title' and 'text' must be strings" in result.stderr
    assert "line 7: 'country' must be a string" in result.stderr
    assert "5 malformed line(s)" in result.stderr


def test_reads_standard_input() -> None:
    text = "\n".join(json.dumps(line) for line in LINES[1:3]) + "\n"
    result = run_cli("entities", "-", input=text, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [2, "c"]
    assert rows[1]["entities"]["files"][0]["design"] == "FGC-9"


def test_help_names_the_contract() -> None:
    result = run_cli("entities", "--help")
    assert result.returncode == 0
    assert "INPUT.jsonl" in result.stdout and "country" in result.stdout
