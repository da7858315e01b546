"""Posting dates: kept as found, but as ISO-8601 whenever they can be read safely.

Only unambiguous forms are converted; "03/04/2026" (March 4th or April 3rd?)
stays raw, because a wrong date is worse for an analyst than a raw one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from .clean import single_line

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        # English, French, German, Russian, Spanish names and their usual abbreviations
        "january jan janvier janv januar jän января январь янв enero ene",
        "february feb février févr februar февраля февраль фев febrero",
        "march mar mars märz марта март мар marzo",
        "april apr avril апреля апрель апр abril abr",
        "may mai мая май mayo",
        "june jun juin juni июня июнь junio",
        "july jul juillet juil juli июля июль julio",
        "august aug août августа август авг agosto",
        "september sep sept septembre сентября сентябрь сен septiembre",
        "october oct octobre oktober okt октября октябрь окт octubre",
        "november nov novembre ноября ноябрь ноя noviembre",
        "december dec décembre déc dezember dez декабря декабрь дек diciembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)?"
)
_YMD = re.compile(r"\b(?P<y>\d{4})[./](?P<m>\d{1,2})[./](?P<d>\d{1,2})\b")
_DMY_DOTTED = re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b")
_SLASHED = re.compile(r"\b(?P<a>\d{1,2})[/-](?P<b>\d{1,2})[/-](?P<y>\d{4})\b")
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?(?P<month>{_MONTH})\b\.?,?\s+(?:de\s+)?(?P<y>\d{{4}})\b",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH})\b\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\s*(?:,|at|um|à|в|-)?\s*(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?",
    re.IGNORECASE,
)
_EPOCH = re.compile(r"\d{10}|\d{13}")


def normalize_date(raw: str) -> str | None:
    """ISO-8601 for a date we can read without guessing, else the raw text (None if empty)."""
    value = single_line(raw)
    if not value:
        return None
    try:
        return _parse(value) or value
    except (ValueError, OverflowError):  # e.g. "31.02.2026": shaped like a date, but is not
        return value


def _parse(value: str) -> str | None:
    if _EPOCH.fullmatch(value):
        moment = datetime.fromtimestamp(int(value[:10]), tz=UTC)
        return moment.isoformat() if 1995 <= moment.year <= 2100 else None
    iso = _ISO.search(value)
    if iso:
        text = iso.group().replace(",", ".")
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(re.sub(r"\s(?=[Z+-])", "", text)).isoformat()
    for pattern in (_YMD, _DMY_DOTTED, _DAY_MONTH, _MONTH_DAY):
        match = pattern.search(value)
        if match:
            groups = match.groupdict()
            month = _MONTHS[groups["month"].lower()] if "month" in groups else int(groups["m"])
            return _with_time(date(int(groups["y"]), month, int(groups["d"])), value, match.end())
    match = _SLASHED.search(value)
    if match:
        first, second = int(match["a"]), int(match["b"])
        if first > 12 >= second:
            return _with_time(date(int(match["y"]), second, first), value, match.end())
        if second > 12 >= first:
            return _with_time(date(int(match["y"]), first, second), value, match.end())
    return None


def _with_time(day: date, value: str, position: int) -> str:
    """The date, plus the clock time written right after it ("..., 2:35 pm"), if any."""
    match = _TIME.match(value, position)
    if not match:
        return day.isoformat()
    hour = int(match["h"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    clock = time(hour, int(match["min"]), int(match["s"] or 0))
    return datetime.combine(day, clock).isoformat()
