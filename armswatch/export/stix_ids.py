"""Who armswatch is in STIX, and the ids it derives: fixed, so that exporting the same
listing again gives the same ids and partners' tools update the objects they hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import stix2

from armswatch import LABELS

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:armswatch:stix")
"""Of every id armswatch derives: fixed, so ids stay the same from export to export."""

IDENTITY_CREATED = datetime(2026, 1, 1, tzinfo=UTC)
"""When the armswatch identity (and its extension definitions) are said to be created:
fixed for the same reason."""

ARMSWATCH = stix2.Identity(
    id=f"identity--{uuid.uuid5(NAMESPACE, 'armswatch')}",
    created=IDENTITY_CREATED,
    modified=IDENTITY_CREATED,
    name="armswatch",
    identity_class="system",
    description="Crawler and classifier watching online and darknet platforms for the trade "
    "in firearms, parts, ammunition and 3D-printed gun files. Labels are those of its "
    f"labeling guide: {', '.join(LABELS)}.",
)
"""The creator of every object armswatch exports (`created_by_ref`)."""


def stix_id(kind: str, key: str) -> str:
    """The id of the `kind` object armswatch exports for `key` (a listing id...)."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"
