"""The Kibana saved objects in config/kibana/armswatch.ndjson, checked without a Kibana.

Each check is a function over the parsed objects, so that the mutation tests at the
end can show that it fails on the mistakes it is meant to catch (a misspelled field,
a dangling reference, a text field aggregated, ...), not only that it passes today.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from armswatch.stores.elastic_mapping import LISTING_PROPERTIES, IndexNames

NDJSON = Path(__file__).resolve().parents[1] / "config" / "kibana" / "armswatch.ndjson"

TYPES = ("index-pattern", "search", "visualization", "dashboard")

AGGREGATABLE = {
    "keyword",
    "constant_keyword",
    "boolean",
    "date",
    "date_nanos",
    "ip",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
}
"""Mapping types Elasticsearch aggregates and sorts on by default (doc values)."""

JSON_STRING_KEYS = {
    "visState",
    "uiStateJSON",
    "searchSourceJSON",
    "panelsJSON",
    "optionsJSON",
    "fields",
    "fieldAttrs",
    "fieldFormatMap",
    "runtimeFieldMap",
    "sourceFilters",
    "typeMeta",
}
"""Attributes Kibana stores as JSON inside a string (plus any other key ending in JSON)."""

GRID_COLUMNS = 48
"""Width of the Kibana dashboard grid."""

Objects = list[dict[str, Any]]


# -- loading and helpers -----------------------------------------------------------


def parse_ndjson(text: str) -> Objects:
    assert text.endswith("\n"), "the file must end with a newline"
    objects = []
    for number, line in enumerate(text.splitlines(), start=1):
        assert line.strip(), f"line {number} is blank"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise AssertionError(f"line {number} is not JSON: {error}") from error
        assert isinstance(obj, dict), f"line {number} is not a JSON object"
        objects.append(obj)
    return objects


@pytest.fixture(scope="module")
def objects() -> Objects:
    return parse_ndjson(NDJSON.read_text(encoding="utf-8"))


def of_type(objects: Objects, type_: str) -> Objects:
    return [obj for obj in objects if obj["type"] == type_]


def resolve_field(path: str) -> dict[str, Any] | None:
    """The mapping of a dotted field path in LISTING_PROPERTIES: object `properties`
    (scores.firearm, review.verdict) and multi-`fields` (seller.raw, title.en)."""
    level: dict[str, Any] = LISTING_PROPERTIES
    mapping: dict[str, Any] | None = None
    for part in path.split("."):
        if mapping is not None:
            level = {**mapping.get("properties", {}), **mapping.get("fields", {})}
        mapping = level.get(part)
        if mapping is None:
            return None
    return mapping


def field_type(path: str) -> str | None:
    mapping = resolve_field(path)
    if mapping is None:
        return None
    return mapping.get("type", "object")


def assert_field(path: str, *, aggregated: bool, where: str) -> None:
    kind = field_type(path)
    assert kind is not None, f"{where}: field {path!r} is not in LISTING_PROPERTIES"
    if aggregated:
        assert kind in AGGREGATABLE, (
            f"{where}: field {path!r} is {kind!r}, which cannot be aggregated or sorted on"
        )


def kql_fields(query: str) -> list[str]:
    """Field names of the `field : value` / `field >= n` clauses of a simple KQL query
    (quoted values left out)."""
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
    return re.findall(r"([A-Za-z_][\w.]*)\s*(?::|<=|>=|<|>)", unquoted)


def json_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every attribute Kibana keeps as a JSON string."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if isinstance(item, str) and (key in JSON_STRING_KEYS or key.endswith("JSON")):
                yield where, item
            else:
                yield from json_strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_strings(item, f"{path}[{index}]")


def search_source(obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])


def vis_state(obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(obj["attributes"]["visState"])


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(dashboard["attributes"]["panelsJSON"])


def where(obj: dict[str, Any]) -> str:
    return f"{obj.get('type')} {obj.get('id')!r}"


# -- checks ------------------------------------------------------------------------


def check_shape(objects: Objects) -> None:
    assert objects, "no saved objects"
    for obj in objects:
        for key in ("id", "type", "attributes", "references"):
            assert key in obj, f"{where(obj)} has no {key!r}"
        assert isinstance(obj["id"], str) and obj["id"], f"{where(obj)}: bad id"
        assert obj["type"] in TYPES, f"{where(obj)}: unexpected type"
        assert isinstance(obj["attributes"].get("title"), str), f"{where(obj)}: no title"
        assert isinstance(obj["references"], list), f"{where(obj)}: references not a list"


def check_types_and_ids(objects: Objects) -> None:
    present = {obj["type"] for obj in objects}
    assert present == set(TYPES), f"types present: {sorted(present)}, wanted {list(TYPES)}"
    assert len(of_type(objects, "index-pattern")) == 1, "exactly one data view"
    assert len(of_type(objects, "dashboard")) == 1, "exactly one dashboard"
    ids = [obj["id"] for obj in objects]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"


def check_references_resolve(objects: Objects) -> None:
    known = {(obj["type"], obj["id"]) for obj in objects}
    for obj in objects:
        names = [ref["name"] for ref in obj["references"]]
        assert len(names) == len(set(names)), f"{where(obj)}: duplicate reference names"
        for ref in obj["references"]:
            assert set(ref) == {"id", "name", "type"}, f"{where(obj)}: reference {ref}"
            assert (ref["type"], ref["id"]) in known, (
                f"{where(obj)}: reference {ref['name']!r} to {ref['type']} {ref['id']!r}, "
                "which is not in the file"
            )


def check_json_strings(objects: Objects) -> None:
    for obj in objects:
        found = list(json_strings(obj["attributes"]))
        if obj["type"] != "index-pattern":
            assert any(p.endswith("searchSourceJSON") for p, _ in found), (
                f"{where(obj)}: no kibanaSavedObjectMeta.searchSourceJSON"
            )
        for path, text in found:
            try:
                json.loads(text)
            except json.JSONDecodeError as error:
                raise AssertionError(f"{where(obj)}: {path} is not JSON: {error}") from error


def check_search_sources(objects: Objects) -> None:
    """Searches and visualizations read the data view through a reference, as Kibana
    exports them (`indexRefName`), never through a raw index id or title."""
    for obj in objects:
        if obj["type"] == "index-pattern":
            continue
        source = search_source(obj)
        refs = {ref["name"]: ref for ref in obj["references"]}
        assert "index" not in source, f"{where(obj)}: searchSourceJSON names an index directly"
        ref_names = []
        if obj["type"] in ("search", "visualization"):
            assert "indexRefName" in source, f"{where(obj)}: no indexRefName"
        if "indexRefName" in source:
            ref_names.append(source["indexRefName"])
        for number, filter_ in enumerate(source.get("filter", [])):
            meta = filter_.get("meta", {})
            assert "index" not in meta, f"{where(obj)}: filter {number} names an index directly"
            if "indexRefName" in meta:
                ref_names.append(meta["indexRefName"])
        for name in ref_names:
            assert name in refs, f"{where(obj)}: indexRefName {name!r} is not a reference"
            assert refs[name]["type"] == "index-pattern", f"{where(obj)}: {name!r} not a data view"
        query = source.get("query", {})
        assert query.get("language") == "kuery", f"{where(obj)}: query is not KQL"
        for field in kql_fields(query.get("query", "")):
            assert_field(field, aggregated=False, where=f"{where(obj)} query")


def check_data_view(objects: Objects) -> None:
    (view,) = of_type(objects, "index-pattern")
    attributes = view["attributes"]
    assert attributes["title"] == IndexNames().listings, (
        f"data view title {attributes['title']!r} is not the listings alias "
        f"{IndexNames().listings!r}"
    )
    time_field = attributes.get("timeFieldName")
    assert time_field, "the data view has no time field"
    assert field_type(time_field) == "date", f"time field {time_field!r} is not a date"
    formats = json.loads(attributes.get("fieldFormatMap", "{}"))
    for field in formats:
        assert_field(field, aggregated=False, where="data view fieldFormatMap")


def check_visualizations(objects: Objects) -> None:
    visualizations = of_type(objects, "visualization")
    assert visualizations, "no visualizations"
    for obj in visualizations:
        state = vis_state(obj)
        assert state.get("type") in {"histogram", "line", "area", "pie", "horizontal_bar"}, (
            f"{where(obj)}: vis type {state.get('type')!r}"
        )
        assert state["params"]["type"] == state["type"], f"{where(obj)}: params.type differs"
        assert state.get("title", obj["attributes"]["title"]) == obj["attributes"]["title"], (
            f"{where(obj)}: visState title differs from the saved object title"
        )
        aggs = state.get("aggs", [])
        agg_ids = [agg["id"] for agg in aggs]
        assert len(agg_ids) == len(set(agg_ids)), f"{where(obj)}: duplicate agg ids"
        assert any(agg["schema"] == "metric" for agg in aggs), f"{where(obj)}: no metric"
        buckets = [agg for agg in aggs if agg["schema"] != "metric"]
        assert buckets, f"{where(obj)}: aggregates on no field"
        for agg in aggs:
            field = agg.get("params", {}).get("field")
            if field is None:
                assert agg["type"] == "count", f"{where(obj)}: {agg['type']} agg has no field"
                continue
            assert_field(field, aggregated=True, where=f"{where(obj)} agg {agg['id']}")
            if agg["type"] == "date_histogram":
                assert field_type(field) == "date", f"{where(obj)}: date_histogram on {field!r}"
            if agg.get("params", {}).get("orderBy") not in (None, "custom", "_key"):
                assert agg["params"]["orderBy"] in agg_ids, f"{where(obj)}: orderBy unknown agg"
        for series in state["params"].get("seriesParams", []):
            assert series["data"]["id"] in agg_ids, f"{where(obj)}: series on unknown agg"


def check_saved_search(objects: Objects) -> None:
    searches = of_type(objects, "search")
    assert searches, "no saved search"
    for obj in searches:
        attributes = obj["attributes"]
        assert attributes["columns"], f"{where(obj)}: no columns"
        for column in attributes["columns"]:
            assert_field(column, aggregated=False, where=f"{where(obj)} column")
        assert attributes["sort"], f"{where(obj)}: not sorted"
        for field, direction in attributes["sort"]:
            assert direction in ("asc", "desc"), f"{where(obj)}: sort direction {direction!r}"
            assert_field(field, aggregated=True, where=f"{where(obj)} sort")


def check_dashboard_panels(objects: Objects) -> None:
    by_key = {(obj["type"], obj["id"]): obj for obj in objects}
    (dashboard,) = of_type(objects, "dashboard")
    refs = {ref["name"]: ref for ref in dashboard["references"]}
    used = set()
    cells: dict[tuple[int, int], str] = {}
    seen_index = set()
    for panel in panels(dashboard):
        index = panel["panelIndex"]
        assert index not in seen_index, f"dashboard: panelIndex {index!r} twice"
        seen_index.add(index)
        name = panel.get("panelRefName")
        assert name, f"dashboard panel {index}: no panelRefName (not a saved object panel)"
        candidates = [name, f"{index}:{name}"]
        matching = [refs[c] for c in candidates if c in refs]
        assert len(matching) == 1, f"dashboard panel {index}: panelRefName {name!r} unresolved"
        ref = matching[0]
        used.add(ref["name"])
        assert ref["type"] in ("visualization", "search"), f"panel {index}: {ref['type']}"
        assert "type" not in panel or panel["type"] == ref["type"], (
            f"dashboard panel {index}: type {panel['type']!r} but reference is {ref['type']!r}"
        )
        assert (ref["type"], ref["id"]) in by_key, f"panel {index}: {ref['id']!r} not in file"
        grid = panel["gridData"]
        assert grid["i"] == index, f"dashboard panel {index}: gridData.i is {grid['i']!r}"
        assert min(grid["x"], grid["y"]) >= 0, f"dashboard panel {index}: negative position"
        assert min(grid["w"], grid["h"]) > 0, f"dashboard panel {index}: empty size"
        assert grid["x"] + grid["w"] <= GRID_COLUMNS, f"panel {index} wider than the grid"
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                other = cells.setdefault((x, y), index)
                assert other == index, f"dashboard panels {other} and {index} overlap"
    unused = sorted(set(refs) - used)
    assert not unused, f"dashboard references no panel uses: {unused}"


def check_dashboard_contents(objects: Objects) -> None:
    """The overview shows what the README promises: flagged by label, by source, per
    day (last_seen) and the flagged listings search."""
    by_key = {(obj["type"], obj["id"]): obj for obj in objects}
    (dashboard,) = of_type(objects, "dashboard")
    shown = [by_key[(ref["type"], ref["id"])] for ref in dashboard["references"]]
    buckets = set()
    for obj in shown:
        if obj["type"] == "visualization":
            for agg in vis_state(obj)["aggs"]:
                if agg["schema"] != "metric":
                    buckets.add((agg["type"], agg["params"]["field"]))
    for wanted in (("terms", "labels"), ("terms", "source"), ("date_histogram", "last_seen")):
        assert wanted in buckets, f"the dashboard has no {wanted[0]} on {wanted[1]!r}"
    searches = [obj for obj in shown if obj["type"] == "search"]
    titles = [obj["attributes"]["title"] for obj in searches]
    assert titles == ["Flagged listings, newest first"], f"saved searches shown: {titles}"
    (search,) = searches
    query = search_source(search)["query"]["query"]
    assert query == "labels : *", f"the flagged search queries {query!r}, not 'labels : *'"
    sort = search["attributes"]["sort"]
    assert sort == [["last_seen", "desc"]], f"the flagged search sorts on {sort}"


CHECKS: list[Callable[[Objects], None]] = [
    check_shape,
    check_types_and_ids,
    check_references_resolve,
    check_json_strings,
    check_search_sources,
    check_data_view,
    check_visualizations,
    check_saved_search,
    check_dashboard_panels,
    check_dashboard_contents,
]


# -- the shipped file --------------------------------------------------------------


def test_file_is_ndjson() -> None:
    parse_ndjson(NDJSON.read_text(encoding="utf-8"))


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_shipped_objects(check: Callable[[Objects], None], objects: Objects) -> None:
    check(objects)


def test_resolve_field() -> None:
    assert field_type("scores.firearm") == "double"
    assert field_type("seller.raw") == "keyword"
    assert field_type("seller") == "text"
    assert field_type("review.verdict") == "keyword"
    assert field_type("title.en") == "text"
    assert field_type("scores.rifle") is None
    assert field_type("seller.raw.x") is None
    assert field_type("nope") is None


def test_kql_fields() -> None:
    assert kql_fields("labels : *") == ["labels"]
    assert kql_fields("threat_score >= 0.5 or scores.firearm > 0.2") == [
        "threat_score",
        "scores.firearm",
    ]
    assert kql_fields('title : "glock: 19" and not lang : en') == ["title", "lang"]
    assert kql_fields("") == []


# -- the checks catch real mistakes --------------------------------------------------


def find(objects: Objects, type_: str, id_: str | None = None) -> dict[str, Any]:
    return next(o for o in objects if o["type"] == type_ and (id_ is None or o["id"] == id_))


def edit_json(obj: dict[str, Any], keys: tuple[str, ...], change: Callable[[Any], None]) -> None:
    """Parse the JSON string at attributes[keys...], let `change` edit it, store it back."""
    holder = obj["attributes"]
    for key in keys[:-1]:
        holder = holder[key]
    value = json.loads(holder[keys[-1]])
    change(value)
    holder[keys[-1]] = json.dumps(value)


def agg_field(vis_id: str, field: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        def change(state: dict[str, Any]) -> None:
            state["aggs"][1]["params"]["field"] = field

        edit_json(find(objects, "visualization", vis_id), ("visState",), change)

    return mutate


def search_query(query: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        def change(source: dict[str, Any]) -> None:
            source["query"]["query"] = query

        keys = ("kibanaSavedObjectMeta", "searchSourceJSON")
        edit_json(find(objects, "search"), keys, change)

    return mutate


def raw_index(objects: Objects) -> None:
    def change(source: dict[str, Any]) -> None:
        del source["indexRefName"]
        source["index"] = "armswatch-listings"

    keys = ("kibanaSavedObjectMeta", "searchSourceJSON")
    edit_json(find(objects, "visualization"), keys, change)


def dashboard_panels(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        edit_json(find(objects, "dashboard"), ("panelsJSON",), change)

    return mutate


def set_attribute(type_: str, key: str, value: Any) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        find(objects, type_)["attributes"][key] = value

    return mutate


def dangling_reference(objects: Objects) -> None:
    find(objects, "dashboard")["references"][0]["id"] = "no-such-visualization"


def truncated_panels_json(objects: Objects) -> None:
    attributes = find(objects, "dashboard")["attributes"]
    attributes["panelsJSON"] = attributes["panelsJSON"][:-1]


def duplicate_id(objects: Objects) -> None:
    objects.append(copy.deepcopy(find(objects, "visualization")))


def no_saved_search(objects: Objects) -> None:
    objects[:] = [obj for obj in objects if obj["type"] != "search"]


def unknown_column(objects: Objects) -> None:
    find(objects, "search")["attributes"]["columns"].append("sellr")


def set_panel(number: int, key: str, value: Any) -> Callable[[Objects], None]:
    def change(items: list[dict[str, Any]]) -> None:
        items[number][key] = value

    return dashboard_panels(change)


def move_panel(number: int, x: int) -> Callable[[Objects], None]:
    def change(items: list[dict[str, Any]]) -> None:
        items[number]["gridData"]["x"] = x

    return dashboard_panels(change)


MUTATIONS: dict[str, tuple[Callable[[Objects], None], Callable[[Objects], None]]] = {
    # name: (the mistake, the check that must catch it)
    "text field aggregated": (
        agg_field("armswatch-listings-by-source", "seller"),
        check_visualizations,
    ),
    "unknown field aggregated": (
        agg_field("armswatch-flagged-by-label", "label"),
        check_visualizations,
    ),
    "unknown sub-field": (
        agg_field("armswatch-listings-by-source", "seller.kw"),
        check_visualizations,
    ),
    "date_histogram on a number": (
        agg_field("armswatch-listings-per-day", "threat_score"),
        check_visualizations,
    ),
    "dangling reference": (dangling_reference, check_references_resolve),
    "data view title not the alias": (
        set_attribute("index-pattern", "title", "armswatch-listings-*"),
        check_data_view,
    ),
    "time field not a date": (
        set_attribute("index-pattern", "timeFieldName", "title"),
        check_data_view,
    ),
    "format for an unknown field": (
        set_attribute("index-pattern", "fieldFormatMap", '{"threat":{"id":"number"}}'),
        check_data_view,
    ),
    "broken panelsJSON": (truncated_panels_json, check_json_strings),
    "duplicate id": (duplicate_id, check_types_and_ids),
    "a type missing": (no_saved_search, check_types_and_ids),
    "unknown column": (unknown_column, check_saved_search),
    "sort on a text field": (
        set_attribute("search", "sort", [["title", "desc"]]),
        check_saved_search,
    ),
    "query on an unknown field": (search_query("label : *"), check_search_sources),
    "index by id, not by reference": (raw_index, check_search_sources),
    "panelRefName without reference": (
        set_panel(0, "panelRefName", "panel_9"),
        check_dashboard_panels,
    ),
    "reference without panel": (dashboard_panels(list.pop), check_dashboard_panels),
    "overlapping panels": (move_panel(1, 0), check_dashboard_panels),
    "panel wider than the grid": (move_panel(1, 30), check_dashboard_panels),
    "panel type differs from reference": (
        set_panel(0, "type", "search"),
        check_dashboard_panels,
    ),
    "search not flagged": (search_query("threat_score >= 0"), check_dashboard_contents),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_checks_catch(mutation: str, objects: Objects) -> None:
    mutate, check = MUTATIONS[mutation]
    broken = copy.deepcopy(objects)
    mutate(broken)
    with pytest.raises(AssertionError):
        check(broken)


def test_checks_catch_bad_lines() -> None:
    text = NDJSON.read_text(encoding="utf-8")
    with pytest.raises(AssertionError):
        parse_ndjson(text + "\n")
    with pytest.raises(AssertionError):
        parse_ndjson(text + "{not json\n")
    with pytest.raises(AssertionError):
        parse_ndjson(text + "[]\n")
    with pytest.raises(AssertionError):
        parse_ndjson(text.rstrip("\n"))
