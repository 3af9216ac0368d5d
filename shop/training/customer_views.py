"""Practice customers under /train/customers: a trainee (or their trainer) sends one to a shop."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from products.models import Shop
from shop.accounts.auth import role_required
from shop.accounts.models import Role, User
from shop.extensions import db, limiter
from shop.messages.models import Thread
from shop.orders.models import Order
from shop.sellers.services import shop_of
from shop.training import customers
from shop.training.cohorts import can_follow

bp = Blueprint("practice_customers", __name__, url_prefix="/train/customers")

#: Customers one practice shop may receive: enough for a class, too few for a stuck button
#: to flood the shop. PRACTICE_CUSTOMERS_LIMIT in the config overrides it.
SEND_LIMIT = "10 per minute;200 per day"
#: How many of the shop's practice orders the page lists, newest first.
RECENT_ORDERS = 10


def _send_limit() -> str:
    return current_app.config.get("PRACTICE_CUSTOMERS_LIMIT") or SEND_LIMIT


def _receiving_trainee() -> str:
    """Rate-limit key: the trainee whose shop receives the customers, whoever sends them."""
    trainee_id = (request.view_args or {}).get("user_id")
    if trainee_id is None and current_user.is_authenticated:
        trainee_id = current_user.id
    return f"trainee:{trainee_id}" if trainee_id else f"address:{get_remote_address()}"


def _customer_sent(response) -> bool:
    """Only requests that sent (or tried to send) a customer count; refused visitors do not."""
    return response.status_code == 303


#: Both send routes count against one budget per receiving trainee, so a stranger's refused
#: requests never use up a trainee's customers.
send_limit = limiter.shared_limit(
    _send_limit,
    scope="practice-customers",
    key_func=_receiving_trainee,
    deduct_when=_customer_sent,
)


class SendCustomerForm(FlaskForm):
    """One scenario button: which kind of customer to send."""

    scenario = HiddenField(validators=[DataRequired(), AnyOf(customers.Scenario.ALL)])


def _recent_practice_orders(shop: Shop) -> tuple[list[Order], dict[int, Thread]]:
    """The shop's newest practice orders and their message threads (two queries)."""
    orders = list(
        db.session.scalars(
            select(Order)
            .where(Order.shop_id == shop.id, Order.is_practice.is_(True))
            .options(selectinload(Order.lines))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(RECENT_ORDERS)
        )
    )
    threads = db.session.scalars(
        select(Thread).where(Thread.order_id.in_([order.id for order in orders]))
    )
    return orders, {thread.order_id: thread for thread in threads}


def _practice_shop_or_404(trainee: User) -> Shop | None:
    """The trainee's practice shop, None before they open one; a real shop is a 404."""
    shop = shop_of(trainee)
    if shop is not None and not shop.is_practice:
        abort(404)
    return shop


def _followed_trainee_or_404(user_id: int) -> User:
    """A trainee the current trainer or organizer may act for; anyone else is a 404."""
    trainee = db.session.get(User, user_id)
    if trainee is None or not can_follow(current_user, user_id):
        abort(404)
    return trainee


def _page(trainee: User, shop: Shop | None, post_url: str, status: int = 200):
    acting_for = trainee.id != current_user.id
    if shop is None:
        return render_template(
            "training/customers_no_shop.html", trainee=trainee, acting_for=acting_for
        ), status
    orders, threads = _recent_practice_orders(shop)
    return render_template(
        "training/customers.html",
        trainee=trainee,
        shop=shop,
        acting_for=acting_for,
        scenarios=customers.SCENARIOS,
        orders=orders,
        threads=threads,
        post_url=post_url,
    ), status


def _send(shop: Shop | None, back: str):
    """Validate the scenario button, send the customer, commit once, say what happened."""
    if shop is None:
        return redirect(back, code=303)
    form = SendCustomerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = customers.send_customer(shop, form.scenario.data)
    except customers.CustomerNotSent as refused:
        db.session.rollback()
        flash(refused.describe(), "error")
    else:
        db.session.commit()
        flash(outcome.describe())
    return redirect(back, code=303)


@bp.get("")
@role_required(Role.TRAINEE)
def index():
    """The trainee's own practice shop: scenario buttons and its recent practice orders."""
    trainee = current_user._get_current_object()
    return _page(trainee, _practice_shop_or_404(trainee), url_for("practice_customers.send"))


@bp.post("")
@send_limit
@role_required(Role.TRAINEE)
def send():
    """Send a practice customer of the chosen scenario to the trainee's own practice shop."""
    shop = _practice_shop_or_404(current_user)
    return _send(shop, url_for("practice_customers.index"))


@bp.get("/for/<int:user_id>")
@login_required
def index_for(user_id: int):
    """A trainer's or organizer's view of a trainee's practice customers page."""
    trainee = _followed_trainee_or_404(user_id)
    post_url = url_for("practice_customers.send_for", user_id=user_id)
    return _page(trainee, _practice_shop_or_404(trainee), post_url)


@bp.post("/for/<int:user_id>")
@send_limit
@login_required
def send_for(user_id: int):
    """A trainer or organizer sends a practice customer to a trainee's practice shop."""
    trainee = _followed_trainee_or_404(user_id)
    shop = _practice_shop_or_404(trainee)
    return _send(shop, url_for("practice_customers.index_for", user_id=user_id))
