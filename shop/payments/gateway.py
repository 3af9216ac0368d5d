"""The one payment interface: what a gateway does, and the events it reports.

This module knows no implementation: the app registers them (init_app, in create_app). Today
they are sandbox_gateway (a practice payment page on this site, the default) and stripe_gateway
(Stripe Checkout, when STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set). Both report what
happened as PaymentEvent objects handled by checkout's payment_events.process_event(), so one
state machine serves both.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app


class EventKind:
    """What a payment event means for our orders."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: One attempt was refused (a declined card): the checkout stays open for another try.
    DECLINED = "declined"
    #: One attempt ran out of time unpaid (a QR code nobody scanned in time): the checkout
    #: stays open for another try, and it is not counted as a refusal.
    ATTEMPT_EXPIRED = "attempt_expired"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    #: Noted but nothing to do (e.g. Checkout finished, an Alipay payment still on its way).
    WAITING = "waiting"
    IGNORED = "ignored"


@dataclass(frozen=True)
class PaymentEvent:
    """One thing a gateway tells us about a payment, in the gateway's neutral words."""

    #: The gateway's unique event id; an event with a known id is never handled twice.
    id: str
    gateway: str
    #: The gateway's own name for it, e.g. "checkout.session.completed".
    type: str
    kind: str
    #: The gateway's checkout id (Payment.reference), when the event is about a checkout.
    reference: str | None = None
    #: Our Payment.token, as the gateway echoes it back (Stripe's client_reference_id).
    payment_token: str | None = None
    #: The captured payment's id (Stripe PaymentIntent), for refunds.
    payment_intent: str | None = None
    amount_fen: int | None = None
    currency: str | None = None
    #: For refund events: how much of the payment has been refunded in total.
    refunded_fen: int | None = None
    #: How the buyer paid or tried to ("card", "wechat_pay", "alipay"), when the gateway says.
    method: str | None = None
    #: The gateway's checkout page takes no more attempts (an Alipay payment failed after
    #: Checkout completed): another try needs a new one.
    checkout_ended: bool = False


class GatewayError(Exception):
    """The gateway could not be reached or refused the request (nothing was charged or refunded)."""


class InvalidSignature(Exception):
    """A webhook whose signature is missing, wrong or too old."""


class PaymentGateway(Protocol):
    """What every payment gateway offers the rest of the shop."""

    name: str

    def checkout_url(self, payment, orders: list, success_url: str, cancel_url: str) -> str:
        """Where to send the buyer to pay (creating the gateway's checkout when needed).

        :raises GatewayError: when the gateway cannot be reached.
        """

    def refund(self, payment, amount_fen: int, key: str) -> str:
        """Give `amount_fen` of a captured payment back; returns the gateway's refund id.

        `key` makes a retried refund a no-op at the gateway (an idempotency key).

        :raises GatewayError: when the refund was refused or the gateway cannot be reached.
        """

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Verify a webhook delivery and read it.

        :raises InvalidSignature: when it was not signed by the gateway with our secret.
        """


#: Makes a gateway from the app's config.
GatewayMaker = Callable[[Mapping], PaymentGateway]


def init_app(app: Flask, makers: Mapping[str, GatewayMaker]) -> None:
    """Offer these gateways in the app, by name; each is made from the config on first use."""
    app.extensions["payment_gateway_makers"] = dict(makers)
    app.extensions["payment_gateways"] = {}


def gateway_named(name: str) -> PaymentGateway:
    """The gateway a payment was made with (one instance per app and gateway).

    Made on first use, so settings changed after the app was built still count.
    """
    gateways = current_app.extensions.setdefault("payment_gateways", {})
    if name not in gateways:
        maker = current_app.extensions.get("payment_gateway_makers", {}).get(name)
        if maker is None:
            raise ValueError(f"unknown payment gateway {name!r}")
        gateways[name] = maker(current_app.config)
    return gateways[name]


def configured_gateway_name() -> str:
    """The gateway new checkouts use: Stripe when configured, else the sandbox."""
    config = current_app.config
    if (
        config.get("PAYMENT_GATEWAY") == "stripe"
        and config.get("STRIPE_SECRET_KEY")
        and config.get("STRIPE_WEBHOOK_SECRET")
    ):
        return "stripe"
    return "sandbox"
