"""Entity extraction: every address type valid and with one character changed,
real PGP key blocks, phone numbers of several countries, handles, files,
firearms, shipping and prices."""

from __future__ import annotations

import base64
import os
import re
from datetime import UTC, datetime

import pgpy
import pytest
from Crypto.Hash import keccak
from pgpy.constants import EllipticCurveOID, HashAlgorithm, KeyFlags, PubKeyAlgorithm

from armswatch.entities import (
    Entities,
    FileRef,
    Handle,
    MakeModel,
    PgpKey,
    Price,
    country_code,
    extract,
)
from armswatch.entities.base58 import ALPHABET, monero_encode
from armswatch.entities.bech32 import CHARSET
from armswatch.entities.onion import onion_address
from armswatch.entities.pgp import PgpError, read_key_block

HEX = "0123456789abcdef"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# BIP-173 / BIP-350 valid mainnet addresses, and base58check ones from the Bitcoin wiki
# (the genesis block's address, the BIP-13 P2SH example)
BITCOIN_VALID = [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ALPHABET),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", ALPHABET),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", CHARSET),
    ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", CHARSET),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", CHARSET),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        CHARSET,
    ),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", CHARSET),
    ("bc1sw50qgdz25j", CHARSET),
]
# BIP-350's invalid examples: a v1 address with bech32's checksum, a v0 one with bech32m's
BITCOIN_WRONG_CHECKSUM_KIND = [
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
]
# Litecoin: segwit (BIP-173's program under "ltc"), L (P2PKH), M (P2SH) addresses
LITECOIN_VALID = [
    ("ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9", CHARSET),
    ("ltc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qmu8tk5", CHARSET),
    ("LKKHMBjCU89fyFNgSRprDoD8Jb25N8uWvd", ALPHABET),
    ("M7zVKQKmtV5Rc7erVGVVC3khZbXxsS5HEX", ALPHABET),
    ("LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1", ALPHABET),
]
# EIP-55's test vectors: mixed case (checksummed), all caps, all lower
ETHEREUM_CHECKSUMMED = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]
# The Monero General Fund's donation address, as published on getmonero.org
MONERO_GENERAL_FUND = (
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3X"
    "jrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)
# The Tor Project's and DuckDuckGo's published onion services
PUBLIC_ONIONS = [
    "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
    "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
]


def one_changed(value: str, alphabet: str, position: int | None = None) -> str:
    """`value` with one character replaced by the next one of its alphabet, so
    it keeps its form and only its checksum can tell."""
    index = len(value) // 2 if position is None else position
    char = value[index]
    lower = alphabet.lower() == alphabet and char.isupper()
    current = alphabet.index(char.lower() if lower else char)
    replacement = alphabet[(current + 1) % len(alphabet)]
    return value[:index] + (replacement.upper() if lower else replacement) + value[index + 1 :]


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def monero_address(network: int, payment_id: bytes = b"") -> str:
    """A Monero address of fresh random keys: network byte, spend and view
    keys, an integrated address's payment id, Keccak-256 checksum."""
    data = bytes([network]) + os.urandom(64) + payment_id
    return monero_encode(data + keccak256(data)[:4])


def listing(text: str, **hints: str) -> Entities:
    return extract("", text, **hints)


# --- cryptocurrency addresses -------------------------------------------------------


@pytest.mark.parametrize(("address", "alphabet"), BITCOIN_VALID)
def test_bitcoin_address_found_and_one_changed_character_refused(
    address: str, alphabet: str
) -> None:
    assert listing(f"Pay to {address} after contact").btc == (address,)
    damaged = one_changed(address, alphabet)
    found = listing(f"Pay to {damaged} after contact")
    assert found.btc == () and found.ltc == ()


def test_bech32_written_in_capitals_is_one_address_in_lower_case() -> None:
    upper = "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"
    assert listing(f"btc {upper} or {upper.lower()}").btc == (upper.lower(),)


def test_bech32_mixed_case_and_wrong_checksum_kind_refused() -> None:
    mixed = "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert listing(f"btc {mixed}").btc == ()
    for address in BITCOIN_WRONG_CHECKSUM_KIND:
        assert listing(f"btc {address}").btc == ()


def test_testnet_and_unknown_versions_are_not_mainnet_bitcoin() -> None:
    assert listing("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx").btc == ()
    # Dogecoin's D-addresses are valid base58check of another version byte
    assert listing("DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L").btc == ()


@pytest.mark.parametrize(("address", "alphabet"), LITECOIN_VALID)
def test_litecoin_address_found_and_one_changed_character_refused(
    address: str, alphabet: str
) -> None:
    expected = address.lower() if address.startswith("ltc1") else address
    assert listing(f"LTC accepted: {address}").ltc == (expected,)
    assert listing(f"LTC accepted: {address}").btc == ()
    assert listing(f"LTC accepted: {one_changed(address, alphabet)}").ltc == ()


def test_p2sh_address_is_litecoin_only_where_litecoin_is_named_before_it() -> None:
    address = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
    assert listing(f"Litecoin: {address}").ltc == (address,)
    assert listing(f"Litecoin: {address}").btc == ()
    assert listing(f"Bitcoin: {address}").btc == (address,)


@pytest.mark.parametrize("address", ETHEREUM_CHECKSUMMED)
def test_ethereum_address_found_in_its_checksummed_form(address: str) -> None:
    assert listing(f"ETH {address}").eth == (address,)
    assert listing(f"ETH {'0x' + address[2:].lower()}").eth == (address,)
    assert listing(f"ETH {'0x' + address[2:].upper()}").eth == (address,)


@pytest.mark.parametrize("address", ETHEREUM_CHECKSUMMED[:4])
def test_ethereum_mixed_case_with_a_wrong_checksum_refused(address: str) -> None:
    letter = next(i for i, char in enumerate(address) if i > 1 and char.isalpha())
    flipped = address[:letter] + address[letter].swapcase() + address[letter + 1 :]
    assert listing(f"ETH {flipped}").eth == ()
    assert listing(f"ETH {one_changed(address, HEX + 'ABCDEF', letter)}").eth == ()


def test_monero_published_address_found_and_one_changed_character_refused() -> None:
    assert listing(f"XMR: {MONERO_GENERAL_FUND}").xmr == (MONERO_GENERAL_FUND,)
    assert listing(f"XMR: {one_changed(MONERO_GENERAL_FUND, ALPHABET)}").xmr == ()


@pytest.mark.parametrize(
    ("network", "payment_id", "length"),
    [(0x12, b"", 95), (0x2A, b"", 95), (0x13, os.urandom(8), 106)],
    ids=["standard", "subaddress", "integrated"],
)
def test_monero_addresses_built_from_keys(network: int, payment_id: bytes, length: int) -> None:
    address = monero_address(network, payment_id)
    assert len(address) == length
    assert listing(f"Monero only {address} thanks").xmr == (address,)
    assert listing(f"Monero only {one_changed(address, ALPHABET)} thanks").xmr == ()


def test_monero_address_of_another_network_refused() -> None:
    testnet = monero_address(0x35)  # right length and checksum, testnet network byte
    assert len(testnet) == 95
    assert listing(f"XMR {testnet}").xmr == ()


# --- PGP -----------------------------------------------------------------------------

# Made with GnuPG 2 (old-format packet headers), fingerprint as gpg reported it
GNUPG_KEY = """-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaxaGHBYJKwYBBAHaRw8BAQdAWkxS6W5IwPQtklHbDKbiu7MjdQ/Mr10z4sS1
7P286Ca0IERlbW8gVmVuZG9yIDx2ZW5kb3JAZXhhbXBsZS5vcmc+iJAEExYIADgW
IQR/yEp+6p9M/rqbzluqeJX9K6VomwUCaxaGHAIbAwULCQgHAgYVCgkICwIEFgID
AQIeAQIXgAAKCRCqeJX9K6VomxNuAQCeWYpez4/AAnbRpknzehlMrGGY95BT7NGa
0qpwNFoG1QEAmf/ZXkQUyyzRGV1RrGTJX1Ua371sas4Sx9Y3TF9uhw60KkRlbW8g
VmVuZG9yIChzZWNvbmQpIDx2ZW5kb3IyQGV4YW1wbGUubmV0PoiQBBMWCAA4FiEE
f8hKfuqfTP66m85bqniV/SulaJsFAmsWhhwCGwMFCwkIBwIGFQoJCAsCBBYCAwEC
HgECF4AACgkQqniV/SulaJstRwD/YVZuWqxaS1qH5dRy0cUfMgQncq9tImP/WsiS
gshQxfcBANB3Xr3wB7LO9AaNNptr8hz8WeWJdWkxlhl2n/pEJhAJ
=iLCL
-----END PGP PUBLIC KEY BLOCK-----"""
GNUPG_FINGERPRINT = "7FC84A7EEA9F4CFEBA9BCE5BAA7895FD2BA5689B"
USER_IDS = [("Vendor One", "one@example.org"), ("Vendor Backup", "backup@example.net")]


def pgpy_key(algorithm: PubKeyAlgorithm, size: int | EllipticCurveOID) -> pgpy.PGPKey:
    """A fresh key with two user ids and an encryption subkey (subkey packets
    come between the user ids' signatures and must not count as primary keys)."""
    key = pgpy.PGPKey.new(algorithm, size)
    for name, email in USER_IDS:
        key.add_uid(
            pgpy.PGPUID.new(name, email=email),
            usage={KeyFlags.Sign, KeyFlags.Certify},
            hashes=[HashAlgorithm.SHA256],
        )
    subkey = pgpy.PGPKey.new(PubKeyAlgorithm.ECDH, EllipticCurveOID.Curve25519)
    key.add_subkey(subkey, usage={KeyFlags.EncryptCommunications})
    return key


@pytest.fixture(
    scope="module",
    params=[
        (PubKeyAlgorithm.RSAEncryptOrSign, 2048),
        (PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519),
    ],
    ids=["rsa", "eddsa"],
)
def key(request: pytest.FixtureRequest) -> pgpy.PGPKey:
    return pgpy_key(*request.param)


def expected_key(key: pgpy.PGPKey) -> PgpKey:
    created = key.created.replace(microsecond=0).astimezone(UTC)
    user_ids = {f"{name} <{email}>" for name, email in USER_IDS}
    parsed = listing(str(key.pubkey)).pgp_keys[0]
    assert set(parsed.user_ids) == user_ids and len(parsed.user_ids) == 2
    return PgpKey(
        str(key.fingerprint).replace(" ", ""),
        str(key.fingerprint.keyid),
        parsed.user_ids,
        created.isoformat(),
        4,
    )


def test_key_block_parsed_to_pgpys_fingerprint_key_id_user_ids_and_date(
    key: pgpy.PGPKey,
) -> None:
    text = f"My key, encrypt your address:\n\n{key.pubkey}\n\nThanks."
    found = listing(text)
    assert found.pgp_keys == (expected_key(key),)
    assert found.pgp_fingerprints == (str(key.fingerprint).replace(" ", ""),)


def test_key_block_parsed_without_its_optional_checksum_line(key: pgpy.PGPKey) -> None:
    without_crc = re.sub(r"\n=[A-Za-z0-9+/]{4}\n", "\n", str(key.pubkey))
    assert without_crc != str(key.pubkey)
    assert listing(without_crc).pgp_keys == (expected_key(key),)


def test_damaged_armor_refused_by_its_crc(key: pgpy.PGPKey) -> None:
    armored = str(key.pubkey)
    lines = armored.splitlines()
    body = next(i for i, line in enumerate(lines) if len(line) == 64)  # a full base64 line
    lines[body] = one_changed(lines[body], BASE64, 10)
    damaged = "\n".join(lines)
    inner = damaged.split("-----BEGIN PGP PUBLIC KEY BLOCK-----")[1]
    with pytest.raises(PgpError, match="CRC-24"):
        read_key_block(inner.split("-----END PGP PUBLIC KEY BLOCK-----")[0])
    found = listing(f"{damaged}\n\n{GNUPG_KEY}")
    assert [k.fingerprint for k in found.pgp_keys] == [GNUPG_FINGERPRINT]


def test_gnupg_block_with_old_format_packets() -> None:
    (parsed,) = listing(f"Vendor key:\r\n{GNUPG_KEY}").pgp_keys
    assert parsed.fingerprint == GNUPG_FINGERPRINT
    assert parsed.key_id == GNUPG_FINGERPRINT[-16:]
    assert parsed.user_ids == (
        "Demo Vendor <vendor@example.org>",
        "Demo Vendor (second) <vendor2@example.net>",
    )
    assert parsed.created == datetime.fromtimestamp(1796638236, UTC).isoformat()


# RFC 9580's samples: a v6 certificate (A.3) and a v4 Ed25519 key (A.2), fingerprints
# as the RFC gives them
RFC9580_V6_CERTIFICATE = """-----BEGIN PGP PUBLIC KEY BLOCK-----

xioGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laPCsQYf
GwoAAABCBYJjh3/jAwsJBwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxy
KwwfHifBilZwj2Ul7Ce62azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lw
gyU2kCcUmKfvBXbAf6rhRYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaE
QsiPlR4zxP/TP7mhfVEe7XWPxtnMUMtf15OyA51YBM4qBmOHf+MZAAAAIIaTJINn
+eUBXbki+PSAld2nhJh/LVmFsS+60WyvXkQ1wpsGGBsKAAAALAWCY4d/4wKbDCIh
BssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce62azJAAAAAAQBIKbpGG2dWTX8
j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDEM0g12vYxoWM8Y81W+bHBw805
I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUrk0mXubZvyl4GBg==
-----END PGP PUBLIC KEY BLOCK-----"""
RFC9580_V4_KEY = """-----BEGIN PGP PUBLIC KEY BLOCK-----

xjMEU/NfCxYJKwYBBAHaRw8BAQdAPwmJlL3ZFu1AUxl5NOSofIBzOhKA1i+AEJku
Q+47JAY=
-----END PGP PUBLIC KEY BLOCK-----"""


def test_rfc9580_sample_keys_v6_and_v4() -> None:
    v6, v4 = listing(f"{RFC9580_V6_CERTIFICATE}\n{RFC9580_V4_KEY}").pgp_keys
    assert (v6.version, v6.fingerprint, v6.key_id) == (
        6,
        "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9",
        "CB186C4F0609A697",
    )
    assert (v4.version, v4.fingerprint, v4.key_id) == (
        4,
        "C959BDBAFA32A2F89A153B678CFDE12197965A9A",
        "8CFDE12197965A9A",
    )
    assert v4.created == "2014-08-19T14:28:27+00:00"


def test_fingerprints_written_in_text() -> None:
    grouped = " ".join(GNUPG_FINGERPRINT[i : i + 4] for i in range(0, 40, 4))
    assert listing(f"PGP: {grouped}").pgp_fingerprints == (GNUPG_FINGERPRINT,)
    spaced = grouped[:24] + "  " + grouped[25:].lower()  # gpg's double space in the middle
    assert listing(f"check {spaced} before").pgp_fingerprints == (GNUPG_FINGERPRINT,)
    assert listing(f"Fingerprint: {GNUPG_FINGERPRINT}").pgp_fingerprints == (GNUPG_FINGERPRINT,)
    # 40 hex digits with no word about keys are a hash, not a fingerprint
    assert listing("sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709").pgp_fingerprints == ()


# --- contacts ------------------------------------------------------------------------

PHONES = [
    ("US", "call (201) 555-0123 anytime", "+1 201-555-0123", "+12015550123"),
    ("DE", "Handy 01512 3456789", "+49 1512 3456789", "+4915123456789"),
    ("TR", "tel: 0501 234 56 78", "+90 501 234 56 78", "+905012345678"),
    ("RU", "звоните 8 (912) 345-67-89", "+7 912 345-67-89", "+79123456789"),
    ("BR", "WhatsApp (11) 96123-4567", "+55 11 96123-4567", "+5511961234567"),
    ("GB", "text 07400 123456", "+44 7400 123456", "+447400123456"),
]


@pytest.mark.parametrize(("country", "national", "international", "e164"), PHONES)
def test_phone_numbers_to_e164_with_and_without_a_country_hint(
    country: str, national: str, international: str, e164: str
) -> None:
    assert listing(national, country=country).phones == (e164,)
    assert listing(national).phones == ()  # a national number needs the hint
    assert listing(f"contact {international}").phones == (e164,)
    assert listing(f"contact {international}", country=country).phones == (e164,)


def test_country_hint_by_name_and_invalid_numbers_left_out() -> None:
    assert listing("Handy 01512 3456789", country="Deutschland").phones == ("+4915123456789",)
    assert listing("+49 123 and 0000 000000", country="DE").phones == ()


def test_emails_plain_and_obfuscated() -> None:
    found = listing(
        "Mail Vendor.One@Proton.me or backup [at] example [dot] org; logo@2x.png is an image"
    )
    assert found.emails == ("vendor.one@proton.me", "backup@example.org")


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("Telegram: @Gun_Seller99 only", [("telegram", "gun_seller99")]),
        ("contact tg - armsdepot", [("telegram", "armsdepot")]),
        ("see https://t.me/ArmsDepot/15 or t.me/joinchat/AbCdEf", [("telegram", "armsdepot")]),
        ("write @quietvendor on Telegram", [("telegram", "quietvendor")]),
        ("Wickr: armsdepot.eu", [("wickr", "armsdepot.eu")]),
        (
            "Threema ID: ABCD1234, or threema.id/XY9Z8W7V",
            [("threema", "ABCD1234"), ("threema", "XY9Z8W7V")],
        ),
        ("Signal: vendor_one.42", [("signal", "vendor_one.42")]),
        ("Signal: +44 7400 123456", [("signal", "+447400123456")]),
        ("Session " + "05" + "ab12" * 16, [("session", "05" + "ab12" * 16)]),
        ("my id 05" + "CD34" * 16 + " add me", [("session", "05" + "cd34" * 16)]),
    ],
)
def test_handles_with_their_network(text: str, handles: list[tuple[str, str]]) -> None:
    assert listing(text).handles == tuple(Handle(*handle) for handle in handles)


