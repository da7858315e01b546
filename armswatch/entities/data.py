"""The tables entity extraction reads: YAML files under `data/`, loaded once.

Makers, models, calibers, designs, file types and country names change more
often than the code that matches them, so they are data an analyst can extend.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
# libyaml's safe loader where PyYAML was built with it: the country table is
# large enough for the pure-Python loader to take a second
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def table(name: str) -> Any:
    """The parsed contents of `data/<name>.yaml`."""
    with (DATA_DIR / f"{name}.yaml").open(encoding="utf-8") as file:
        return yaml.load(file, Loader=_LOADER)
