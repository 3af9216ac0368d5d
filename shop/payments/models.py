"""Payments: one per checkout (covering its orders), and the payment events already handled."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from shop.extensions import db
from shop.models_base import FEN, Timestamped, as_utc, utcnow


class PaymentStatus:
    """Where a payment is. Refunds are counted in refunded_fen, order by order."""

    PENDING = "pending"
    #: The sandbox's confirmation step (like a bank's 3-D Secure page) is waiting.
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ALL = (PENDING, REQUIRES_ACTION, SUCCEEDED, FAILED, EXPIRED, CANCELLED)
    OPEN = (PENDING, REQUIRES_ACTION)


#: Where a payment may go from each status. An open payment goes back to pending when an attempt
#: ends unpaid, and to requires_action when an attempt waits for the buyer. Money that arrives
#: after the payment failed, expired or was cancelled still makes it succeeded (its orders'
#: money then goes straight back). A succeeded payment stays so: refunds are counted in
#: refunded_fen.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.EXPIRED,
            PaymentStatus.CANCELLED,
        }
    ),
    PaymentStatus.REQUIRES_ACTION: frozenset(
        {
            PaymentStatus.PENDING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.EXPIRED,
            PaymentStatus.CANCELLED,
        }
    ),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.FAILED: frozenset({PaymentStatus.SUCCEEDED}),
    PaymentStatus.EXPIRED: frozenset({PaymentStatus.SUCCEEDED}),
    PaymentStatus.CANCELLED: frozenset({PaymentStatus.SUCCEEDED}),
}

#: Who moves a payment: the buyer (signed in or a guest), a seller or staff cancelling its
#: orders, the expiry job, or a gateway's event.
PAYMENT_ACTORS = ("buyer", "guest", "seller", "staff", "system", "sandbox", "stripe")


class InvalidPaymentTransition(Exception):
    """The payment cannot move from its status to the one asked for (or someone moved it first)."""

    def __init__(self, current: str, wanted: str):
        super().__init__(f"a payment cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


class PaymentMethod:
    """How a buyer pays, in Stripe's names for the payment method types."""

    CARD = "card"
    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    #: Paid by scanning a QR code with the phone's app.
    QR = (WECHAT_PAY, ALIPAY)


METHOD_LABELS = {
    PaymentMethod.CARD: _l("Bank card"),
    PaymentMethod.WECHAT_PAY: _l("WeChat Pay"),
    PaymentMethod.ALIPAY: _l("Alipay"),
}


