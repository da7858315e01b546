"""Crawl throughput and memory on a generated local site (bench/largesite.py).

1. Pages/s of the full pipeline (`armswatch crawl`: extraction, classification,
   store, evidence) versus bare Scrapy fetching the same pages and following the
   same links, keeping nothing: the ratio is the pipeline's cost. At 1 process
   and at 2: two `armswatch crawl --distributed` workers sharing the frontier in
   a local redis-server, against two bare Scrapy processes that split the list
   pages between them.
2. Peak RSS of one crawl process over a long crawl (default 20,000 listings),
   sampled as it goes: it must stay flat, not grow with pages.
3. A nightly crawl: N listings (default 10,000) of which 10% are new, the others
   stored by the previous night's crawl; minutes, process start included.

Run (long: about an hour on 2 cores with the transformer classifier):
    .venv/bin/python bench/crawl.py
Smoke test:
    .venv/bin/python bench/crawl.py --pages 300 --rss-pages 600 --nightly 400
Pages/s count from the first to the last page the site served (process start
and model loading excluded); loopback serving is part of the cost measured.
Prints tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from largesite import SOURCE_YAML, LargeSite

from armswatch.demo.server import SiteServer

REPO = Path(__file__).resolve().parents[1]
SOURCE = "bench-large"


@dataclass
class Crawl:
    """What a crawl by one or more processes did, as the site and /proc saw it."""

    processes: int
    pages: int = 0
    seconds: float = 0.0
    wall: float = 0.0
    rss: list[tuple[int, float]] = field(default_factory=list)
    """(pages served so far, MiB resident in the largest process) samples."""
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 for the 2-process crawls."""
    port = free_port()
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port)]
    command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def write_config(directory: Path, classifier: str) -> Path:
    """A config directory with the large site's source and fast loopback settings."""
    (directory / "sources").mkdir(parents=True, exist_ok=True)
    (directory / "sources" / f"{SOURCE}.yaml").write_text(SOURCE_YAML)
    watchlist = REPO / "config" / "watchlist.yaml"
    (directory / "armswatch.yaml").write_text(
        f"store: sqlite\n"
        f"classifier: {{kind: {classifier}, watchlist: {watchlist}}}\n"
        "crawl:\n"
        '  user_agent: "armswatch benchmark (loopback)"\n'
        "  robots: obey\n  delay: 0\n  autothrottle: false\n  concurrency_per_domain: 16\n"
        "  max_pages: 10000000\n  max_depth: 5\n  timeout: 30\n  retries: 1\n"
    )
    return directory


def rss_mib(pid: int) -> float:
    """Resident memory of a live process (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def watch(commands: list[list[str]], server: SiteServer, env: dict[str, str]) -> Crawl:
    """Run the crawl processes together, sampling the site's log and their memory."""
    crawl = Crawl(processes=len(commands))
    before = len(server.requests())
    started = time.perf_counter()
    children = [
        subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for c in commands
    ]
    first = last = None
    served = 0
    while any(child.poll() is None for child in children):
        now = time.perf_counter()
        count = sum(p != "/robots.txt" for p in server.requests()[before:])
        if count and first is None:
            first = now
        if count != served:
            served, last = count, now
            crawl.rss.append((served, max(rss_mib(child.pid) for child in children)))
        time.sleep(0.2)
    crawl.wall = time.perf_counter() - started
    for child, command in zip(children, commands, strict=True):
        if child.returncode not in (0, 1):
            error = child.stderr.read().decode() if child.stderr else ""
            raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{error}")
    crawl.pages = sum(p != "/robots.txt" for p in server.requests()[before:])
    crawl.seconds = (last - first) if first is not None and last is not None else crawl.wall
    return crawl


def armswatch(config: Path, data_dir: Path, report: Path, redis_url: str | None) -> list[str]:
    command = [sys.executable, "-m", "armswatch", "--config", str(config)]
    command += ["--data-dir", str(data_dir), "crawl", SOURCE, "--report", str(report)]
    return command + (["--distributed", redis_url] if redis_url else [])


def full_crawl(
    config: Path,
    data_dir: Path,
    server: SiteServer,
    env: dict[str, str],
    processes: int = 1,
    redis_url: str | None = None,
) -> Crawl:
    """`armswatch crawl` by `processes` workers (more than one: through `redis_url`)."""
    reports = [data_dir / f"report-{n}.json" for n in range(processes)]
    crawl = watch([armswatch(config, data_dir, r, redis_url) for r in reports], server, env)
    for report in reports:
        for summary in json.loads(report.read_text())["sources"]:
            for key in ("pages", "new", "changed", "same", "failed", "dropped"):
                crawl.summary[key] = crawl.summary.get(key, 0) + summary[key]
        report.unlink()
    return crawl


def bare_crawl(server: SiteServer, env: dict[str, str], processes: int = 1) -> Crawl:
    commands = [
        [sys.executable, __file__, "bare", server.url, "--part", str(k), "--of", str(processes)]
        for k in range(processes)
    ]
    return watch(commands, server, env)


