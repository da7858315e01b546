"""One source's crawl frontier in Redis, shared by every worker process that crawls it.

Keys, for source S and crawl run R (a run lasts from the first worker's start until
the frontier is drained):

    armswatch:S:run                  R, the run workers join
    armswatch:S:R:requests           requests to fetch (scrapy-redis priority queue)
    armswatch:S:R:seen               fingerprints of every request queued (dupe filter)
    armswatch:S:R:inflight:W         what worker W took and has not finished (token -> request)
    armswatch:S:R:workers            the workers that joined the run
    armswatch:S:worker:W             W's heartbeat (JSON), expiring after `worker_timeout`

A worker takes a request by moving it from the queue to its in-flight hash in one
step, and removes it only when the listings from it are committed. A worker killed
mid-crawl stops its heartbeat; another worker then puts what it held back into the
queue, so no page is lost. The run ends when the queue and every in-flight hash are
empty: the first worker to see it deletes the run's keys, so the next crawl starts
afresh (as a finished single-process crawl does).
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from armswatch.config import Config

PREFIX = "armswatch"

# Take the queue's first request into the worker's in-flight hash, under a new token.
# The value keeps the queue score (priority) before a newline, for requeueing.
_TAKE = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return nil end
redis.call('ZREM', KEYS[1], first[1])
local token = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], token, first[2] .. '\\n' .. first[1])
return {tostring(token), first[1]}
"""

# Put everything an in-flight hash holds back into the queue, with its score.
_RELEASE = """
local values = redis.call('HVALS', KEYS[1])
for _, value in ipairs(values) do
  local cut = string.find(value, '\\n', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(value, 1, cut - 1), string.sub(value, cut + 1))
end
redis.call('DEL', KEYS[1])
return #values
"""

# Join the current run, or start run ARGV[1]; the run id.
_JOIN = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local run = redis.call('GET', KEYS[1])
redis.call('SADD', ARGV[2] .. ':' .. run .. ':workers', ARGV[3])
return run
"""

# End run ARGV[1] if nothing is queued or in flight; 1 when the run is over.
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 1 end
local run = ARGV[2]
if redis.call('ZCARD', run .. ':requests') > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', run .. ':workers')) do
  if redis.call('HLEN', run .. ':inflight:' .. worker) > 0 then return 0 end
end
redis.call('DEL', KEYS[1], run .. ':requests', run .. ':seen', run .. ':tokens', run .. ':workers')
return 1
"""


class FrontierError(Exception):
    """Redis cannot be reached or used; the message says what to do."""


def connect(url: str) -> redis.Redis:
    """A client for `url`, checked with a PING so that a wrong URL fails here, clearly."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise FrontierError(
            f"cannot reach Redis at {url} ({exc}): start redis-server there, or give the "
            "right redis://HOST:PORT/DB (--distributed, --redis or distributed.redis_url)"
        ) from exc
    return client


def for_workers(config: Config) -> Config:
    """The configuration a worker crawls with. Workers on one host may share one SQLite
    file: each commits every listing at once, so that none holds the write lock over a
    batch while it classifies the next pages (the others would wait, then refuse)."""
    settings = config.settings
    if settings.store != "sqlite":
        return config
    sqlite = settings.sqlite.model_copy(update={"batch_size": 1})
    return dataclasses.replace(config, settings=settings.model_copy(update={"sqlite": sqlite}))


def new_worker_id() -> str:
    """Unique per process, also across hosts and restarts that reuse a pid."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Worker:
    """A worker seen recently: what its heartbeat says."""

    worker: str
    source: str
    host: str
    pid: int
    run: str
    started: str
    last_seen: str


@dataclass(frozen=True)
class Depth:
    """A source's frontier: requests queued, taken by workers, and seen in this run."""

    source: str
    run: str | None
    queued: int
    in_flight: int
    seen: int


