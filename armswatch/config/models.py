"""The typed shape of `config/armswatch.yaml` and `config/sources/*.yaml`.

Every model forbids unknown keys, so a misspelt option is an error instead of
a silently ignored line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from cssselect import SelectorSyntaxError
from parsel import Selector
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from armswatch import LABELS


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Query(_Model):
    """A CSS or XPath query, as in Scrapy (`::text`, `::attr(x)`, `@x` allowed).

    A bare string in YAML is read as CSS.
    """

    css: str | None = None
    xpath: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_string_is_css(cls, value: Any) -> Any:
        return {"css": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _exactly_one(self) -> Query:
        if (self.css is None) == (self.xpath is None):
            raise ValueError("give exactly one of 'css' or 'xpath'")
        probe = Selector(text="<html></html>")
        try:
            probe.css(self.css) if self.css is not None else probe.xpath(self.xpath or "")
        except (ValueError, SelectorSyntaxError) as exc:
            kind = "CSS" if self.css is not None else "XPath"
            raise ValueError(f"a valid {kind} query ({exc})") from None
        return self


class FieldSelectors(_Model):
    """Per-field queries for a listing page (or, on forums, for one post)."""

    title: Query | None = None
    text: Query | None = None
    price: Query | None = None
    currency: Query | None = None
    seller: Query | None = None
    posted_at: Query | None = None
    images: Query | None = None
    attachments: Query | None = Field(
        default=None,
        description="Links to attached or linked files (<a> elements); names, URLs, "
        "extensions and shown sizes are recorded, content is never downloaded.",
    )


class ListingNavigation(_Model):
    """How a listing site is walked: categories -> list pages -> listings."""

    categories: Query | None = Field(
        default=None, description="Links from a start page to category/list pages."
    )
    links: Query = Field(description="Links from a list page to listing pages.")
    next_page: Query | None = Field(default=None, description="The next list page.")


class ForumNavigation(_Model):
    """How a forum is walked: index -> boards -> threads -> posts."""

    boards: Query | None = Field(default=None, description="Links from the index to boards.")
    threads: Query = Field(description="Links from a board page to threads.")
    board_next_page: Query | None = None
    thread_next_page: Query | None = None
    thread_title: Query = Field(description="The thread's title on a thread page.")
    posts: Query = Field(description="Each post's container element on a thread page.")
    post_id: Query | None = Field(
        default=None,
        description="A stable id inside the post (e.g. '::attr(id)'); it becomes the "
        "post's URL fragment. Without it the post text's hash is used.",
    )


class RobotsPolicy(_Model):
    """Whether robots.txt is honoured. Ignoring it needs a written reason."""

    policy: Literal["obey", "ignore"] = "obey"
    justification: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_string_is_policy(cls, value: Any) -> Any:
        return {"policy": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ignoring_needs_reason(self) -> RobotsPolicy:
        if self.policy == "ignore" and not (self.justification or "").strip():
            raise ValueError(
                "robots.txt may only be ignored with a written 'justification' "
                "(e.g. the legal basis or the warrant reference)"
            )
        return self


class RateLimit(_Model):
    """Politeness towards one site; unset values fall back to the crawl defaults."""

    delay: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Seconds between requests to one domain."
    )
    concurrency_per_domain: PositiveInt | None = None
    autothrottle: bool | None = None


class Caps(_Model):
    """Limits that stop crawler traps and oversized pages; unset = crawl defaults."""

    max_pages: PositiveInt | None = None
    max_depth: PositiveInt | None = None
    max_download_bytes: PositiveInt | None = None
    timeout: PositiveFloat | None = None


def _check_cron(value: str | None) -> str | None:
    if value is not None and not croniter.is_valid(value):
        raise ValueError(
            "a cron expression with five fields, e.g. '0 2 * * *' (02:00 nightly); "
            "a sixth field, at the end, gives seconds"
        )
    return value


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{value}' is not a time zone name: write e.g. 'UTC' or 'Europe/Berlin'"
        ) from None
    return value


def is_onion_host(host: str) -> bool:
    """A Tor onion service name: only Tor can resolve it, and the local resolver must
    never be asked (the lookup itself would reveal the investigation)."""
    host = host.lower().rstrip(".")
    return host == "onion" or host.endswith(".onion")


PROXY_EXAMPLE = "e.g. 'socks5h://127.0.0.1:9050' (Tor) or 'http://proxy.unit.example:3128'"


def _check_proxy(value: str | None, info: ValidationInfo) -> str | None:
    """A proxy URL Scrapy or the SOCKS handler can use; .onion hosts need socks5h://."""
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme == "socks5":
            raise ValueError(
                "'socks5h://', not 'socks5://': with socks5:// the crawler would resolve "
                "host names itself, which reveals every site it visits to the local DNS "
                "and cannot reach .onion services; socks5h:// lets the proxy (Tor) resolve them"
            )
        if parts.scheme not in ("socks5h", "http", "https"):
            raise ValueError(
                f"a proxy URL starting socks5h://, http:// or https://, {PROXY_EXAMPLE}"
            )
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ValueError(f"a proxy URL with host and port, {PROXY_EXAMPLE}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(
                f"a proxy URL without path or query (scheme://[user:password@]host:port), "
                f"{PROXY_EXAMPLE}"
            )
        if parts.scheme == "socks5h" and parts.username is not None and not parts.password:
            raise ValueError(
                "SOCKS credentials with both user and password (socks5h://USER:PASSWORD@"
                "HOST:PORT), or none: each source then gets its own user and a random "
                "password per crawl, so Tor gives it circuits of its own"
            )
    hosts = [url.host or "" for url in info.data.get("start_urls", [])]
    hosts += info.data.get("allowed_domains", [])
    onions = sorted({host for host in hosts if is_onion_host(host)})
    if onions and (value is None or urlsplit(value).scheme != "socks5h"):
        raise ValueError(
            f"a 'socks5h://HOST:PORT' proxy (Tor, e.g. socks5h://127.0.0.1:9050) for the "
            f".onion host(s) {', '.join(onions)}: only Tor can resolve them, and armswatch "
            "never asks the local resolver for a .onion name"
        )
    return value


