"""Webhook channel: each message is POSTed as JSON, signed with HMAC-SHA256.

The receiver checks `X-Armswatch-Signature: sha256=<hex>` against the HMAC of
the exact body bytes with the shared secret, so that no one else can inject
alerts. A passing failure (connection refused, timeout, 5xx, 429) is retried
with back-off within one dispatch; what still fails stays pending for the next.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from armswatch import __version__
from armswatch.alerts.config import WebhookChannel
from armswatch.alerts.message import AlertMessage, ChannelError

SIGNATURE_HEADER = "X-Armswatch-Signature"


def signature(secret: bytes, body: bytes) -> str:
    """The header value a receiver must find: `sha256=<hex HMAC-SHA256 of body>`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be re-sent as a GET without the alert: an error instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookSender:
    def __init__(self, name: str, channel: WebhookChannel) -> None:
        self.name = name
        self.channel = channel
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, message: AlertMessage) -> None:
        secret = os.environ.get(self.channel.secret_env)
        if not secret:
            raise ChannelError(
                f"the environment variable {self.channel.secret_env} (the HMAC secret of "
                f"webhook channel '{self.name}') is not set: set it where armswatch runs, "
                "then run 'armswatch alerts send'",
                attempted=False,
            )
        body = json.dumps(message.body(), ensure_ascii=False).encode()
        request = urllib.request.Request(
            str(self.channel.url),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"armswatch/{__version__}",
                SIGNATURE_HEADER: signature(secret.encode(), body),
            },
        )
        tries = self.channel.retries + 1
        for attempt in range(tries):
            error, passing = self._post(request)
            if error is None:
                return
            if not passing or attempt == tries - 1:
                break
            time.sleep(self.channel.backoff * 2**attempt)
        raise ChannelError(
            f"{self.channel.url} did not take the alert ({error}; {attempt + 1} tries): "
            "check that the receiver is up and accepts the request; the alert stays "
            "pending and is sent at the next dispatch ('armswatch alerts send')"
        )

    def _post(self, request: urllib.request.Request) -> tuple[str | None, bool]:
        """One POST: (None, _) when taken, else (the error, whether it may pass)."""
        try:
            with self._opener.open(request, timeout=self.channel.timeout):
                return None, True
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code} {exc.reason}", exc.code >= 500 or exc.code in {408, 429}
        except urllib.error.URLError as exc:
            return str(exc.reason), True
        except OSError as exc:  # a timeout while reading the answer
            return str(exc) or type(exc).__name__, True

    def close(self) -> None:
        """Nothing is kept open between messages."""
