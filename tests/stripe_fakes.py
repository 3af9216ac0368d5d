"""Stripe without the network: a stripe.HTTPClient answering with recorded JSON, and signing.

The stripe library builds and sends real requests through this client, so the project's Stripe
code runs for real; only the transport is replaced. Webhook payloads are signed with Stripe's
documented scheme: header `t=<timestamp>,v1=<hex HMAC-SHA256(secret, f"{t}.{payload}")>`.
"""

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import stripe
from sqlalchemy import select

from shop.extensions import db
from shop.payments.models import Payment

RECORDINGS = Path(__file__).parent / "stripe_recordings"
SECRET_KEY = "sk_test_51VillageMarketTestKeyNotReal"
WEBHOOK_SECRET = "whsec_village_market_test_secret"


def recording(name: str) -> dict:
    """A recorded Stripe JSON body."""
    return json.loads((RECORDINGS / f"{name}.json").read_text())


class RecordedStripe(stripe.HTTPClient):
    """Answers each (method, path) with a recorded body; keeps every request it was sent."""

    name = "recorded"

    def __init__(self):
        super().__init__()
        self.routes: dict[tuple[str, str], list[tuple[int, dict]]] = {}
        self.requests: list[dict] = []

    def answer(self, method: str, path: str, body: dict, status: int = 200) -> None:
        """Queue an answer for the next request to method + path (the last one repeats)."""
        self.routes.setdefault((method.upper(), path), []).append((status, body))

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        self.requests.append(
            {
                "method": method.upper(),
                "path": path,
                "headers": dict(headers or {}),
                "params": parse_qs(post_data or "", keep_blank_values=True),
            }
        )
        answers = self.routes.get((method.upper(), path))
        if not answers:
            status, body = (
                404,
                {"error": {"type": "invalid_request_error", "message": f"no recording for {path}"}},
            )
        else:
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        # Stripe says whether a retry could help; recorded refusals are final.
        return (
            json.dumps(body),
            status,
            {"Request-Id": "req_recorded", "Stripe-Should-Retry": "false"},
        )

    def close(self):
        pass

    def sent(self, method: str, path: str) -> list[dict]:
        """The requests sent to method + path."""
        return [r for r in self.requests if r["method"] == method.upper() and r["path"] == path]


def stripe_config(http_client: RecordedStripe) -> dict:
    """App settings that switch payments to Stripe with the recorded transport."""
    return {
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_PAYMENT_METHODS": ["card"],
        "STRIPE_HTTP_CLIENT": http_client,
    }


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for the payload, made the documented way."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def payment_row(app, token: str) -> Payment:
    """The payment with this token, detached."""
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.token == token))
        db.session.expunge(payment)
        return payment


def session_event(
    payment: Payment,
    type_: str = "checkout.session.completed",
    event_id: str | None = None,
    **fields,
) -> str:
    """A recorded Checkout Session event, about this payment, as the JSON text Stripe posts."""
    event = copy.deepcopy(recording("event_checkout_session_completed"))
    event["type"] = type_
    event["id"] = event_id or f"evt_test_{type_.replace('.', '_')}_{payment.id}"
    session = event["data"]["object"]
    session.update(
        id=payment.reference or session["id"],
        client_reference_id=payment.token,
        amount_total=payment.amount_fen,
        amount_subtotal=payment.amount_fen,
        metadata={"payment_token": payment.token},
    )
    if type_ == "checkout.session.expired":
        session.update(status="expired", payment_status="unpaid", payment_intent=None)
    if type_ == "checkout.session.async_payment_failed":
        session.update(status="complete", payment_status="unpaid")
    session.update(fields)
    return json.dumps(event)


def refund_event(payment: Payment, refunded_fen: int, event_id: str = "evt_test_refunded") -> str:
    """A recorded charge.refunded event for this payment's charge."""
    event = copy.deepcopy(recording("event_charge_refunded"))
    event["id"] = event_id
    charge = event["data"]["object"]
    charge.update(
        amount=payment.amount_fen,
        amount_captured=payment.amount_fen,
        amount_refunded=refunded_fen,
        refunded=refunded_fen >= payment.amount_fen,
        metadata={"payment_token": payment.token},
    )
    return json.dumps(event)


def post_event(client, payload: str, signature: str | None = None):
    """POST a webhook delivery as Stripe does."""
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = sign(payload) if signature is None else signature
    return client.post("/payments/stripe/webhook", data=payload, headers=headers)


def paid_through_webhook(app, client, token: str) -> Payment:
    """Deliver a signed checkout.session.completed for the payment; returns it after."""
    payment = payment_row(app, token)
    response = post_event(client, session_event(payment, event_id=f"evt_test_paid_{payment.id}"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return payment_row(app, token)
