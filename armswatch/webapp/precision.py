"""How often the model was right, by the analysts' verdicts: the feedback the
dashboard shows before anyone retrains with `armswatch train --include-reviews`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from armswatch import LABELS
from armswatch.listing import Listing
from armswatch.stores import Review

ANY_LABEL = "any label"


@dataclass(frozen=True)
class Precision:
    """Among reviewed listings the model flagged with `label`: how many the analysts
    confirmed with that label (agreed), and how many they called a false positive
    or confirmed only with other labels (disagreed). Follow-ups are undecided."""

    label: str
    agreed: int
    disagreed: int

    @property
    def reviewed(self) -> int:
        return self.agreed + self.disagreed

    @property
    def value(self) -> float | None:
        return self.agreed / self.reviewed if self.reviewed else None


def model_precision(
    listings: Mapping[str, Listing], verdicts: Mapping[str, Review]
) -> list[Precision]:
    """Per label, then for the flag as a whole (any label: confirmed / (confirmed +
    false positive)), from each listing's latest verdict."""
    agreed = dict.fromkeys([*LABELS, ANY_LABEL], 0)
    disagreed = dict.fromkeys([*LABELS, ANY_LABEL], 0)
    for listing_id, review in verdicts.items():
        listing = listings.get(listing_id)
        if listing is None or not listing.labels or review.verdict == "follow_up":
            continue
        confirmed = review.verdict == "confirmed"
        (agreed if confirmed else disagreed)[ANY_LABEL] += 1
        for label in listing.labels:
            if label in agreed:
                (agreed if confirmed and label in review.labels else disagreed)[label] += 1
    return [Precision(label, agreed[label], disagreed[label]) for label in agreed]
