"""Listings as a STIX 2.1 bundle, for partner agencies' threat-intelligence tools.

Per listing: an `observed-data` over the `url` of its page (and of its
attachments' links) and over its leads (addresses, keys, contacts, onions,
file-host links, fetched files: see `stix_leads`), a `note` with what the listing
says (title, text, price, seller, the model's labels and scores, its vendor and
near-duplicate cluster, the analyst's verdict), and, when it is flagged, an
`indicator` matching its url, with the labels as `labels` and the threat score as
`confidence`. Its seller is a `threat-actor` when any of their exported listings
is flagged, else an `identity`; `relationship`s tie them together, and tie each
lead to the listing's `observed-data` and the addresses, keys and contacts to the
seller. An analyst's verdict overrides the model: a confirmed listing is flagged
with the analyst's labels (and gets an `opinion` by the analyst), one judged a
false positive is not flagged.

Ids are uuid5 of the listing id (and seller), so exporting a listing again gives
the same ids and partners' tools update the objects they already hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import stix2

from armswatch import LABELS, __version__
from armswatch.entities.model import Entities, PgpKey
from armswatch.export.stix_ids import ARMSWATCH, stix_id
from armswatch.export.stix_leads import (
    DEFINITIONS,
    IDENTIFYING_TYPES,
    lead_observables,
    pgp_keys,
)
from armswatch.listing import Listing, price_text
from armswatch.stores import Review

OPINIONS = {"confirmed": "strongly-agree", "follow_up": "neutral"}
"""An analyst's verdict as an opinion on the listing's indicator (a false positive
has no indicator)."""

Seller = stix2.ThreatActor | stix2.Identity


def flags(listing: Listing, review: Review | None) -> list[str]:
    """The labels the listing is exported as flagged with: the analyst's when they
    confirmed it, none when they judged it a false positive, else the model's."""
    if review is None or review.verdict == "follow_up":
        return list(listing.labels)
    return list(review.labels)


def stix_bundle(
    listings: Iterable[Listing], verdicts: Mapping[str, Review] | None = None
) -> stix2.Bundle:
    """Every listing's objects, their sellers, armswatch's identity and the extension
    definitions of the observable types used, in one bundle."""
    verdicts = verdicts or {}
    listings = list(listings)
    sellers = _sellers(listings, verdicts)
    keys = pgp_keys(listings)
    objects: dict[str, Any] = {seller.id: seller for seller in sellers.values()}
    for listing in listings:
        seller = sellers.get(_seller_key(listing))
        for obj in _listing_objects(listing, verdicts.get(listing.id), seller, keys):
            objects.setdefault(obj.id, obj)  # urls and leads shared by listings listed once
    used = {obj.type for obj in objects.values()}
    definitions = [definition for kind, definition in DEFINITIONS.items() if kind in used]
    return stix2.Bundle(objects=[ARMSWATCH, *definitions, *objects.values()], allow_custom=False)


def write_stix(
    listings: Iterable[Listing], out: TextIO, verdicts: Mapping[str, Review] | None = None
) -> int:
    """The bundle as indented JSON; returns the listings exported."""
    listings = list(listings)
    out.write(stix_bundle(listings, verdicts).serialize(pretty=True) + "\n")
    return len(listings)


def _seller_key(listing: Listing) -> tuple[str, str] | None:
    """Sellers are told apart per source: the same name elsewhere is someone else."""
    return (listing.source, listing.seller) if listing.seller else None


def _sellers(
    listings: Sequence[Listing], verdicts: Mapping[str, Review]
) -> dict[tuple[str, str], Seller]:
    """Each seller's object: a threat-actor when any of their listings is flagged."""
    grouped: dict[tuple[str, str], list[Listing]] = {}
    for listing in listings:
        if (key := _seller_key(listing)) is not None:
            grouped.setdefault(key, []).append(listing)
    sellers = {}
    for (source, name), theirs in grouped.items():
        first = min(_seen(listing)[0] for listing in theirs)
        last = max(_modified(listing, verdicts.get(listing.id)) for listing in theirs)
        flagged = any(flags(listing, verdicts.get(listing.id)) for listing in theirs)
        common = {
            "created": first,
            "modified": last,
            "created_by_ref": ARMSWATCH.id,
            "name": name,
            "description": f"The seller {name} on {source}, as armswatch crawled it.",
        }
        key = f"{source}\n{name}"
        seller = (
            stix2.ThreatActor(
                id=stix_id("threat-actor", key),
                first_seen=first,
                last_seen=max(_seen(listing)[1] for listing in theirs),
                **common,
            )
            if flagged
            else stix2.Identity(id=stix_id("identity", key), identity_class="unknown", **common)
        )
        sellers[(source, name)] = seller
    return sellers


