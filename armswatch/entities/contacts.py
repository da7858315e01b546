"""How to reach a seller: e-mail addresses, phone numbers and messenger handles.

Phone numbers are normalized to E.164 so that "0171 2345678" on a German forum
and "+49 171 2345678" on a market are one number; the source's country is the
hint for numbers written without their country code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import phonenumbers

from .data import table
from .model import Handle
from .phrases import phrase_pattern

_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.\w)"
)
# "name [at] proton [dot] me": sellers write addresses this way to dodge scrapers
# (bounded spaces: an unbounded run before the bracket is rescanned from every space)
_OBFUSCATED_AT = re.compile(r"\s{0,3}[\[({]\s{0,3}at\s{0,3}[\])}]\s{0,3}", re.IGNORECASE)
_OBFUSCATED_DOT = re.compile(r"\s{0,3}[\[({]\s{0,3}dot\s{0,3}[\])}]\s{0,3}", re.IGNORECASE)
# "logo@2x.png" has an e-mail's shape: file extensions are no top-level domains
_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "stl", "pdf", "zip"})
_PHONE_CANDIDATE = r"\+?\d[\d\s().\-]{5,18}\d"
_SEPARATOR = r"\s*(?:[:=\-–]|\bis\b)\s*"
# "Telegram username: ...", "Threema ID ..."
_LABEL = r"(?:\s+(?i:id|username|user|name|handle|nick|number)(?![^\W_]))?"


def find_emails(text: str) -> list[str]:
    """E-mail addresses, also written as "name [at] host [dot] org", lower case."""
    text = _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", text))
    emails = (match.group().lower() for match in _EMAIL.finditer(text))
    return list(dict.fromkeys(e for e in emails if e.rpartition(".")[2] not in _FILE_SUFFIXES))


def find_phones(text: str, region: str | None = None) -> list[str]:
    """Valid phone numbers in E.164 form. Without a `region` (ISO 3166 alpha-2),
    only numbers written with their country code ("+49 ...") are found."""
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    return list(
        dict.fromkeys(
            phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            for match in matcher
        )
    )


@dataclass(frozen=True)
class _Network:
    name: str
    named: re.Pattern[str]
    reverse: re.Pattern[str]
    link: re.Pattern[str] | None
    alone: re.Pattern[str] | None
    phone: re.Pattern[str] | None
    bare: bool
    upper: bool


@cache
def _networks() -> tuple[tuple[_Network, ...], frozenset[str]]:
    config = table("networks")
    networks = []
    for name, spec in config["networks"].items():
        names = "|".join(phrase_pattern(n) for n in sorted(spec["names"], key=len, reverse=True))
        names = rf"(?<![^\W_])(?i:{names})(?![^\W_])"
        handle = rf"(?P<handle>{spec['handle']})(?![\w@]|\.\w)"
        links = "|".join(re.escape(link) for link in spec.get("links", []))
        networks.append(
            _Network(
                name=name,
                named=re.compile(rf"{names}{_LABEL}(?P<sep>{_SEPARATOR})?\s*(?P<at>@)?{handle}"),
                reverse=re.compile(rf"@{handle}\s*[(\[]?\s*(?:(?i:on|via|at)\s+)?{names}"),
                link=re.compile(rf"(?<![\w.])(?:https?://)?(?:www\.)?(?i:{links})/{handle}")
                if links
                else None,
                alone=re.compile(rf"(?<![0-9A-Za-z]){handle}") if spec.get("alone") else None,
                phone=re.compile(
                    rf"{names}{_LABEL}(?:{_SEPARATOR}|\s+)(?P<phone>{_PHONE_CANDIDATE})"
                )
                if spec.get("phone")
                else None,
                bare=bool(spec.get("bare")),
                upper=spec.get("case") == "upper",
            )
        )
    return tuple(networks), frozenset(word.casefold() for word in config["not_handles"])


def find_handles(text: str, region: str | None = None) -> list[Handle]:
    """Messenger handles with their network, where the network is named next to
    them or they are written as the network's link; phone numbers given as a
    handle ("Signal: +44 ...") in E.164 form."""
    networks, not_handles = _networks()
    found: list[tuple[int, Handle]] = []
    for network in networks:
        for match in network.named.finditer(text):
            if network.bare or match.group("sep") or match.group("at"):
                found.append((match.start("handle"), _handle(network, match.group("handle"))))
        for pattern in (network.reverse, network.link, network.alone):
            for match in pattern.finditer(text) if pattern else ():
                found.append((match.start("handle"), _handle(network, match.group("handle"))))
        for match in network.phone.finditer(text) if network.phone else ():
            number = _phone(match.group("phone"), region)
            if number:
                found.append((match.start("phone"), Handle(network.name, number)))
    handles = (h for _, h in sorted(found, key=lambda item: item[0]))
    return list(dict.fromkeys(h for h in handles if h.handle.casefold() not in not_handles))


def _handle(network: _Network, handle: str) -> Handle:
    return Handle(network.name, handle.upper() if network.upper else handle.lower())


def _phone(candidate: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
