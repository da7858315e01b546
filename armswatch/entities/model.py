"""What entity extraction finds in one listing, as plain values.

Frozen and JSON-ready: the pipeline stores it on the listing, the stores index
its fields, and vendor linking compares them across sources.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any


@dataclass(frozen=True)
class Handle:
    """A messenger contact: the network ("telegram", "session", "wickr",
    "threema", "signal") and the handle as that network spells it."""

    network: str
    handle: str


@dataclass(frozen=True)
class Price:
    amount: float
    currency: str
    """ISO 4217 code, or the ticker for cryptocurrencies (BTC, XMR, ...)."""


@dataclass(frozen=True)
class PgpKey:
    """The primary key of an armored OpenPGP public key block."""

    fingerprint: str
    """Upper-case hex, no spaces (40 digits for v4 keys, 64 for v5/v6)."""
    key_id: str
    user_ids: tuple[str, ...]
    created: str
    """Creation time, ISO 8601 in UTC."""
    version: int


@dataclass(frozen=True)
class FileRef:
    """A 3D/CAD/CNC file or archive a listing names or offers.

    `name` is None where only the format is named ("STL pack"), `type` is None
    where only a known design is named next to file words ("Liberator files").
    """

    name: str | None
    type: str | None
    design: str | None


@dataclass(frozen=True)
class MakeModel:
    """A firearm mention: the maker, the model, or both (None where not named)."""

    make: str | None
    model: str | None


@dataclass(frozen=True)
class Entities:
    """Everything found in one listing; each field in order of first mention, no repeats."""

    btc: tuple[str, ...] = ()
    """Bitcoin addresses with a valid checksum; bech32 ones in lower case."""
    eth: tuple[str, ...] = ()
    """Ethereum addresses in their EIP-55 checksummed form."""
    xmr: tuple[str, ...] = ()
    ltc: tuple[str, ...] = ()
    pgp_fingerprints: tuple[str, ...] = ()
    """Of the key blocks in `pgp_keys` and of fingerprints written in the text."""
    pgp_keys: tuple[PgpKey, ...] = ()
    emails: tuple[str, ...] = ()
    """Lower case."""
    phones: tuple[str, ...] = ()
    """E.164 ("+4915123456789")."""
    onions: tuple[str, ...] = ()
    """v3 addresses, "<56 characters>.onion"."""
    handles: tuple[Handle, ...] = ()
    file_hosts: tuple[str, ...] = ()
    """Mega, Odysee/LBRY, magnet and .torrent links as written."""
    files: tuple[FileRef, ...] = ()
    calibers: tuple[str, ...] = ()
    """Normalized names ("9x19mm", "12 gauge")."""
    makes_models: tuple[MakeModel, ...] = ()
    ships_from: tuple[str, ...] = ()
    """ISO 3166-1 alpha-2 codes ("EU" for the European Union)."""
    ships_to: tuple[str, ...] = ()
    """As `ships_from`, and "worldwide"."""
    prices: tuple[Price, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Every field as a JSON list (objects for the structured ones), empty when none."""
        return {
            field.name: [_plain(item) for item in getattr(self, field.name)]
            for field in fields(self)
        }

    def keys(self) -> list[str]:
        """Every finding as one `type:value` string, the form the stores filter and
        count by and vendor linking compares: "btc:bc1q...", "pgp:<FINGERPRINT>",
        "email:...", "phone:+49...", "handle:telegram:name", "onion:...", "caliber:9x19mm",
        "make:Glock", "model:Glock 19", "ships_from:DE", "ships_to:worldwide", "file:stl",
        "design:FGC-9"."""
        found = [
            *(
                f"{kind}:{value}"
                for kind in SIMPLE_KEYS
                for value in getattr(self, SIMPLE_KEYS[kind])
            ),
            *(f"handle:{h.network}:{h.handle}" for h in self.handles),
            *(f"make:{m.make}" for m in self.makes_models if m.make),
            *(f"model:{m.model}" for m in self.makes_models if m.model),
            *(f"file:{f.type}" for f in self.files if f.type),
            *(f"design:{f.design}" for f in self.files if f.design),
        ]
        return list(dict.fromkeys(found))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entities:
        """The entities `to_json` wrote (fields it did not write are empty)."""
        return cls(
            **{
                field.name: tuple(_item(field.name, value) for value in data.get(field.name, []))
                for field in fields(cls)
            }
        )


SIMPLE_KEYS = {
    "btc": "btc",
    "eth": "eth",
    "xmr": "xmr",
    "ltc": "ltc",
    "pgp": "pgp_fingerprints",
    "email": "emails",
    "phone": "phones",
    "onion": "onions",
    "caliber": "calibers",
    "ships_from": "ships_from",
    "ships_to": "ships_to",
}
"""Key type -> the `Entities` field of plain strings it is made from."""

IDENTIFYING_KEY_TYPES = ("btc", "eth", "xmr", "ltc", "pgp", "email", "phone", "handle")
"""Key types that point to one person or wallet: what links listings to one vendor."""

_ITEM_TYPES: dict[str, type] = {
    "pgp_keys": PgpKey,
    "handles": Handle,
    "files": FileRef,
    "makes_models": MakeModel,
    "prices": Price,
}


def _plain(item: Any) -> Any:
    if not is_dataclass(item):
        return item
    return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(item).items()}


def _item(field: str, value: Any) -> Any:
    kind = _ITEM_TYPES.get(field)
    if kind is None:
        return value
    return kind(**{key: tuple(v) if isinstance(v, list) else v for key, v in value.items()})
