"""Tor v3 onion addresses, kept only when their built-in checksum holds.

A v3 address is base32(public key | checksum | version 3) where the checksum is
the first two bytes of SHA3-256(".onion checksum" | public key | version)
(Tor's rend-spec-v3). The retired 16-character v2 addresses no longer resolve
and are not reported.
"""

from __future__ import annotations

import base64
import hashlib
import re

_VERSION = b"\x03"
_ONION = re.compile(r"(?<![a-z2-7])([a-z2-7]{56})\.onion(?![\w-])", re.IGNORECASE)


def _checksum(public_key: bytes) -> bytes:
    return hashlib.sha3_256(b".onion checksum" + public_key + _VERSION).digest()[:2]


def is_onion_v3(label: str) -> bool:
    """Whether `label` (the 56 characters before ".onion") is a valid v3 address."""
    if len(label) != 56:
        return False
    try:
        raw = base64.b32decode(label.upper())
    except ValueError:
        return False
    public_key, checksum, version = raw[:32], raw[32:34], raw[34:]
    return version == _VERSION and checksum == _checksum(public_key)


def onion_address(public_key: bytes) -> str:
    """The v3 onion address of a 32-byte ed25519 public key."""
    raw = public_key + _checksum(public_key) + _VERSION
    return base64.b32encode(raw).decode("ascii").lower() + ".onion"


def find_onions(text: str) -> list[str]:
    """The valid v3 onion addresses in `text` (lower case, without subdomain or
    path), each once, in order."""
    labels = (match.group(1).lower() for match in _ONION.finditer(text))
    return list(dict.fromkeys(label + ".onion" for label in labels if is_onion_v3(label)))
