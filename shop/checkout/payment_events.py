"""Payment events, from Stripe's webhook or the sandbox's page: verify, handle once, dispatch.

Both gateways end here, so one state machine decides what a payment event does to the payment
and its orders (which is why it lives in checkout, above both).
Each event id is claimed in the webhook_event table (unique) in the same transaction as its
effects: a second delivery, even one racing the first, finds the id taken and changes nothing.
"""

from flask import current_app
from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.extensions import db
from shop.models_base import utcnow
from shop.orders import services as orders
from shop.orders.models import OrderStatus
from shop.payments import sandbox_gateway
from shop.payments.gateway import EventKind, PaymentEvent
from shop.payments.models import Payment, PaymentStatus, WebhookEvent

#: Refused attempts a checkout takes before it fails and its stock is released, per gateway.
#: The sandbox's page takes the attempts itself, so it sets the cap. Stripe's hosted page keeps
#: taking attempts whatever we decide, so failing our side there would only turn the next good
#: card into a charge and a refund: Stripe limits attempts itself (Radar blocks card testing),
#: and its Checkout Session ends with the reservation, after which the expiry job frees the stock.
DECLINES_ALLOWED = {"sandbox": 5, "stripe": None}


class EventTooEarly(Exception):
    """The event is about something we have not heard of yet; the gateway should send it again."""


def _claim(event: PaymentEvent) -> bool:
    """Store the event id; False when it was already there (handled, or being handled now).

    INSERT ... ON CONFLICT DO NOTHING: a delivery racing an uncommitted one waits for it, then
    finds the id taken. RETURNING says whether this statement inserted the row.
    """
    values = {
        "event_id": event.id,
        "gateway": event.gateway,
        "type": event.type,
        "outcome": "",
        "created_at": utcnow(),
    }
    table = WebhookEvent.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    elif dialect == "sqlite":
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    else:  # pragma: no cover - the shop runs on SQLite and PostgreSQL only
        statement = insert(table)
    inserted = db.session.execute(statement.values(**values).returning(table.c.id)).first()
    return inserted is not None


def _payment_for(event: PaymentEvent, payment_id: int | None = None) -> Payment | None:
    """The payment an event is about (by the gateway's checkout id or our token), locked.

    `payment_id`: the payment the caller already found by the event's token (the sandbox's
    page), which saves looking it up again.
    """
    if payment_id is not None:
        return orders.lock_checkout(payment_id)
    conditions = []
    if event.reference:
        conditions.append(Payment.reference == event.reference)
    if event.payment_token:
        conditions.append(Payment.token == event.payment_token)
    if event.kind == EventKind.REFUNDED and event.payment_intent:
        conditions.append(Payment.payment_intent == event.payment_intent)
    if not conditions:
        return None
    payment_id = db.session.scalar(select(Payment.id).where(or_(*conditions)).limit(1))
    return orders.lock_checkout(payment_id) if payment_id is not None else None


def _succeeded(event: PaymentEvent, payment: Payment) -> str:
    if event.amount_fen is not None and (
        event.amount_fen != payment.amount_fen
        or (event.currency or "CNY").upper() != payment.currency
    ):
        # Never mark orders paid for a different sum than they cost; a person must look.
        current_app.logger.error(
            "Payment %s: event %s reports %s %s, expected %s %s",
            payment.id,
            event.id,
            event.amount_fen,
            event.currency,
            payment.amount_fen,
            payment.currency,
        )
        return "amount mismatch: not marked paid"
    # Written with the move to succeeded (one statement), or alone when it was paid already.
    also = {"paid_at": utcnow()}
    if event.payment_intent and not payment.payment_intent:
        also["payment_intent"] = event.payment_intent
    if payment.status == PaymentStatus.SUCCEEDED:
        if "payment_intent" in also:
            payment.payment_intent = also["payment_intent"]
        return "already paid"
    _note_method(event, payment)
    # Also from failed, expired or cancelled: the money came, and goes back below.
    payment.set_status(PaymentStatus.SUCCEEDED, event.gateway, code="paid", also=also)
    paid = refunded = 0
    for order in payment.orders:
        if order.status == OrderStatus.PENDING_PAYMENT:
            paid += orders.mark_paid(order, event.gateway)
        elif order.status == OrderStatus.CANCELLED:
            # It expired or was cancelled before the money came: the money goes straight back.
            refunded += orders.refund_late_payment(order, event.gateway)
    return f"paid {paid} orders; refunded {refunded} fen of cancelled ones"


def _closed(event: PaymentEvent, payment: Payment, status: str, code: str) -> str:
    if payment.status not in PaymentStatus.OPEN:
        # Out of order or late (e.g. "expired" after "paid"): what happened first stands.
        return f"ignored: payment already {payment.status}"
    payment.set_status(status, event.gateway, code=code)
    cancelled = sum(
        orders.cancel_unpaid(order, event.gateway, code=code) for order in payment.orders
    )
    return f"{status}: cancelled {cancelled} orders, stock released"


