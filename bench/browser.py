"""Browser crawl throughput and memory over a long crawl: `armswatch crawl` of a
JavaScript market (the demo jsmarket with its listings repeated to N pages) in
Chromium, with screenshots and evidence, watched from outside the crawl process.

Run: .venv/bin/python bench/browser.py [--pages N] [--pages-per-context K]
Prints pages/s and memory at the first page, every 100 pages and at the end:
the crawler process's RSS, and Chromium's (all its processes: RSS summed, and
PSS, which counts memory they share once) and the Playwright driver's. Flat
figures from one mark to the next mean no leak. The classifier is the rule
watchlist, so that the encoder's memory does not hide the browser's.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from armswatch.config.loader import CLASSIFIER_ENV
from armswatch.demo.jsmarket import JsMarket
from armswatch.demo.records import Catalog, Record
from armswatch.demo.server import SiteServer

REPO = Path(__file__).resolve().parents[1]
MARK_EVERY = 100
SPARE_PAGES = 16


def repeated_records(pages: int) -> list[Record]:
    """The market's public listings, repeated under new paths until there are `pages`."""
    base = Catalog.load().public("market", 1)
    return [
        record | {"id": f"{record['id']}-{n}", "path": f"/product/{record['id']}-{n}"}
        for n in range(-(-pages // len(base)))
        for record in base
    ][:pages]


def write_config(directory: Path, url: str, pages_per_context: int, clicks: int) -> Path:
    config = directory / "config"
    (config / "sources").mkdir(parents=True)
    settings = yaml.safe_load((REPO / "config" / "demo" / "armswatch.yaml").read_text())
    settings["classifier"] = {"kind": "rules", "watchlist": str(REPO / "config" / "watchlist.yaml")}
    (config / "armswatch.yaml").write_text(yaml.safe_dump(settings))
    source = yaml.safe_load(
        (REPO / "config" / "demo" / "sources" / "demo-jsmarket.yaml").read_text()
    )
    source["start_urls"] = [f"{url}/"]
    source["browser"] |= {"max_clicks": clicks, "pages_per_context": pages_per_context}
    (config / "sources" / "demo-jsmarket.yaml").write_text(yaml.safe_dump(source))
    return config


def descendants(pid: int) -> Iterator[int]:
    """Every process below `pid` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        yield child
        todo += children.get(child, [])


def memory_kib(pid: int, key: str) -> int:
    """VmRSS from /proc/PID/status, or Pss from smaps_rollup; 0 once it has ended."""
    source = "status" if key == "VmRSS" else "smaps_rollup"
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def executable(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


@dataclass
class Sample:
    pages: int
    seconds: float
    crawler_mib: float
    chromium_rss_mib: float
    chromium_pss_mib: float
    chromium_processes: int
    driver_mib: float


def sample(pid: int, pages: int, seconds: float) -> Sample:
    below = list(descendants(pid))
    chromium = [p for p in below if "chromium" in executable(p) or "chrome" in executable(p)]
    driver = [p for p in below if executable(p).endswith("/node")]
    return Sample(
        pages=pages,
        seconds=seconds,
        crawler_mib=memory_kib(pid, "VmRSS") / 1024,
        chromium_rss_mib=sum(memory_kib(p, "VmRSS") for p in chromium) / 1024,
        chromium_pss_mib=sum(memory_kib(p, "Pss") for p in chromium) / 1024,
        chromium_processes=len(chromium),
        driver_mib=sum(memory_kib(p, "VmRSS") for p in driver) / 1024,
    )


class PageCount:
    """Browser pages fetched so far, read from the crawl's audit trail as it grows
    (robots.txt, fetched over HTTP, is not counted)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pages = 0
        self.started = False
        self._read: dict[Path, int] = {}

    def update(self) -> int:
        for audit in (self.data_dir / "audit").glob("*/*.jsonl"):
            self.started = True
            with audit.open("rb") as log:
                log.seek(self._read.get(audit, 0))
                data = log.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line being written waits
            self._read[audit] = self._read.get(audit, 0) + len(complete)
            for line in complete.splitlines():
                event = json.loads(line)
                fetched = event["event"] == "fetched"
                self.pages += fetched and not event["url"].endswith("/robots.txt")
        return self.pages


def row(label: str, now: Sample, last: Sample | None) -> str:
    span = now.seconds - (last.seconds if last else 0)
    rate = (now.pages - (last.pages if last else 0)) / span if last and span > 0 else 0.0
    return (
        f"{label:>6} {now.pages:>6} {now.seconds:>8.1f} {rate:>8.1f} {now.crawler_mib:>11.0f} "
        f"{now.chromium_rss_mib:>11.0f} {now.chromium_pss_mib:>11.0f} "
        f"{now.chromium_processes:>5} {now.driver_mib:>9.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="browser pages to crawl")
    parser.add_argument("--pages-per-context", type=int, default=100)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    # The list page, and listing pages to go on past the last mark (a crawl that is
    # ending closes its browser: that is not the state to measure).
    records = repeated_records(args.pages - 1 + SPARE_PAGES)
    server = SiteServer(JsMarket(lambda: records))
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        clicks = len(records) // 12 + 1
        config = write_config(Path(tmp), server.url, args.pages_per_context, clicks)
        data_dir = Path(tmp) / "data"
        command = [sys.executable, "-m", "armswatch", "--config", str(config)]
        cap = args.pages + SPARE_PAGES + 1  # and robots.txt
        command += ["--data-dir", str(data_dir), "crawl", "--max-pages", str(cap)]
        env = {**os.environ, CLASSIFIER_ENV: "rules"}
        print(
            f"{args.pages} browser pages measured (1 list page with {clicks - 1} 'Load more' "
            f"clicks, then listing pages with full-page screenshots), "
            f"{args.pages_per_context} pages per browser context, concurrency 8"
        )
        print(
            f"{'mark':>6} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'crawler MiB':>11} "
            f"{'Chrome RSS':>11} {'Chrome PSS':>11} {'procs':>5} {'driver MiB':>9}"
        )
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        began = time.monotonic()
        count = PageCount(data_dir)
        samples: list[Sample] = []
        marks = [*range(MARK_EVERY, args.pages, MARK_EVERY), args.pages]
        while child.poll() is None and marks:
            time.sleep(0.5)
            pages = count.update()
            if not count.started:
                continue
            if not samples:  # the crawl has started; no page yet, no browser yet
                samples.append(sample(child.pid, pages, time.monotonic() - began))
                print(row("start", samples[-1], None))
            elif pages >= marks[0]:
                label = "end" if len(marks) == 1 else str(marks[0])
                samples.append(sample(child.pid, pages, time.monotonic() - began))
                print(row(label, samples[-1], samples[-2]))
                marks = [mark for mark in marks if mark > pages]
        out, err = child.communicate()
        server.stop()
        if child.returncode != 0 or len(samples) < 3:
            sys.exit(f"the crawl failed ({child.returncode}):\n{out.decode()}\n{err.decode()}")
        first, second, end = samples[0], samples[1], samples[-1]
        print(
            f"{end.pages} pages in {end.seconds - first.seconds:.1f} s = "
            f"{end.pages / (end.seconds - first.seconds):.1f} pages/s from the start "
            f"(browser launch and the list page's clicks included), "
            f"{(end.pages - second.pages) / (end.seconds - second.seconds):.1f} pages/s "
            f"after the first {second.pages}; crawler RSS {second.crawler_mib:.0f} -> "
            f"{end.crawler_mib:.0f} MiB and Chromium PSS {second.chromium_pss_mib:.0f} -> "
            f"{end.chromium_pss_mib:.0f} MiB from page {second.pages} to page {end.pages}"
        )


if __name__ == "__main__":
    main()
