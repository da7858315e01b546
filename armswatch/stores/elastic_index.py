"""The indices armswatch keeps in a cluster: created, checked and rebuilt.

Listings live in numbered indices behind one alias. A rebuild (a new mapping,
or scores from a new model) fills the next index from the current one while
crawls go on writing, blocks writes to the old index for the final catch-up
(writers keep those in their outboxes and send them again), and swaps the
alias in one atomic step: readers never see a missing or half-filled index.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from armswatch.config.models import ElasticsearchSettings
from armswatch.stores.base import StoreError
from armswatch.stores.elastic_mapping import (
    LISTING_PROPERTIES,
    TEMPLATE_VERSION,
    IndexNames,
    templates,
)

MIN_VERSION = (8, 0)
"""Composable templates, `_id`-based bulk and the 8.x client's API."""
CATCH_UP_MARGIN = timedelta(minutes=10)
"""Documents written this long before a rebuild began are copied again at its end,
whatever the clocks of the writing hosts say."""

Transform = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
"""Rewrites a batch of listing documents during a rebuild (e.g. new scores)."""


@dataclass
class ClusterReport:
    """What `armswatch index check` shows."""

    cluster: str = ""
    version: str = ""
    health: str = ""
    templates: dict[str, str] = field(default_factory=dict)
    """Template name -> 'ok', 'missing' or 'outdated (vN)'."""
    alias: str = ""
    indices: list[str] = field(default_factory=list)
    """The indices behind the listings alias (exactly one when healthy)."""
    listings: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class RebuildReport:
    old_index: str
    new_index: str
    copied: int
    caught_up: int
    count: int


