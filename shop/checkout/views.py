"""Checkout: the address form, placing the orders, and the page the buyer comes back to."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from shop.accounts import adoption
from shop.cart import services as carts
from shop.cart.current import current_cart
from shop.checkout import services
from shop.checkout.forms import CHINA, MAINLAND, CheckoutForm, normalize_phone, province_choices
from shop.extensions import db, limiter
from shop.models_base import current_language
from shop.orders import services as orders
from shop.orders.access import SESSION_KEY as SEEN_ORDERS
from shop.orders.access import remember_orders
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.gateway import configured_gateway_name
from shop.payments.models import Payment

bp = Blueprint("checkout", __name__, url_prefix="/checkout")


def _last_order() -> Order | None:
    """The order whose address a new checkout starts from.

    A customer's newest order; for a guest, the newest order this browser session placed or
    proved (its number is in the signed session, the address stays in the database), so a
    guest coming back after a failed payment never types the address again, and nothing
    personal is kept in a cookie.
    """
    if current_user.is_authenticated:
        condition = Order.buyer_id == current_user.id
    else:
        numbers = session.get(SEEN_ORDERS, [])
        if not numbers:
            return None
        condition = Order.number.in_(numbers)
    return db.session.scalar(
        select(Order).where(condition).order_by(Order.created_at.desc(), Order.id.desc()).limit(1)
    )


def _prefill(form: CheckoutForm) -> None:
    """The form starts from the account and the last order's address (a guest's too)."""
    if current_user.is_authenticated:
        form.email.data = current_user.email
        form.contact_name.data = current_user.display_name
    last = _last_order()
    if last is not None:
        form.contact_name.data = last.contact_name
        form.phone.data = last.phone
        if last.email and not current_user.is_authenticated:
            form.email.data = last.email
        form.destination.data = MAINLAND if last.is_china else "abroad"
        for name in ("province", "city", "district", "street", "country", "postal_code"):
            getattr(form, name).data = getattr(last, name)
        if last.is_china:
            form.country.data = ""
        else:
            form.town.data, form.city.data = last.city, ""


def _delivery(form: CheckoutForm) -> services.Delivery:
    mainland = form.destination.data == MAINLAND
    text = lambda field: (field.data or "").strip()  # noqa: E731
    return services.Delivery(
        contact_name=text(form.contact_name),
        phone=normalize_phone(form.phone.data),
        email=text(form.email).lower(),
        country=CHINA if mainland else text(form.country),
        province=text(form.province) if mainland else "",
        city=text(form.city) if mainland else text(form.town),
        district=text(form.district) if mainland else "",
        street=text(form.street),
        postal_code=text(form.postal_code),
        note=text(form.note),
        language=current_language(),
    )


def _checkout_limit() -> str:
    return current_app.config["CHECKOUT_LIMIT"]


def _go_pay(payment: Payment):
    """Send the buyer to pay, remembering the orders for a guest."""
    numbers, token = [order.number for order in payment.orders], payment.token
    db.session.commit()
    remember_orders(numbers)
    if not current_user.is_authenticated:
        adoption.remember_placed(numbers)
    return redirect(url_for("payments.pay", token=token), code=303)


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_checkout_limit, methods=["POST"])
def start():
    """The checkout form next to what the cart costs; placing turns it into orders."""
    cart = current_cart()
    form = CheckoutForm()
    form.province.choices = province_choices(current_language())
    # A valid form goes straight to place_order(), which reads the cart again under its lock
    # anyway (an empty or blocked cart is refused there); the cart is summed up beforehand
    # only for a page to show.
    placing = cart is not None and form.validate_on_submit()
    summary = None if placing else carts.summarize(cart)
    if summary is not None and summary.is_empty and request.method == "POST" and cart is not None:
        # The same form sent again after its orders were placed (a double tap, the back button).
        placed = services.placed_checkout(cart, request.form.get("quote", ""))
        if placed is not None:
            return _go_pay(placed)
    if summary is not None and summary.is_empty:
        flash(_("Your cart is empty."), "error")
        return redirect(url_for("cart.view"))
    if summary is not None and summary.blocked:
        flash(_("Some items in your cart need your attention before you can check out."), "error")
        return redirect(url_for("cart.view"))
    if request.method == "GET":
        _prefill(form)
    if placing:
        try:
            payment = services.place_order(
                cart,
                _delivery(form),
                current_user if current_user.is_authenticated else None,
                quote=form.quote.data or "",
                gateway=configured_gateway_name(),
                address=services.address_key(request.remote_addr, current_app.secret_key),
            )
        except services.PricesChanged:
            db.session.rollback()
            flash(
                _(
                    "Prices, stock or shipping changed while you were filling in the form. Check the new total and place the order again."
                ),
                "error",
            )
        except services.NoShipping as error:
            db.session.rollback()
            message = _(
                "%(shop)s does not deliver to this address. Remove its items from your cart or choose another address.",
                shop=error.shop.localized("name"),
            )
            field = form.province if form.destination.data == MAINLAND else form.country
            field.errors = [*field.errors, message]
        except services.TooManyOpenCheckouts:
            db.session.rollback()
            flash(
                _(
                    "Several unpaid orders were already placed from your network address. Pay or cancel one of them (My orders), or wait 30 minutes, then try again."
                ),
                "error",
            )
        except services.EmptyCart:
            db.session.rollback()
            flash(_("Your cart is empty."), "error")
            return redirect(url_for("cart.view"))
        except services.OutOfStock as error:
            db.session.rollback()
            flash(
                _(
                    "Someone just bought the last of “%(title)s”. Your cart shows what is left.",
                    title=error.title,
                ),
                "error",
            )
            return redirect(url_for("cart.view"))
        except services.CheckoutError:
            db.session.rollback()
            flash(
                _("Some items in your cart need your attention before you can check out."), "error"
            )
            return redirect(url_for("cart.view"))
        else:
            return _go_pay(payment)
        summary = carts.summarize(current_cart())
    form.quote.data = summary.quote
    # The header's cart count, from the lines just read.
    g.cart_count = summary.count
    return render_template("checkout/start.html", form=form, summary=summary)


def _payment_or_404(token: str) -> Payment:
    payment = payments.payment_by_token(token, orders.ORDERS_WITH_SHOPS)
    if payment is None:
        abort(404)
    return payment


@bp.get("/done/<token>")
def done(token: str):
    """Where the buyer lands after paying (or not): what the orders' state really is.

    The gateway's redirect proves nothing; this page shows what the payment events recorded.
    """
    payment = _payment_or_404(token)
    placed = services.checkout_orders(payment)
    offer_account = not current_user.is_authenticated and any(
        order.buyer_id is None and order.email and order.number in adoption.placed_here()
        for order in placed
    )
    return render_template(
        "checkout/done.html",
        payment=payment,
        orders=placed,
        pictures=services.line_pictures(placed),
        dispatch_by=services.dispatch_by,
        offer_account=offer_account,
        form=FlaskForm(),
        came_back=request.args.get("cancelled") == "1",
    )


@bp.post("/done/<token>/cancel")
def cancel(token: str):
    """The buyer gives up paying: the unpaid orders are cancelled and their stock returns."""
    payment = _payment_or_404(token)
    actor = current_user if current_user.is_authenticated else "guest"
    if current_user.is_authenticated and any(
        order.buyer_id != current_user.id for order in payment.orders
    ):
        actor = "guest"
    cancelled = orders.cancel_checkout(payment, actor)
    db.session.commit()
    if cancelled:
        flash(_("Your unpaid orders were cancelled. Nothing was charged."))
    return redirect(url_for("checkout.done", token=token))


@bp.post("/done/<token>/again")
def again(token: str):
    """Put the items of a failed or cancelled checkout back in the cart, to try again."""
    payment = _payment_or_404(token)
    restored = services.restore_cancelled_items(payment, current_cart(create=True))
    db.session.commit()
    if restored:
        flash(_("The items are back in your cart."))
    else:
        flash(_("None of these items can be bought at the moment."), "error")
    return redirect(url_for("cart.view"))
