"""The cart pages: add from a product page, change quantities, remove, see what it costs."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from shop.cart import services
from shop.cart.current import current_cart
from shop.extensions import csrf, db
from shop.orders import services as orders
from shop.parsing import NotAWholeNumber, id_or_none, whole_number

bp = Blueprint("cart", __name__, url_prefix="/cart")


def _quantity(value: str | None, default: int = 1) -> int:
    """A quantity from a form: a whole number within 0..MAX_QUANTITY, else the default.

    More than MAX_QUANTITY (however many digits) is MAX_QUANTITY: the buyer wanted a lot.
    """
    try:
        return whole_number(value, most=services.MAX_QUANTITY)
    except NotAWholeNumber as error:
        return services.MAX_QUANTITY if error.too_large else default


def _product_page(variant) -> str:
    product = variant.product
    return url_for(
        "catalogue.product", product_id=product.id, slug=product.slug, variant=variant.id
    )


@bp.get("")
def view():
    """The cart, grouped by shop, with current prices and anything that needs attention."""
    summary = services.summarize(current_cart())
    return render_template("cart/view.html", summary=summary, max_quantity=services.MAX_QUANTITY)


@bp.get("/form-token")
def form_token():
    """The tokens of the add-to-cart form, which sits on pages cached for every visitor: this
    visitor's CSRF token and a one-time token that makes the form add once however often it
    is sent."""
    response = {"csrf_token": generate_csrf(), "form_token": services.new_form_token()}
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/add")
@csrf.exempt  # checked below: without a valid token the visitor confirms on a page of our own
def add():
    """Put a variant in the cart from a product page (or confirm it first without a token).

    With `buy_now` (立即购买) the buyer goes on to the checkout at once. The checkout buys the
    whole cart, so anything already in it is bought too; the buyer is told so there.
    """
    variant_id = id_or_none(request.form.get("variant_id"))
    variant = services.buyable_variant(variant_id) if variant_id is not None else None
    if variant is None:
        abort(404)
    quantity = max(1, _quantity(request.form.get("quantity")))
    buy_now = request.form.get("buy_now") == "1"
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        # Product pages are cached for everyone, so their form may carry no (or a stale) token;
        # nothing changes until the visitor confirms on this page, which has a fresh one.
        return render_template(
            "cart/confirm_add.html",
            variant=variant,
            quantity=quantity,
            buy_now=buy_now,
            form_token=services.new_form_token(),
        )
    # Stock held by checkouts abandoned past their deadline comes back before this one is judged.
    if orders.expire_overdue(limit=orders.OPPORTUNISTIC_EXPIRY_BATCH):
        db.session.refresh(variant)
    once = services.form_token_or_none(request.form.get("form_token"))
    cart = current_cart(create=True, form_token=once)
    try:
        line = services.add_item(cart, variant, quantity, form_token=once)
    except services.NotForSale:
        flash(_("This product is not for sale at the moment."), "error")
        return redirect(url_for("cart.view"))
    except services.SoldOut:
        flash(_("Sorry, this one is sold out."), "error")
        return redirect(_product_page(variant))
    except services.CartFull:
        flash(
            _(
                "Your cart is full (%(count)d different items). Buy or remove some first.",
                count=services.MAX_LINES,
            ),
            "error",
        )
        return redirect(url_for("cart.view"))
    # What the answer shows, read before the commit expires the rows it comes from.
    title = f"{variant.product.localized('title')} · {variant.localized('spec')}"
    held, page = line.quantity, _product_page(variant)
    db.session.commit()
    if buy_now:
        return _go_to_checkout(cart, line, quantity)
    flash(
        _(
            "Added to your cart: %(title)s. Your cart holds %(count)d of it.",
            title=title,
            count=held,
        )
    )
    if held < quantity:
        flash(_("Only %(count)d can be bought at the moment.", count=held), "error")
    return redirect(page)


def _go_to_checkout(cart, line, quantity: int):
    """立即购买: on to the checkout, saying when it holds more than this item."""
    if line.quantity < quantity:
        flash(_("Only %(count)d can be bought at the moment.", count=line.quantity), "error")
    if len(cart.lines) > 1:
        flash(
            _(
                "The other items in your cart are in this checkout too. To buy only this one, "
                "remove the others from your cart first."
            )
        )
    return redirect(url_for("checkout.start"), code=303)


@bp.post("/lines/<int:line_id>")
def update(line_id: int):
    """Change how many of a line the cart holds (0 removes it)."""
    cart = current_cart()
    if cart is None:
        return redirect(url_for("cart.view"))
    wanted = _quantity(request.form.get("quantity"), default=-1)
    if wanted < 0:
        flash(_("Enter the quantity as a whole number."), "error")
        return redirect(url_for("cart.view"))
    line = services.set_quantity(cart, line_id, wanted)
    db.session.commit()
    if line is None:
        flash(_("Removed from your cart."))
    elif line.quantity < wanted:
        flash(_("Only %(count)d can be bought at the moment.", count=line.quantity), "error")
    else:
        flash(_("Quantity updated."))
    return redirect(url_for("cart.view"))


@bp.post("/lines/<int:line_id>/remove")
def remove(line_id: int):
    """Take a line out of the cart."""
    cart = current_cart()
    if cart is not None:
        services.remove_line(cart, line_id)
        db.session.commit()
        flash(_("Removed from your cart."))
    return redirect(url_for("cart.view"))
