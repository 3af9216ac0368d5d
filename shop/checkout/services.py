"""place_order(): a cart becomes one order per shop, paid together in one payment.

One cart state becomes orders at most once: placing locks the cart's row first and reads the
cart again under the lock, so a double tap, a back button or a retry after a timeout finds the
cart already emptied by the first request and lands on the payment that request made.

Unpaid checkouts hold stock for the payment window, so one visitor may keep only a few open: a
new checkout from the same cart replaces its oldest open one, and one network address may not
keep more than a configured number open at once.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from products.models import ProductImage, Shop
from products.services import reserve_discount_units
from products.shipping import ships_to
from shop.accounts.models import User
from shop.cart import services as carts
from shop.cart.models import Cart
from shop.extensions import db
from shop.models_base import as_utc, utcnow
from shop.orders import notifications
from shop.orders import services as orders
from shop.orders.models import Order, OrderStatus
from shop.payments.models import Payment, PaymentStatus


class CheckoutError(Exception):
    """The cart cannot become orders as it is; the view says why and nothing is changed."""


class EmptyCart(CheckoutError):
    """There is nothing to buy."""


class CartNeedsAttention(CheckoutError):
    """Some line is sold out, unavailable or asks for more than is left."""


class PricesChanged(CheckoutError):
    """What the buyer was shown (prices, quantities, shipping) is no longer what it costs."""


class NoShipping(CheckoutError):
    """A shop in the cart does not deliver to the address."""

    def __init__(self, shop: Shop):
        super().__init__(f"{shop.slug} does not ship there")
        self.shop = shop


class TooManyOpenCheckouts(CheckoutError):
    """This network address already keeps as many unpaid checkouts open as allowed."""


class OutOfStock(CheckoutError):
    """Someone bought the last units first."""

    def __init__(self, title: str):
        super().__init__(f"{title} sold out")
        self.title = title


@dataclass(frozen=True)
class Delivery:
    """Contact and address, validated by the checkout form."""

    contact_name: str
    phone: str
    email: str
    #: "中国" for the mainland; then province, city and district are set.
    country: str
    province: str
    city: str
    district: str
    street: str
    postal_code: str
    note: str
    language: str = "zh"

    @property
    def mainland_province(self) -> str | None:
        """The province for shipping rules, or None for an address abroad."""
        return self.province if self.country == "中国" else None


def address_key(address: str | None, secret: str) -> str | None:
    """A keyed hash of a network address: enough to count its checkouts, useless to read back."""
    if not address:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def placed_checkout(cart: Cart, quote: str) -> Payment | None:
    """The payment this cart state already became, when the cart was placed with this quote."""
    if not quote or cart.id is None:
        return None
    return db.session.scalar(
        select(Payment)
        .where(Payment.cart_id == cart.id, Payment.quote == quote)
        .order_by(Payment.id.desc())
        .limit(1)
    )


def _open_checkouts(now: datetime, *conditions) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.status.in_(PaymentStatus.OPEN), Payment.expires_at > now, *conditions)
            .order_by(Payment.id)
        )
    )


def _make_room(cart: Cart, address: str | None, buyer: User | None, now: datetime) -> None:
    """Keep this visitor's unpaid checkouts within the limits before one more is placed.

    :raises TooManyOpenCheckouts: when the address keeps the most it may (other visitors'
        checkouts from it are never cancelled: a class may share one address).
    """
    config = current_app.config
    mine = _open_checkouts(now, Payment.cart_id == cart.id)
    while mine and len(mine) >= config["OPEN_CHECKOUTS_PER_VISITOR"]:
        # The oldest goes: a buyer who came back to change the cart wants the newest.
        orders.cancel_checkout(mine.pop(0), buyer or "guest", code="replaced")
    if address is None:
        return
    from_address = db.session.scalar(
        select(func.count(Payment.id)).where(
            Payment.address_key == address,
            Payment.status.in_(PaymentStatus.OPEN),
            Payment.expires_at > now,
        )
    )
    if from_address >= config["OPEN_CHECKOUTS_PER_ADDRESS"]:
        raise TooManyOpenCheckouts()


def place_order(
    cart: Cart,
    delivery: Delivery,
    buyer: User | None,
    quote: str,
    gateway: str,
    address: str | None = None,
) -> Payment:
    """Turn the cart into one pending order per shop and one payment for all. Flushes.

    Prices, stock and shipping are read again here, under the cart's lock; each discounted
    line's units are counted against its discount's cap, and each line's stock is reserved, with
    one conditional UPDATE each. Any failure raises before the caller commits, so nothing is
    half-done. When this cart state was already placed (the same quote, the cart emptied by that
    checkout), the payment it became is returned and nothing new is made. `address` is the
    visitor's address_key(), None for simulated practice customers.

    :raises EmptyCart: when the cart holds nothing.
    :raises CartNeedsAttention: when a line is sold out, unavailable or over the stock.
    :raises PricesChanged: when `quote` (what the buyer saw) differs from what it costs now, or
        a discount ended or ran out under its cap just now.
    :raises NoShipping: when a shop does not deliver to the address.
    :raises TooManyOpenCheckouts: when the address keeps as many unpaid checkouts as it may.
    :raises OutOfStock: when another buyer took the last units first.
    """
    carts.lock_cart(cart)
    # One moment for the whole checkout: the prices summed are the prices whose caps are taken.
    now = utcnow()
    summary = carts.summarize(cart, now)
    if summary.is_empty:
        repeated = placed_checkout(cart, quote)
        if repeated is not None:
            return repeated
        raise EmptyCart()
    if summary.blocked:
        raise CartNeedsAttention()
    if quote != summary.quote:
        raise PricesChanged()
    for group in summary.groups:
        if not ships_to(group.shop, delivery.mainland_province):
            raise NoShipping(group.shop)
    _make_room(cart, address, buyer, now)
    # Abandoned checkouts give their stock back before this one reserves.
    orders.expire_overdue(limit=orders.OPPORTUNISTIC_EXPIRY_BATCH)
    # Discounts, then variants, each in id order, so two checkouts never wait on each other in a
    # circle (release_stock gives back in the same order).
    discounted = [item for item in summary.items if item.discount is not None]
    for item in sorted(discounted, key=lambda item: item.discount.id):
        if not reserve_discount_units(item.discount.id, item.quantity, now):
            raise PricesChanged()
    for item in sorted(summary.items, key=lambda item: item.variant.id):
        try:
            orders.reserve_stock(item.variant.id, item.quantity)
        except orders.OutOfStock as error:
            raise OutOfStock(item.product.localized("title")) from error

    payment = Payment(
        token=secrets.token_urlsafe(24),
        gateway=gateway,
        amount_fen=summary.total_fen,
        status=PaymentStatus.PENDING,
        expires_at=now + orders.RESERVATION_TIME,
        cart_id=cart.id,
        quote=quote,
        address_key=address,
        # Filled by the orders below as they are made, so nobody reads them back.
        orders=[],
    )
    db.session.add(payment)
    placed = []
    for group in summary.groups:
        order = Order(
            number=orders.new_order_number(now),
            shop=group.shop,
            buyer_id=buyer.id if buyer is not None else None,
            payment=payment,
            status=OrderStatus.PENDING_PAYMENT,
            is_practice=group.shop.is_practice,
            contact_name=delivery.contact_name,
            phone=delivery.phone,
            email=delivery.email,
            language=delivery.language,
            country=delivery.country,
            province=delivery.province,
            city=delivery.city,
            district=delivery.district,
            street=delivery.street,
            postal_code=delivery.postal_code,
            note=delivery.note,
            items_fen=group.items_fen,
            shipping_fen=group.shipping_fen,
            total_fen=group.total_fen,
        )
        for item in group.items:
            order.lines.append(
                orders.snapshot_line(
                    item.variant,
                    item.quantity,
                    item.unit_price_fen,
                    discount_id=item.discount.id if item.discount is not None else None,
                )
            )
        db.session.add(order)
        db.session.flush()
        order.record_event(None, OrderStatus.PENDING_PAYMENT, buyer or "guest", code="placed")
        notifications.order_placed(order)
        placed.append(order)
    carts.empty(cart)
    db.session.flush()
    return payment


def checkout_orders(payment: Payment) -> list[Order]:
    """A checkout's orders with their lines and shops, for its confirmation page (two queries)."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.payment_id == payment.id)
            .options(selectinload(Order.lines), selectinload(Order.shop))
            .order_by(Order.id)
        )
    )


