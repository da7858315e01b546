"""Hash lists: the SHA-256 digests of known files that the unit provides, in
`config/hashlists/*.txt`, one `SHA256 LABEL` per line (`#` starts a comment).

A fetched attachment, or a member of a fetched archive, whose digest is on a
list flags its listing with the list's label whatever the listing's text says:
a known gun file renamed "garden-gnome.zip" is still that file. The label must
be one of the labeling guide's, because only those flag a listing (search,
review and alerts know no others).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from armswatch import LABELS
from armswatch.config.errors import ConfigError, ConfigProblem, missing
from armswatch.listing import Attachment, HashMatch, Listing

HASHLISTS_DIR = "hashlists"
"""The folder of hash lists in the config directory."""

_LINE = re.compile(r"([0-9A-Fa-f]{64})\s+(\S+)")
_EXPECTED = (
    f"'SHA256 LABEL': 64 hexadecimal digits, then one of {', '.join(LABELS)} ('#' starts a comment)"
)


@dataclass(frozen=True)
class HashLists:
    """Every list's entries: the labels (with their list's file name) by SHA-256."""

    entries: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def matches(self, attachment: Attachment) -> list[HashMatch]:
        """The hash-list entries of a fetched file and of its archive's members."""
        digests = [(attachment.sha256, None)]
        digests += [(member.sha256, member.name) for member in attachment.members]
        return [
            HashMatch(sha256, label, hashlist, member)
            for sha256, member in digests
            if sha256 is not None
            for label, hashlist in self.entries.get(sha256, ())
        ]


def load_hashlists(directory: Path) -> HashLists:
    """Every `*.txt` list in `directory` (none there: no entries).

    Raises ConfigError naming the file and line of every malformed line.
    """
    entries: dict[str, list[tuple[str, str]]] = defaultdict(list)
    problems: list[ConfigProblem] = []
    for path in sorted(directory.glob("*.txt")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(ConfigProblem(path, "", missing(), f"a readable UTF-8 file ({exc})"))
            continue
        for number, line in enumerate(lines, start=1):
            content = line.partition("#")[0].strip()
            if not content:
                continue
            found = _LINE.fullmatch(content)
            if found is None or found.group(2) not in LABELS:
                problems.append(ConfigProblem(path, f"line {number}", content, _EXPECTED))
                continue
            entry = (found.group(2), path.name)
            sha256 = found.group(1).lower()
            if entry not in entries[sha256]:
                entries[sha256].append(entry)
    if problems:
        raise ConfigError(problems)
    return HashLists(dict(entries))


def flag_matches(listing: Listing) -> None:
    """Flag `listing` with the label of every hash-list match on its attachments:
    score 1.0, threat score 1.0, and an explanation naming the list and the hash.
    Applying it again changes nothing."""
    for attachment in listing.attachments:
        for match in attachment.hash_matches:
            labels = {*listing.labels, match.label}
            listing.labels = [label for label in LABELS if label in labels]
            listing.scores[match.label] = 1.0
            listing.threat_score = 1.0
            where = f"{attachment.name}/{match.member}" if match.member else attachment.name
            reason = f"hash list {match.hashlist}: {match.sha256} ({where})"
            reasons = listing.explanations.setdefault(match.label, [])
            if reason not in reasons:
                reasons.append(reason)
