"""What the seller's home board shows: what waits for them, how sales go, which listings need work.

Every part is one query (the listings: one with their variants, photos, category and region), so
the board costs the same number of queries for a shop with three orders or three thousand.
Practice orders (a trainee's shop, or a graduated shop's practice days) are counted apart from
real ones and never added to them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, select

from products import services as catalogue
from products.models import Product, ProductStatus, Shop
from shop.accounts.models import User
from shop.extensions import db
from shop.messages.models import Message, MessageAuthor, MessageKind, RequestState, Thread
from shop.models_base import utcnow
from shop.orders.models import Order, OrderStatus
from shop.sellers.services import own_products
from shop.templating import BEIJING

#: A listing scoring below this needs work (the listing page shows the tips).
GOOD_QUALITY = 80
#: How many items each part of the board names; its link leads to the rest.
SHOWN = 5
#: Orders whose money arrived and that were not refunded or cancelled: what counts as a sale.
SOLD = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class Figures:
    """Orders sold and their takings (fen, refunds already taken off) in one period."""

    orders: int = 0
    sales_fen: int = 0


@dataclass(frozen=True)
class KindFigures:
    """Today's and this week's figures of one kind of selling: real or practice."""

    practice: bool
    today: Figures
    week: Figures


@dataclass(frozen=True)
class ListingNeed:
    """A listing that needs the seller's attention, and why."""

    product: Product
    score: int
    has_photo: bool
    first_tip: str


@dataclass(frozen=True)
class Board:
    """Everything the seller's home board shows."""

    to_ship: int
    oldest_to_ship: list[Order]
    waiting_threads: int
    refund_requests: int
    refund_orders: list[Order]
    low_stock: list[Product]
    low_stock_count: int
    sold_out_count: int
    figures: list[KindFigures]
    listings: list[ListingNeed]
    listings_count: int


def period_starts(now: datetime) -> tuple[datetime, datetime]:
    """The start of today and of this week (Monday) in Beijing time, as UTC moments."""
    local = now.astimezone(BEIJING)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    return today.astimezone(UTC), week.astimezone(UTC)


def _owned(user: User):
    return Order.shop_id.in_(select(Shop.id).where(Shop.owner_id == user.id))


def order_figures(user: User, now: datetime) -> tuple[int, list[KindFigures]]:
    """(orders waiting to ship, figures per kind) in one query over the seller's orders.

    An order counts on the day its money arrived; refunded and cancelled ones do not count.
    Real figures always come first; practice figures only for a seller who has practice orders
    or a practice shop (the view adds an empty row for the shop's own kind).
    """
    today, week = period_starts(now)
    sold = Order.status.in_(SOLD)
    takings = Order.total_fen - Order.refunded_fen

    def orders_since(start):
        return func.coalesce(func.sum(case((and_(sold, Order.paid_at >= start), 1), else_=0)), 0)

    def sales_since(start):
        return func.coalesce(
            func.sum(case((and_(sold, Order.paid_at >= start), takings), else_=0)), 0
        )

    rows = db.session.execute(
        select(
            Order.is_practice,
            func.coalesce(func.sum(case((Order.status == OrderStatus.PAID, 1), else_=0)), 0),
            orders_since(today),
            sales_since(today),
            orders_since(week),
            sales_since(week),
        )
        .where(_owned(user))
        .group_by(Order.is_practice)
    ).all()
    to_ship = sum(int(row[1]) for row in rows)
    figures = [
        KindFigures(
            practice=bool(practice),
            today=Figures(int(today_orders), int(today_sales)),
            week=Figures(int(week_orders), int(week_sales)),
        )
        for practice, _to_ship, today_orders, today_sales, week_orders, week_sales in rows
    ]
    return to_ship, sorted(figures, key=lambda kind: kind.practice)


