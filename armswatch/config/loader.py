"""Find, read and validate a configuration directory.

A configuration directory holds `armswatch.yaml`, `sources/*.yaml`, the
optional `alerts.yaml` and the files they name (the watchlist). Strings may use
`${VAR}` or `${VAR:-default}` to take values from the environment (credentials,
ports), so that no secret and no machine-specific value needs a file edit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

from armswatch.alerts.config import ALERTS_FILE, AlertsConfig
from armswatch.config.errors import ConfigError, ConfigProblem, missing
from armswatch.config.models import ClassifierSettings, Settings, Source

CONFIG_ENV = "ARMSWATCH_CONFIG"
DATA_DIR_ENV = "ARMSWATCH_DATA_DIR"
CLASSIFIER_ENV = "ARMSWATCH_CLASSIFIER"
"""Overrides `classifier.kind` (e.g. 'rules' on a machine that cannot run the model)."""
STORE_ENV = "ARMSWATCH_STORE"
"""Overrides `store` (sqlite | elasticsearch)."""
ES_URL_ENV = "ARMSWATCH_ES_URL"
"""Overrides `elasticsearch.url` (several nodes separated by commas)."""
SETTINGS_FILE = "armswatch.yaml"
SOURCES_DIR = "sources"

_BUNDLED_CONFIG = Path(__file__).resolve().parents[2] / "config"
M = TypeVar("M", bound=BaseModel)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Config:
    """A validated configuration directory."""

    directory: Path
    settings: Settings
    sources: dict[str, Source]
    source_files: dict[str, Path] = field(default_factory=dict)
    data_dir: Path = Path("./data")
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    """From `alerts.yaml`; no rules (no alerts) without it."""

    def with_classifier(self, classifier: ClassifierSettings) -> Config:
        """This configuration with other classifier settings (e.g. `--model`)."""
        settings = self.settings.model_copy(update={"classifier": classifier})
        return replace(self, settings=settings)

    def path(self, relative: Path) -> Path:
        """A path from a config file, resolved against the config directory."""
        return relative if relative.is_absolute() else self.directory / relative

    def select(self, names: list[str] | None) -> list[Source]:
        """The named sources (all enabled ones when `names` is empty).

        Raises KeyError naming the unknown source and the known ones.
        """
        if not names:
            return [s for s in self.sources.values() if s.enabled]
        unknown = [n for n in names if n not in self.sources]
        if unknown:
            raise KeyError(
                f"unknown source(s) {', '.join(unknown)}; configured: "
                f"{', '.join(sorted(self.sources)) or 'none'}"
            )
        return [self.sources[n] for n in names]


def resolve_config_dir(explicit: Path | None = None) -> Path:
    """`--config`, else `$ARMSWATCH_CONFIG`, else `./config`, else the bundled one."""
    if explicit is not None:
        return explicit
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path("config")
    if (local / SETTINGS_FILE).is_file():
        return local
    return _BUNDLED_CONFIG


def load_config(directory: Path | None = None, data_dir: Path | None = None) -> Config:
    """Load and validate every file of a config directory.

    All problems in all files are collected and raised together as one
    ConfigError, so that an operator can fix a broken setup in one pass.
    """
    directory = resolve_config_dir(directory)
    problems: list[ConfigProblem] = []
    if not directory.is_dir():
        raise ConfigError(
            [ConfigProblem(directory, "", missing(), "this config directory does not exist")]
        )

    settings_file = directory / SETTINGS_FILE
    raw = _read_yaml(settings_file, problems) if settings_file.exists() else {}
    settings = _validate(Settings, raw, settings_file, problems) or Settings()
    settings = _classifier_from_env(settings, problems)
    settings = _store_from_env(settings, problems)

    sources: dict[str, Source] = {}
    files: dict[str, Path] = {}
    for path in sorted((directory / SOURCES_DIR).glob("*.y*ml")):
        source = _validate(Source, _read_yaml(path, problems), path, problems)
        if source is None:
            continue
        if source.name in sources:
            problems.append(
                ConfigProblem(
                    path, "name", source.name, f"a unique name (also used in {files[source.name]})"
                )
            )
            continue
        sources[source.name] = source
        files[source.name] = path

    alerts_file = directory / ALERTS_FILE
    raw_alerts = _read_yaml(alerts_file, problems) if alerts_file.exists() else {}
    alerts = _validate(AlertsConfig, raw_alerts, alerts_file, problems) or AlertsConfig()
    problems += _alert_source_problems(alerts, sources, alerts_file)

    problems += _watchlist_problems(settings, directory, settings_file)
    problems += _hashlist_problems(directory)
    problems += _model_problems(settings, settings_file)

    if problems:
        raise ConfigError(problems)

    chosen_data_dir = data_dir or (
        Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV) else settings.data_dir
    )
    return Config(
        directory=directory,
        settings=settings,
        sources=sources,
        source_files=files,
        data_dir=chosen_data_dir,
        alerts=alerts,
    )


def _classifier_from_env(settings: Settings, problems: list[ConfigProblem]) -> Settings:
    kind = os.environ.get(CLASSIFIER_ENV)
    if not kind:
        return settings
    kinds = get_args(ClassifierSettings.model_fields["kind"].annotation)
    if kind not in kinds:
        problems.append(ConfigProblem(Path(f"${CLASSIFIER_ENV}"), "", kind, " or ".join(kinds)))
        return settings
    classifier = settings.classifier.model_copy(update={"kind": kind})
    return settings.model_copy(update={"classifier": classifier})


def _store_from_env(settings: Settings, problems: list[ConfigProblem]) -> Settings:
    """`ARMSWATCH_STORE` and `ARMSWATCH_ES_URL` over the file, validated as the file is."""
    update: dict[str, Any] = {}
    if os.environ.get(STORE_ENV):
        update["store"] = os.environ[STORE_ENV]
    if os.environ.get(ES_URL_ENV):
        urls = [url.strip() for url in os.environ[ES_URL_ENV].split(",") if url.strip()]
        elastic = settings.elasticsearch.model_dump(exclude_unset=True)
        update["elasticsearch"] = {**elastic, "url": urls}
    if not update:
        return settings
    data = {**settings.model_dump(exclude_unset=True), **update}
    where = Path(f"${STORE_ENV} / ${ES_URL_ENV}")
    return _validate(Settings, data, where, problems) or settings


def _alert_source_problems(
    alerts: AlertsConfig, sources: dict[str, Source], alerts_file: Path
) -> list[ConfigProblem]:
    """A rule naming a source that does not exist would never match: say so."""
    known = ", ".join(sorted(sources)) or "none"
    return [
        ConfigProblem(alerts_file, f"rules.{i}.sources.{j}", name, f"a configured source ({known})")
        for i, rule in enumerate(alerts.rules)
        for j, name in enumerate(rule.sources or ())
        if name not in sources
    ]


def _model_problems(settings: Settings, settings_file: Path) -> list[ConfigProblem]:
    """A transformer classifier needs its model directory (the shipped one by default)."""
    from classifiers.model import resolve_model_dir

    if settings.classifier.kind != "transformer":
        return []
    try:
        resolve_model_dir(settings.classifier.model)
    except FileNotFoundError as exc:
        value = settings.classifier.model or "(the shipped default)"
        expected = f"{exc}; or classifier.kind: rules to score with the watchlist alone"
        return [ConfigProblem(settings_file, "classifier.model", value, expected)]
    return []


def _watchlist_problems(
    settings: Settings, directory: Path, settings_file: Path
) -> list[ConfigProblem]:
    """The watchlist is configuration too: `config check` validates its content."""
    from classifiers.watchlist import load_watchlist

    watchlist = settings.classifier.watchlist
    watchlist = watchlist if watchlist.is_absolute() else directory / watchlist
    if not watchlist.is_file():
        expected = "an existing watchlist file (relative paths start at the config directory)"
        return [ConfigProblem(settings_file, "classifier.watchlist", str(watchlist), expected)]
    try:
        load_watchlist(watchlist)
    except ConfigError as exc:
        return exc.problems
    return []


def _hashlist_problems(directory: Path) -> list[ConfigProblem]:
    """The hash lists in `hashlists/` are configuration too: every line is checked."""
    from armswatch.hashlists import HASHLISTS_DIR, load_hashlists

    try:
        load_hashlists(directory / HASHLISTS_DIR)
    except ConfigError as exc:
        return exc.problems
    return []


def _read_yaml(path: Path, problems: list[ConfigProblem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(path, "", missing(), f"a readable UTF-8 file ({exc})"))
        return None
    try:
        data = parse_yaml(text, path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    return _expand_env(data if data is not None else {})


def parse_yaml(text: str, path: Path) -> Any:
    """YAML text as data, parsed by libyaml where installed (every command reads the
    2,000-line watchlist: ten times faster); a syntax error is a ConfigError."""
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError([yaml_problem(path, exc)]) from None


def yaml_problem(path: Path, exc: yaml.YAMLError) -> ConfigProblem:
    """A YAML syntax error, located by line and column."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    reason = getattr(exc, "problem", None) or str(exc)
    return ConfigProblem(path, where, missing(), f"valid YAML: {reason}")


def _expand_env(data: Any) -> Any:
    if isinstance(data, str):
        return _ENV_REFERENCE.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), data)
    if isinstance(data, list):
        return [_expand_env(v) for v in data]
    if isinstance(data, dict):
        return {k: _expand_env(v) for k, v in data.items()}
    return data


def _validate(model: type[M], data: Any, path: Path, problems: list[ConfigProblem]) -> M | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(
            ConfigProblem(path, "", type(data).__name__, "a mapping of 'key: value' lines")
        )
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"] if not _is_union_tag(part))
            value = missing() if error["type"] == "missing" else error.get("input", missing())
            expected = _expected(error)
            problems.append(ConfigProblem(path, loc, value, expected))
        return None


def _is_union_tag(part: Any) -> bool:
    # pydantic names union members in locations ("function-after[...]"): noise to a reader.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float"})


def _expected(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "an unknown option (check the spelling against the config reference in README.md)"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")
