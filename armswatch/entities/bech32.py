"""Bech32 and bech32m segwit addresses (BIP-173, BIP-350).

Witness version 0 uses bech32's checksum constant, versions 1 to 16 (taproot
and later) bech32m's; an address with the other constant is refused, which is
what BIP-350 asks of every validator.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUES = {char: value for value, char in enumerate(CHARSET)}
_BECH32 = 1
_BECH32M = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _hrp_values(hrp: str) -> list[int]:
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _to_bytes(groups: list[int]) -> bytes | None:
    """5-bit groups to bytes; None when the padding is not BIP-173's (at most
    4 zero bits)."""
    accumulator = bits = 0
    out = bytearray()
    for group in groups:
        accumulator = (accumulator << 5) | group
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        return None
    return bytes(out)


def decode_segwit(hrp: str, address: str) -> tuple[int, bytes] | None:
    """(witness version, witness program) of a segwit address for `hrp`
    ("bc", "ltc"), None unless the address and its checksum are valid."""
    if address.lower() != address and address.upper() != address:
        return None  # mixed case is not bech32
    address = address.lower()
    separator = address.rfind("1")
    if address[:separator] != hrp or len(address) > 90 or separator + 7 > len(address):
        return None
    if any(char not in _VALUES for char in address[separator + 1 :]):
        return None
    data = [_VALUES[char] for char in address[separator + 1 :]]
    constant = _polymod(_hrp_values(hrp) + data)
    if len(data) < 7 or data[0] > 16:
        return None
    version, program = data[0], _to_bytes(data[1:-6])
    if program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and (len(program) not in (20, 32) or constant != _BECH32):
        return None
    if version > 0 and constant != _BECH32M:
        return None
    return version, program
