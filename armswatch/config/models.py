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
from armswatch.alerts.config import EnvName


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
        "extensions and shown sizes are recorded, content is downloaded only with "
        "'fetch_attachments: true'.",
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


_MIB = 1024 * 1024


class AttachmentCaps(_Model):
    """Limits on fetching a source's attached files (`fetch_attachments: true`): what
    is over a cap is refused and recorded on the attachment, never kept in part."""

    max_file_bytes: PositiveInt = Field(
        default=50 * _MIB,
        description="Largest file downloaded; a larger one is refused (as soon as its "
        "length is announced or read) and nothing of it is kept.",
    )
    max_files_per_listing: PositiveInt = Field(
        default=20, description="Files fetched per listing; the rest are recorded unfetched."
    )
    max_archive_members: PositiveInt = Field(
        default=10_000,
        description="Members listed per ZIP or TAR archive; an archive with more is "
        "listed no further.",
    )
    max_member_bytes: PositiveInt = Field(
        default=100 * _MIB,
        description="Largest archive member read to hash it; a larger one is listed "
        "with its declared size and no hash.",
    )
    max_total_uncompressed_bytes: PositiveInt = Field(
        default=500 * _MIB,
        description="Bytes read out of one archive in all; an archive declaring more, or "
        "yielding more when read, is refused as a zip bomb.",
    )
    max_compression_ratio: Annotated[float, Field(ge=1)] = Field(
        default=100.0,
        description="Uncompressed bytes per byte of archive; an archive over it is "
        "refused as a zip bomb (3D models and G-code compress well under 20).",
    )


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


def _check_element_css(value: str | None) -> str | None:
    """A CSS selector of elements, which the browser waits for or clicks."""
    if value is not None:
        if not value.strip() or "::" in value:
            raise ValueError(
                "a CSS selector of elements, e.g. 'button.load-more' (not empty, and without "
                "'::text' or '::attr(...)': the browser waits for or clicks elements)"
            )
        try:
            Selector(text="<html></html>").css(value)
        except (ValueError, SelectorSyntaxError) as exc:
            raise ValueError(f"a valid CSS selector ({exc})") from None
    return value


class BrowserOptions(_Model):
    """What the browser does with each page of a `render: browser` (or `auto`) source
    before its HTML is read and, on listing pages, its screenshot taken."""

    wait_until: Literal["load", "domcontentloaded", "networkidle"] = Field(
        default="load",
        description="When loading counts as done; 'networkidle' also waits until no "
        "request has been open for 0.5 s (pages that fetch their listings with scripts).",
    )
    wait_for: str | None = Field(
        default=None,
        description="CSS selector of an element to wait for (up to `timeout`); "
        "'a.item, h1.title' waits for whichever comes. A page where it never shows "
        "is read as it is then (counted in armswatch/browser_wait_timeouts).",
    )
    scrolls: Annotated[int, Field(ge=0, le=1000)] = Field(
        default=0,
        description="Times to scroll to the bottom (infinite scroll), each followed by a "
        "wait for the network to go quiet; stops early when the page stops growing.",
    )
    click: str | None = Field(
        default=None,
        description="CSS selector of a 'load more' or 'next' control: clicked while it is "
        "visible and each click changes the page, at most `max_clicks` times.",
    )
    max_clicks: Annotated[int, Field(ge=0, le=1000)] = 20
    timeout: PositiveFloat | None = Field(
        default=None,
        description="Seconds a page may take to load, and each wait after a scroll or "
        "click (default: caps.timeout, else the crawl's timeout).",
    )
    pages_per_context: PositiveInt = Field(
        default=100,
        description="Pages one browser context (cookies, cache, memory) serves before a "
        "fresh one replaces it; the old one is closed when its last page is done.",
    )

    _check_wait_for = field_validator("wait_for")(_check_element_css)
    _check_click = field_validator("click")(_check_element_css)


class LoginCheck(_Model):
    """How armswatch knows a login worked; when both are given, both must hold."""

    selector: Query | None = Field(
        default=None, description="An element only logged-in pages have, e.g. a 'Log out' link."
    )
    url: str | None = Field(
        default=None,
        description="The page the login leads to (after redirects), absolute or relative "
        "to the login page; query strings are not compared.",
    )

    @model_validator(mode="after")
    def _at_least_one(self) -> LoginCheck:
        if self.selector is None and self.url is None:
            raise ValueError(
                "a 'selector' (an element only logged-in pages have, e.g. 'a.logout') "
                "and/or a 'url' the login leads to"
            )
        return self


