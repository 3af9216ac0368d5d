"""Stripe Checkout: the only module that imports stripe.

A Checkout Session in CNY per checkout (one line per order), offering only the payment methods
the programme's account supports (STRIPE_PAYMENT_METHODS). The buyer's return to the success page
proves nothing: orders become paid only from signed webhook events, read here into PaymentEvent.

Tests give the library their own HTTP client (config STRIPE_HTTP_CLIENT, a stripe.HTTPClient)
that answers with recorded Stripe JSON, so the real request-building code runs without network.
"""

from datetime import timedelta

import stripe

from shop.models_base import as_utc, utcnow
from shop.payments.gateway import EventKind, GatewayError, InvalidSignature, PaymentEvent

#: Stripe refuses a Checkout Session that expires sooner than 30 minutes after it is made.
STRIPE_MINIMUM_SESSION = timedelta(minutes=30, seconds=30)

_SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": EventKind.SUCCEEDED,
    # An Alipay (or other delayed) payment that failed after Checkout completed: like a declined
    # card, the orders wait for another try until the payment window ends.
    "checkout.session.async_payment_failed": EventKind.DECLINED,
    "checkout.session.expired": EventKind.EXPIRED,
}


class StripeGateway:
    """Payments through Stripe Checkout, refunds through Stripe's Refunds API."""

    name = "stripe"

    def __init__(self, config):
        self.webhook_secret = config.get("STRIPE_WEBHOOK_SECRET")
        methods = config.get("STRIPE_PAYMENT_METHODS") or ["card"]
        self.payment_methods = [method.strip() for method in methods if method.strip()]
        self.client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            http_client=config.get("STRIPE_HTTP_CLIENT"),
            max_network_retries=2,
        )

    def checkout_url(self, payment, orders: list, success_url: str, cancel_url: str) -> str:
        """The Checkout Session's page (made once per payment; a retry gets the same session).

        :raises GatewayError: when Stripe cannot be reached or refuses the session.
        """
        if payment.checkout_url:
            return payment.checkout_url
        expires_at = max(as_utc(payment.expires_at), utcnow() + STRIPE_MINIMUM_SESSION)
        params = {
            "mode": "payment",
            "currency": "cny",
            "payment_method_types": self.payment_methods,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "cny",
                        "unit_amount": order.total_fen,
                        "product_data": {
                            "name": f"{order.number} · {order.shop.name_zh}",
                            "description": ", ".join(
                                f"{line.title_zh} {line.spec_zh} × {line.quantity}"
                                for line in order.lines
                            )[:500],
                        },
                    },
                }
                for order in orders
            ],
            "client_reference_id": payment.token,
            "metadata": {"payment_token": payment.token},
            # Copied onto the charge, so a refund event can be traced back to this payment.
            "payment_intent_data": {"metadata": {"payment_token": payment.token}},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": int(expires_at.timestamp()),
        }
        if "wechat_pay" in self.payment_methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        email = next((order.email for order in orders if order.email), None)
        if email:
            params["customer_email"] = email
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": _checkout_key(payment)}
            )
        except stripe.StripeError as error:
            raise GatewayError(error.user_message or str(error)) from error
        payment.reference = session.id
        payment.checkout_url = session.url
        payment.expires_at = expires_at
        return session.url

    def refund(self, payment, amount_fen: int, key: str) -> str:
        """Refund part or all of the captured PaymentIntent; returns Stripe's refund id.

        :raises GatewayError: when Stripe refuses or cannot be reached.
        """
        if not payment.payment_intent:
            raise GatewayError("this payment has no captured Stripe payment to refund")
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment.payment_intent,
                    "amount": amount_fen,
                    "metadata": {"payment_token": payment.token, "key": key},
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as error:
            raise GatewayError(error.user_message or str(error)) from error
        if refund.status in ("failed", "canceled"):
            raise GatewayError(f"Stripe refund {refund.id} {refund.status}")
        return refund.id

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Verify Stripe's signature (and its age) and read the event.

        :raises InvalidSignature: when the signature is missing, wrong or older than 5 minutes.
        """
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidSignature(str(error)) from error
        data = event.data.object.to_dict()
        if event.type.startswith("checkout.session."):
            kind = _SESSION_EVENTS.get(event.type, EventKind.IGNORED)
            if event.type == "checkout.session.completed":
                # Cards are paid at once; Alipay and others may still be on their way.
                paid = data.get("payment_status") in ("paid", "no_payment_required")
                kind = EventKind.SUCCEEDED if paid else EventKind.WAITING
            return PaymentEvent(
                id=event.id,
                gateway=self.name,
                type=event.type,
                kind=kind,
                method=_session_method(event.type, data),
                checkout_ended=event.type == "checkout.session.async_payment_failed",
                reference=data.get("id"),
                payment_token=data.get("client_reference_id"),
                payment_intent=_id_of(data.get("payment_intent")),
                amount_fen=data.get("amount_total"),
                currency=(data.get("currency") or "").upper() or None,
            )
        if event.type == "payment_intent.payment_failed":
            # A card refused on Checkout's page, or a WeChat Pay / Alipay QR code left unscanned
            # until it expired: the session stays open for another try.
            metadata = data.get("metadata") or {}
            error = data.get("last_payment_error") or {}
            expired = error.get("code") == "payment_intent_payment_attempt_expired"
            return PaymentEvent(
                id=event.id,
                gateway=self.name,
                type=event.type,
                kind=EventKind.ATTEMPT_EXPIRED if expired else EventKind.DECLINED,
                method=(error.get("payment_method") or {}).get("type")
                or _only(data.get("payment_method_types")),
                payment_token=metadata.get("payment_token"),
                payment_intent=data.get("id"),
            )
        if event.type == "charge.refunded":
            metadata = data.get("metadata") or {}
            return PaymentEvent(
                id=event.id,
                gateway=self.name,
                type=event.type,
                kind=EventKind.REFUNDED,
                payment_token=metadata.get("payment_token"),
                payment_intent=_id_of(data.get("payment_intent")),
                amount_fen=data.get("amount"),
                currency=(data.get("currency") or "").upper() or None,
                refunded_fen=data.get("amount_refunded"),
            )
        return PaymentEvent(id=event.id, gateway=self.name, type=event.type, kind=EventKind.IGNORED)


def _checkout_key(payment) -> str:
    """The idempotency key of a payment's Checkout Session: a retry gets the same session, and
    after a session ended unpaid (an Alipay payment failed) the next try gets a new one."""
    if payment.reference is None:
        return f"checkout-{payment.token}"
    return f"checkout-{payment.token}-{payment.declines}"


def _only(values) -> str | None:
    """The one payment method type offered, when there was only one (then it is the one used)."""
    return values[0] if isinstance(values, list) and len(values) == 1 else None


def _session_method(event_type: str, session: dict) -> str | None:
    """The method a Checkout Session was paid (or tried) with, when its event tells."""
    offered = session.get("payment_method_types") or []
    if event_type.startswith("checkout.session.async_payment_"):
        # Cards are never paid later: an asynchronous payment is one of the other methods.
        offered = [method for method in offered if method != "card"]
    return _only(offered)


def _id_of(value) -> str | None:
    """An id whether Stripe sent the id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")