@pytest.mark.parametrize(
    "text",
    [
        "Telegram channel below, signal strength good",
        "Telegram: channel",
        "contact @armsdepot",  # no network named
        "id 06" + "ab" * 32,  # not a Session id
        "Threema abcd1234",  # Threema ids are written in capitals
        "name@telegram.org",
    ],
)
def test_no_handle_without_its_network(text: str) -> None:
    assert listing(text).handles == ()


def test_onion_v3_addresses_checked() -> None:
    built = onion_address(os.urandom(32))
    text = f"Mirrors: http://{PUBLIC_ONIONS[0]}/shop, {PUBLIC_ONIONS[1]} and {built.upper()}"
    assert listing(text).onions == (*PUBLIC_ONIONS, built)
    label = built.removesuffix(".onion")
    damaged = one_changed(label, BASE32) + ".onion"
    assert listing(f"mirror {damaged}").onions == ()
    assert listing("old mirror expyuzz4wqqyqhjn.onion").onions == ()  # v2, retired
    # base32 of a key, a checksum and version 2
    key = os.urandom(32)
    v2 = base64.b32encode(key + bytes(2) + b"\x02").decode().lower()
    assert listing(f"{v2}.onion").onions == ()


def test_file_host_links() -> None:
    text = (
        "Download: https://mega.nz/file/AbCd#KeY123, mirror mega.nz/folder/XyZ#k. "
        "Videos odysee.com/@armsfiles:3/fgc9-build:7 and lbry://fgc9-files; "
        "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=pack, "
        "or http://files.example.org/pack/frames.torrent. Not https://example.org/page."
    )
    assert listing(text).file_hosts == (
        "https://mega.nz/file/AbCd#KeY123",
        "mega.nz/folder/XyZ#k",
        "odysee.com/@armsfiles:3/fgc9-build:7",
        "lbry://fgc9-files",
        "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=pack",
        "http://files.example.org/pack/frames.torrent",
    )


