"""noida-db, an ES-API-compatible server, run on 127.0.0.1 for the Elasticsearch tests.

It stands in for a cluster (no real Elasticsearch can be installed here): see
shared/ELASTICSEARCH.md for what it does not do like Elasticsearch.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class NoidaServer:
    """`with NoidaServer(data_dir) as url:` a running server; `stop()` and `start()`
    take it away and bring it back on the same port (with its data)."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.binary = shutil.which("noida-db") or str(Path(sys.executable).parent / "noida-db")

    def start(self, timeout: float = 30) -> None:
        subprocess.run(
            [
                self.binary, "up", "--data-dir", str(self.data_dir), "--only", "elasticsearch",
                "--elasticsearch-port", str(self.port),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"noida-db did not answer on {self.url} within {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(
            [self.binary, "down", "--data-dir", str(self.data_dir)],
            check=False,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while self.answers() and time.monotonic() < deadline:
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SlowProxy:
    """A TCP proxy on 127.0.0.1 in front of a server that holds every answer back
    `delay` seconds: a cluster too slow to answer within the client's timeout."""

    def __init__(self, upstream_port: int, delay: float = 0.0) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
        self._pipe(upstream, client, True)

    def _pipe(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if answers and self.delay:  # read each time: kept-alive connections
                    time.sleep(self.delay)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.close()

    def close(self) -> None:
        self._closed.set()
        self._server.close()