class Source(_Model):
    """One watched site, from one file in `config/sources/`."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    kind: Literal["marketplace", "forum", "file_sharing", "classifieds"]
    enabled: bool = True
    start_urls: Annotated[list[AnyHttpUrl], Field(min_length=1)]
    allowed_domains: Annotated[list[str], Field(min_length=1)]
    render: Literal["http"] = Field(
        default="http",
        description="'http' fetches pages as they are served; browser rendering is "
        "not available in this version.",
    )
    robots: RobotsPolicy = RobotsPolicy()
    proxy: str | None = Field(
        default=None,
        validate_default=True,  # a .onion source without a proxy is an error
        description="Every request of this source goes through this proxy: "
        "socks5h://[user:password@]host:port (Tor; the proxy resolves host names, "
        "required for .onion hosts) or http(s)://[user:password@]host:port.",
    )
    listings: ListingNavigation | None = None
    forum: ForumNavigation | None = None
    fields: FieldSelectors = FieldSelectors()
    rate_limit: RateLimit = RateLimit()
    caps: Caps = Caps()
    schedule: str | None = Field(
        default=None, description="Cron string for the scheduler (default: schedule.default)."
    )
    run_timeout: PositiveFloat | None = Field(
        default=None,
        description="Seconds a scheduled crawl of this source may run (default: schedule.timeout).",
    )

    _check_schedule = field_validator("schedule")(_check_cron)
    _check_proxy = field_validator("proxy")(_check_proxy)

    @property
    def through_tor(self) -> bool:
        """Reached through a socks5h:// proxy (Tor): the crawl.tor defaults apply."""
        return self.proxy is not None and urlsplit(self.proxy).scheme == "socks5h"

    @field_validator("allowed_domains")
    @classmethod
    def _bare_domains(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if "/" in domain or ":" in domain or not domain.strip():
                raise ValueError(
                    f"'{domain}' is not a bare domain name: write e.g. 'example.org' "
                    "without scheme, port or path"
                )
        return domains

    @model_validator(mode="after")
    def _navigation_matches_kind(self) -> Source:
        if self.kind == "forum":
            if self.forum is None:
                raise ValueError(
                    "a 'forum' source needs a 'forum:' section (boards, threads, posts)"
                )
            if self.listings is not None:
                raise ValueError("a 'forum' source uses 'forum:', not 'listings:'")
        else:
            if self.listings is None:
                raise ValueError(
                    f"a '{self.kind}' source needs a 'listings:' section "
                    "(at least 'links', the query for links to listing pages)"
                )
            if self.forum is not None:
                raise ValueError(f"'forum:' is only for kind 'forum', not '{self.kind}'")
        return self


class TorDefaults(_Model):
    """Crawl defaults for sources reached through a socks5h:// proxy (Tor): onion
    services answer slowly, bear little load, and circuits fail and get rebuilt.
    A source's own `rate_limit` and `caps` still win."""

    timeout: PositiveFloat = 90.0
    concurrency_per_domain: PositiveInt = 1
    retries: Annotated[int, Field(ge=0, le=10)] = 5


class CrawlDefaults(_Model):
    """Crawl settings every source starts from."""

    user_agent: Annotated[str, Field(min_length=8)] = (
        "armswatch/0.1 (law-enforcement research crawler; contact: set crawl.user_agent)"
    )
    robots: RobotsPolicy = RobotsPolicy()
    delay: Annotated[float, Field(ge=0)] = 1.0
    autothrottle: bool = True
    concurrency_per_domain: PositiveInt = 2
    max_pages: PositiveInt = 5000
    max_depth: PositiveInt = 10
    max_download_bytes: PositiveInt = 10 * 1024 * 1024
    timeout: PositiveFloat = 30.0
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    tor: TorDefaults = TorDefaults()


class ClassifierSettings(_Model):
    """Which classifier scores listings and where a label is switched on."""

    kind: Literal["rules", "transformer"] = Field(
        default="transformer",
        description="'transformer': multilingual encoder + trained head, with the watchlist "
        "rules as a second signal; 'rules': the watchlist alone.",
    )
    watchlist: Path = Field(
        default=Path("watchlist.yaml"), description="Relative to the config directory."
    )
    model: str | None = Field(
        default=None,
        description="For 'transformer': a model directory written by 'armswatch train', or a "
        "shipped version name; default: the shipped model.",
    )
    encoder: str | None = Field(
        default=None,
        description="For 'transformer': a local transformers checkpoint directory or hub id "
        "replacing the encoder the model was trained with (it must be the same encoder).",
    )
    thresholds: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="Per label; unset labels use the model's thresholds (0.5 for rules).",
    )
    quantize: bool = Field(
        default=False,
        description="For 'transformer': int8 encoder weights, faster on CPU; see "
        "bench/classify.py for the speed and accuracy on this machine.",
    )
    batch_size: PositiveInt = Field(
        default=128,
        description="Listings per classifier call: a bigger call sorts into encoder batches "
        "with less padding (bench/classify.py: 42 listings/s at 128, 29 at 32).",
    )

    @field_validator("thresholds")
    @classmethod
    def _known_labels(cls, thresholds: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(thresholds) - set(LABELS))
        if unknown:
            raise ValueError(f"unknown label(s) {unknown}; the labels are {list(LABELS)}")
        return thresholds


