"""Carts: one per logged-in customer, or one per anonymous visitor's cookie."""

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from products.models import Variant
from shop.extensions import db
from shop.models_base import FEN, Timestamped


class Cart(Timestamped, db.Model):
    """What one visitor is about to buy, from any number of shops."""

    __tablename__ = "cart"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The customer's cart; None while the visitor is anonymous.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    #: Random value of the anonymous visitor's cart cookie; None for a customer's cart.
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Set for a simulated practice customer's cart: it may hold that practice shop's
    #: published listings (which no real visitor can buy).
    practice_shop_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop.id", ondelete="CASCADE"), index=True
    )

    lines: Mapped[list["CartLine"]] = relationship(
        back_populates="cart",
        cascade="all, delete-orphan",
        order_by="CartLine.id",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Cart {self.id} user={self.user_id}>"


class CartLine(Timestamped, db.Model):
    """One variant and how many of it."""

    __tablename__ = "cart_line"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_line_cart_variant"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    #: A listing deleted by its seller takes its cart lines with it.
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    #: The unit price the buyer saw when adding (or last changing) the line, to flag changes.
    price_seen_fen: Mapped[int] = mapped_column(FEN)
    #: The one-time token of the add-to-cart form that last added to this line: the same form
    #: sent again (a double tap, a retry) finds it here and adds nothing more.
    form_token: Mapped[str | None] = mapped_column(String(64))

    cart: Mapped["Cart"] = relationship(back_populates="lines")
    variant: Mapped["Variant"] = relationship()

    def __repr__(self) -> str:
        return f"<CartLine {self.quantity} x variant {self.variant_id}>"