# --- files and designs ---------------------------------------------------------------


def test_file_names_and_types_with_their_designs() -> None:
    text = (
        "Pack contents: fgc9_mk2_frame.STL, glock19_frame.3mf, lower.STEP, "
        "receiver.igs, slide.sldprt, print.gcode, mill.nc, model.obj, cad.f3d "
        "and everything in FGC9_pack.zip / extras.rar / docs.7z"
    )
    assert listing(f"FGC-9 MKII files\n{text}").files == (
        FileRef("fgc9_mk2_frame.STL", "STL", "FGC-9"),
        FileRef("glock19_frame.3mf", "3MF", "Glock-style frame"),
        FileRef("lower.STEP", "STEP", "FGC-9"),
        FileRef("receiver.igs", "IGES", "FGC-9"),
        FileRef("slide.sldprt", "SLDPRT", "FGC-9"),
        FileRef("print.gcode", "G-code", "FGC-9"),
        FileRef("mill.nc", "G-code", "FGC-9"),
        FileRef("model.obj", "OBJ", "FGC-9"),
        FileRef("cad.f3d", "F3D", "FGC-9"),
        FileRef("FGC9_pack.zip", "ZIP", "FGC-9"),
        FileRef("extras.rar", "RAR", "FGC-9"),
        FileRef("docs.7z", "7z", "FGC-9"),
    )


