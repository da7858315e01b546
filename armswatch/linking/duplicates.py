"""Near-duplicates: the same listing posted on several sites, or posted again
under a new title or with small edits.

Each listing's normalized title and text is cut into word 3-grams and sketched
with MinHash (`datasketch`); locality-sensitive hashing over bands of the
sketches proposes candidate pairs, and a candidate joins a cluster only when the
sketches estimate a Jaccard similarity of at least `THRESHOLD`. Clusters are the
connected components of the pairs that passed.

The bands are bucketed with numpy over one signature matrix rather than kept in
`datasketch.MinHashLSH`, whose Python set per bucket and band took some 600 MB
for 100,000 listings (measured); the matrix takes `NUM_PERM` * 4 bytes a listing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

from armswatch.entities.pgp import without_key_blocks
from armswatch.linking.unionfind import DisjointSets

SHINGLE_WORDS = 3
"""Words per shingle. Three words keep word order: listings from one template
that differ in a model name or a town share few 3-grams, a re-post shares most."""

MIN_SHINGLES = 8
"""Listings with fewer shingles (about ten words) are not compared: "PM sent"
and "Bump" in two threads are the same words, not the same listing."""

THRESHOLD = 0.7
"""Jaccard similarity of the shingle sets from which two listings are the same
listing. A description of 75 words posted again under a new title, with one
edit, scores 0.81 (the demo's GhostWorks pistol); on the demo sites, different
items from one template (same wording, other model, quantity or town) score at
most 0.62."""

NUM_PERM = 128
"""MinHash permutations: the estimate of a similarity of 0.7 is off by 0.04
(one standard deviation), small beside the gap between re-posts and templates."""

BANDS, ROWS = 32, 4
"""LSH bands of `ROWS` hash values each (BANDS * ROWS == NUM_PERM). Two listings are
compared when one band is equal, with probability 1 - (1 - s**4)**32: 0.9998 at
similarity 0.7 and 0.23 at 0.3, so that pairs at the threshold are almost never
missed; the comparison then drops the pairs below it."""

SEED = 1
_WORD = re.compile(r"\w+")


def shingles(title: str, text: str) -> set[bytes]:
    """The word 3-grams of a listing, accents kept, case and punctuation ignored.
    PGP key blocks are left out: a vendor pastes the same key under every listing,
    which links the vendor, not the listings' content."""
    plain = without_key_blocks(f"{title}\n{text}")
    words = _WORD.findall(unicodedata.normalize("NFKC", plain).casefold())
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def cluster_id(member_ids: list[str]) -> str:
    """A cluster's id, from its smallest member: stable while that listing stays in it."""
    return hashlib.sha256(min(member_ids).encode()).hexdigest()[:16]


class DuplicateFinder:
    """Collects listing sketches, then groups near-duplicate listings."""

    def __init__(self) -> None:
        # Imported here: datasketch loads scipy (0.8 s), and every armswatch command
        # imports this module through the crawl command's relinking.
        from datasketch import MinHash

        self.empty = MinHash(num_perm=NUM_PERM, seed=SEED)
        self.ids: list[str] = []
        self.signatures: list[np.ndarray] = []

    def add(self, listing_id: str, title: str, text: str) -> None:
        words = shingles(title, text)
        if len(words) < MIN_SHINGLES:
            return
        sketch = self.empty.copy()
        sketch.update_batch(list(words))
        self.ids.append(listing_id)
        self.signatures.append(sketch.digest())

    def clusters(self) -> dict[str, str]:
        """The cluster id of every listing that has a near-duplicate."""
        if len(self.ids) < 2:
            return {}
        signatures = np.vstack(self.signatures)
        sets = DisjointSets()
        for _ in self.ids:
            sets.add()
        for band in range(BANDS):
            part = np.ascontiguousarray(signatures[:, band * ROWS : (band + 1) * ROWS])
            _, bucket, sizes = np.unique(
                part.view(f"V{part.itemsize * ROWS}").ravel(),
                return_inverse=True,
                return_counts=True,
            )
            shared = np.flatnonzero(sizes[bucket] > 1)
            shared = shared[np.argsort(bucket[shared], kind="stable")]
            bounds = np.flatnonzero(np.diff(bucket[shared])) + 1
            for members in np.split(shared, bounds):
                _join_similar(signatures, members, sets)
        found: dict[str, str] = {}
        for group in sets.groups():
            members = [self.ids[number] for number in group]
            found.update(dict.fromkeys(members, cluster_id(members)))
        return found


def _join_similar(signatures: np.ndarray, members: np.ndarray, sets: DisjointSets) -> None:
    """Join the members of one bucket that are similar enough: the first member
    with those it matches, then the first of the others with those it matches,
    and so on, so that a big bucket costs one comparison per member and group
    rather than one per pair (a pair missed here mostly meets in another band)."""
    while len(members) > 1:
        anchor, rest = members[0], members[1:]
        similarity = (signatures[rest] == signatures[anchor]).mean(axis=1)
        for number in rest[similarity >= THRESHOLD]:
            sets.union(int(anchor), int(number))
        members = rest[similarity < THRESHOLD]
