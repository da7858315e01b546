"""`armswatch search` and `show` as a user runs them, on each store: sort orders,
pages by --after, --until, highlights in JSON, facets, a clear refusal of a
cursor that does not fit, one listing with its versions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from armswatch.entities import extract
from armswatch.listing import ArchiveMember, Attachment, HashMatch
from armswatch.stores import Review
from armswatch.stores.base import HIGHLIGHT_END, HIGHLIGHT_START
from tests.conftest import CLI_STORES, CliStore, cli_store, run_cli
from tests.listings import T0, T1, T2, fill, make

CURSOR = re.compile(r"--after (\S+)")


def hex_id(n: int) -> str:
    """Ids as the crawler makes them (32 hex digits), distinct in the 12 tables show."""
    return f"{n:012x}".rjust(32, "f")


@pytest.fixture(scope="module", params=CLI_STORES)
def cli(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CliStore]:
    """Seven listings: two match "replique", four are ammunition boxes; the scope
    mount has a second version."""
    with cli_store(request.param, tmp_path_factory.mktemp("search")) as cli:
        fill_store(cli)
        yield cli


def fill_store(cli: CliStore) -> None:
    store = cli.open()
    seen = [T0, T1, T2]
    fill(
        store,
        make(
            hex_id(1),
            title="Réplique Glock 17",
            text="Pistolet à billes, réplique en bon état.",
            seller="Replique Shop",
            lang="fr",
            threat_score=0.4,
            labels=["firearm"],
            last_seen=T2,
        ),
        make(hex_id(2), title="Holster [cuir]", text="Pour réplique", lang="fr", last_seen=T0),
        *(
            make(
                hex_id(10 + n),
                title=f"Ammo box {n}",
                lang="en",
                threat_score=0.5 + n / 10,
                labels=["ammunition"],
                last_seen=seen[n % 3],
            )
            for n in range(4)
        ),
        make(hex_id(20), title="Scope mount", lang="de", threat_score=0.1, last_seen=T0),
    )
    fill(
        store,
        make(
            hex_id(20),
            title="Scope mount, 30 mm",
            lang="de",
            threat_score=0.1,
            last_seen=T1,
            change="changed",
        ),
    )
    store.add_review(
        Review(listing_id=hex_id(11), verdict="false_positive", analyst="ana", reviewed_at=T2)
    )
    store.close()


def search(cli: CliStore, *args: str) -> tuple[int, str, str]:
    return armswatch(cli, "search", *args)


def armswatch(cli: CliStore, *args: str) -> tuple[int, str, str]:
    result = run_cli("--data-dir", cli.data_dir, *args, env=cli.env)
    return result.returncode, result.stdout, result.stderr


def shown_ids(table: str) -> list[str]:
    return re.findall(r"│ ([0-9a-f]{12}) ", table)


def test_pages_follow_the_printed_after_option(cli: CliStore) -> None:
    seen: list[str] = []
    args: tuple[str, ...] = ()
    for _ in range(10):
        code, out, err = search(cli, "--sort", "score", "--limit", "3", *args)
        assert code == 0, err
        seen += shown_ids(out)
        found = CURSOR.search(out)
        if found is None:
            break
        assert out.rstrip().splitlines()[-1].startswith("next page: the same command with")
        args = ("--after", found.group(1))

    by_score = [13, 12, 11, 10, 1, 20, 2]  # ammo 0.8 ... 0.5, replique 0.4, scope, holster
    assert seen == [hex_id(n)[:12] for n in by_score]


def test_json_pages_keep_stdout_for_data(cli: CliStore) -> None:
    code, out, err = search(cli, "--json", "--sort", "newest", "--limit", "4")
    assert code == 0, err
    first = [json.loads(line)["id"] for line in out.splitlines()]
    cursor = CURSOR.search(err)
    assert cursor is not None

    code, out, err = search(
        cli, "--json", "--sort", "newest", "--limit", "4", "--after", cursor.group(1)
    )
    assert code == 0, err
    rest = [json.loads(line)["id"] for line in out.splitlines()]

    assert len(first) == 4 and len(rest) == 3
    assert sorted(first + rest) == sorted(hex_id(n) for n in (1, 2, 10, 11, 12, 13, 20))
    assert CURSOR.search(err) is None


def test_json_carries_the_highlights_of_a_text_query(cli: CliStore) -> None:
    code, out, err = search(cli, "replique", "--json")
    assert code == 0, err

    rows = {row["id"]: row for row in map(json.loads, out.splitlines())}

    assert set(rows) == {hex_id(1), hex_id(2)}
    marks = rows[hex_id(1)]["highlights"]
    assert marks["title"] == [f"{HIGHLIGHT_START}Réplique{HIGHLIGHT_END} Glock 17"]
    assert marks["seller"] == [f"{HIGHLIGHT_START}Replique{HIGHLIGHT_END} Shop"]
    assert rows[hex_id(2)]["highlights"] == {
        "text": [f"Pour {HIGHLIGHT_START}réplique{HIGHLIGHT_END}"]
    }
    code, out, _ = search(cli, "--json", "--lang", "fr")
    assert all("highlights" not in json.loads(line) for line in out.splitlines())


def test_table_shows_the_matched_text_and_seller(cli: CliStore) -> None:
    code, out, err = search(cli, "replique")
    assert code == 0, err

    assert "Holster [cuir]" in out  # listing text is never read as markup
    assert "Pour réplique" in out
    assert "seller Replique Shop" in out
    assert HIGHLIGHT_START not in out and HIGHLIGHT_END not in out
    assert "--after" not in out


def test_until_a_date_takes_that_whole_day(cli: CliStore) -> None:
    code, out, err = search(cli, "--json", "--until", "2026-11-21", "--since", "2026-11-21")
    assert code == 0, err

    rows = [json.loads(line) for line in out.splitlines()]

    assert {row["last_seen"] for row in rows} == {T1}
    assert len(rows) == 2


def test_facets_after_the_results(cli: CliStore) -> None:
    code, out, err = search(cli, "--facets", "--lang", "fr", "--lang", "en")
    assert code == 0, err

    assert "by labels" in out and "by day" in out
    labels = re.search(r"│ ammunition\s+│\s+(\d+) │", out)
    assert labels is not None and labels.group(1) == "4"

    code, out, err = search(cli, "--facets", "--json", "--label", "ammunition")
    assert code == 0, err
    counts = json.loads(out)
    assert counts["total"] == 4
    assert counts["facets"]["labels"] == [{"value": "ammunition", "count": 4}]
    assert counts["facets"]["lang"] == [{"value": "en", "count": 4}]
    assert [day["value"] for day in counts["facets"]["day"]] == [
        "2026-11-22",
        "2026-11-21",
        "2026-11-20",
    ]


def test_score_range_and_verdict_filters(cli: CliStore) -> None:
    def ids(*args: str) -> set[str]:
        code, out, err = search(cli, "--json", *args)
        assert code == 0, err
        return {json.loads(line)["id"] for line in out.splitlines()}

    assert ids("--min-score", "0.55", "--max-score", "0.75") == {hex_id(11), hex_id(12)}
    ammo = ("--label", "ammunition")
    assert ids(*ammo, "--verdict", "none") == {hex_id(10), hex_id(12), hex_id(13)}
    assert ids(*ammo, "--verdict", "false_positive") == {hex_id(11)}
    assert ids(*ammo, "--verdict", "confirmed") == set()

    code, out, err = search(cli, "--facets", "--json", *ammo)
    assert code == 0, err
    verdicts = {v["value"]: v["count"] for v in json.loads(out)["facets"]["verdict"]}
    assert verdicts == {"none": 3, "false_positive": 1}


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjogMX0"])
def test_a_bad_cursor_says_to_start_again(cli: CliStore, cursor: str) -> None:
    code, out, err = search(cli, "--after", cursor)

    assert code == 2
    assert "without --after" in err
    assert out == ""


def test_a_cursor_of_another_sort_is_refused(cli: CliStore) -> None:
    _, out, _ = search(cli, "--sort", "newest", "--limit", "2")
    cursor = CURSOR.search(out)
    assert cursor is not None

    code, _, err = search(cli, "--sort", "score", "--after", cursor.group(1))

    assert code == 2 and "without --after" in err


def test_every_option_is_explained() -> None:
    result = run_cli("search", "--help")

    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for explained in (
        "--sort [relevance|score|newest] relevance: best text match first",
        "--after CURSOR Show the next page",
        "--until DATE Last seen on or before",
        "--facets Also count all matches",
        '--json One JSON object per listing per line, with the matched words under "highlights"',
    ):
        assert explained in text


def test_show_prints_one_listing_with_its_versions(cli: CliStore) -> None:
    code, out, err = armswatch(cli, "show", hex_id(20)[:31], "--json")  # a unique start
    assert code == 0, err
    record = json.loads(out)
    assert (record["id"], record["title"], record["version"]) == (
        hex_id(20),
        "Scope mount, 30 mm",
        2,
    )
    assert [(v["version"], v["title"]) for v in record["versions"]] == [
        (1, "Scope mount"),
        (2, "Scope mount, 30 mm"),
    ]

    code, out, err = armswatch(cli, "show", hex_id(2))
    assert code == 0, err
    assert "Holster [cuir]" in out and "versions" in out

    code, _, err = armswatch(cli, "show", "ffff")  # the start of every id here
    assert code == 3 and "several ids" in err
    code, _, err = armswatch(cli, "show", "0123abcd")
    assert code == 3 and "no listing" in err


@pytest.mark.parametrize("kind", CLI_STORES)
def test_show_prints_leads_links_and_fetched_files(kind: str, tmp_path: Path) -> None:
    address = "1Jzs8MPkgLSf1wTDQNxhLiPxpLFgtATvg9"
    title, text = "Glock 19, ships from Germany", f"Pay BTC to {address}"
    archive = Attachment(
        name="pack.zip",
        url="https://files.example/pack.zip",
        ext="zip",
        sha256="ab" * 32,
        bytes=2048,
        members=[ArchiveMember("a.txt", 3, "cd" * 32)],
        hash_matches=[HashMatch("cd" * 32, "blueprints", "unit.txt", "a.txt")],
    )
    failed = Attachment(
        name="big.zip", url="https://files.example/big.zip", ext="zip", fetch_error="over the cap"
    )
    with cli_store(kind, tmp_path) as cli:
        store = cli.open()
        fill(
            store,
            make(
                hex_id(30),
                title=title,
                text=text,
                entities=extract(title, text).to_json(),
                attachments=[archive, failed],
            ),
            make(hex_id(31), title="Holster"),
        )
        store.set_links({hex_id(30): "v-0123456789ab"}, {hex_id(30): "c-fedcba987654"})
        store.close()
        wide = {**cli.env, "COLUMNS": "400"}

        shown = run_cli("--data-dir", cli.data_dir, "show", hex_id(30), env=wide)
        assert shown.returncode == 0, shown.stderr
        for expected in (
            f"btc:{address}",
            "ships_from:DE",
            "model:Glock 19",
            "v-0123456789ab",
            "c-fedcba987654",
            f"sha256 {'ab' * 32}, 2,048 bytes",
            "1 archive members",
            "ON HASH LIST unit.txt: blueprints (a.txt)",
            "over the cap",
        ):
            assert expected in shown.stdout, expected
        assert "not downloaded" not in shown.stdout

        plain = run_cli("--data-dir", cli.data_dir, "show", hex_id(31), env=wide)
        assert plain.returncode == 0, plain.stderr
        assert "vendor" in plain.stdout and "leads" not in plain.stdout