def _note_method(event: PaymentEvent, payment: Payment) -> None:
    """Remember how the buyer paid or tried to, when the gateway says (the page words it so)."""
    if event.method:
        payment.method = event.method[: Payment.method.type.length]


def _attempt_ended(event: PaymentEvent, payment: Payment) -> None:
    """An attempt is over unpaid: note how it was made, and whether the checkout page ended."""
    _note_method(event, payment)
    if event.checkout_ended:
        # The next try needs a new checkout page from the gateway.
        payment.checkout_url = None


def _back_to_choosing(event: PaymentEvent, payment: Payment, code: str) -> None:
    """The buyer chooses how to pay again (a failed bank confirmation or QR code leads back
    there too); the orders stay."""
    payment.set_status(PaymentStatus.PENDING, event.gateway, code=code)


def _attempt_expired(event: PaymentEvent, payment: Payment) -> str:
    """One attempt ran out of time unpaid: not a refusal; the orders keep their stock."""
    if payment.status not in PaymentStatus.OPEN:
        return f"ignored: payment already {payment.status}"
    _attempt_ended(event, payment)
    _back_to_choosing(event, payment, "attempt_expired")
    return "attempt expired: orders kept for another try"


def _declined(event: PaymentEvent, payment: Payment) -> str:
    """One attempt refused: count it; the orders keep their stock until the payment window ends."""
    if payment.status not in PaymentStatus.OPEN:
        return f"ignored: payment already {payment.status}"
    _attempt_ended(event, payment)
    payment.declines += 1
    allowed = DECLINES_ALLOWED.get(payment.gateway)
    if allowed is not None and payment.declines >= allowed:
        return _closed(event, payment, PaymentStatus.FAILED, "payment_failed")
    _back_to_choosing(event, payment, "declined")
    return f"declined ({payment.declines}): orders kept for another try"


def _refunded(event: PaymentEvent, payment: Payment) -> str:
    total = event.refunded_fen or 0
    if payment.status != PaymentStatus.SUCCEEDED:
        raise EventTooEarly(f"refund for payment {payment.id} before its success event")
    if total <= payment.refunded_fen:
        return "refund already recorded"
    if total < payment.amount_fen:
        payment.refunded_fen = total
        return "partial refund noted"
    marked = sum(orders.record_gateway_refund(order, event.gateway) for order in payment.orders)
    payment.refunded_fen = payment.amount_fen
    return f"refunded {marked} orders"


def process_event(event: PaymentEvent, payment_id: int | None = None) -> str:
    """Handle a payment event exactly once and say what it did. Flushes; the caller commits.

    `payment_id` is the event's payment when the caller has it already (see _payment_for).

    :raises EventTooEarly: when it refers to a payment whose earlier events have not come yet
        (the caller answers so that the gateway retries; nothing is stored).
    :raises GatewayError: when a refund it needs failed (likewise retried).
    """
    if not _claim(event):
        return "duplicate: already handled"
    if event.kind in (EventKind.IGNORED, EventKind.WAITING):
        outcome = event.kind
    else:
        payment = _payment_for(event, payment_id)
        if payment is None:
            if event.kind == EventKind.REFUNDED and event.payment_token:
                raise EventTooEarly(f"refund for unknown payment {event.payment_token}")
            outcome = "ignored: not one of our payments"
        elif event.kind == EventKind.SUCCEEDED:
            outcome = _succeeded(event, payment)
        elif event.kind == EventKind.FAILED:
            outcome = _closed(event, payment, PaymentStatus.FAILED, "payment_failed")
        elif event.kind == EventKind.DECLINED:
            outcome = _declined(event, payment)
        elif event.kind == EventKind.ATTEMPT_EXPIRED:
            outcome = _attempt_expired(event, payment)
        elif event.kind == EventKind.EXPIRED:
            outcome = _closed(event, payment, PaymentStatus.EXPIRED, "expired")
        elif event.kind == EventKind.REFUNDED:
            outcome = _refunded(event, payment)
        else:
            outcome = f"ignored: unknown kind {event.kind}"
    db.session.execute(
        update(WebhookEvent).where(WebhookEvent.event_id == event.id).values(outcome=outcome)
    )
    db.session.flush()
    return outcome


def pay_with_sandbox_card(payment: Payment, outcome: str) -> None:
    """A test card was tried on the sandbox's page: it pays, is declined (both handled here as
    the events a gateway sends), or leaves the payment waiting for its confirmation step."""
    event = sandbox_gateway.card_attempt(payment, outcome)
    if event is not None:
        process_event(event, payment.id)
