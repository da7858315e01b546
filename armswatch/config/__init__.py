"""Typed configuration: YAML files validated into pydantic models at load."""

from armswatch.config.errors import ConfigError, ConfigProblem
from armswatch.config.loader import Config, load_config, resolve_config_dir
from armswatch.config.models import (
    ClassifierSettings,
    CrawlDefaults,
    ForumNavigation,
    ListingNavigation,
    Query,
    RobotsPolicy,
    Settings,
    Source,
)

__all__ = [
    "ClassifierSettings",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "CrawlDefaults",
    "ForumNavigation",
    "ListingNavigation",
    "Query",
    "RobotsPolicy",
    "Settings",
    "Source",
    "load_config",
    "resolve_config_dir",
]