def restore_cancelled_items(payment: Payment, cart: Cart) -> int:
    """Put the lines of a checkout's cancelled orders back in the cart; how many went back.

    A line whose variant is gone, or can no longer be bought in that quantity, is left out.
    """
    restored = 0
    for order in payment.orders:
        if order.status != OrderStatus.CANCELLED:
            continue
        for line in order.lines:
            if line.variant_id is None:
                continue
            variant = carts.buyable_variant(line.variant_id)
            try:
                carts.add_item(cart, variant, line.quantity)
            except carts.CartError:
                continue
            restored += 1
    return restored


def line_pictures(placed: list[Order]) -> dict[int, ProductImage]:
    """Each ordered product's first picture, by product id (one query for all the orders)."""
    product_ids = {line.product_id for order in placed for line in order.lines if line.product_id}
    if not product_ids:
        return {}
    pictures: dict[int, ProductImage] = {}
    for image in db.session.scalars(
        select(ProductImage)
        .where(ProductImage.product_id.in_(product_ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ):
        pictures.setdefault(image.product_id, image)
    return pictures


def dispatch_by(order: Order) -> datetime | None:
    """When a paid order's shop has promised to send it (None before it is paid)."""
    if order.paid_at is None:
        return None
    return as_utc(order.paid_at) + timedelta(days=order.shop.dispatch_days)
