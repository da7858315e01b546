"""End-to-end crawl throughput: the demo sites on 127.0.0.1, crawled by the
real spiders and pipelines into a fresh SQLite store, then crawled again
(the incremental case: nothing changed, nothing re-classified).

Run: .venv/bin/python bench/crawl.py [--rounds N]
Prints pages/s and listings/s per round. Loopback serving is part of the
cost measured; a real site's latency and politeness delays are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from armswatch.demo import DemoSites

REPO = Path(__file__).resolve().parents[1]


def crawl_once(sites: DemoSites, data_dir: Path) -> tuple[float, int, int]:
    """Seconds, pages and listings of one `armswatch crawl` of the demo config."""
    env = {**os.environ, **sites.env()}
    command = [
        sys.executable,
        "-m",
        "armswatch",
        "--config",
        str(REPO / "config" / "demo"),
        "--data-dir",
        str(data_dir),
        "crawl",
    ]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    pages = listings = 0
    for audit in (data_dir / "audit").glob("*/*.jsonl"):
        finished = [json.loads(line) for line in audit.read_text().splitlines()][-1]
        pages += finished["stats"].get("response_received_count", 0)
        listings += sum(
            finished["stats"].get(f"armswatch/listings_{kind}", 0)
            for kind in ("new", "changed", "unchanged")
        )
        audit.unlink()
    return seconds, pages, listings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="crawls into the same store")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with DemoSites() as sites, tempfile.TemporaryDirectory() as tmp:
        for round_ in range(1, args.rounds + 1):
            seconds, pages, listings = crawl_once(sites, Path(tmp))
            kind = "first crawl (all new)" if round_ == 1 else "re-crawl (unchanged)"
            print(
                f"round {round_}, {kind}: {pages} pages, {listings} listings in {seconds:.1f} s "
                f"(process start included) = {pages / seconds:.0f} pages/s, "
                f"{listings / seconds:.0f} listings/s"
            )


if __name__ == "__main__":
    main()
