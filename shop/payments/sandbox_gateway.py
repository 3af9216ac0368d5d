"""The sandbox: a practice payment page on this site that behaves like a hosted checkout.

It takes only Stripe's well-known test card numbers, or shows a practice WeChat Pay / Alipay QR
code whose buttons decide what the scan does. Whatever happens to the orders is reported as a
PaymentEvent to checkout's payment_events.process_event(), exactly like a Stripe webhook, so
the sandbox exercises the same order state machine that real payments use.

A card number is read from the form, compared, and forgotten: it is never stored, logged, put
in the session or shown back on the page.
"""

import re
import secrets
from dataclasses import replace

from flask import url_for

from shop.payments.gateway import EventKind, InvalidSignature, PaymentEvent
from shop.payments.models import PaymentMethod, PaymentStatus


class CardOutcome:
    """What a test card number does."""

    PAYS = "pays"
    DECLINED = "declined"
    NEEDS_CONFIRMATION = "needs_confirmation"
    #: Not a test number: refused without trying (it may be a real card typed by mistake).
    REFUSED = "refused"


#: Stripe's documented test numbers, and what each does here.
TEST_CARDS = {
    "4242424242424242": CardOutcome.PAYS,
    "4000000000000002": CardOutcome.DECLINED,
    "4000002500003155": CardOutcome.NEEDS_CONFIRMATION,
}


def card_outcome(number: str) -> str:
    """What paying with this number does (spaces and dashes ignored)."""
    digits = re.sub(r"[\s-]", "", number or "")
    return TEST_CARDS.get(digits, CardOutcome.REFUSED)


def new_event(payment, kind: str, type_: str) -> PaymentEvent:
    """A sandbox payment event with a fresh id, shaped like a Stripe Checkout event."""
    return PaymentEvent(
        id=f"evt_sandbox_{secrets.token_hex(12)}",
        gateway=SandboxGateway.name,
        type=type_,
        kind=kind,
        payment_token=payment.token,
        payment_intent=payment.payment_intent or f"pi_sandbox_{secrets.token_hex(12)}",
        amount_fen=payment.amount_fen,
        currency=payment.currency,
        method=payment.method,
    )


def paid_event(payment) -> PaymentEvent:
    """The event of a successful sandbox payment: one per payment, as a gateway sends one per
    checkout session, so a Pay tapped twice at once is handled once."""
    return replace(
        new_event(payment, EventKind.SUCCEEDED, "checkout.session.completed"),
        id=f"evt_sandbox_paid_{payment.token}",
        payment_intent=payment.payment_intent or f"pi_sandbox_{payment.token}",
    )


def declined_event(payment) -> PaymentEvent:
    """The event of a declined (or not confirmed) card: the buyer may try another one."""
    return new_event(payment, EventKind.DECLINED, "payment_intent.payment_failed")


def qr_expired_event(payment) -> PaymentEvent:
    """The event of a QR code left unscanned until it expired, as Stripe reports it for WeChat
    Pay and Alipay: the attempt is over, the checkout stays open."""
    return new_event(payment, EventKind.ATTEMPT_EXPIRED, "payment_intent.payment_failed")


#: What each button under the practice QR code reports: paid, a refused attempt (counted like a
#: declined card), or the code expired unscanned.
QR_SCAN_EVENTS = {"paid": paid_event, "failed": declined_event, "timeout": qr_expired_event}


def qr_scan_event(payment, action: str) -> PaymentEvent:
    """The event a QR code button reports ("paid", "failed" or "timeout")."""
    return QR_SCAN_EVENTS[action](payment)


def start_qr_attempt(payment, method: str) -> None:
    """The buyer chose to pay by scanning a QR code: the payment waits for the scan, as a
    Stripe PaymentIntent for WeChat Pay or Alipay waits in requires_action."""
    if method not in PaymentMethod.QR:
        raise ValueError(f"not a QR payment method: {method!r}")
    payment.method = method
    payment.set_status(PaymentStatus.REQUIRES_ACTION, "sandbox", code="qr_shown")


def card_attempt(payment, outcome: str) -> PaymentEvent | None:
    """A test card that is not refused outright is tried: it replaces a QR code still waiting
    to be scanned. Returns the event it reports (paid or declined), or None when the payment
    now waits for the card's confirmation step (like a bank's 3-D Secure page)."""
    if outcome == CardOutcome.REFUSED:
        raise ValueError("a refused card number is never tried")
    payment.method = PaymentMethod.CARD
    if outcome == CardOutcome.PAYS:
        return paid_event(payment)
    if outcome == CardOutcome.DECLINED:
        return declined_event(payment)
    payment.set_status(PaymentStatus.REQUIRES_ACTION, "sandbox", code="card_confirmation")
    return None


def qr_address(payment) -> str:
    """What the practice QR code holds: this page's own address, so a trainee who scans it with
    a phone gets the same page and its buttons there (nothing is paid by opening it)."""
    return url_for(
        "payments.sandbox_qr", token=payment.token, method=payment.method, _external=True
    )


class SandboxGateway:
    """The practice gateway: pages on this site, no money moves."""

    name = "sandbox"

    def checkout_url(self, payment, orders: list, success_url: str, cancel_url: str) -> str:
        """The sandbox's payment page for this payment."""
        return url_for("payments.sandbox_checkout", token=payment.token)

    def refund(self, payment, amount_fen: int, key: str) -> str:
        """Practice refunds always succeed at once."""
        return f"re_sandbox_{secrets.token_hex(8)}"

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """The sandbox has no webhooks: its page reports events directly."""
        raise InvalidSignature("the sandbox does not receive webhooks")
