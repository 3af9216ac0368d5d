"""place_order(): a cart becomes one order per shop, paid together in one payment."""

import secrets
from dataclasses import dataclass

from products.models import Shop
from products.services import reserve_discount_units
from shop.accounts.models import User
from shop.cart import services as carts
from shop.cart.models import Cart
from shop.checkout.shipping import ships_to
from shop.extensions import db
from shop.models_base import utcnow
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


def place_order(
    cart: Cart, delivery: Delivery, buyer: User | None, quote: str, gateway: str
) -> Payment:
    """Turn the cart into one pending order per shop and one payment for all. Flushes.

    Prices, stock and shipping are read again here; each discounted line's units are counted
    against its discount's cap, and each line's stock is reserved, with one conditional UPDATE
    each. Any failure raises before the caller commits, so nothing is half-done.

    :raises EmptyCart: when the cart holds nothing.
    :raises CartNeedsAttention: when a line is sold out, unavailable or over the stock.
    :raises PricesChanged: when `quote` (what the buyer saw) differs from what it costs now, or
        a discount ended or ran out under its cap just now.
    :raises NoShipping: when a shop does not deliver to the address.
    :raises OutOfStock: when another buyer took the last units first.
    """
    # Abandoned checkouts give their stock back before this one reserves.
    orders.expire_overdue(limit=orders.OPPORTUNISTIC_EXPIRY_BATCH)
    # One moment for the whole checkout: the prices summed are the prices whose caps are taken.
    now = utcnow()
    summary = carts.summarize(cart, now)
    if summary.is_empty:
        raise EmptyCart()
    if summary.blocked:
        raise CartNeedsAttention()
    if quote != summary.quote:
        raise PricesChanged()
    for group in summary.groups:
        if not ships_to(group.shop, delivery.mainland_province):
            raise NoShipping(group.shop)
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
