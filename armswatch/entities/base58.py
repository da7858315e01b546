"""Base58 as Bitcoin writes it (base58check) and as Monero writes it (in blocks).

Both use Bitcoin's alphabet; Monero encodes 8-byte blocks into 11 characters
each, so its addresses have a fixed length, and checks them with Keccak-256
instead of double SHA-256.
"""

from __future__ import annotations

import hashlib

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGITS = {char: value for value, char in enumerate(ALPHABET)}
# Monero: characters used for a block of 0..8 bytes
_BLOCK_CHARS = (0, 2, 3, 5, 6, 7, 9, 10, 11)


def _number(text: str) -> int:
    number = 0
    for char in text:
        if char not in _DIGITS:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + _DIGITS[char]
    return number


def _text(number: int, width: int = 0) -> str:
    chars = []
    while number:
        number, digit = divmod(number, 58)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars)).rjust(width, ALPHABET[0])


def decode_check(text: str) -> bytes | None:
    """The payload of a base58check string (version byte first), None if its
    checksum (the first 4 bytes of double SHA-256) does not match."""
    try:
        number = _number(text)
    except ValueError:
        return None
    zeros = len(text) - len(text.lstrip(ALPHABET[0]))
    raw = bytes(zeros) + number.to_bytes((number.bit_length() + 7) // 8, "big")
    payload, checksum = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def monero_decode(text: str) -> bytes | None:
    """The bytes of Monero's block base58, None where `text` cannot be such an encoding."""
    if len(text) % 11 not in _BLOCK_CHARS:
        return None
    out = bytearray()
    for start in range(0, len(text), 11):
        block = text[start : start + 11]
        size = _BLOCK_CHARS.index(len(block))
        try:
            number = _number(block)
        except ValueError:
            return None
        if number >> (8 * size):
            return None
        out += number.to_bytes(size, "big")
    return bytes(out)


def monero_encode(data: bytes) -> str:
    """Monero's block base58 of `data` (the inverse of `monero_decode`)."""
    blocks = (data[start : start + 8] for start in range(0, len(data), 8))
    return "".join(
        _text(int.from_bytes(block, "big"), _BLOCK_CHARS[len(block)]) for block in blocks
    )
