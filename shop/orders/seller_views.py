"""The seller's order pages under /sell/orders: list, ship, cancel, refund, packing slip, CSV."""

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from shop.accounts.auth import role_required
from shop.accounts.models import Role
from shop.extensions import db
from shop.money import fen_to_decimal_text, format_fen
from shop.orders import services
from shop.orders.forms import ReasonForm, ShipForm
from shop.orders.models import InvalidTransition, OrderStatus
from shop.orders.views import localtime, order_status_label
from shop.parsing import whole_number_or
from shop.payments.gateway import GatewayError
from shop.sellers.services import register_order_check

bp = Blueprint("seller_orders", __name__, url_prefix="/sell/orders")

SELLER_ROLES = (Role.EXHIBITOR, Role.TRAINEE)

# A listing or variant that was ever ordered must be kept for the order history.
register_order_check(services.variants_ever_ordered)
PER_PAGE = 50


def _own_order_or_404(number: str):
    """One of the current seller's orders; another seller's number is a 404, as if unknown."""
    order = services.seller_order(current_user, number)
    if order is None:
        abort(404)
    return order


def _status_filter() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in OrderStatus.ALL:
        abort(400)
    return status


@bp.get("")
@role_required(*SELLER_ROLES)
def index():
    """The seller's orders, newest first, optionally only those in one state."""
    status = _status_filter()
    page = whole_number_or(request.args.get("page"), 1, least=1)
    orders, total = services.seller_orders(current_user, status, page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "orders/seller_list.html",
        orders=orders,
        status=status,
        page=page,
        pages=pages,
        total=total,
    )


def _detail_page(order, ship_form=None, cancel_form=None, refund_form=None, status=200):
    return render_template(
        "orders/seller_detail.html",
        order=order,
        ship_form=ship_form or ShipForm(formdata=None),
        cancel_form=cancel_form or ReasonForm(formdata=None, prefix="cancel"),
        refund_form=refund_form or ReasonForm(formdata=None, prefix="refund"),
        form=FlaskForm(),
    ), status


@bp.get("/<number>")
@role_required(*SELLER_ROLES)
def detail(number: str):
    """One order: what to pack, where it goes, its history, and what can be done next."""
    return _detail_page(_own_order_or_404(number))


@bp.post("/<number>/ship")
@role_required(*SELLER_ROLES)
def ship(number: str):
    """Mark a paid order shipped with its carrier and tracking number."""
    order = _own_order_or_404(number)
    form = ShipForm()
    if not form.validate_on_submit():
        return _detail_page(order, ship_form=form, status=422)
    try:
        services.mark_shipped(order, current_user, form.carrier.data, form.tracking_number.data)
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only a paid order that has not shipped yet can be marked as shipped."), "error")
    else:
        db.session.commit()
        flash(_("Marked as shipped. The buyer was told the tracking number."))
    return redirect(url_for("seller_orders.detail", number=order.number))


@bp.post("/<number>/deliver")
@role_required(*SELLER_ROLES)
def deliver(number: str):
    """Mark a shipped order delivered."""
    order = _own_order_or_404(number)
    try:
        services.mark_delivered(order, current_user)
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only a shipped order can be marked as delivered."), "error")
    else:
        db.session.commit()
        flash(_("Marked as delivered."))
    return redirect(url_for("seller_orders.detail", number=order.number))


@bp.post("/<number>/cancel")
@role_required(*SELLER_ROLES)
def cancel(number: str):
    """Cancel an order that has not shipped, with a reason; stock returns, paid money goes back."""
    order = _own_order_or_404(number)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return _detail_page(order, cancel_form=form, status=422)
    try:
        services.cancel_order(order, current_user, form.reason.data)
    except InvalidTransition:
        db.session.rollback()
        flash(_("This order can no longer be cancelled."), "error")
    except GatewayError:
        db.session.rollback()
        flash(
            _("The refund could not be made, so the order was not cancelled. Try again later."),
            "error",
        )
    else:
        db.session.commit()
        flash(_("The order was cancelled and its stock returned."))
    return redirect(url_for("seller_orders.detail", number=order.number))


@bp.post("/<number>/refund")
@role_required(*SELLER_ROLES)
def refund(number: str):
    """Give a paid, shipped or delivered order's money back in full, through the gateway."""
    order = _own_order_or_404(number)
    form = ReasonForm(prefix="refund")
    if not form.validate_on_submit():
        return _detail_page(order, refund_form=form, status=422)
    try:
        amount = services.refund_order(order, current_user, form.reason.data)
    except InvalidTransition:
        db.session.rollback()
        flash(_("This order cannot be refunded now."), "error")
    except GatewayError:
        db.session.rollback()
        flash(
            _("The payment service refused the refund. Nothing was changed; try again later."),
            "error",
        )
    else:
        db.session.commit()
        flash(_("Refunded %(amount)s to the buyer.", amount=format_fen(amount)))
    return redirect(url_for("seller_orders.detail", number=order.number))


@bp.get("/<number>/packing-slip")
@role_required(*SELLER_ROLES)
def packing_slip(number: str):
    """A printable slip to put in the parcel: address, what is inside, the buyer's note."""
    return render_template("orders/packing_slip.html", order=_own_order_or_404(number))


CSV_COLUMNS = (
    "number",
    "placed_at",
    "status",
    "practice",
    "contact_name",
    "phone",
    "address",
    "items",
    "items_yuan",
    "shipping_yuan",
    "total_yuan",
    "refunded_yuan",
    "carrier",
    "tracking_number",
    "note",
)


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (buyers type the names and notes)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/export.csv")
@role_required(*SELLER_ROLES)
def export():
    """The seller's orders (optionally one state) as a CSV file that opens in Excel or WPS."""
    status = _status_filter()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for order in services.orders_for_export(current_user, status):
        writer.writerow(
            csv_cell(value)
            for value in [
                order.number,
                localtime(order.created_at),
                order_status_label(order.status),
                "yes" if order.is_practice else "",
                order.contact_name,
                order.phone,
                " ".join(order.address_lines),
                "; ".join(
                    f"{line.localized('title')} {line.localized('spec')} x{line.quantity}"
                    for line in order.lines
                ),
                fen_to_decimal_text(order.items_fen),
                fen_to_decimal_text(order.shipping_fen),
                fen_to_decimal_text(order.total_fen),
                fen_to_decimal_text(order.refunded_fen),
                order.carrier,
                order.tracking_number,
                order.note,
            ]
        )
    # A byte-order mark so Excel reads the Chinese as UTF-8.
    body = "\ufeff" + buffer.getvalue()
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=orders.csv",
            "Cache-Control": "no-store",
        },
    )
