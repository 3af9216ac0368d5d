"""The seller's order list: its status tabs, their counts, and one page of orders with pictures.

A fixed number of queries whatever the page holds: the counts of every tab in one, the page of
orders (with whether a refund request waits) in one, their lines in one, and the cover photos
of the products on the page in one.
"""

from dataclasses import dataclass

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from products.models import ProductImage, Shop
from shop.accounts.models import User
from shop.extensions import db
from shop.messages.models import Message, MessageAuthor, MessageKind, RequestState, Thread
from shop.orders.models import Order, OrderStatus

#: The tab that gathers refunds and buyers' open refund requests (退款/售后).
AFTER_SALE = "after_sale"
#: The tabs in the order they show; "" is every order.
TABS = ("", OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED, AFTER_SALE)
#: Every value the `status` parameter takes: the tabs, and the other states on their own.
FILTERS = frozenset(TABS) | frozenset(OrderStatus.ALL)


def _open_refund_request():
    """True for an order whose buyer asked for a refund the seller has not settled yet."""
    return (
        exists()
        .where(
            Thread.order_id == Order.id,
            Message.thread_id == Thread.id,
            Message.author == MessageAuthor.BUYER,
            Message.kind == MessageKind.REFUND_REQUEST,
            Message.request_state == RequestState.OPEN,
        )
        .correlate(Order)
    )


def condition(status: str):
    """The orders one filter shows (None: every order).

    The shipped tab holds delivered orders too (the goods have left); the after-sale tab holds
    refunded orders and those with a refund request waiting.
    """
    if not status:
        return None
    if status == OrderStatus.SHIPPED:
        return Order.status.in_((OrderStatus.SHIPPED, OrderStatus.DELIVERED))
    if status == AFTER_SALE:
        return or_(Order.status == OrderStatus.REFUNDED, _open_refund_request())
    return Order.status == status


def _owned(user: User):
    return Order.shop_id.in_(select(Shop.id).where(Shop.owner_id == user.id))


def tab_counts(user: User) -> dict[str, int]:
    """How many of the seller's orders each tab holds, in one query."""
    columns = [func.count(Order.id)]
    for tab in TABS[1:]:
        columns.append(func.coalesce(func.sum(case((condition(tab), 1), else_=0)), 0))
    row = db.session.execute(select(*columns).where(_owned(user))).one()
    return {tab: int(value or 0) for tab, value in zip(TABS, row, strict=True)}


def _where(user: User, status: str) -> list:
    wanted = condition(status)
    return [_owned(user)] if wanted is None else [_owned(user), wanted]


def count_orders(user: User, status: str = "") -> int:
    """How many of the seller's orders one tab or state holds."""
    return db.session.scalar(select(func.count(Order.id)).where(*_where(user, status))) or 0


@dataclass(frozen=True)
class OrderRow:
    """One order of the list, whether a refund request waits on it, and its products' photos."""

    order: Order
    refund_requested: bool
    #: {product id: cover photo key} for the products of its lines that still have a photo.
    covers: dict[int, str]

    def cover_of(self, line) -> str | None:
        """The cover photo key of a line's product, or None (no photo, or the listing is gone)."""
        return self.covers.get(line.product_id) if line.product_id is not None else None


def page_of_orders(
    user: User, status: str = "", page: int = 1, per_page: int = 50
) -> list[OrderRow]:
    """One page of the seller's orders in a tab, newest first, lines and cover photos loaded."""
    rows = db.session.execute(
        select(Order, _open_refund_request().label("refund_requested"))
        .where(*_where(user, status))
        .options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    product_ids = {
        line.product_id for order, _ in rows for line in order.lines if line.product_id is not None
    }
    covers: dict[int, str] = {}
    if product_ids:
        for product_id, key in db.session.execute(
            select(ProductImage.product_id, ProductImage.key)
            .where(ProductImage.product_id.in_(product_ids), ProductImage.ready)
            .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
        ):
            covers.setdefault(product_id, key)
    return [OrderRow(order, bool(requested), covers) for order, requested in rows]


def orders_for_export(user: User, status: str = ""):
    """All the seller's orders in a tab (or state), newest first, lines loaded: the CSV rows."""
    return db.session.scalars(
        select(Order)
        .where(*_where(user, status))
        .options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )


def buyer_place(order: Order) -> str:
    """Where the parcel goes, in a word or two: the city (a mainland order), or city and country."""
    if order.is_china:
        return order.city or order.province
    return ", ".join(part for part in (order.city, order.country) if part)