def _listing_objects(
    listing: Listing, review: Review | None, seller: Seller | None, keys: Mapping[str, PgpKey]
) -> list[Any]:
    created, last_seen = _seen(listing)
    made = {
        "created": created,
        "modified": _modified(listing, review),
        "created_by_ref": ARMSWATCH.id,
    }
    reference = stix2.ExternalReference(
        source_name="armswatch",
        external_id=listing.id,
        description=f"listing on {listing.source}",
        url=listing.url,
    )
    urls = [stix2.URL(value=listing.url)]
    urls += [stix2.URL(value=a.url) for a in listing.attachments if a.url]
    leads, contained = lead_observables(listing, keys)
    observed = stix2.ObservedData(
        id=stix_id("observed-data", listing.id),
        first_observed=created,
        last_observed=last_seen,
        number_observed=max(listing.version, 1),  # at least once per stored version
        object_refs=list(dict.fromkeys(obj.id for obj in [*urls, *leads, *contained])),
        external_references=[reference],
        **made,
    )
    objects: list[Any] = [*urls, *contained, *leads, observed]
    objects += [_relationship(observed.id, "related-to", lead.id, made) for lead in leads]
    about = [observed.id]
    if seller is not None:
        objects.append(_relationship(observed.id, "related-to", seller.id, made))
        # The seller's own times: the same relationship whichever listing shows the lead.
        theirs = {"created": seller.created, "modified": seller.modified}
        objects += [
            _relationship(seller.id, "related-to", lead.id, {**made, **theirs})
            for lead in leads
            if lead.type in IDENTIFYING_TYPES
        ]
    labels = flags(listing, review)
    if labels:
        indicator = stix2.Indicator(
            id=stix_id("indicator", listing.id),
            name=listing.title or listing.url,
            description=f"armswatch flagged this listing as {', '.join(labels)}"
            + (" (confirmed by an analyst)." if review and review.verdict == "confirmed" else "."),
            indicator_types=["malicious-activity"],
            pattern=f"[url:value = '{_pattern_string(listing.url)}']",
            pattern_type="stix",
            valid_from=created,
            labels=labels,
            confidence=round(listing.threat_score * 100),
            external_references=[reference],
            **made,
        )
        objects += [indicator, _relationship(indicator.id, "based-on", observed.id, made)]
        about.append(indicator.id)
        if seller is not None:
            objects.append(_relationship(indicator.id, "indicates", seller.id, made))
        if review is not None and review.verdict in OPINIONS:
            objects.append(_opinion(review, indicator.id))
    objects.append(
        stix2.Note(
            id=stix_id("note", listing.id),
            abstract=listing.title or "(no title)",
            content=_note_text(listing, review),
            object_refs=about,
            **({"lang": listing.lang} if listing.lang else {}),
            **made,
        )
    )
    return objects


def _opinion(review: Review, indicator: str) -> stix2.Opinion:
    when = _moment(review.reviewed_at)
    verdict = review.verdict.replace("_", " ")
    labels = f" ({', '.join(review.labels)})" if review.labels else ""
    return stix2.Opinion(
        id=stix_id("opinion", f"{review.listing_id}\n{review.analyst}\n{review.reviewed_at}"),
        created=when,
        modified=when,
        created_by_ref=ARMSWATCH.id,
        opinion=OPINIONS[review.verdict],
        authors=[review.analyst],
        explanation=f"Analyst verdict: {verdict}{labels}."
        + (f" {review.note}" if review.note else ""),
        object_refs=[indicator],
    )


def _relationship(source: str, kind: str, target: str, made: Mapping[str, Any]) -> Any:
    return stix2.Relationship(
        id=stix_id("relationship", f"{source}\n{kind}\n{target}"),
        source_ref=source,
        relationship_type=kind,
        target_ref=target,
        **made,
    )


def _note_text(listing: Listing, review: Review | None) -> str:
    """What the listing says and how it was judged, for a person reading the note."""
    scores = ", ".join(f"{label} {listing.scores.get(label, 0.0):.2f}" for label in LABELS)
    lines = [
        listing.text or "(no text)",
        "",
        f"Price: {price_text(listing.price, listing.currency)}",
        f"Seller: {listing.seller or '-'} on {listing.source}",
        f"Language: {listing.lang or '-'}",
        f"Model labels: {', '.join(listing.labels) or 'none'} (classifier "
        f"{listing.classifier_version or 'none yet'}, armswatch {__version__})",
        f"Scores: {scores}; threat score {listing.threat_score:.2f}",
    ]
    if listing.vendor_id:
        lines.append(f"Vendor profile: {listing.vendor_id}")
    if listing.duplicate_cluster:
        lines.append(f"Near-duplicate cluster: {listing.duplicate_cluster}")
    if leads := Entities.from_json(listing.entities).keys():
        lines.append(f"Leads: {'; '.join(leads)}")
    for a in listing.attachments:
        lines.append(f"Attachment: {a.name} ({a.ext}, {a.size or '?'}) {a.url}")
        if a.sha256:
            lines.append(f"  fetched: {a.bytes} bytes, SHA-256 {a.sha256}")
        if a.fetch_error:
            lines.append(f"  not fetched in full: {a.fetch_error}")
        lines += [
            f"  on hash list {m.hashlist} as {m.label}: "
            f"{m.member + ', ' if m.member else ''}SHA-256 {m.sha256}"
            for m in a.hash_matches
        ]
    if review is not None:
        labels = f" ({', '.join(review.labels)})" if review.labels else ""
        lines.append(
            f"Analyst verdict: {review.verdict}{labels} by {review.analyst} at "
            f"{review.reviewed_at}" + (f": {review.note}" if review.note else "")
        )
    return "\n".join(lines)


def _pattern_string(value: str) -> str:
    """`value` inside a STIX pattern's quoted string."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _moment(value: str) -> datetime:
    """A stored ISO 8601 time as an aware datetime (UTC when it names no zone)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seen(listing: Listing) -> tuple[datetime, datetime]:
    """When the listing was first and last seen (either one when only one is stored)."""
    first, last = listing.first_seen or listing.last_seen, listing.last_seen or listing.first_seen
    if not (first and last):
        raise ValueError(
            f"listing {listing.id} has no time it was seen, which STIX requires: it was not "
            "stored by a crawl; crawl its source again, or leave it out of the export"
        )
    return _moment(first), _moment(last)


def _modified(listing: Listing, review: Review | None) -> datetime:
    """When the listing's objects last changed: last seen, or reviewed if later."""
    moments = list(_seen(listing))
    if review is not None:
        moments.append(_moment(review.reviewed_at))
    return max(moments)