class SqliteSettings(_Model):
    path: Path | None = Field(
        default=None, description="Database file; default <data_dir>/armswatch.sqlite3."
    )
    batch_size: PositiveInt = 50


class ElasticsearchSettings(_Model):
    """An Elasticsearch cluster (8.x or 9.x). Credentials come from the environment
    only: ARMSWATCH_ES_API_KEY, or ARMSWATCH_ES_USER and ARMSWATCH_ES_PASSWORD."""

    url: list[AnyHttpUrl] = Field(
        default_factory=lambda: [AnyHttpUrl("http://127.0.0.1:9200")],
        description="One node's URL or a list of them. Env: ARMSWATCH_ES_URL "
        "(several separated by commas).",
    )
    index_prefix: str = Field(
        default="armswatch",
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,100}$",
        description="Index and alias names start with it (lower case).",
    )
    ca_certs: Path | None = Field(
        default=None, description="CA certificate (PEM) of a cluster with its own CA."
    )
    verify_certs: bool = True
    shards: PositiveInt = 1
    replicas: int = Field(default=1, ge=0)
    timeout: PositiveFloat = Field(default=30, description="Seconds per request.")
    batch_size: PositiveInt = Field(default=500, description="Documents per bulk request.")
    retries: int = Field(default=3, ge=0, description="Bulk retries on 429 before giving up.")

    @field_validator("url", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _at_least_one(cls, value: list[AnyHttpUrl]) -> list[AnyHttpUrl]:
        if not value:
            raise ValueError("at least one node URL")
        return value


class ScheduleSettings(_Model):
    """How `armswatch schedule run` runs the crawls."""

    default: str = Field(
        default="0 2 * * *", description="Cron string of sources without their own schedule."
    )
    timezone: str = Field(default="UTC", description="The zone cron times are read in.")
    jitter: int = Field(
        default=300, ge=0, description="Up to this many seconds' random delay per run."
    )
    misfire_grace: PositiveInt = Field(
        default=3600, description="Seconds late a run may still start (e.g. after downtime)."
    )
    timeout: PositiveFloat = Field(default=6 * 3600, description="Seconds a crawl may run.")
    stop_deadline: float = Field(
        default=300,
        ge=0,
        description="Seconds a running crawl may go on after the daemon is told to stop.",
    )
    job_store: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the job store (default: schedule.sqlite3 in the "
        "data directory); hosts that share one never run a job twice.",
    )

    _check_default = field_validator("default")(_check_cron)
    _check_timezone = field_validator("timezone")(_check_zone)


class Settings(_Model):
    """`config/armswatch.yaml`."""

    data_dir: Path = Path("./data")
    store: Literal["sqlite", "elasticsearch"] = "sqlite"
    sqlite: SqliteSettings = SqliteSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    crawl: CrawlDefaults = CrawlDefaults()
    schedule: ScheduleSettings = ScheduleSettings()
