"""Sending an SMS: the one module that talks to an SMS provider.

SMS_BACKEND picks the sender. "outbox" (the default) sends nothing: the message stays in the
outbox, where organizers read it as they read reset mails. "http" posts each message to the
provider's HTTP API at SMS_API_URL with SMS_API_KEY. Another provider is one more class with the
same `send` method, here and nowhere else.
"""

import json
import urllib.error
import urllib.request
from typing import Protocol

from flask import current_app

BACKENDS = ("outbox", "http")
HTTP_TIMEOUT_SECONDS = 10


class SmsDeliveryError(OSError):
    """The provider did not take the message (the outbox keeps it unsent for a retry)."""


class SmsSender(Protocol):
    """Delivers one SMS; raises OSError (SmsDeliveryError among them) when it could not."""

    def send(self, phone: str, text: str) -> None:
        """Hand the text to the SMS system."""


class HttpSmsSender:
    """An SMS provider's HTTP API: POST {"to": "+8613812345678", "text": "..."} as JSON.

    The key goes in an Authorization: Bearer header; any 2xx answer means accepted. `opener` is
    urllib's (build_opener()), the transport a test may replace.
    """

    def __init__(self, url: str, api_key: str, opener=None, timeout: float = HTTP_TIMEOUT_SECONDS):
        if not url or not url.startswith(("https://", "http://")):
            raise ValueError("SMS_API_URL must look like https://sms.example.com/v1/messages")
        self.url = url
        self.api_key = api_key or ""
        self.opener = opener or urllib.request.build_opener()
        self.timeout = timeout

    def send(self, phone: str, text: str) -> None:
        """POST the message; raise SmsDeliveryError unless the provider answers 2xx."""
        # The scheme is checked in __init__: http(s) only, never file:.
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.api_key}",
            },
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsDeliveryError(f"SMS provider answered {error.code}") from None
        if not 200 <= status < 300:
            raise SmsDeliveryError(f"SMS provider answered {status}")


def configured_sender() -> SmsSender | None:
    """The sender SMS_BACKEND chooses, or None ("outbox"): messages then stay in the outbox."""
    backend = current_app.config.get("SMS_BACKEND") or "outbox"
    if backend not in BACKENDS:
        raise ValueError(f"SMS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "outbox":
        return None
    return HttpSmsSender(
        current_app.config.get("SMS_API_URL") or "", current_app.config.get("SMS_API_KEY") or ""
    )