def test_formats_named_without_file_names() -> None:
    found = listing("Liberator STL files and STEP, also G-code for the AR-15 lower")
    assert found.files == (
        FileRef(None, "STL", "Liberator"),
        FileRef(None, "STEP", "Liberator"),
        FileRef(None, "G-code", "Liberator"),
    )
    # "step" and "obj" in lower case are words, not formats
    assert listing("step by step, no obj. needed").files == ()


def test_design_named_next_to_file_words_and_dias_only_in_capitals() -> None:
    assert listing("DIAS files, download after payment").files == (
        FileRef(None, None, "Auto sear / DIAS"),
    )
    assert listing("entrega em 3 dias, files por e-mail").files == ()
    assert listing("Liberator replica, display only").files == ()


# --- firearms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "calibers"),
    [
        ("9x19, 9mm Luger, 9 mm Parabellum, 9×19mm", ["9x19mm"]),
        ("9mm Makarov and 9x18", ["9x18mm Makarov"]),
        (".223 Rem and 5.56x45 NATO", [".223 Remington", "5.56x45mm"]),
        ("ammo 7,62х39 and 7.62 x 39", ["7.62x39mm"]),
        ("12ga, 12 gauge, cal.12, 12/70", ["12 gauge"]),
        ("blank 9mm P.A.K. for Zigana", ["9mm PAK"]),
        (
            ".45 ACP, .380 Auto, .22LR, 7.62x25 Tokarev",
            [".45 ACP", ".380 ACP", ".22 LR", "7.62x25mm Tokarev"],
        ),
    ],
)
def test_calibers_normalized(text: str, calibers: list[str]) -> None:
    assert listing(text).calibers == tuple(calibers)