class Payment(Timestamped, db.Model):
    """One payment for all the orders of one checkout, through one gateway."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'requires_action', 'succeeded', 'failed', 'expired', 'cancelled')",
            name="status",
        ),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_in_range"),
        CheckConstraint("declines >= 0", name="declines_not_negative"),
        # The expiry job looks for open payments past their deadline.
        Index("ix_payment_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random and unguessable: the payment and confirmation pages are addressed by it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: "sandbox" or "stripe".
    gateway: Mapped[str] = mapped_column(String(20))
    #: The gateway's id of the checkout (a Stripe Checkout Session id); set once it exists.
    reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: Where the buyer pays (the gateway's hosted page), once the gateway gave one.
    checkout_url: Mapped[str | None] = mapped_column(Text)
    #: The gateway's id of the captured payment, used to refund (Stripe PaymentIntent id).
    payment_intent: Mapped[str | None] = mapped_column(String(255), index=True)
    amount_fen: Mapped[int] = mapped_column(FEN)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING)
    refunded_fen: Mapped[int] = mapped_column(FEN, default=0)
    #: After this the gateway no longer takes the payment and the orders' stock is released.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Attempts the gateway refused so far (a declined card). The orders stay reserved for
    #: another try; checkout's payment_events.DECLINES_ALLOWED says after how many the checkout fails.
    declines: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The cart this checkout was placed from, and what it showed (the checkout's quote): the
    #: same cart state submitted again lands on this payment instead of making a second one.
    cart_id: Mapped[int | None] = mapped_column(
        ForeignKey("cart.id", ondelete="SET NULL"), index=True
    )
    quote: Mapped[str | None] = mapped_column(String(32))
    #: How the buyer pays in the latest attempt, and so how a paid payment was paid: "card",
    #: "wechat_pay" or "alipay" (Stripe's names); None until an attempt is made.
    method: Mapped[str | None] = mapped_column(String(20))
    #: A keyed hash of the buyer's network address (never the address itself), to bound how
    #: many unpaid checkouts, holding stock, one address may keep open.
    address_key: Mapped[str | None] = mapped_column(String(32), index=True)

    orders: Mapped[list["Order"]] = relationship(  # noqa: F821
        back_populates="payment", order_by="Order.id"
    )
    #: Its status moves, oldest first (set_status adds them).
    status_changes: Mapped[list["PaymentStatusChange"]] = relationship(
        back_populates="payment", order_by="PaymentStatusChange.id", passive_deletes=True
    )

    def can_move_to(self, status: str) -> bool:
        """True when ALLOWED_TRANSITIONS lets this payment move to `status` now."""
        return status in ALLOWED_TRANSITIONS[self.status]

    def set_status(
        self, new: str, actor: str, code: str = "", also: dict | None = None
    ) -> "PaymentStatusChange | None":
        """Move the payment to `new` and record who did it (an actor kind) and why. Flushes.

        `also`: other columns to write with the move, in the same statement and only if the
        move is made (e.g. paid_at), rather than in an UPDATE of their own.

        Asking for the status it already has does nothing and records nothing (returns None):
        an attempt ending while the payment already waits for the buyer's choice, or a second
        QR code chosen, is not a move, and its history stays free of such noise. The move is a
        compare-and-set in the database (`... WHERE status = :current`), so of two requests
        racing, the second never overwrites the first: when the first made this same move (two
        taps of Cancel), the second does nothing; otherwise it is refused.

        :raises InvalidPaymentTransition: when ALLOWED_TRANSITIONS forbids it, or the payment has
            just been moved elsewhere by someone else (nothing is changed then).
        """
        if actor not in PAYMENT_ACTORS:
            raise ValueError(f"unknown actor {actor!r}")
        current = self.status
        if new == current:
            return None
        if not self.can_move_to(new):
            raise InvalidPaymentTransition(current, new)
        db.session.flush()
        moved = db.session.execute(
            update(Payment)
            .where(Payment.id == self.id, Payment.status == current)
            .values(status=new, updated_at=utcnow(), **(also or {}))
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.refresh(self, ["status"])
            if self.status == new:
                return None
            raise InvalidPaymentTransition(self.status, new)
        set_committed_value(self, "status", new)
        for column, value in (also or {}).items():
            set_committed_value(self, column, value)
        # Made with payment=self rather than appended, so the history is not loaded to add to it.
        change = PaymentStatusChange(
            payment=self, from_status=current, to_status=new, actor_kind=actor, code=code
        )
        db.session.add(change)
        db.session.flush()
        return change

    @property
    def method_label(self) -> str:
        """The payment method in the page's language ("" when none was recorded)."""
        label = METHOD_LABELS.get(self.method or "")
        return str(label) if label is not None else (self.method or "")

    @property
    def is_open(self) -> bool:
        """True while the buyer can still pay."""
        return self.status in PaymentStatus.OPEN and as_utc(self.expires_at) > utcnow()

    def __repr__(self) -> str:
        return f"<Payment {self.gateway} {self.amount_fen} {self.status}>"


class PaymentStatusChange(db.Model):
    """One move in a payment's life: when, from which status to which, who (a kind), and why."""

    __tablename__ = "payment_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payment.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    #: One of PAYMENT_ACTORS: buyer, guest, seller, staff, system, sandbox or stripe.
    actor_kind: Mapped[str] = mapped_column(String(20))
    #: Why, in words the site could translate: expired, payment_failed, buyer_cancelled...
    code: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    payment: Mapped["Payment"] = relationship(back_populates="status_changes")

    def __repr__(self) -> str:
        return f"<PaymentStatusChange {self.payment_id} {self.from_status}->{self.to_status}>"


class WebhookEvent(db.Model):
    """A payment event already handled: its id is unique, so a second delivery changes nothing."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The gateway's event id (Stripe's evt_...; the sandbox makes its own).
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    gateway: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(80))
    #: What handling it did, for people reading the table when something looks wrong.
    outcome: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.event_id} {self.type}>"
