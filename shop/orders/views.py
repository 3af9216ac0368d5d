"""The buyer's order pages: one order, "my orders", finding an order as a guest."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shop.extensions import db, limiter
from shop.orders import services
from shop.orders.access import can_view, phone_matches, remember_orders
from shop.orders.forms import LookupForm
from shop.orders.models import InvalidTransition

bp = Blueprint("orders", __name__, url_prefix="/orders")

#: Wrong number-and-digits guesses allowed per address: four digits must not be brute-forced.
LOOKUP_LIMIT = "10 per 15 minutes"
#: One budget for both forms that ask for the digits (/orders/find and an order's own page).
lookup_limit = limiter.shared_limit(LOOKUP_LIMIT, scope="order-lookup", methods=["POST"])


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
    # The thread with the shop comes from the messages package (messages/_buyer.html).
    return render_template("orders/detail.html", order=order, form=FlaskForm())


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