def run_bare(url: str, part: int, of: int) -> None:
    """Bare Scrapy: the same pages and links as the full crawl, nothing extracted or kept."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(url + "/", callback=self.parse_home)

        def parse_home(self, response):  # type: ignore[no-untyped-def]
            links = response.css("a.list::attr(href)").getall()
            for href in links[part::of]:
                yield response.follow(href, callback=self.parse_list)

        def parse_list(self, response):  # type: ignore[no-untyped-def]
            for href in response.css("a.listing::attr(href)").getall():
                yield response.follow(href, callback=self.parse_listing)

        def parse_listing(self, response):  # type: ignore[no-untyped-def]
            response.css("h1::text").get()

    settings = {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "CONCURRENT_REQUESTS": 16,
        "DOWNLOAD_DELAY": 0,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
    }
    process = CrawlerProcess(settings)
    process.crawl(Bare)
    process.start()


def throughput(args: argparse.Namespace, tmp: Path, env: dict[str, str]) -> None:
    site = LargeSite(args.pages)
    server = SiteServer(site)
    server.start()
    env = {**env, "ARMSWATCH_BENCH_SITE": server.url}
    config = write_config(tmp / "config", args.classifier)
    rows = []
    try:
        with redis_server(tmp) as redis_url:
            for processes in (1, 2):
                bare = bare_crawl(server, env, processes)
                data_dir = tmp / f"throughput-{processes}"
                url = redis_url if processes > 1 else None
                full = full_crawl(config, data_dir, server, env, processes, url)
                rows.append((processes, bare, full))
    finally:
        server.stop()
    print(f"\nthroughput: {site.pages} pages ({site.listings} listings), {args.classifier}")
    print(
        f"{'processes':>9} | {'bare Scrapy p/s':>15} | {'full pipeline p/s':>17} | "
        f"{'ratio':>5} | {'full: wall s':>12} | listings new/dropped"
    )
    for processes, bare, full in rows:
        ratio = bare.rate / full.rate if full.rate else float("inf")
        print(
            f"{processes:>9} | {bare.rate:>15.1f} | {full.rate:>17.1f} | {ratio:>5.1f} | "
            f"{full.wall:>12.1f} | {full.summary.get('new', 0)}/{full.summary.get('dropped', 0)}"
        )


def memory(args: argparse.Namespace, tmp: Path, env: dict[str, str]) -> None:
    site = LargeSite(args.rss_pages)
    server = SiteServer(site)
    server.start()
    env = {**env, "ARMSWATCH_BENCH_SITE": server.url}
    config = write_config(tmp / "config", args.classifier)
    try:
        crawl = full_crawl(config, tmp / "memory", server, env)
    finally:
        server.stop()
    print(f"\npeak RSS of one crawl process over {crawl.pages} pages ({args.classifier})")
    print(f"{'pages fetched':>13} | {'RSS MiB':>7}")
    for share in (0.1, 0.25, 0.5, 0.75, 1.0):
        wanted = share * crawl.pages
        pages, mib = next((s for s in crawl.rss if s[0] >= wanted), crawl.rss[-1])
        print(f"{pages:>13} | {mib:>7.0f}")
    quarter = next(mib for pages, mib in crawl.rss if pages >= crawl.pages / 4)
    peak = max(mib for _, mib in crawl.rss)
    print(f"peak {peak:.0f} MiB; growth after the first quarter: {peak - quarter:+.0f} MiB")


def nightly(args: argparse.Namespace, tmp: Path, env: dict[str, str]) -> None:
    site = LargeSite(args.nightly * 9 // 10)
    server = SiteServer(site)
    server.start()
    env = {**env, "ARMSWATCH_BENCH_SITE": server.url}
    config = write_config(tmp / "config", args.classifier)
    data_dir = tmp / "nightly"
    try:
        previous = full_crawl(config, data_dir, server, env)
        site.listings = args.nightly
        tonight = full_crawl(config, data_dir, server, env)
    finally:
        server.stop()
    print(f"\nnightly crawl of {site.listings} listings, 10% new ({args.classifier})")
    print(f"{'crawl':<24} | {'pages':>6} | {'new':>6} | {'same':>6} | {'minutes':>7}")
    for name, crawl in (("previous night (all new)", previous), ("tonight", tonight)):
        summary = crawl.summary
        print(
            f"{name:<24} | {crawl.pages:>6} | {summary.get('new', 0):>6} | "
            f"{summary.get('same', 0):>6} | {crawl.wall / 60:>7.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    bare = sub.add_parser("bare", help="(internal) one bare Scrapy process")
    bare.add_argument("url")
    bare.add_argument("--part", type=int, default=0)
    bare.add_argument("--of", type=int, default=1)
    parser.add_argument("--pages", type=int, default=5000, help="listings, throughput site")
    parser.add_argument("--rss-pages", type=int, default=20000, help="listings, memory site")
    parser.add_argument("--nightly", type=int, default=10000, help="listings, nightly crawl")
    parser.add_argument(
        "--classifier",
        choices=("transformer", "rules"),
        default="transformer",
        help="the full pipeline's classifier (default: the shipped model)",
    )
    args = parser.parse_args()
    if args.command == "bare":
        run_bare(args.url, args.part, args.of)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    env = {**os.environ, "ARMSWATCH_CLASSIFIER": ""}  # the classifier the config names
    with tempfile.TemporaryDirectory() as tmp:
        throughput(args, Path(tmp), env)
        memory(args, Path(tmp), env)
        nightly(args, Path(tmp), env)


if __name__ == "__main__":
    main()
