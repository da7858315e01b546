"""One listing: everything an analyst needs to decide, and the evidence kept for it.

Crawled content is shown as escaped text only. Attachment and image URLs are text,
never links or <img> that would make the analyst's browser fetch from the site.
Leads (addresses, keys, contacts, ...) link to a search for every listing that has
them; the vendor profile and the near-duplicates show the listings linking tied to
this one.
Kept files are served from the evidence locker: screenshots as PNG images, raw
pages only as plain-text downloads (never as HTML), WARCs as downloads.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

from flask import Blueprint, Response, abort, render_template

from armswatch.evidence import PNG_SIGNATURE, EvidenceError, EvidenceFile, Manifest
from armswatch.listing import Listing
from armswatch.stores import ListingVersion, SearchQuery
from armswatch.webapp.backend import backend, store, workspace
from armswatch.webapp.leads import lead_groups
from armswatch.webapp.marks import term_classes, with_terms
from armswatch.webapp.verdicts import latest

SAME_SELLER = 20
"""Other listings by the seller shown, newest first."""

LINKED = 50
"""Other listings of the vendor, and near-duplicates, shown (newest first); the search
they link to has them all."""

bp = Blueprint("listing", __name__)


def find(listing_id: str) -> Listing:
    """The listing, or a 404 page that says what to do."""
    listing = store().get(listing_id) if len(listing_id) <= 64 else None
    if listing is None:
        abort(404, "No listing has this id: it may be from another data directory or store.")
    return listing


@bp.get("/listing/<listing_id>")
def show(listing_id: str) -> str:
    listing = find(listing_id)
    opened = store()
    versions = opened.versions(listing.id)
    ws = workspace()
    manifest, problems, evidence_error = evidence_of(listing.id)
    terms = term_classes(listing.explanations)
    vendor = opened.vendor(listing.vendor_id) if listing.vendor_id else None
    vendor_listings = (
        others(listing, SearchQuery(vendors=(listing.vendor_id,))) if listing.vendor_id else []
    )
    cluster = listing.duplicate_cluster
    return render_template(
        "listing.html",
        listing=listing,
        title=with_terms(listing.title, terms),
        text=with_terms(listing.text, terms),
        versions=versions,
        prices=price_history(versions),
        reviews=opened.reviews([listing.id]),
        notes=ws.notes.of(listing.id),
        in_cases=ws.cases.of_listing(listing.id),
        cases=ws.cases.all(),
        same_seller=same_seller(listing),
        leads=lead_groups(listing.entities),
        vendor=vendor,
        vendor_listings=vendor_listings,
        linked={other.id: other for other in [listing, *vendor_listings]},
        duplicates=others(listing, SearchQuery(duplicate_clusters=(cluster,))) if cluster else [],
        manifest=manifest,
        problems=problems,
        evidence_error=evidence_error,
        web_link=listing.url.startswith(("http://", "https://")),
    )


def evidence_of(listing_id: str) -> tuple[Manifest | None, list[str], str]:
    """The listing's manifest, what does not verify against it, and why it could not
    be read (if so)."""
    locker = backend().locker
    try:
        manifest = locker.read(listing_id)
    except EvidenceError as exc:
        return None, [], str(exc)
    if manifest is None:
        return None, [], ""
    return manifest, [str(problem) for problem in locker.verify(locker.data_dir, manifest)], ""


def price_history(versions: list[ListingVersion]) -> list[ListingVersion]:
    """The versions at which the price (or its currency) changed, oldest first."""
    changes: list[ListingVersion] = []
    for version in versions:
        last = changes[-1] if changes else None
        if last is None or (last.price, last.currency) != (version.price, version.currency):
            changes.append(version)
    return changes


def same_seller(listing: Listing) -> list[Listing]:
    if not listing.seller:
        return []
    query = SearchQuery(sellers=(listing.seller,), sort="newest", limit=SAME_SELLER + 1)
    found = store().search(query).listings
    return [other for other in found if other.id != listing.id][:SAME_SELLER]


def others(listing: Listing, query: SearchQuery) -> list[Listing]:
    """The first LINKED listings `query` finds other than `listing`, newest first."""
    query = replace(query, sort="newest", limit=LINKED + 1)
    return [other for other in store().search(query).listings if other.id != listing.id][:LINKED]


@bp.get("/vendor/<vendor_id>")
def vendor(vendor_id: str) -> str:
    """A vendor profile: its sources, sellers, labels, the evidence that links its
    listings, and the listings."""
    profile = store().vendor(vendor_id) if len(vendor_id) <= 128 else None
    if profile is None:
        abort(
            404,
            "No vendor profile has this id: linking may have run again since; search "
            "for the listing and follow its vendor link.",
        )
    found = store().get_many(profile.listing_ids)
    listings = [found[i] for i in profile.listing_ids if i in found]
    return render_template(
        "vendor.html",
        vendor=profile,
        listings=listings,
        linked=found,
        verdicts=latest(store(), found),
        missing=len(profile.listing_ids) - len(listings),
    )


@bp.get("/listing/<listing_id>/evidence/<int:number>")
def evidence_file(listing_id: str, number: int) -> Response:
    """File `number` of the listing's manifest: a screenshot inline, others as downloads."""
    manifest, _, _ = evidence_of(listing_id)
    if manifest is None or not 0 <= number < len(manifest.files):
        abort(404, "No such evidence file is kept for this listing.")
    entry = manifest.files[number]
    data = read_kept(entry)
    if entry.kind == "screenshot":
        if not data.startswith(PNG_SIGNATURE):
            abort(404, "This screenshot is not a PNG image; run 'armswatch evidence verify'.")
        return Response(data, mimetype="image/png")
    if entry.kind == "raw_page":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            abort(404, "This kept page is damaged; run 'armswatch evidence verify'.")
        name = f"page-{listing_id[:12]}-v{entry.listing_version}.txt"
        return download(data, "text/plain; charset=utf-8", name)
    return download(data, "application/octet-stream", Path(entry.path).name)


def read_kept(entry: EvidenceFile) -> bytes:
    root = backend().locker.data_dir.resolve()
    path = (root / entry.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404, "This evidence file is missing from the data directory.")
    return path.read_bytes()


def download(data: bytes, mimetype: str, filename: str) -> Response:
    """A file the browser saves and never shows in a page of ours."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
