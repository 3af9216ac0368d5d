"""Order notices to buyers and sellers (placed, paid, shipped), written to the outbox.

Each goes through shop.accounts.outbox.queue_message(), in the reader's language; the outbox
mails them when MAIL_URL is set. They are written in the same transaction as the change they
announce, so a notice exists exactly when its change was committed.
"""

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from shop.accounts.models import User
from shop.accounts.outbox import queue_message, site_link
from shop.extensions import db
from shop.money import format_fen


def _seller(order):
    """The shop owner's address and language (one row, not the whole account and its roles)."""
    return db.session.execute(
        select(User.email, User.language).where(User.id == order.shop.owner_id)
    ).first()


def notify_buyer(order, kind: str, subject, body) -> None:
    if not order.email:
        return
    with force_locale(order.language or "zh"):
        queue_message(order.email, kind, subject(), body())


def notify_seller(order, kind: str, subject, body) -> None:
    seller = _seller(order)
    if seller is None:
        return
    with force_locale(seller.language or "zh"):
        queue_message(seller.email, kind, subject(), body())


def _lines(order) -> str:
    return "\n".join(
        f"- {line.localized('title')} · {line.localized('spec')} × {line.quantity}"
        for line in order.lines
    )


def order_placed(order) -> None:
    """Tell the buyer their order is waiting for payment, and the seller that one came in."""
    buyer_link = site_link("orders.detail", number=order.number)
    seller_link = site_link("seller_orders.detail", number=order.number)
    notify_buyer(
        order,
        "order_placed",
        lambda: _("Order %(number)s received", number=order.number),
        lambda: _(
            "Thank you! %(shop)s received your order %(number)s (%(total)s). It is reserved for 30 minutes until paid.\n\n%(lines)s\n\nSee it here: %(link)s",
            shop=order.shop.localized("name"),
            number=order.number,
            total=format_fen(order.total_fen),
            lines=_lines(order),
            link=buyer_link,
        ),
    )
    notify_seller(
        order,
        "order_placed",
        lambda: _("New order %(number)s (waiting for payment)", number=order.number),
        lambda: _(
            "A buyer placed order %(number)s (%(total)s) in %(shop)s. Do not ship it before it is paid.\n\n%(lines)s\n\n%(link)s",
            number=order.number,
            total=format_fen(order.total_fen),
            shop=order.shop.localized("name"),
            lines=_lines(order),
            link=seller_link,
        ),
    )


def order_paid(order) -> None:
    """Tell the buyer the payment arrived, and the seller to pack the order."""
    notify_buyer(
        order,
        "order_paid",
        lambda: _("Payment received for order %(number)s", number=order.number),
        lambda: _(
            "We received %(total)s for order %(number)s. %(shop)s will ship it soon.\n\n%(link)s",
            total=format_fen(order.total_fen),
            number=order.number,
            shop=order.shop.localized("name"),
            link=site_link("orders.detail", number=order.number),
        ),
    )
    notify_seller(
        order,
        "order_paid",
        lambda: _("Order %(number)s is paid: please ship it", number=order.number),
        lambda: _(
            "Order %(number)s (%(total)s) is paid. Pack it, ship it and enter the tracking number.\n\n%(lines)s\n\n%(link)s",
            number=order.number,
            total=format_fen(order.total_fen),
            lines=_lines(order),
            link=site_link("seller_orders.detail", number=order.number),
        ),
    )


def order_shipped(order) -> None:
    """Tell the buyer the parcel left, with the carrier and tracking number."""
    notify_buyer(
        order,
        "order_shipped",
        lambda: _("Order %(number)s has shipped", number=order.number),
        lambda: _(
            "%(shop)s shipped order %(number)s with %(carrier)s, tracking number %(tracking)s.\n\n%(link)s",
            shop=order.shop.localized("name"),
            number=order.number,
            carrier=order.carrier,
            tracking=order.tracking_number,
            link=site_link("orders.detail", number=order.number),
        ),
    )