class Frontier:
    """Source `source`'s frontier, as worker `worker` uses it."""

    def __init__(self, client: redis.Redis, source: str, worker: str) -> None:
        self.client = client
        self.source = source
        self.worker = worker
        self.run = ""
        self._join = client.register_script(_JOIN)
        self._take = client.register_script(_TAKE)
        self._release = client.register_script(_RELEASE)
        self._finish = client.register_script(_FINISH)

    @property
    def run_key(self) -> str:
        return f"{PREFIX}:{self.source}:run"

    @property
    def run_prefix(self) -> str:
        return f"{PREFIX}:{self.source}:{self.run}"

    def key(self, name: str) -> str:
        """A key of the current run: requests, seen, tokens, workers."""
        return f"{self.run_prefix}:{name}"

    def inflight_key(self, worker: str) -> str:
        return self.key(f"inflight:{worker}")

    def heartbeat_key(self, worker: str) -> str:
        return f"{PREFIX}:{self.source}:worker:{worker}"

    def join(self) -> str:
        """Join the source's current run, or start one; the run id."""
        source_prefix = f"{PREFIX}:{self.source}"
        args = [secrets.token_hex(6), source_prefix, self.worker]
        self.run = self._join(keys=[self.run_key], args=args).decode()
        return self.run

    def take(self) -> tuple[str, bytes] | None:
        """The next request to fetch (token, encoded request), now held by this worker."""
        keys = [self.key("requests"), self.inflight_key(self.worker), self.key("tokens")]
        taken = self._take(keys=keys)
        if taken is None:
            return None
        token, encoded = taken
        return token.decode(), encoded

    def done(self, *tokens: str) -> None:
        """These requests are finished (their listings committed): never fetched again."""
        if tokens:
            self.client.hdel(self.inflight_key(self.worker), *tokens)

    def held(self) -> set[str]:
        """The tokens of what this worker holds."""
        return {token.decode() for token in self.client.hkeys(self.inflight_key(self.worker))}

    def release(self, worker: str) -> int:
        """Put what `worker` holds back into the queue; how many requests."""
        return int(self._release(keys=[self.inflight_key(worker), self.key("requests")]))

    def release_dead(self) -> int:
        """Requeue what workers of this run hold whose heartbeat stopped."""
        released = 0
        for member in self.client.smembers(self.key("workers")):
            worker = member.decode()
            if worker != self.worker and not self.client.exists(self.heartbeat_key(worker)):
                released += self.release(worker)
                self.client.srem(self.key("workers"), worker)
        return released

    def finish(self) -> bool:
        """End the run if nothing is queued or in flight anywhere; True when it is over."""
        return bool(self._finish(keys=[self.run_key], args=[self.run, self.run_prefix]))

    def beat(self, started: str, timeout: float) -> None:
        """Say this worker is alive for `timeout` more seconds."""
        beat = Worker(
            worker=self.worker,
            source=self.source,
            host=socket.gethostname(),
            pid=os.getpid(),
            run=self.run,
            started=started,
            last_seen=utc_now(),
        )
        key = self.heartbeat_key(self.worker)
        self.client.set(key, json.dumps(beat.__dict__), px=int(timeout * 1000))

    def leave(self) -> None:
        """Stop: what this worker still holds goes back to the queue for others."""
        self.release(self.worker)
        self.client.srem(self.key("workers"), self.worker)
        self.client.delete(self.heartbeat_key(self.worker))


def workers(client: redis.Redis) -> list[Worker]:
    """Every worker whose heartbeat has not expired, by source and start."""
    found = []
    for key in client.scan_iter(match=f"{PREFIX}:*:worker:*", count=500):
        value = client.get(key)
        if value is not None:
            found.append(Worker(**json.loads(value)))
    return sorted(found, key=lambda w: (w.source, w.started, w.worker))


def depths(client: redis.Redis, sources: list[str]) -> list[Depth]:
    """The frontier of each of `sources` and of any other source with a run in Redis."""
    names = set(sources)
    for key in client.scan_iter(match=f"{PREFIX}:*:run", count=500):
        names.add(key.decode().split(":")[1])
    return [_depth(client, name) for name in sorted(names)]


def _depth(client: redis.Redis, source: str) -> Depth:
    frontier = Frontier(client, source, worker="")
    run = client.get(frontier.run_key)
    if run is None:
        return Depth(source=source, run=None, queued=0, in_flight=0, seen=0)
    frontier.run = run.decode()
    in_flight = sum(
        client.hlen(frontier.inflight_key(member.decode()))
        for member in client.smembers(frontier.key("workers"))
    )
    fields: dict[str, Any] = {
        "queued": client.zcard(frontier.key("requests")),
        "seen": client.scard(frontier.key("seen")),
    }
    return Depth(source=source, run=frontier.run, in_flight=in_flight, **fields)
