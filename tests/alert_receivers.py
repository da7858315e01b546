"""Alert receivers on 127.0.0.1: a webhook endpoint that checks the HMAC signature
as a real receiver must, and an SMTP server (aiosmtpd) that insists on STARTTLS
and a login, with a self-signed certificate."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.fake_cluster import self_signed_certificate
from tests.noida import free_port


class WebhookReceiver:
    """`with WebhookReceiver(secret, port):` takes POSTs whose `X-Armswatch-Signature`
    is the HMAC-SHA256 of the body with `secret` (computed here, independently of
    armswatch) and records their JSON; others get 401 and are only counted."""

    def __init__(self, secret: bytes, port: int) -> None:
        self.secret = secret
        self.port = port
        self.messages: list[dict[str, Any]] = []
        self.rejected = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/armswatch"

    def alert_ids(self, rule: str | None = None) -> list[str]:
        """The listing ids received, in order (of one rule's messages if given)."""
        return [
            alert["id"]
            for message in self.messages
            if rule is None or message["rule"] == rule
            for alert in message["alerts"]
        ]

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                given = self.headers.get("X-Armswatch-Signature", "")
                if self.path != "/hooks/armswatch" or not hmac.compare_digest(given, expected):
                    receiver.rejected += 1
                    self.send_response(401)
                else:
                    receiver.messages.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


class SmtpReceiver:
    """`with SmtpReceiver(directory, user, password):` an SMTP server that requires
    STARTTLS (its certificate is `ca_certs`) and a login before it takes mail;
    `messages` are the e-mails received, each with whether it came over TLS and
    after a login."""

    def __init__(self, directory: Path, user: str, password: str) -> None:
        cert, key = self_signed_certificate(directory)
        self.ca_certs = cert
        self.port = free_port()
        self.credentials = LoginPassword(user.encode(), password.encode())
        self.messages: list[tuple[EmailMessage, bool, bool]] = []
        self.failed_logins = 0
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=tls,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self._authenticate,
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        success = data == self.credentials
        self.failed_logins += not success
        return AuthResult(success=success)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.messages.append((mail, session.ssl is not None, bool(session.authenticated)))
        return "250 OK"

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