class IndexLayout:
    """Templates, indices and the alias of one index prefix."""

    def __init__(
        self, client: Elasticsearch, names: IndexNames, settings: ElasticsearchSettings
    ) -> None:
        self.client = client
        self.names = names
        self.settings = settings

    def ensure(self) -> None:
        """Put the templates and create what is missing; never touches existing data.
        The current listings index takes the fields a newer mapping adds (an index
        never takes changes of existing fields: those need `rebuild`)."""
        for name, body in templates(
            self.names, self.settings.shards, self.settings.replicas
        ).items():
            self.client.indices.put_index_template(name=name, **body)
        if self.current_indices():
            self.client.indices.put_mapping(
                index=self.names.listings, dynamic="strict", properties=LISTING_PROPERTIES
            )
        else:
            self._create(self.names.listings_index(1), alias=True)
        for index in (self.names.runs, self.names.reviews):
            if not self.client.indices.exists(index=index):
                self._create(index, alias=False)

    def ready(self) -> bool:
        """Whether the listings alias and the runs and reviews indices exist, with the
        listings template of this armswatch."""
        names = (self.names.listings, self.names.runs, self.names.reviews)
        if not all(self.client.indices.exists(index=name) for name in names):
            return False
        try:
            found = self.client.indices.get_index_template(name=self.names.template("listings"))
        except NotFoundError:
            return False
        return bool(
            found["index_templates"][0]["index_template"].get("version") == TEMPLATE_VERSION
        )

    def _create(self, index: str, alias: bool) -> None:
        aliases = {self.names.listings: {"is_write_index": True}} if alias else None
        try:
            self.client.indices.create(index=index, aliases=aliases)
        except Exception as exc:  # another process created it first: that is fine
            if "resource_already_exists" not in str(exc):
                raise

    def current_indices(self, alias: str | None = None) -> list[str]:
        """The indices the listings alias (or `alias`) points to."""
        try:
            return sorted(self.client.indices.get_alias(name=alias or self.names.listings))
        except NotFoundError:
            return []

    def replace_vendors(self, docs: Iterable[dict[str, Any]]) -> None:
        """Fill a new vendors index with `docs` (`_id`: their `id`) and swap the vendors
        alias to it in one step, then delete the old one: readers see the old profiles
        or the new ones, never a mix."""
        old = self.current_indices(self.names.vendors)
        new = self.names.vendors_index(max(map(_number, old), default=0) + 1)
        try:
            self.client.indices.create(index=new)
        except Exception as exc:
            if "resource_already_exists" not in str(exc):
                raise
            raise StoreError(
                f"{new} exists already: another 'armswatch link' is replacing the vendor "
                "profiles (or one was interrupted: then delete it); run it again"
            ) from exc
        try:
            self._index_docs(new, docs, "Elasticsearch refused a vendor profile")
            self.client.indices.refresh(index=new)
            self.client.indices.update_aliases(
                actions=[
                    *({"remove": {"index": index, "alias": self.names.vendors}} for index in old),
                    {"add": {"index": new, "alias": self.names.vendors}},
                ]
            )
        except BaseException:
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        for index in old:
            self.client.indices.delete(index=index, ignore_unavailable=True)

    def check(self) -> ClusterReport:
        """The cluster and armswatch's indices as they are; problems named."""
        report = ClusterReport(alias=self.names.listings)
        info = self.client.info()
        report.cluster = info["cluster_name"]
        report.version = info["version"]["number"]
        if _version(report.version) < MIN_VERSION:
            raise StoreError(
                f"Elasticsearch {report.version} (cluster {report.cluster}) is too old: "
                "armswatch needs 8.0 or later; upgrade it or point elasticsearch.url "
                "(or ARMSWATCH_ES_URL) at a newer cluster"
            )
        report.health = self.client.cluster.health()["status"]
        if report.health == "red":
            report.problems.append("the cluster is red: some data is unavailable")
        for name in templates(self.names, 1, 0):
            try:
                found = self.client.indices.get_index_template(name=name)["index_templates"][0]
                version = found["index_template"].get("version")
                report.templates[name] = (
                    "ok" if version == TEMPLATE_VERSION else f"outdated (v{version})"
                )
            except NotFoundError:
                report.templates[name] = "missing"
        for name, state in report.templates.items():
            if state != "ok":
                report.problems.append(
                    f"template {name} is {state}: run 'armswatch index init'"
                    + (" then 'armswatch index rebuild'" if state != "missing" else "")
                )
        report.indices = self.current_indices()
        if not report.indices:
            report.problems.append(
                f"the alias {self.names.listings} is missing: run 'armswatch index init'"
            )
        elif len(report.indices) > 1:
            report.problems.append(
                f"the alias {self.names.listings} points to {len(report.indices)} indices: "
                "an interrupted rebuild? run 'armswatch index rebuild' again"
            )
        else:
            report.listings = int(self.client.count(index=self.names.listings)["count"])
        return report

    def rebuild(self, transform: Transform | None = None, keep_old: bool = False) -> RebuildReport:
        """Copy the listings into a new index (with the current template, through
        `transform`), catch up with writes made meanwhile, swap the alias, and
        delete the old index (unless `keep_old`)."""
        self.ensure()
        (old,) = self._single_index()
        new = self.names.listings_index(_number(old) + 1)
        if self.client.indices.exists(index=new):
            raise StoreError(
                f"{new} exists already (left by an interrupted rebuild?): delete it and "
                "run 'armswatch index rebuild' again"
            )
        began = datetime.now(UTC)
        self._create(new, alias=False)
        try:
            self.client.indices.refresh(index=old)
            copied = self._copy(old, new, {"match_all": {}}, transform)
            self._block_writes(old, True)
            self.client.indices.refresh(index=old)
            since = (began - CATCH_UP_MARGIN).isoformat()
            caught_up = self._copy(old, new, {"range": {"indexed_at": {"gte": since}}}, transform)
            self.client.indices.refresh(index=[old, new])
            old_count = int(self.client.count(index=old)["count"])
            new_count = int(self.client.count(index=new)["count"])
            if new_count < old_count:
                raise StoreError(
                    f"the rebuild copied {new_count} of {old_count} listings; the alias "
                    f"still points to {old}, nothing was lost. Run it again."
                )
            self.client.indices.update_aliases(
                actions=[
                    {"remove": {"index": old, "alias": self.names.listings}},
                    {"add": {"index": new, "alias": self.names.listings, "is_write_index": True}},
                ]
            )
        except BaseException:
            self._block_writes(old, False)
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        if keep_old:
            self._block_writes(old, False)
        else:
            self.client.indices.delete(index=old)
        return RebuildReport(old, new, copied, caught_up, new_count)

    def _single_index(self) -> list[str]:
        indices = self.current_indices()
        if len(indices) != 1:
            raise StoreError(
                f"the alias {self.names.listings} points to {indices or 'no index'}; "
                "run 'armswatch index check'"
            )
        return indices

    def _copy(
        self, source: str, target: str, query: dict[str, Any], transform: Transform | None
    ) -> int:
        copied = 0
        for batch in _batches(helpers.scan(self.client, index=source, query={"query": query}), 500):
            docs = [hit["_source"] for hit in batch]
            if transform is not None:
                docs = transform(docs)
            copied += self._index_docs(target, docs, "the rebuild could not copy a listing")
        return copied

    def _index_docs(self, index: str, docs: Iterable[dict[str, Any]], refused: str) -> int:
        """Index `docs` into `index` under their `id`s; the first refusal stops it with a
        StoreError that starts with `refused`. Returns how many were indexed."""
        actions = (
            {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": doc} for doc in docs
        )
        indexed = 0
        for ok, item in helpers.streaming_bulk(
            self.client, actions, max_retries=self.settings.retries, raise_on_error=False
        ):
            if not ok:
                raise StoreError(f"{refused}: {item}")
            indexed += 1
        return indexed

    def _block_writes(self, index: str, blocked: bool) -> None:
        self.client.indices.put_settings(index=index, settings={"index.blocks.write": blocked})

    def delete(self) -> None:
        """Every index and template of this prefix."""
        indices = [
            *self.current_indices(),
            *self.current_indices(self.names.vendors),
            self.names.runs,
            self.names.reviews,
        ]
        for index in indices:
            self.client.indices.delete(index=index, ignore_unavailable=True)
        for name in templates(self.names, 1, 0):
            with contextlib.suppress(NotFoundError):
                self.client.indices.delete_index_template(name=name)


def _batches(hits: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for hit in hits:
        batch.append(hit)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _number(index: str) -> int:
    match = re.search(r"-(\d+)$", index)
    return int(match.group(1)) if match else 0


def _version(number: str) -> tuple[int, int]:
    parts = re.findall(r"\d+", number)
    return (int(parts[0]), int(parts[1])) if len(parts) >= 2 else (0, 0)
