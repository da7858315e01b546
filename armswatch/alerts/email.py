"""E-mail channel: a plain-text message per alert message, over SMTP.

STARTTLS (on by default) protects the login and the listings in transit; the
server's certificate is checked against the system's CAs or `ca_certs`. The
login comes from the environment variables the channel names. One SMTP
connection serves every message of one dispatch.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from armswatch.alerts.config import EmailChannel
from armswatch.alerts.message import AlertMessage, ChannelError


def subject(message: AlertMessage) -> str:
    if message.mode == "immediate" and len(message.alerts) == 1:
        alert = message.alerts[0]
        return f"[armswatch] {message.rule}: {', '.join(alert['labels'])}: {alert['title']}"
    return f"[armswatch] {message.rule}: {len(message.alerts)} newly flagged listing(s)"


def text(message: AlertMessage) -> str:
    """The body: one block per listing, everything an analyst needs to triage it."""
    lines = [f"armswatch alert, rule '{message.rule}': {len(message.alerts)} listing(s)", ""]
    for number, alert in enumerate(message.alerts, 1):
        lines += [f"{number}. {alert['title'] or '(no title)'}", *_details(alert), ""]
    return "\n".join(lines)


def _details(alert: dict[str, Any]) -> list[str]:
    scores = ", ".join(f"{label} {alert['scores'].get(label, 0):.2f}" for label in alert["labels"])
    details = [
        f"labels: {scores} (threat score {alert['threat_score']:.2f})",
        f"source: {alert['source']}, language: {alert['lang'] or '?'}, "
        f"seller: {alert['seller'] or '?'}, first seen: {alert['first_seen'] or '?'}",
        f"url: {alert['url']}",
    ]
    if alert.get("review_url"):
        details.append(f"review: {alert['review_url']}")
    details.append(f"id: {alert['id']}")
    return ["   " + line for line in details]


class EmailSender:
    def __init__(self, name: str, channel: EmailChannel, ca_certs: Path | None) -> None:
        self.name = name
        self.channel = channel
        self.ca_certs = ca_certs
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: AlertMessage) -> None:
        channel = self.channel
        mail = EmailMessage()
        mail["Subject"] = subject(message)
        mail["From"] = channel.sender
        mail["To"] = ", ".join(channel.to)
        mail["Date"] = formatdate(localtime=False)
        # The sender's domain: make_msgid would otherwise look up this host's name.
        mail["Message-ID"] = make_msgid(domain=parseaddr(channel.sender)[1].rpartition("@")[2])
        mail.set_content(text(message))
        try:
            self._connection().send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise ChannelError(
                f"the SMTP server {channel.host}:{channel.port} did not take the alert "
                f"({_reason(exc)}): check host, port, TLS and login of channel '{self.name}'; "
                "the alert stays pending and is sent at the next dispatch "
                "('armswatch alerts send')"
            ) from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        login = self._login()
        smtp = smtplib.SMTP(self.channel.host, self.channel.port, timeout=self.channel.timeout)
        try:
            if self.channel.starttls:
                context = ssl.create_default_context(
                    cafile=str(self.ca_certs) if self.ca_certs else None
                )
                smtp.starttls(context=context)
            if login is not None:
                smtp.login(*login)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _login(self) -> tuple[str, str] | None:
        """User and password from the environment; unset ones fail before connecting."""
        names = [n for n in (self.channel.user_env, self.channel.password_env) if n]
        if not names:
            return None
        unset = [n for n in names if not os.environ.get(n)]
        if unset:
            raise ChannelError(
                f"the environment variable(s) {', '.join(unset)} (the SMTP login of e-mail "
                f"channel '{self.name}') are not set: set them where armswatch runs, then "
                "run 'armswatch alerts send'",
                attempted=False,
            )
        user, password = (os.environ[n] for n in names)
        return user, password

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        return f"{exc.smtp_code} {error}"
    return str(exc) or type(exc).__name__
