"""Order words in the reader's language, for the buyer's and the seller's pages and exports."""

from flask_babel import gettext as _

from shop.orders.models import OrderStatus


def order_status_label(status: str) -> str:
    """An order status in the reader's language."""
    return {
        OrderStatus.PENDING_PAYMENT: _("Waiting for payment"),
        OrderStatus.PAID: _("Paid, to be shipped"),
        OrderStatus.SHIPPED: _("Shipped"),
        OrderStatus.DELIVERED: _("Delivered"),
        OrderStatus.CANCELLED: _("Cancelled"),
        OrderStatus.REFUNDED: _("Refunded"),
    }.get(status, status)


def order_actor_label(event) -> str:
    """Who made a change, as buyer and seller both may read it."""
    labels = {
        "buyer": _("Buyer"),
        "guest": _("Buyer"),
        "seller": _("Seller"),
        "staff": _("Village Market staff"),
        "system": _("Village Market (automatic)"),
        "sandbox": _("Practice payment page"),
        "stripe": _("Stripe"),
    }
    return labels.get(event.actor_kind, event.actor_kind)


def order_reason_label(code: str) -> str:
    """Why a change happened, for the codes the site itself writes."""
    return {
        "placed": _("Order placed; stock reserved for 30 minutes."),
        "payment_failed": _("The payment failed; the stock was released."),
        "expired": _("Not paid within 30 minutes; the stock was released."),
        "buyer_cancelled": _("The buyer cancelled before paying; the stock was released."),
        "replaced": _(
            "The buyer placed a newer order from the same cart before paying; the stock was released."
        ),
        "refunded_at_gateway": _("Refunded at the payment service."),
        "partly_refunded": _("Part of the order was refunded (see the refunds)."),
        "address_changed": _("The delivery address was changed (before → after)."),
        "late_payment_refunded": _(
            "The payment arrived after the order was cancelled and was refunded in full automatically."
        ),
    }.get(code or "", "")


def order_statuses() -> tuple[str, ...]:
    """Every status, for filters."""
    return OrderStatus.ALL