class FormLogin(_Model):
    """Log in through the site's own form. The user name and password are read from
    the environment variables named here, so that no file ever holds them."""

    url: AnyHttpUrl = Field(description="The page with the login form.")
    form: Query | None = Field(
        default=None, description="Which form (default: the first with a password field)."
    )
    user_field: str | Query = Field(
        description="The user name field: its name, or a query for it ({css: ...})."
    )
    password_field: str | Query = Field(
        description="The password field: its name, or a query for it ({css: ...})."
    )
    user_env: EnvName = Field(description="NAME of the environment variable with the user name.")
    password_env: EnvName = Field(description="NAME of the environment variable with the password.")
    extra_fields: dict[str, str] = Field(
        default_factory=dict,
        description="More fields to send, e.g. {remember: '1'}; hidden fields (CSRF "
        "tokens) are sent as the login page has them.",
    )
    success: LoginCheck


class Login(_Model):
    """How a source that needs an account is logged in, and how an expired session is
    noticed: armswatch then logs in again once, or stops the source ('login needed')."""

    form: FormLogin | None = None
    cookies: Path | None = Field(
        default=None,
        description="Instead of a form: cookies exported from a browser in which an analyst "
        "logged in (Netscape cookies.txt or JSON), relative to the config directory.",
    )
    logged_out: Query | None = Field(
        default=None,
        description="An element only logged-out pages have (a 'Log in' link, the login "
        "form). A redirect to the login form's page means logged out too.",
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> Login:
        if (self.form is None) == (self.cookies is None):
            raise ValueError(
                "exactly one of 'form' (log in with a user name and password) or 'cookies' "
                "(a cookie jar file exported from a browser)"
            )
        if self.cookies is not None and self.logged_out is None:
            raise ValueError(
                "'logged_out' with 'cookies': an element only logged-out pages have (e.g. "
                "'a.login-link'), so that armswatch notices when the session has expired"
            )
        return self


def _check_login_host(value: Login | None, info: ValidationInfo) -> Login | None:
    """The login page is fetched like any page of the source: on its allowed domains."""
    host = value.form.url.host if value is not None and value.form is not None else None
    domains = info.data.get("allowed_domains", [])
    if host and not any(host == d or host.endswith(f".{d}") for d in domains):
        raise ValueError(
            f"a login page on the source's allowed_domains ({', '.join(domains)}), not on "
            f"{host}: requests to other hosts are refused, the login's included"
        )
    return value


class Source(_Model):
    """One watched site, from one file in `config/sources/`."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    kind: Literal["marketplace", "forum", "file_sharing", "classifieds"]
    enabled: bool = True
    start_urls: Annotated[list[AnyHttpUrl], Field(min_length=1)]
    allowed_domains: Annotated[list[str], Field(min_length=1)]
    render: Literal["http", "browser", "auto"] = Field(
        default="http",
        description="'http' fetches pages as they are served; 'browser' renders every page "
        "in Chromium (listings built by JavaScript); 'auto' fetches over HTTP and renders "
        "in the browser only the pages where the configured selectors find nothing.",
    )
    browser: BrowserOptions = BrowserOptions()
    robots: RobotsPolicy = RobotsPolicy()
    proxy: str | None = Field(
        default=None,
        validate_default=True,  # a .onion source without a proxy is an error
        description="Every request of this source goes through this proxy: "
        "socks5h://[user:password@]host:port (Tor; the proxy resolves host names, "
        "required for .onion hosts) or http(s)://[user:password@]host:port.",
    )
    login: Login | None = Field(
        default=None,
        description="For sites that need an account: a form login or imported cookies; "
        "the session is kept under <data_dir>/sessions/ between crawls.",
    )
    listings: ListingNavigation | None = None
    forum: ForumNavigation | None = None
    fields: FieldSelectors = FieldSelectors()
    rate_limit: RateLimit = RateLimit()
    caps: Caps = Caps()
    fetch_attachments: bool = Field(
        default=False,
        description="Download attached files (only where the unit is authorised to collect "
        "them) into the quarantine folder, hash them, list archive members and match them "
        "against the hash lists in config/hashlists/. Off: names, URLs and sizes only.",
    )
    attachment_caps: AttachmentCaps = AttachmentCaps()
    schedule: str | None = Field(
        default=None, description="Cron string for the scheduler (default: schedule.default)."
    )
    run_timeout: PositiveFloat | None = Field(
        default=None,
        description="Seconds a scheduled crawl of this source may run (default: schedule.timeout).",
    )
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 code of the country the source serves (e.g. 'DE'): "
        "phone numbers written without a country code are read as this country's.",
    )
    family: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")] | None = Field(
        default=None,
        description="Markets of one family (mirrors, successors, one operator) share seller "
        "accounts: the same seller name on sources of one family links their listings to one "
        "vendor. Sources without a family are linked by keys, addresses and contacts only.",
    )

    _check_schedule = field_validator("schedule")(_check_cron)
    _check_proxy = field_validator("proxy")(_check_proxy)
    _check_login_host = field_validator("login")(_check_login_host)

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
    def _browser_options_need_browser(self) -> Source:
        if self.render == "http" and "browser" in self.model_fields_set:
            raise ValueError(
                "the 'browser:' options apply to 'render: browser' or 'render: auto'; "
                "this source has 'render: http'"
            )
        if self.render == "auto" and self.kind == "forum":
            raise ValueError(
                "'render: auto' is for listing sites; a forum source uses 'render: http' "
                "or 'render: browser'"
            )
        return self

    @model_validator(mode="after")
    def _attachment_caps_need_fetching(self) -> Source:
        if "attachment_caps" in self.model_fields_set and not self.fetch_attachments:
            raise ValueError(
                "the 'attachment_caps:' options apply with 'fetch_attachments: true'; "
                "this source does not fetch attachments"
            )
        return self

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
        description="For 'transformer' on runtime 'torch': torch's int8 encoder weights, "
        "faster on CPU; see bench/classify.py for the speed and accuracy on this machine.",
    )
    runtime: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="torch",
        description="For 'transformer': what runs the encoder. 'onnx': the same weights in "
        "ONNX Runtime (exported into the model cache on first use and checked against "
        "torch), the same scores; 'onnx-int8': its int8 version, faster on CPU. See "
        "bench/classify.py for the speed and accuracy of each.",
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

    @model_validator(mode="after")
    def _one_int8(self) -> ClassifierSettings:
        if self.quantize and self.runtime != "torch":
            raise ValueError(
                f"quantize is torch's int8 and cannot go with runtime {self.runtime}: set "
                "quantize: false (runtime onnx-int8 is ONNX Runtime's int8)"
            )
        return self


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


class ReviewSettings(_Model):
    """`armswatch review serve`: the analysts' review web app."""

    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on; 127.0.0.1 keeps the app on this host (put a "
        "reverse proxy with HTTPS in front of it to serve a network).",
    )
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = Field(
        default=10, description="Hours a log-in lasts before the analyst logs in again."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only: set it when the app is "
        "reached through HTTPS (a reverse proxy), as it should be on a network.",
    )


class DistributedSettings(_Model):
    """Crawls whose frontier is shared through Redis by any number of worker processes
    (`armswatch crawl --distributed URL` sets or overrides `redis_url`)."""

    redis_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss|unix)://",
        description="redis://HOST:PORT/DB of the shared frontier; unset: each crawl keeps "
        "its own frontier (resumable through JOBDIR).",
    )
    worker_timeout: PositiveFloat = Field(
        default=30,
        description="Seconds without a heartbeat after which a worker counts as dead and "
        "the pages it was fetching go back to the frontier.",
    )


class Settings(_Model):
    """`config/armswatch.yaml`."""

    data_dir: Path = Path("./data")
    store: Literal["sqlite", "elasticsearch"] = "sqlite"
    sqlite: SqliteSettings = SqliteSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    crawl: CrawlDefaults = CrawlDefaults()
    schedule: ScheduleSettings = ScheduleSettings()
    review: ReviewSettings = ReviewSettings()
    distributed: DistributedSettings = DistributedSettings()
