"""The buyer's order pages: one order, "my orders", finding an order as a guest."""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shop.extensions import db, limiter
from shop.messages.views import buyer_messages
from shop.models_base import as_utc
from shop.orders import services
from shop.orders.access import can_view, phone_matches, remember_orders
from shop.orders.forms import LookupForm
from shop.orders.models import InvalidTransition, OrderStatus
from shop.orders.sold import units_sold

bp = Blueprint("orders", __name__, url_prefix="/orders")

#: Wrong number-and-digits guesses allowed per address: four digits must not be brute-forced.
LOOKUP_LIMIT = "10 per 15 minutes"
#: One budget for both forms that ask for the digits (/orders/find and an order's own page).
lookup_limit = limiter.shared_limit(LOOKUP_LIMIT, scope="order-lookup", methods=["POST"])
BEIJING = ZoneInfo("Asia/Shanghai")


@bp.get("")
@login_required
def mine():
    """A customer's orders, newest first."""
    return render_template("orders/mine.html", orders=services.buyer_orders(current_user))


def _lookup(form: LookupForm, number: str | None = None):
    """Check number and digits; on a match remember the order in this session and show it."""
    order = services.order_by_number(number or form.number.data)
    if order is not None and phone_matches(order, form.last4.data):
        remember_orders([order.number])
        return redirect(url_for("orders.detail", number=order.number), code=303)
    # The same answer whether the number exists or not, so numbers cannot be probed.
    form.last4.errors = [
        *form.last4.errors,
        _("That order number and those digits do not match an order. Check both."),
    ]
    return None


@bp.route("/find", methods=["GET", "POST"])
@lookup_limit
def find():
    """Find an order with its number and the phone's last four digits (no account needed)."""
    form = LookupForm()
    if form.validate_on_submit():
        found = _lookup(form)
        if found is not None:
            return found
    return render_template("orders/find.html", form=form)


@bp.route("/<number>", methods=["GET", "POST"])
@lookup_limit
def detail(number: str):
    """One order with its history, for its buyer; others are asked for the phone digits."""
    order = services.order_by_number(number)
    if order is None or not can_view(order):
        form = LookupForm(data={"number": number})
        if form.validate_on_submit():
            found = _lookup(form, number)
            if found is not None:
                return found
        return render_template("orders/find.html", form=form, asked_for=number)
    return render_template(
        "orders/detail.html", order=order, form=FlaskForm(), **buyer_messages(order)
    )


def _own_order_or_404(number: str):
    order = services.order_by_number(number)
    if order is None or not can_view(order):
        abort(404)
    return order


@bp.post("/<number>/received")
def received(number: str):
    """The buyer confirms the parcel arrived."""
    order = _own_order_or_404(number)
    is_buyer = current_user.is_authenticated and order.buyer_id == current_user.id
    try:
        services.mark_delivered(order, current_user if is_buyer else "guest")
    except InvalidTransition:
        db.session.rollback()
        flash(_("This order cannot be marked as received now."), "error")
    else:
        db.session.commit()
        flash(_("Thank you! The order is marked as received."))
    return redirect(url_for("orders.detail", number=order.number))


@bp.app_template_filter("localtime")
def localtime(moment) -> str:
    """A stored UTC time as Beijing time, e.g. 2026-11-28 14:05 (the programme is in China)."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


# The product page shows 已售 N 件 (the catalogue may not import orders: it asks the template).
bp.add_app_template_global(units_sold)


@bp.app_template_global()
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


@bp.app_template_global()
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


@bp.app_template_global()
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


@bp.app_template_global()
def order_statuses() -> tuple[str, ...]:
    """Every status, for filters."""
    return OrderStatus.ALL
