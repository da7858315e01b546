"""Cryptocurrency addresses in free text, kept only when their checksum holds.

A string that looks like an address but fails its checksum is a typo, a
placeholder or a deliberate decoy; following it wastes an investigator's time,
so it is dropped. Mainnet addresses only.
"""

from __future__ import annotations

import re
from typing import Literal

from Crypto.Hash import keccak

from . import base58
from .bech32 import decode_segwit

Coin = Literal["btc", "eth", "xmr", "ltc"]

_B58 = "1-9A-HJ-NP-Za-km-z"
_ALONE_BEFORE = r"(?<![0-9A-Za-z])"
_ALONE_AFTER = r"(?![0-9A-Za-z])"
_BASE58CHECK = re.compile(rf"{_ALONE_BEFORE}[13LM][{_B58}]{{25,34}}{_ALONE_AFTER}")
_SEGWIT = re.compile(
    rf"{_ALONE_BEFORE}(?:bc|ltc)1[02-9ac-hj-np-z]{{6,87}}{_ALONE_AFTER}", re.IGNORECASE
)
_ETHEREUM = re.compile(rf"{_ALONE_BEFORE}0x[0-9a-fA-F]{{40}}{_ALONE_AFTER}")
_MONERO = re.compile(rf"{_ALONE_BEFORE}[48][{_B58}]{{94}}(?:[{_B58}]{{11}})?{_ALONE_AFTER}")
# A P2SH address (version 5, "3...") is valid on Bitcoin and on Litecoin alike;
# it is read as Litecoin where Litecoin is named just before it.
_LITECOIN_NAMED = re.compile(r"(?i:\bltc\b|litecoin)")
_LITECOIN_CONTEXT = 40

_BASE58_VERSIONS: dict[int, Coin] = {0x00: "btc", 0x05: "btc", 0x30: "ltc", 0x32: "ltc"}
_SEGWIT_HRPS: dict[str, Coin] = {"bc": "btc", "ltc": "ltc"}
# Monero network bytes: standard address, integrated address, subaddress
_MONERO_NETWORKS = {0x12: 69, 0x13: 77, 0x2A: 69}


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum and Monero use it (not the final SHA3-256)."""
    return keccak.new(digest_bits=256, data=data).digest()


def find_addresses(text: str) -> dict[Coin, list[str]]:
    """The valid addresses in `text` by coin, each once, in order of first mention.

    Bech32 addresses are given in lower case and Ethereum addresses in their
    EIP-55 checksummed form, so one address is always written one way.
    """
    found: list[tuple[int, Coin, str]] = []
    for match in _BASE58CHECK.finditer(text):
        coin = _base58check_coin(match.group())
        if coin == "btc" and match.group()[0] == "3":
            before = text[max(0, match.start() - _LITECOIN_CONTEXT) : match.start()]
            coin = "ltc" if _LITECOIN_NAMED.search(before) else "btc"
        if coin:
            found.append((match.start(), coin, match.group()))
    for match in _SEGWIT.finditer(text):
        hrp = match.group().lower().partition("1")[0]
        if decode_segwit(hrp, match.group()):
            found.append((match.start(), _SEGWIT_HRPS[hrp], match.group().lower()))
    for match in _ETHEREUM.finditer(text):
        address = ethereum_address(match.group())
        if address:
            found.append((match.start(), "eth", address))
    for match in _MONERO.finditer(text):
        if is_monero_address(match.group()):
            found.append((match.start(), "xmr", match.group()))
    addresses: dict[Coin, list[str]] = {"btc": [], "eth": [], "xmr": [], "ltc": []}
    for _, coin, address in sorted(found):
        if address not in addresses[coin]:
            addresses[coin].append(address)
    return addresses


def _base58check_coin(text: str) -> Coin | None:
    payload = base58.decode_check(text)
    if payload is None or len(payload) != 21:
        return None
    return _BASE58_VERSIONS.get(payload[0])


def ethereum_address(text: str) -> str | None:
    """`0x` + 40 hex digits in EIP-55 form; None where the text mixes letter
    case (so claims a checksum) and the checksum does not match."""
    digits = text[2:]
    checksummed = "0x" + eip55(digits.lower())
    if digits not in (digits.lower(), digits.upper()) and "0x" + digits != checksummed:
        return None
    return checksummed


def eip55(hex_digits: str) -> str:
    """EIP-55: a letter is upper case where the Keccak-256 of the lower-case
    address has a nibble of 8 or more at its position."""
    digest = keccak256(hex_digits.encode("ascii")).hex()
    return "".join(
        char.upper() if char.isalpha() and int(digest[index], 16) >= 8 else char
        for index, char in enumerate(hex_digits)
    )


def is_monero_address(text: str) -> bool:
    """A mainnet standard, integrated or sub-address whose Keccak-256 checksum holds."""
    raw = base58.monero_decode(text)
    if raw is None or _MONERO_NETWORKS.get(raw[0]) != len(raw):
        return False
    return keccak256(raw[:-4])[:4] == raw[-4:]