def test_makes_and_models() -> None:
    text = (
        "Glock 19 gen5, a G17, AK47 and AKS-74U, Makarov PM, TT-33, Beretta 92FS, CZ75, "
        "Zigana F, Canik TP9SF, AR15 upper, and a Walther"
    )
    assert listing(text).makes_models == (
        MakeModel("Glock", "Glock 19"),
        MakeModel("Glock", "Glock 17"),
        MakeModel("Kalashnikov", "AK-47"),
        MakeModel("Kalashnikov", "AKS-74U"),
        MakeModel("Makarov", "Makarov PM"),
        MakeModel("Tokarev", "TT-33"),
        MakeModel("Beretta", "Beretta 92"),
        MakeModel("CZ", "CZ 75"),
        MakeModel("TİSAŞ", "Zigana"),
        MakeModel("Canik", "Canik TP9"),
        MakeModel(None, "AR-15"),
        MakeModel("Walther", None),
    )


def test_makers_inside_calibers_are_not_makers() -> None:
    assert listing("500 rds .223 Remington and 9x18 Makarov").makes_models == ()
    assert listing("Remington ammo, .223 Remington").makes_models == (MakeModel("Remington", None),)


# --- shipping and prices -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "origins", "destinations"),
    [
        ("Ships from: Germany\nShips to: EU, UK and USA", ["DE"], ["EU", "GB", "US"]),
        ("shipping from the Netherlands to Worldwide", ["NL"], ["worldwide"]),
        ("SHIPS FROM: DE  SHIPS TO: WORLDWIDE", ["DE"], ["worldwide"]),
        ("Ships from\nUnited States of America\nShips to\nUS / CA", ["US"], ["US", "CA"]),
        ("Origin country: Türkiye | Destination: Europe", ["TR"], ["EU"]),
        ("Versand aus Deutschland nach Österreich", ["DE"], ["AT"]),
        ("Made in Austria, an Austrian pistol. We ship worldwide!", [], ["worldwide"]),
        ("Ships to: Mars and the Moon", [], []),
    ],
)
def test_ships_from_and_to(text: str, origins: list[str], destinations: list[str]) -> None:
    found = listing(text)
    assert (found.ships_from, found.ships_to) == (tuple(origins), tuple(destinations))


