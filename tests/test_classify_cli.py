"""The `armswatch classify` contract: order, fields, bad lines, stdin, -o."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

LINES = [
    {"id": "a", "title": "Glock 19 for sale", "text": "no papers, 2 mags"},
    {"id": 2, "title": "Heat gun 2000W", "text": "for shrink wrap and crafts"},
    {"id": "c", "text": "FGC-9 MKII files + build guide, STL pack"},
    {"id": "d", "title": "500 rds 7.62x39", "price": 120, "extra": {"ignored": True}},
]


def write_input(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_results_in_input_order_with_every_field(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.jsonl", [json.dumps(line) for line in LINES])
    result = run_cli("classify", source, "-o", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["a", 2, "c", "d"]
    for row in rows:
        assert set(row) == {"id", "scores", "labels", "threat_score", "explanation"}
        assert set(row["scores"]) == {"firearm", "parts", "ammunition", "blueprints"}
        assert row["threat_score"] == max(row["scores"].values())
    assert "firearm" in rows[0]["labels"] and rows[0]["explanation"]
    assert rows[1]["labels"] == []
    assert "blueprints" in rows[2]["labels"]
    assert "ammunition" in rows[3]["labels"]


def test_bad_lines_reported_with_numbers_and_skipped(tmp_path: Path) -> None:
    lines = [
        json.dumps(LINES[0]),
        "{not json",
        "",
        '["a list"]',
        '{"title": "no id"}',
        json.dumps(LINES[1]),
    ]
    result = run_cli("classify", write_input(tmp_path / "in.jsonl", lines))
    assert result.returncode == 5
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", 2]
    assert "line 2: not valid JSON" in result.stderr
    assert "line 4: not a JSON object" in result.stderr
    assert "line 5: no 'id' field" in result.stderr
    assert "3 malformed line(s)" in result.stderr


def test_reads_standard_input() -> None:
    text = "\n".join(json.dumps(line) for line in LINES[:2]) + "\n"
    result = run_cli("classify", "-", input=text, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", 2]
