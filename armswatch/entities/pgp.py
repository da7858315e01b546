"""OpenPGP public keys in listings: armored key blocks and fingerprints in text.

Vendors paste their key so buyers can encrypt addresses; the key's fingerprint
is the most stable identity a vendor has across markets. Blocks are parsed
here (RFC 4880 and RFC 9580 packet framing) without any OpenPGP library, and a
block whose armor checksum (CRC-24) fails is refused rather than half-read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from .model import PgpKey

_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_END = "-----END PGP PUBLIC KEY BLOCK-----"
_ARMOR_CHECKSUM = re.compile(r"=([A-Za-z0-9+/]{4})$")
_GROUPED_FINGERPRINT = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{4}[ \u00a0]{1,2}){9}[0-9A-Fa-f]{4}(?![0-9A-Za-z])"
)
_PLAIN_FINGERPRINT = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{40}(?![0-9A-Za-z])")
# 40 hex digits in a row are also hashes and addresses: a fingerprint only where named so
_FINGERPRINT_NAMED = re.compile(r"(?i:fingerprint|\bfpr\b|\bpgp\b|\bgpg\b|\bkey\b)")
_NAMED_WITHIN = 60
_PUBLIC_KEY, _USER_ID = 6, 13


class PgpError(ValueError):
    """An armored key block that cannot be read (damaged armor or packets)."""


def find_keys(text: str) -> list[PgpKey]:
    """The primary keys of every readable public key block in `text`, in order;
    damaged blocks are skipped."""
    keys = []
    for start, end in _blocks(text):
        try:
            keys += read_key_block(text[start + len(_BEGIN) : end - len(_END)])
        except PgpError:
            continue
    return keys


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each armored public key block: each END line with the
    last BEGIN line before it (found with str.find: a regex from every BEGIN
    to a missing END would take quadratic time)."""
    position = 0
    while (end := text.find(_END, position)) != -1:
        start = text.rfind(_BEGIN, position, end)
        if start != -1:
            yield start, end + len(_END)
        position = end + len(_END)


def without_key_blocks(text: str) -> str:
    """`text` with its armored key blocks blanked out (their base64 is no text)."""
    pieces, position = [], 0
    for start, end in _blocks(text):
        pieces += [text[position:start], " " * (end - start)]
        position = end
    return "".join(pieces) + text[position:]


def find_fingerprints(text: str) -> list[str]:
    """Fingerprints written out in text (ten groups of four hex digits, or 40 in
    a row next to a word like "fingerprint"), upper case without spaces; `text`
    is best without its key blocks (`without_key_blocks`)."""
    found = [(m.start(), m.group()) for m in _GROUPED_FINGERPRINT.finditer(text)]
    found += [
        (m.start(), m.group())
        for m in _PLAIN_FINGERPRINT.finditer(text)
        if _FINGERPRINT_NAMED.search(text, max(0, m.start() - _NAMED_WITHIN), m.start())
    ]
    return list(dict.fromkeys(re.sub(r"\s", "", value).upper() for _, value in sorted(found)))


def read_key_block(armored: str) -> list[PgpKey]:
    """The primary keys in an armored block (the text between its BEGIN and END
    lines); PgpError when the armor or the packets are damaged."""
    return list(_keys(_packets(dearmor(armored))))


def dearmor(armored: str) -> bytes:
    """The binary data of ASCII armor, its CRC-24 checked where present (RFC 9580
    makes it optional)."""
    # armor header lines ("Version: ...", "Comment: ...") are the only ones with a colon
    lines = [line.strip() for line in armored.splitlines()]
    data = "".join(line for line in lines if line and ":" not in line)
    checksum = _ARMOR_CHECKSUM.search(data)
    if checksum and checksum.start() % 4:
        checksum = None  # "=" in the middle is base64 padding, not a checksum line
    if checksum:
        data = data[: checksum.start()]
    try:
        binary = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise PgpError("the key block's armor is not valid base64") from None
    if checksum and crc24(binary).to_bytes(3, "big") != base64.b64decode(checksum.group(1)):
        raise PgpError("the key block's armor checksum (CRC-24) does not match: it is damaged")
    return binary


def crc24(data: bytes) -> int:
    """OpenPGP's armor checksum (RFC 4880 section 6.1)."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _packets(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, body) of each packet, in old (RFC 4880) or new framing."""
    position = 0
    while position < len(data):
        first = data[position]
        position += 1
        if not first & 0x80:
            raise PgpError("the key block holds no OpenPGP packets")
        if first & 0x40:
            tag, body = first & 0x3F, b""
            partial = True
            while partial:
                length, position, partial = _new_length(data, position)
                body += data[position : position + length]
                position += length
        else:
            tag, length_type = (first >> 2) & 0x0F, first & 0x03
            if length_type == 3:  # indeterminate: to the end
                length = len(data) - position
            else:
                size = (1, 2, 4)[length_type]
                length = int.from_bytes(data[position : position + size], "big")
                position += size
            body = data[position : position + length]
            position += length
        if position > len(data):
            raise PgpError("the key block is cut short")
        yield tag, body


def _new_length(data: bytes, position: int) -> tuple[int, int, bool]:
    """(body length, position after the length, whether it is a partial length)."""
    if position >= len(data):
        raise PgpError("the key block is cut short")
    first = data[position]
    if first < 192:
        return first, position + 1, False
    if first < 224:
        if position + 1 >= len(data):
            raise PgpError("the key block is cut short")
        return ((first - 192) << 8) + data[position + 1] + 192, position + 2, False
    if first == 255:
        return int.from_bytes(data[position + 1 : position + 5], "big"), position + 5, False
    return 1 << (first & 0x1F), position + 1, True


def _keys(packets: Iterator[tuple[int, bytes]]) -> Iterator[PgpKey]:
    """Each primary key with the user ids that follow it (subkeys are skipped)."""
    key: PgpKey | None = None
    user_ids: list[str] = []
    for tag, body in packets:
        if tag == _PUBLIC_KEY:
            if key:
                yield _with_user_ids(key, user_ids)
            key, user_ids = _primary_key(body), []
        elif tag == _USER_ID and key:
            user_ids.append(body.decode("utf-8", errors="replace"))
    if key:
        yield _with_user_ids(key, user_ids)


def _with_user_ids(key: PgpKey, user_ids: list[str]) -> PgpKey:
    return PgpKey(key.fingerprint, key.key_id, tuple(user_ids), key.created, key.version)


def _primary_key(body: bytes) -> PgpKey | None:
    """Fingerprint, key id and creation time of a public-key packet; None for
    the obsolete v3 keys (their MD5 fingerprints identify nothing reliably)."""
    if len(body) < 6:
        raise PgpError("a public key packet is too short")
    version = body[0]
    if version == 4:
        digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).digest()
        key_id = digest[-8:]
    elif version in (5, 6):
        prefix = b"\x9a" if version == 5 else b"\x9b"
        digest = hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).digest()
        key_id = digest[:8]
    else:
        return None
    created = datetime.fromtimestamp(int.from_bytes(body[1:5], "big"), UTC)
    return PgpKey(digest.hex().upper(), key_id.hex().upper(), (), created.isoformat(), version)
