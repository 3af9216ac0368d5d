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
from shop.orders.forms import ReasonForm, RefundForm, ShipForm
from shop.orders.labels import order_status_label
from shop.orders.models import InvalidTransition, OrderStatus
from shop.parsing import (
    InvalidMoney,
    NotAWholeNumber,
    parse_money,
    whole_number,
    whole_number_or,
)
from shop.payments.gateway import GatewayError
from shop.sellers import order_list
from shop.spreadsheets import csv_cell
from shop.templating import localtime

bp = Blueprint("seller_orders", __name__, url_prefix="/sell/orders")

SELLER_ROLES = (Role.EXHIBITOR, Role.TRAINEE)
PER_PAGE = 50


def _own_order_or_404(number: str):
    """One of the current seller's orders; another seller's number is a 404, as if unknown."""
    order = services.seller_order(current_user, number)
    if order is None:
        abort(404)
    return order


def _status_filter() -> str:
    """The tab (or single state) asked for; "" for every order. Anything else is a 400."""
    status = request.args.get("status") or ""
    if status not in order_list.FILTERS:
        abort(400)
    return status


def order_tab_label(tab: str) -> str:
    """A tab of the order list in the reader's language."""
    return {
        "": _("All"),
        OrderStatus.PENDING_PAYMENT: _("To pay"),
        OrderStatus.PAID: _("To ship"),
        OrderStatus.SHIPPED: _("Shipped"),
        order_list.AFTER_SALE: _("Refunds and after-sales"),
    }[tab]


@bp.get("")
@role_required(*SELLER_ROLES)
def index():
    """The seller's orders by tab (to pay, to ship, shipped, after-sales) with their counts."""
    status = _status_filter()
    page = whole_number_or(request.args.get("page"), 1, least=1)
    counts = order_list.tab_counts(current_user)
    # A state without a tab of its own (delivered, cancelled, refunded) is counted when listed.
    total = counts.get(status)
    if total is None:
        total = order_list.count_orders(current_user, status)
    rows = order_list.page_of_orders(current_user, status, page, PER_PAGE)
    return render_template(
        "orders/seller_list.html",
        rows=rows,
        status=status,
        tabs=[(tab, order_tab_label(tab), counts[tab]) for tab in order_list.TABS],
        buyer_place=order_list.buyer_place,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
    )


