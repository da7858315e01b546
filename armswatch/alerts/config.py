"""The typed shape of `config/alerts.yaml`: which newly flagged listings raise
an alert, and the channels alerts are sent to.

The file is optional: without it no alert is sent. Secrets never stand in it:
a channel names the environment variables that hold them, so the file can be
reviewed and versioned like the rest of the configuration.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from armswatch import LABELS

ALERTS_FILE = "alerts.yaml"
"""In the config directory; missing means no alerts."""

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LANG = re.compile(r"^[a-z]{2,3}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "the NAME of an environment variable (e.g. ARMSWATCH_WEBHOOK_SECRET), "
            "never the secret itself"
        )
    return value


def _check_address(value: str) -> str:
    _, address = parseaddr(value)
    if "@" not in address or " " in address:
        raise ValueError("an e-mail address such as 'alerts@unit.example' or 'Name <a@b.example>'")
    return value


def _check_term(term: str) -> str:
    # Imported here: the watchlist module reads YAML with the config loader.
    from classifiers.watchlist import parse_term

    parse_term(term)
    return term


def _check_lang(value: str) -> str:
    if not _LANG.fullmatch(value):
        raise ValueError("an ISO 639-1 language code in lower case, e.g. 'en' or 'de'")
    return value


def _error(loc: tuple[str | int, ...], value: object, expected: str) -> InitErrorDetails:
    """One problem at `loc`: pydantic merges a ValidationError raised in a validator
    into the model's errors, so each problem names its own field."""
    return InitErrorDetails(
        type=PydanticCustomError("alerts_config", expected), loc=loc, input=value
    )


EnvName = Annotated[str, AfterValidator(_check_env_name)]
Address = Annotated[str, AfterValidator(_check_address)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Label = Literal[LABELS]  # type: ignore[valid-type]
Mode = Literal["immediate", "digest"]


class WebhookChannel(_Model):
    """A JSON POST per message, signed: `X-Armswatch-Signature: sha256=<hex HMAC-SHA256
    of the body>` with the secret from the environment variable `secret_env`."""

    type: Literal["webhook"]
    url: AnyHttpUrl
    secret_env: EnvName = Field(
        description="NAME of the environment variable that holds the HMAC secret."
    )
    timeout: PositiveFloat = Field(default=10, description="Seconds per request.")
    retries: int = Field(
        default=3, ge=0, le=10, description="Further tries of a failed POST in one dispatch."
    )
    backoff: float = Field(
        default=1.0, ge=0, description="Seconds before the first retry, doubled for each next."
    )


class EmailChannel(_Model):
    """A plain-text e-mail per message, over SMTP (STARTTLS by default)."""

    type: Literal["email"]
    host: Annotated[str, Field(min_length=1)]
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ca_certs: Path | None = Field(
        default=None,
        description="CA certificate (PEM) of a server with its own CA; relative paths "
        "start at the config directory. Default: the system's CAs.",
    )
    user_env: EnvName | None = Field(
        default=None, description="NAME of the environment variable holding the login user."
    )
    password_env: EnvName | None = Field(
        default=None, description="NAME of the environment variable holding the password."
    )
    sender: Address
    to: Annotated[list[Address], Field(min_length=1)]
    timeout: PositiveFloat = Field(default=30, description="Seconds per SMTP operation.")

    @model_validator(mode="after")
    def _login_is_safe(self) -> EmailChannel:
        errors: list[InitErrorDetails] = []
        for given, other in (("user_env", "password_env"), ("password_env", "user_env")):
            if getattr(self, given) is not None and getattr(self, other) is None:
                expected = f"'{other}' too: a login needs both (or neither, for no login)"
                errors.append(_error((given,), getattr(self, given), expected))
        if self.user_env is not None and not self.starttls:
            expected = "true for a login: without STARTTLS the password travels in clear"
            errors.append(_error(("starttls",), self.starttls, expected))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


Channel = Annotated[WebhookChannel | EmailChannel, Field(discriminator="type")]


class Rule(_Model):
    """Which newly flagged listings raise an alert; every condition given must hold."""

    name: Name
    labels: Annotated[list[Label], Field(min_length=1)] = Field(
        default=list(LABELS), description="Any of these labels (default: all)."
    )
    min_score: float = Field(
        default=0,
        ge=0,
        le=1,
        description="The listing's score for a matched label must reach it (0: any flagged).",
    )
    sources: list[str] | None = Field(default=None, description="Only these sources.")
    langs: list[Annotated[str, AfterValidator(_check_lang)]] | None = Field(
        default=None, description="Only listings in these languages."
    )
    terms: list[Annotated[str, AfterValidator(_check_term)]] | None = Field(
        default=None,
        description="Any of these watchlist-style terms in title or text (whole words, "
        "any case and accents).",
    )
    channels: Annotated[list[str], Field(min_length=1)]
    mode: Mode = Field(
        default="immediate",
        description="'immediate': one message per listing; 'digest': one message per "
        "run listing them all.",
    )


class AlertsConfig(_Model):
    """`config/alerts.yaml`."""

    review_url: AnyHttpUrl | None = Field(
        default=None,
        description="Base URL of the review web app: alerts link to <review_url>/listings/<id>.",
    )
    channels: dict[Name, Channel] = {}
    rules: list[Rule] = []

    @model_validator(mode="after")
    def _rules_fit(self) -> AlertsConfig:
        """Rule names are unique and every channel a rule names is defined: reported
        per rule and channel, so that the message points at the line to fix."""
        errors: list[InitErrorDetails] = []
        defined = ", ".join(sorted(self.channels)) or "none"
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                errors.append(_error(("rules", i, "name"), rule.name, "a unique rule name"))
            seen.add(rule.name)
            for j, channel in enumerate(rule.channels):
                if channel not in self.channels:
                    expected = f"a channel defined under 'channels:' (defined: {defined})"
                    errors.append(_error(("rules", i, "channels", j), channel, expected))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self
