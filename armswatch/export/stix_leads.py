"""A listing's leads as STIX 2.1 cyber-observables, the objects partners' tools match
and pivot on.

Core observables where STIX has one: `email-addr`, `domain-name` for onion
addresses, `url` for file-host links, `user-account` for messenger handles, and
`file` (SHA-256 and size; an archive's listed members through `archive-ext`) for
attachments that were fetched. Cryptocurrency addresses and PGP keys have no core
observable: they are the new observable types `cryptocurrency-wallet` and `pgp-key`,
each defined by an `extension-definition` (STIX 2.1, 7.3) that a bundle using it
carries, so that consumers parse them without allowing custom content.

Observable ids are STIX's deterministic ones (uuid5 of the identifying properties):
the same address or key is the same object in every export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import stix2
from stix2.properties import IntegerProperty, ListProperty, StringProperty, TimestampProperty
from stix2.v21 import CustomObservable

from armswatch.entities.model import Entities, PgpKey
from armswatch.export.stix_ids import ARMSWATCH, IDENTITY_CREATED, stix_id
from armswatch.listing import Attachment, Listing

WALLET_SCHEMA = (
    "A cryptocurrency address (STIX cyber-observable 'cryptocurrency-wallet'). "
    "Properties: 'value' (string, required): the address as written, checksum-valid; "
    "'currency' (string, required): the ticker of its chain, one of BTC, ETH, XMR, LTC. "
    "The id is derived from 'value' (STIX 2.1 deterministic identifiers)."
)
PGP_KEY_SCHEMA = (
    "An OpenPGP public key (STIX cyber-observable 'pgp-key'). "
    "Properties: 'fingerprint' (string, required): the primary key's fingerprint, "
    "upper-case hex without spaces; 'key_id' (string): its key id; 'user_ids' (list of "
    "string): the user ids of the key block; 'created_time' (timestamp): when the key "
    "was created; 'version' (integer): the OpenPGP key version. Only 'fingerprint' is "
    "set when the fingerprint was written without its key block. "
    "The id is derived from 'fingerprint' (STIX 2.1 deterministic identifiers)."
)


def _definition(name: str, description: str, schema: str) -> stix2.ExtensionDefinition:
    return stix2.ExtensionDefinition(
        id=stix_id("extension-definition", name),
        created=IDENTITY_CREATED,
        modified=IDENTITY_CREATED,
        created_by_ref=ARMSWATCH.id,
        name=name,
        description=description,
        schema=schema,
        version="1.0.0",
        extension_types=["new-sco"],
    )


WALLET_DEFINITION = _definition(
    "cryptocurrency-wallet",
    "A cryptocurrency address a listing gives for payment.",
    WALLET_SCHEMA,
)
PGP_KEY_DEFINITION = _definition(
    "pgp-key",
    "An OpenPGP public key or fingerprint a listing gives for contact.",
    PGP_KEY_SCHEMA,
)


@CustomObservable(
    "cryptocurrency-wallet",
    [
        ("value", StringProperty(required=True)),
        ("currency", StringProperty(required=True)),
    ],
    id_contrib_props=["value"],
    extension_name=WALLET_DEFINITION.id,
)
class CryptocurrencyWallet:
    pass


@CustomObservable(
    "pgp-key",
    [
        ("fingerprint", StringProperty(required=True)),
        ("key_id", StringProperty()),
        ("user_ids", ListProperty(StringProperty)),
        ("created_time", TimestampProperty()),
        ("version", IntegerProperty(min=1)),
    ],
    id_contrib_props=["fingerprint"],
    extension_name=PGP_KEY_DEFINITION.id,
)
class PgpKeyObservable:
    pass


DEFINITIONS = {"cryptocurrency-wallet": WALLET_DEFINITION, "pgp-key": PGP_KEY_DEFINITION}
"""The extension definition a bundle must carry for each new observable type in it."""

CURRENCIES = {"btc": "BTC", "eth": "ETH", "xmr": "XMR", "ltc": "LTC"}
"""Entity field -> the ticker of its chain."""

IDENTIFYING_TYPES = ("cryptocurrency-wallet", "pgp-key", "email-addr", "user-account")
"""Observables that point to one person or wallet: what a seller is related to."""


def pgp_keys(listings: Iterable[Listing]) -> dict[str, PgpKey]:
    """The key blocks in `listings` by fingerprint, so that a fingerprint written alone
    in one listing is exported with the user ids another listing's key block gives."""
    found: dict[str, PgpKey] = {}
    for listing in listings:
        for key in Entities.from_json(listing.entities).pgp_keys:
            found.setdefault(key.fingerprint, key)
    return found


def lead_observables(listing: Listing, keys: Mapping[str, PgpKey]) -> tuple[list[Any], list[Any]]:
    """The listing's leads as observables, and the observables they refer to (the
    members of fetched archives), each list without repeats, in the order found."""
    entities = Entities.from_json(listing.entities)
    leads: list[Any] = [
        CryptocurrencyWallet(value=address, currency=CURRENCIES[field])
        for field in CURRENCIES
        for address in getattr(entities, field)
    ]
    leads += [
        _pgp_key(fingerprint, keys.get(fingerprint)) for fingerprint in entities.pgp_fingerprints
    ]
    leads += [stix2.EmailAddress(value=email) for email in entities.emails]
    leads += [
        stix2.UserAccount(account_type=handle.network, account_login=handle.handle)
        for handle in entities.handles
    ]
    leads += [stix2.DomainName(value=onion) for onion in entities.onions]
    leads += [stix2.URL(value=link) for link in entities.file_hosts]
    members: list[Any] = []
    for attachment in listing.attachments:
        if attachment.sha256:
            inside = _members(attachment)
            leads.append(_file(attachment, inside))
            members += inside
    return _unique(leads), _unique(members)


def _pgp_key(fingerprint: str, key: PgpKey | None) -> Any:
    if key is None:
        return PgpKeyObservable(fingerprint=fingerprint)
    return PgpKeyObservable(
        fingerprint=fingerprint,
        key_id=key.key_id,
        user_ids=list(key.user_ids) or None,
        created_time=datetime.fromisoformat(key.created),  # stored in UTC, with its offset
        version=key.version,
    )


def _members(attachment: Attachment) -> list[stix2.File]:
    return [
        stix2.File(
            name=member.name,
            size=member.size,
            hashes={"SHA-256": member.sha256} if member.sha256 else None,
        )
        for member in attachment.members
    ]


def _file(attachment: Attachment, members: list[stix2.File]) -> stix2.File:
    """A fetched attachment; an archive refers to the members it lists."""
    extensions = (
        {"archive-ext": stix2.ArchiveExt(contains_refs=list(dict.fromkeys(m.id for m in members)))}
        if members
        else None
    )
    return stix2.File(
        name=attachment.name or None,
        size=attachment.bytes,
        hashes={"SHA-256": attachment.sha256},
        extensions=extensions,
    )


def _unique(objects: list[Any]) -> list[Any]:
    return list({obj.id: obj for obj in objects}.values())