def oldest_to_ship(user: User, limit: int = SHOWN) -> list[Order]:
    """Paid orders not yet shipped, the longest waiting first."""
    return list(
        db.session.scalars(
            select(Order)
            .where(_owned(user), Order.status == OrderStatus.PAID)
            .order_by(Order.paid_at, Order.id)
            .limit(limit)
        )
    )


def waiting_threads(user: User) -> int:
    """Threads whose buyer still waits for a reply (what the inbox's 'waiting' view lists)."""
    return (
        db.session.scalar(
            select(func.count(Thread.id)).where(
                Thread.shop_id.in_(select(Shop.id).where(Shop.owner_id == user.id)),
                Thread.awaiting_seller.is_(True),
            )
        )
        or 0
    )


def _open_refund_request():
    return (
        select(Thread.order_id)
        .join(Message, Message.thread_id == Thread.id)
        .where(
            Message.author == MessageAuthor.BUYER,
            Message.kind == MessageKind.REFUND_REQUEST,
            Message.request_state == RequestState.OPEN,
        )
    )


def refund_requests(user: User, limit: int = SHOWN) -> tuple[int, list[Order]]:
    """How many orders have a buyer's refund request waiting, and the oldest few of them."""
    waiting = and_(_owned(user), Order.id.in_(_open_refund_request()))
    count = db.session.scalar(select(func.count(Order.id)).where(waiting)) or 0
    orders = db.session.scalars(
        select(Order).where(waiting).order_by(Order.created_at, Order.id).limit(limit)
    )
    return count, list(orders)


def _stock_counts(products: list[Product]) -> tuple[list[Product], int]:
    """Listings with a variant low on stock (as the listing page's 'low' filter finds them),
    the lowest first, and how many have nothing left at all ('sold out')."""
    low = [
        product
        for product in products
        if any(0 < variant.stock <= catalogue.LOW_STOCK for variant in product.variants)
    ]
    low.sort(key=lambda product: (min_stock(product), product.id))
    sold_out = sum(1 for product in products if not any(v.stock > 0 for v in product.variants))
    return low, sold_out


def min_stock(product: Product) -> int:
    """The smallest stock above zero among a listing's variants (what runs out first)."""
    return min((v.stock for v in product.variants if v.stock > 0), default=0)


def _needs(products: list[Product]) -> list[ListingNeed]:
    """Listings not archived that score below GOOD_QUALITY or have no photo, worst first."""
    needs = []
    for product in products:
        if product.status == ProductStatus.ARCHIVED:
            continue
        quality = catalogue.quality_score(product)
        if quality.score < GOOD_QUALITY or not product.images:
            needs.append(
                ListingNeed(
                    product=product,
                    score=quality.score,
                    has_photo=bool(product.images),
                    first_tip=quality.tips[0] if quality.tips else "",
                )
            )
    needs.sort(key=lambda need: (need.has_photo, need.score, need.product.id))
    return needs


def board(user: User, shop: Shop, now: datetime | None = None) -> Board:
    """The seller's home board: what waits, today's and this week's figures, listings to fix."""
    now = now or utcnow()
    to_ship, figures = order_figures(user, now)
    # The shop's own kind always shows, with zeros before the first sale.
    if not any(kind.practice == shop.is_practice for kind in figures):
        figures = sorted(
            [*figures, KindFigures(shop.is_practice, Figures(), Figures())],
            key=lambda kind: kind.practice,
        )
    refund_count, refund_orders = refund_requests(user)
    products = list(db.session.scalars(own_products(shop)))
    low, sold_out = _stock_counts(products)
    needs = _needs(products)
    return Board(
        to_ship=to_ship,
        oldest_to_ship=oldest_to_ship(user),
        waiting_threads=waiting_threads(user),
        refund_requests=refund_count,
        refund_orders=refund_orders,
        low_stock=low[:SHOWN],
        low_stock_count=len(low),
        sold_out_count=sold_out,
        figures=figures,
        listings=needs[:SHOWN],
        listings_count=len(needs),
    )
