"""Messages to people: always written to the outbox table and the log, mailed when MAIL_URL is set.

The outbox is the record (an organizer can read it at /account/outbox, so password resets work
without any mail server); a MailSender is the optional delivery. SmtpSender is the one real
implementation; another provider would be one more class with the same `send` method.
"""

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from shop import jobs
from shop.accounts import sms
from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.models_base import utcnow

#: Where links in messages point when SITE_URL is not set: where `make run` serves by default.
DEFAULT_SITE_URL = "http://127.0.0.1:5000"
#: Messages delivered per call of deliver_pending(), so one request never sends a backlog.
DELIVERY_BATCH = 20
SMTP_TIMEOUT_SECONDS = 10


class MailSender(Protocol):
    """Delivers one message; raises OSError or smtplib.SMTPException when it could not."""

    def send(self, to_email: str, subject: str, body: str) -> None:
        """Hand the message to the mail system."""


class SmtpSender:
    """Mail through an SMTP server given as a URL.

    smtp://user:password@host:587 uses STARTTLS when the server offers it (always on port 587);
    smtps://user:password@host:465 uses TLS from the start. ?from=shop@example.org sets the sender.
    """

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MAIL_URL must look like smtp://user:password@host:587")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        self.from_address = unquote(query.get("from", "")) or f"no-reply@{self.host}"

    def send(self, to_email: str, subject: str, body: str) -> None:
        """Connect, authenticate when a user is given, send, quit."""
        message = EmailMessage()
        message["From"] = self.from_address
        message["To"] = to_email
        message["Subject"] = subject
        message.set_content(body)
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        with connection as smtp:
            smtp.ehlo()
            encrypted = self.implicit_tls
            if not encrypted and (self.port == 587 or smtp.has_extn("starttls")):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if self.username:
                if not encrypted:
                    # Never send the mail password in clear text.
                    raise smtplib.SMTPNotSupportedError("the server offers no STARTTLS")
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def site_link(endpoint: str, **values) -> str:
    """The absolute address of a page, for a message: on SITE_URL, else DEFAULT_SITE_URL.

    Never built from the request: its Host header is whatever the sender typed, and a reset link
    on their host would hand them the reset token. Works outside requests too (commands, jobs).
    """
    base = urlsplit(current_app.config.get("SITE_URL") or DEFAULT_SITE_URL)
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def configured_sender() -> MailSender | None:
    """The sender chosen by MAIL_URL, or None: messages then stay in the outbox and the log."""
    url = current_app.config.get("MAIL_URL")
    return SmtpSender(url) if url else None


def queue_message(to_email: str | None, kind: str, subject: str, body: str) -> OutboxMessage | None:
    """Write a message to the outbox (and the log). Flushes; the caller commits.

    An account made with a mobile number only has no email: its mails are skipped (None).
    """
    if not to_email:
        current_app.logger.info("Outbox %s skipped: the account has no email", kind)
        return None
    message = OutboxMessage(to_email=to_email, kind=kind, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    # The log is a second copy of every mail: an operator without the database can still
    # help someone locked out. It holds the reset link, so logs must be kept private.
    current_app.logger.info("Outbox %s to %s: %s\n%s", kind, to_email, subject, body)
    return message


def queue_sms(to_phone: str, kind: str, subject: str, body: str) -> OutboxMessage:
    """Write an SMS to the outbox (and the log); SMS_BACKEND decides whether it leaves. Flushes.

    `subject` is for the outbox page only; the text sent is `body`.
    """
    message = OutboxMessage(to_phone=to_phone, kind=kind, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    current_app.logger.info("Outbox SMS %s to %s: %s", kind, to_phone, body)
    return message


def deliver_later() -> None:
    """Deliver the pending messages in a job: the worker's, or at once here without Redis."""
    jobs.enqueue("shop.accounts.outbox.deliver_pending")


def deliver_pending(sender: MailSender | None = None) -> int:
    """Mail (and text, see shop.accounts.sms) outbox messages not sent yet. Commits per message.

    A job (deliver_later; and every minute in the worker), after the request's own commit, so a
    mail server that is down never undoes the reset request itself; the message stays unsent in
    the outbox and the next call retries it.
    """
    delivered = 0
    sender = sender or configured_sender()
    if sender is not None:
        for message in _pending(OutboxMessage.to_email.is_not(None)):
            try:
                sender.send(message.to_email, message.subject, message.body)
            except (OSError, smtplib.SMTPException):
                current_app.logger.exception("Could not mail outbox message %s", message.id)
                break
            message.sent_at = utcnow()
            db.session.commit()
            delivered += 1
    sms_sender = sms.configured_sender()
    if sms_sender is not None:
        for message in _pending(OutboxMessage.to_phone.is_not(None)):
            try:
                sms_sender.send(message.to_phone, message.body)
            except OSError:
                current_app.logger.exception("Could not send outbox SMS %s", message.id)
                break
            message.sent_at = utcnow()
            db.session.commit()
            delivered += 1
    return delivered


def _pending(recipient) -> list[OutboxMessage]:
    """The oldest unsent messages of one kind of recipient (mail or SMS), one batch of them."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), recipient)
        .order_by(OutboxMessage.id)
        .limit(DELIVERY_BATCH)
    ).all()
