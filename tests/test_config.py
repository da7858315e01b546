"""Configuration: valid files load into typed models; every kind of mistake is
reported with its file, field, value and what is expected."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from armswatch.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]

GOOD_SOURCE = """\
name: good-market
kind: marketplace
start_urls: ["https://market.example.org/weapons"]
allowed_domains: [market.example.org]
listings:
  links: "a.item::attr(href)"
  next_page: {xpath: "//a[@rel='next']/@href"}
fields:
  title: "h1::text"
schedule: "30 1 * * *"
"""


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    (directory / "sources").mkdir(parents=True)
    shutil.copy(REPO / "config" / "armswatch.yaml", directory / "armswatch.yaml")
    shutil.copy(REPO / "config" / "watchlist.yaml", directory / "watchlist.yaml")
    (directory / "sources" / "good.yaml").write_text(GOOD_SOURCE)
    return directory


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    return [str(p) for p in caught.value.problems]


def test_shipped_config_and_demo_config_are_valid() -> None:
    shipped = load_config(REPO / "config")
    assert "example-marketplace" in shipped.sources
    assert not shipped.sources["example-marketplace"].enabled
    demo = load_config(REPO / "config" / "demo")
    assert {s.kind for s in demo.sources.values()} >= {"classifieds", "forum", "marketplace"}


def test_good_source_is_typed(config_dir: Path) -> None:
    config = load_config(config_dir)
    source = config.sources["good-market"]
    assert source.listings is not None
    assert source.listings.links.css == "a.item::attr(href)"
    assert source.listings.next_page is not None
    assert source.listings.next_page.xpath == "//a[@rel='next']/@href"
    assert source.robots.policy == "obey"
    assert config.source_files["good-market"] == config_dir / "sources" / "good.yaml"


@pytest.mark.parametrize(
    ("edit", "field", "fragment"),
    [
        (lambda s: s.replace("kind: marketplace", "kind: bazaar"), "kind", "'bazaar'"),
        (
            lambda s: s.replace('start_urls: ["https://market.example.org/weapons"]\n', ""),
            "start_urls",
            "required",
        ),
        (
            lambda s: s.replace('["https://market.example.org/weapons"]', '["not a url"]'),
            "start_urls.0",
            "URL",
        ),
        (lambda s: s + "titel: oops\n", "titel", "unknown option"),
        (lambda s: s.replace('"30 1 * * *"', '"every night"'), "schedule", "cron"),
        (
            lambda s: s.replace("[market.example.org]", "[https://market.example.org/]"),
            "allowed_domains",
            "bare domain",
        ),
        (lambda s: s + "robots: ignore\n", "robots", "justification"),
        (
            lambda s: s.replace('title: "h1::text"', "title: {css: h1, xpath: //h1}"),
            "fields.title",
            "exactly one",
        ),
        (lambda s: s.replace("listings:\n", "forum:\n"), "forum", ""),
        (lambda s: s.replace('"h1::text"', '"h1[[::text"'), "fields.title", "valid CSS"),
        (
            lambda s: s.replace("//a[@rel='next']/@href", "//a[@rel="),
            "listings.next_page",
            "valid XPath",
        ),
        (lambda s: s.replace("name: good-market", "name: Good Market!"), "name", "pattern"),
    ],
)
def test_each_mistake_names_file_field_and_expectation(
    config_dir: Path, edit, field: str, fragment: str
) -> None:
    path = config_dir / "sources" / "good.yaml"
    path.write_text(edit(GOOD_SOURCE))
    problems = problems_of(config_dir)
    assert any(f"{path}: {field}" in p and fragment in p for p in problems), problems


def test_yaml_syntax_error_gives_line(config_dir: Path) -> None:
    (config_dir / "sources" / "broken.yaml").write_text("name: x\nkind: [unclosed\n")
    problems = problems_of(config_dir)
    assert any("broken.yaml: line" in p and "valid YAML" in p for p in problems), problems


def test_all_problems_reported_together(config_dir: Path) -> None:
    (config_dir / "sources" / "dup.yaml").write_text(GOOD_SOURCE)
    (config_dir / "sources" / "empty-list.yaml").write_text("- just\n- a list\n")
    (config_dir / "armswatch.yaml").write_text(
        "crawl:\n  delay: -1\nclassifier:\n  thresholds: {guns: 0.4}\n"
    )
    problems = problems_of(config_dir)
    text = "\n".join(problems)
    assert "a unique name" in text
    assert "empty-list.yaml" in text and "mapping" in text
    assert "crawl.delay" in text and "-1" in text
    assert "classifier.thresholds" in text and "guns" in text


def test_env_interpolation_with_default(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_dir / "sources" / "good.yaml"
    path.write_text(
        GOOD_SOURCE.replace(
            "https://market.example.org/weapons", "${TEST_MARKET:-http://127.0.0.1:1}/weapons"
        )
    )
    assert str(load_config(config_dir).sources["good-market"].start_urls[0]).startswith(
        "http://127.0.0.1:1/"
    )
    monkeypatch.setenv("TEST_MARKET", "http://127.0.0.1:9")
    assert str(load_config(config_dir).sources["good-market"].start_urls[0]).startswith(
        "http://127.0.0.1:9/"
    )


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "armswatch", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_config_check_cli_ok_and_broken(config_dir: Path) -> None:
    ok = run_cli("--config", str(config_dir), "config", "check")
    assert ok.returncode == 0, ok.stderr
    assert "good-market" in ok.stdout

    (config_dir / "sources" / "good.yaml").write_text(
        GOOD_SOURCE.replace("kind: marketplace", "kind: bazaar") + "robots: ignore\n"
    )
    broken = run_cli("config", "check", "--config", str(config_dir))
    assert broken.returncode == 2
    assert "2 problem(s)" in broken.stderr
    assert "good.yaml: kind" in broken.stderr and "bazaar" in broken.stderr
    assert "good.yaml: robots" in broken.stderr and "justification" in broken.stderr


def test_missing_config_dir_is_explained(tmp_path: Path) -> None:
    result = run_cli("--config", str(tmp_path / "nowhere"), "sources")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
