"""Orders: one per shop per checkout, their lines (a snapshot of what was bought) and history."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from products.divisions import format_address, format_place
from products.models import Shop
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import FEN, Bilingual, Timestamped, utcnow


class OrderStatus:
    """Where an order is in its life."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    ALL = (PENDING_PAYMENT, PAID, SHIPPED, DELIVERED, CANCELLED, REFUNDED)


#: The only moves an order may make. Anything else raises InvalidTransition, so a replayed
#: payment event or a double click can never ship, pay or refund an order twice.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

#: Actors that are not people: the expiry job, and the payment gateways' events.
SYSTEM_ACTORS = ("system", "sandbox", "stripe")


class InvalidTransition(Exception):
    """The order cannot move from its status to the one asked for (or someone moved it first)."""

    def __init__(self, current: str, wanted: str):
        super().__init__(f"an order cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


class Order(Timestamped, db.Model):
    """What one buyer bought from one shop in one checkout, and where it is in its life."""

    # "order" is a reserved word in SQL.
    __tablename__ = "customer_order"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending_payment', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')",
            name="status",
        ),
        CheckConstraint("items_fen > 0", name="items_positive"),
        CheckConstraint("shipping_fen >= 0", name="shipping_not_negative"),
        CheckConstraint("total_fen = items_fen + shipping_fen", name="total_adds_up"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= total_fen", name="refund_in_range"),
        Index("ix_customer_order_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What people read and type: VM-2611-7KQ3ZD (year, month, six random characters).
    number: Mapped[str] = mapped_column(String(20), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    #: The customer who bought it; None for a guest (who reaches it by number and phone).
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING_PAYMENT)
    #: Copied from the shop: practice orders never count in real sales figures.
    is_practice: Mapped[bool] = mapped_column(default=False)

    contact_name: Mapped[str] = mapped_column(String(80))
    #: Digits only for mainland numbers (13812345678); +country digits otherwise.
    phone: Mapped[str] = mapped_column(String(20))
    #: Where order notices go; empty when a guest gave none.
    email: Mapped[str] = mapped_column(String(254), default="")
    #: The buyer's language at checkout ("zh" or "en"): the notices to them are written in it.
    language: Mapped[str] = mapped_column(String(5), default="zh")
    #: "中国" for a mainland address in Chinese form, else the country as typed.
    country: Mapped[str] = mapped_column(String(80), default="中国")
    province: Mapped[str] = mapped_column(String(40), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    district: Mapped[str] = mapped_column(String(80), default="")
    #: Street, building and room (mainland), or the address lines (international).
    street: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    #: The buyer's note for the seller.
    note: Mapped[str] = mapped_column(Text, default="")

    items_fen: Mapped[int] = mapped_column(FEN)
    shipping_fen: Mapped[int] = mapped_column(FEN, default=0)
    total_fen: Mapped[int] = mapped_column(FEN)
    refunded_fen: Mapped[int] = mapped_column(FEN, default=0)

    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    shop: Mapped["Shop"] = relationship()
    buyer: Mapped["User | None"] = relationship()
    payment: Mapped["Payment | None"] = relationship(back_populates="orders")  # noqa: F821
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )
    refunds: Mapped[list["OrderRefund"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderRefund.id"
    )

    @property
    def refundable_fen(self) -> int:
        """What can still be given back: what was paid less what was already refunded."""
        return self.total_fen - self.refunded_fen

    @property
    def is_partly_refunded(self) -> bool:
        """Some, not all, of the money went back; the order goes on (it may still ship)."""
        return 0 < self.refunded_fen < self.total_fen and self.status != OrderStatus.REFUNDED

    @property
    def is_china(self) -> bool:
        """True for a mainland address in Chinese form."""
        return self.country == "中国"

    @property
    def address_lines(self) -> list[str]:
        """The address as it goes on a parcel: one line in China's order for the mainland."""
        if self.is_china:
            return [format_address(self.province, self.city, self.district, self.street)]
        lines = [self.street, " ".join(part for part in (self.city, self.postal_code) if part)]
        return [line for line in (*lines, self.country) if line]

    @property
    def place(self) -> str:
        """Province, city and county ("安徽省 宿州市 砀山县"), or the city and country abroad."""
        if self.is_china:
            return format_place(self.province, self.city, self.district)
        return ", ".join(part for part in (self.city, self.country) if part)

    @property
    def phone_last4(self) -> str:
        """The last four digits of the phone, which a guest types to see the order."""
        return "".join(ch for ch in self.phone if ch in "0123456789")[-4:]

    def can_move_to(self, status: str) -> bool:
        """True when ALLOWED_TRANSITIONS lets this order move to `status` now."""
        return status in ALLOWED_TRANSITIONS[self.status]

    def set_status(
        self,
        new: str,
        actor: "User | str",
        note: str = "",
        code: str = "",
        also: dict | None = None,
    ) -> "OrderEvent":
        """Move the order to `new` and record who did it and why. Flushes.

        `also`: other columns to write with the move, in the same statement and only if the
        move is made (e.g. paid_at), rather than in an UPDATE of their own.

        The move is a compare-and-set in the database (`... WHERE status = :current`), so two
        requests racing (a payment event and the expiry job) can never both move the order.

        :raises InvalidTransition: when ALLOWED_TRANSITIONS forbids it, or the order has just
            been moved by someone else.
        """
        current = self.status
        if not self.can_move_to(new):
            raise InvalidTransition(current, new)
        db.session.flush()
        moved = db.session.execute(
            update(Order)
            .where(Order.id == self.id, Order.status == current)
            .values(status=new, updated_at=utcnow(), **(also or {}))
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.refresh(self, ["status"])
            raise InvalidTransition(self.status, new)
        set_committed_value(self, "status", new)
        for column, value in (also or {}).items():
            set_committed_value(self, column, value)
        return self.record_event(current, new, actor, note, code)

    def record_event(
        self, old: str | None, new: str, actor: "User | str", note: str = "", code: str = ""
    ) -> "OrderEvent":
        """Add a line to the order's history (set_status does this for every move). Flushes.

        `code` is a reason the site words itself (placed, expired...); `note` is a person's words.
        """
        if isinstance(actor, str):
            if actor not in SYSTEM_ACTORS and actor != "guest":
                raise ValueError(f"unknown actor {actor!r}")
            kind, actor_id = actor, None
        else:
            kind = "buyer" if actor.id == self.buyer_id else "seller"
            if kind == "seller" and actor.id != self.shop.owner_id:
                kind = "staff"
            actor_id = actor.id
        # Made with order=self rather than appended, so the history is not loaded just to add to it.
        event = OrderEvent(
            order=self,
            from_status=old,
            to_status=new,
            actor_kind=kind,
            actor_id=actor_id,
            reason_code=code,
            note=note,
        )
        db.session.add(event)
        db.session.flush()
        return event

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class OrderLine(Bilingual, db.Model):
    """One thing bought, as it was at the time: title, spec and unit price are copied."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    #: Kept to return stock and link to the listing; None once the seller deleted it.
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variant.id", ondelete="SET NULL"), index=True
    )
    title_zh: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120), default="")
    spec_zh: Mapped[str] = mapped_column(String(80))
    spec_en: Mapped[str] = mapped_column(String(80), default="")
    sku: Mapped[str] = mapped_column(String(64), default="")
    unit_price_fen: Mapped[int] = mapped_column(FEN)
    quantity: Mapped[int]
    #: The limited-time discount this line was bought under (its units count against its cap).
    discount_id: Mapped[int | None] = mapped_column(
        ForeignKey("discount.id", ondelete="SET NULL"), index=True
    )

    order: Mapped["Order"] = relationship(back_populates="lines")

    @property
    def line_total_fen(self) -> int:
        """Unit price times quantity."""
        return self.unit_price_fen * self.quantity

    def __repr__(self) -> str:
        return f"<OrderLine {self.quantity} x {self.sku or self.title_zh}>"


class OrderEvent(db.Model):
    """One step in an order's history: when, from which status to which, who, and why."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: None for the event that created the order.
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    #: buyer, seller, staff, guest, or a system actor (system, sandbox, stripe).
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Why, in words the site translates: placed, payment_failed, expired, buyer_cancelled...
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    #: Why, in the words of the person who did it (a cancel reason, a tracking number).
    note: Mapped[str] = mapped_column(Text, default="")

    order: Mapped["Order"] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()

    def __repr__(self) -> str:
        return f"<OrderEvent {self.order_id} {self.from_status}->{self.to_status}>"


class OrderRefund(db.Model):
    """One refund of an order, whole or partial: how much, for which lines, who, when and why."""

    __tablename__ = "order_refund"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("order_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    #: 1 for the order's first refund, 2 for the next...: part of the gateway's idempotency key.
    sequence: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    amount_fen: Mapped[int] = mapped_column(FEN)
    #: seller, staff, or a system actor (a refund made at the gateway's own dashboard).
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: Why, in the seller's words (the buyer reads it).
    reason: Mapped[str] = mapped_column(Text, default="")
    #: True when the seller said the goods came back (or never left): their stock returned.
    restocked: Mapped[bool] = mapped_column(default=False)
    #: The gateway's id of the refund (re_...), for reconciling with its dashboard.
    gateway_refund_id: Mapped[str] = mapped_column(String(255), default="")

    order: Mapped["Order"] = relationship(back_populates="refunds")
    actor: Mapped["User | None"] = relationship()
    lines: Mapped[list["OrderRefundLine"]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="OrderRefundLine.id"
    )

    def __repr__(self) -> str:
        return f"<OrderRefund {self.order_id} #{self.sequence} {self.amount_fen}>"


class OrderRefundLine(db.Model):
    """How many of one order line a refund was for."""

    __tablename__ = "order_refund_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(
        ForeignKey("order_refund.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_line.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]

    refund: Mapped["OrderRefund"] = relationship(back_populates="lines")
    order_line: Mapped["OrderLine"] = relationship()

    def __repr__(self) -> str:
        return f"<OrderRefundLine {self.quantity} of line {self.order_line_id}>"
