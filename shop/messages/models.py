"""Message threads on orders and their messages."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from products.models import Product, Shop
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import Timestamped, utcnow
from shop.orders.models import Order


class MessageAuthor:
    """Who wrote a message: the order's buyer or the shop's seller."""

    BUYER = "buyer"
    SELLER = "seller"
    ALL = (BUYER, SELLER)


class MessageKind:
    """What a message asks for. Requests wait for the seller to act, not only to answer."""

    MESSAGE = "message"
    QUESTION = "question"
    ADDRESS_CHANGE = "address_change"
    REFUND_REQUEST = "refund_request"
    ALL = (MESSAGE, QUESTION, ADDRESS_CHANGE, REFUND_REQUEST)
    REQUESTS = (ADDRESS_CHANGE, REFUND_REQUEST)


class RequestState:
    """Where a buyer's request is: waiting, done as asked, or declined with a reply."""

    NONE = ""
    OPEN = "open"
    DONE = "done"
    DECLINED = "declined"
    ALL = (NONE, OPEN, DONE, DECLINED)


class Thread(Timestamped, db.Model):
    """A conversation between a buyer and a shop.

    Either about an order (one per order), or, before buying (联系卖家), about a product: then
    one per (product, buyer account) and no order.
    """

    __tablename__ = "message_thread"
    __table_args__ = (
        CheckConstraint("seller_unread >= 0 AND buyer_unread >= 0", name="unread_not_negative"),
        CheckConstraint(
            "order_id IS NOT NULL OR (product_id IS NOT NULL AND buyer_id IS NOT NULL)",
            name="order_or_product_buyer",
        ),
        # NULLs are distinct in a unique constraint: order threads (no product) never collide.
        UniqueConstraint("product_id", "buyer_id"),
        Index("ix_message_thread_shop_last", "shop_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The order talked about; None for a pre-sale thread.
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), unique=True
    )
    #: A pre-sale thread's product and buyer account (None on order threads).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"))
    last_message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Messages the seller (buyer) has not opened yet: the inbox's badge.
    seller_unread: Mapped[int] = mapped_column(default=0)
    buyer_unread: Mapped[int] = mapped_column(default=0)
    #: True while the buyer's last message has no reply: what "waiting for a reply" lists.
    awaiting_seller: Mapped[bool] = mapped_column(default=False)

    order: Mapped["Order | None"] = relationship()
    product: Mapped["Product | None"] = relationship()
    buyer: Mapped["User | None"] = relationship()
    shop: Mapped["Shop"] = relationship()
    messages: Mapped[list["Message"]] = relationship(
        back_populates="thread",
        cascade="all, delete-orphan",
        order_by="Message.id",
        passive_deletes=True,
    )

    @property
    def is_presale(self) -> bool:
        """True for a conversation about a product before any order (联系卖家)."""
        return self.order_id is None

    def __repr__(self) -> str:
        if self.is_presale:
            return f"<Thread product={self.product_id} buyer={self.buyer_id}>"
        return f"<Thread order={self.order_id}>"


class Message(db.Model):
    """One message in a thread."""

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint("author IN ('buyer', 'seller')", name="author"),
        CheckConstraint(
            "kind IN ('message', 'question', 'address_change', 'refund_request')", name="kind"
        ),
        CheckConstraint("request_state IN ('', 'open', 'done', 'declined')", name="request_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("message_thread.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[str] = mapped_column(String(10), default=MessageAuthor.BUYER)
    kind: Mapped[str] = mapped_column(String(20), default=MessageKind.MESSAGE)
    body: Mapped[str] = mapped_column(Text)
    #: What a request carries: for an address change, the new address fields.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: For requests (address change, refund): open until the seller does it or declines.
    request_state: Mapped[str] = mapped_column(String(10), default=RequestState.NONE)
    #: For a buyer's message: when the seller first replied after it (reply-time figures).
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    thread: Mapped["Thread"] = relationship(back_populates="messages")

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.author} {self.kind}>"


class QuickReply(db.Model):
    """A seller's saved answer (常用语), one tap away in every thread's reply box."""

    __tablename__ = "quick_reply"
    __table_args__ = (Index("ix_quick_reply_user_position", "user_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(300))
    #: Where it shows in the list (smallest first).
    position: Mapped[int] = mapped_column(default=0)
    #: Deleted by the seller: hidden, but kept so the starter set is not handed out again.
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<QuickReply {self.id} of user {self.user_id}>"