def test_country_codes_from_names_and_aliases() -> None:
    assert [country_code(name) for name in ("Deutschland", "uk", "USA", "Türkiye", "ru")] == [
        "DE",
        "GB",
        "US",
        "TR",
        "RU",
    ]
    assert country_code("Atlantis") is None


def test_prices_as_amount_and_currency() -> None:
    text = (
        "Price $1,200 or 0.021 BTC, 3.5 XMR, 950 € in cash. "
        "ETH 0x52908400098527886E0F7030069857D2E4169EE7 (no price), again $1,200"
    )
    assert listing(text).prices == (
        Price(1200.0, "USD"),
        Price(0.021, "BTC"),
        Price(3.5, "XMR"),
        Price(950.0, "EUR"),
    )


# --- the result ----------------------------------------------------------------------


def test_to_json_has_every_field_in_order_and_round_trips() -> None:
    empty = extract("", "").to_json()
    assert list(empty) == [
        "btc",
        "eth",
        "xmr",
        "ltc",
        "pgp_fingerprints",
        "pgp_keys",
        "emails",
        "phones",
        "onions",
        "handles",
        "file_hosts",
        "files",
        "calibers",
        "makes_models",
        "ships_from",
        "ships_to",
        "prices",
    ]
    assert all(value == [] for value in empty.values())
    found = extract(
        "Glock 19 + FGC-9 STL",
        f"Telegram @vendor_one, $450, ships from: Poland\n{GNUPG_KEY}",
        country="PL",
    )
    data = found.to_json()
    assert data["handles"] == [{"network": "telegram", "handle": "vendor_one"}]
    assert data["prices"] == [{"amount": 450.0, "currency": "USD"}]
    assert data["pgp_keys"][0]["user_ids"] == list(found.pgp_keys[0].user_ids)
    assert data["files"] == [{"name": None, "type": "STL", "design": "FGC-9"}]
    assert Entities.from_json(data) == found


def test_title_and_text_both_read_and_invisible_characters_ignored() -> None:
    found = extract("G\u200block 19 for sale", "Ships to: UK")
    assert found.makes_models == (MakeModel("Glock", "Glock 19"),)
    assert found.ships_to == ("GB",)