def _detail_page(
    order, ship_form=None, cancel_form=None, refund_form=None, refund_lines=None, status=200
):
    if refund_form is None:
        refund_form = RefundForm(formdata=None, prefix="refund")
        # Goods that never left go back on the shelf; for a parcel, only when it came back.
        refund_form.restock.data = order.status == OrderStatus.PAID
    return render_template(
        "orders/seller_detail.html",
        order=order,
        ship_form=ship_form or ShipForm(formdata=None),
        cancel_form=cancel_form or ReasonForm(formdata=None, prefix="cancel"),
        refund_form=refund_form,
        refund_lines=refund_lines or {},
        refunded_quantities=services.refunded_quantities(order) if order.refunds else {},
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


def _refund_choice(order, form: RefundForm) -> tuple[dict[int, int], int | None, list[str]]:
    """The lines' quantities and the amount the seller typed, and what is wrong with them."""
    problems: list[str] = []
    quantities: dict[int, int] = {}
    for line in order.lines:
        text = (request.form.get(f"refund-line-{line.id}") or "").strip()
        if not text:
            continue
        try:
            quantities[line.id] = whole_number(text, least=0, most=line.quantity)
        except NotAWholeNumber:
            problems.append(
                _(
                    "%(product)s: enter how many to refund, from 0 to %(most)d.",
                    product=line.localized("title"),
                    most=line.quantity,
                )
            )
    amount = None
    if (form.amount.data or "").strip():
        try:
            amount = parse_money(form.amount.data)
        except InvalidMoney:
            problems.append(_("Enter the amount in yuan, such as 12.50."))
    return quantities, amount, problems


def _plan_problem(order, error: Exception) -> str:
    """What is wrong with a refund's choice, in the seller's words."""
    if isinstance(error, services.RefundTooLarge):
        return _(
            "You can refund at most %(left)s: what was paid less what was already refunded.",
            left=format_fen(error.refundable_fen),
        )
    if isinstance(error, services.RefundQuantityTooLarge):
        return _(
            "One of the items is asked for more than is left to refund (%(left)d left).",
            left=error.left,
        )
    return _("Choose what to refund: some items, an amount, or leave both empty for all.")


@bp.post("/<number>/refund")
@role_required(*SELLER_ROLES)
def refund(number: str):
    """Refund part or all of a paid, shipped or delivered order, after a confirmation step.

    The first submission shows what would be refunded; the second (with `confirm` and the
    refunded amount the seller saw) gives it back through the gateway.
    """
    order = _own_order_or_404(number)
    form = RefundForm(prefix="refund")
    if not order.can_move_to(OrderStatus.REFUNDED):
        flash(_("This order cannot be refunded now."), "error")
        return redirect(url_for("seller_orders.detail", number=order.number))
    chosen_text = {
        line.id: (request.form.get(f"refund-line-{line.id}") or "").strip()[:10]
        for line in order.lines
    }
    valid = form.validate_on_submit()
    quantities, amount, problems = _refund_choice(order, form)
    plan = None
    if valid and not problems:
        try:
            plan = services.plan_refund(order, quantities, amount)
        except (
            services.RefundTooLarge,
            services.RefundQuantityTooLarge,
            services.NothingToRefund,
        ) as error:
            problems.append(_plan_problem(order, error))
    if plan is None or request.form.get("refund-edit"):
        form.amount.errors = list(form.amount.errors) + problems
        status = 200 if request.form.get("refund-edit") else 422
        return _detail_page(order, refund_form=form, refund_lines=chosen_text, status=status)
    try:
        expected = whole_number(form.expected.data, least=0)
    except NotAWholeNumber:
        expected = None
    if form.confirm.data != "1" or expected is None:
        return _refund_confirmation(order, form, plan, chosen_text)
    try:
        made = services.refund(
            order,
            current_user,
            form.reason.data,
            line_quantities=quantities,
            amount_fen=amount,
            restock=form.restock.data,
            expected_refunded_fen=expected,
        )
    except services.RefundChanged:
        db.session.rollback()
        flash(
            _(
                "This order was refunded meanwhile (another tab or a double click), so nothing "
                "more was refunded. Check its refunds below."
            ),
            "error",
        )
    except InvalidTransition:
        db.session.rollback()
        flash(_("This order cannot be refunded now."), "error")
    except (
        services.RefundTooLarge,
        services.RefundQuantityTooLarge,
        services.NothingToRefund,
    ) as error:
        db.session.rollback()
        flash(_plan_problem(order, error), "error")
    except GatewayError:
        db.session.rollback()
        flash(
            _("The payment service refused the refund. Nothing was changed; try again later."),
            "error",
        )
    else:
        db.session.commit()
        flash(_("Refunded %(amount)s to the buyer.", amount=format_fen(made.amount_fen)))
    return redirect(url_for("seller_orders.detail", number=order.number))


def _refund_confirmation(order, form: RefundForm, plan, chosen_text):
    """The confirmation step: what would be refunded, with the form to confirm or change it."""
    amount, quantities = plan
    lines = {line.id: line for line in order.lines}
    return render_template(
        "orders/refund_confirm.html",
        order=order,
        form=form,
        amount_fen=amount,
        chosen=[(lines[line_id], quantity) for line_id, quantity in quantities.items()],
        chosen_text=chosen_text,
        restock=bool(form.restock.data and quantities),
        left_after_fen=order.refundable_fen - amount,
    )


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


@bp.get("/export.csv")
@role_required(*SELLER_ROLES)
def export():
    """The seller's orders (optionally one tab or state) as a CSV file that opens in Excel or WPS."""
    status = _status_filter()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for order in order_list.orders_for_export(current_user, status):
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
