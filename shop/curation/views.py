"""Organizer pages: featured products and their order; shop approval, suspension, review queue."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from products import services as catalogue
from shop.accounts.auth import role_required
from shop.curation import services
from shop.extensions import db
from shop.parsing import LARGEST_ID, id_or_none, whole_number_or

bp = Blueprint("curation", __name__, url_prefix="/organize")


@bp.get("/featured")
@role_required("organizer")
def featured():
    """Every exhibition region with its featured products in order, and products to add."""
    regions = [region for region in catalogue.regions() if not region.coming_soon]
    featured = catalogue.featured_by_region()
    candidates = {region.id: services.candidates(region) for region in regions}
    shown = [product for products in featured.values() for product in products]
    shown += [product for products in candidates.values() for product in products]
    return render_template(
        "curation/featured.html",
        regions=regions,
        featured=featured,
        candidates=candidates,
        facts=services.card_facts(shown),
    )


@bp.post("/featured/<slug>")
@role_required("organizer")
def arrange(slug: str):
    """Save one region's featured products and their order."""
    region = catalogue.region_by_slug(slug)
    if region is None or region.coming_soon:
        abort(404)
    form = request.form
    shown = {number for number in map(id_or_none, form.getlist("shown")) if number is not None}
    chosen = {}
    for value in form.getlist("featured"):
        number = id_or_none(value)
        if number is not None:
            position = whole_number_or(form.get(f"position-{value}"), -1)
            chosen[number] = position if position >= 0 else None
    # The up and down buttons submit the whole form (no script needed): save it, then move.
    move, _sep, moved = form.get("move", "").partition("-")
    moved_id = id_or_none(moved)
    try:
        services.arrange_featured(
            region, shown, chosen, services.product_numbers(form.get("add", ""))
        )
        if move in ("up", "down") and moved_id is not None:
            services.move_featured(region, moved_id, -1 if move == "up" else 1)
    except services.CurationError as error:
        db.session.rollback()
        flash(
            _(
                "These product numbers are not public products of %(region)s: %(numbers)s",
                region=region.localized("name"),
                numbers=str(error),
            ),
            "error",
        )
        return redirect(url_for("curation.featured", _anchor=f"region-{region.slug}"))
    db.session.commit()
    flash(_("Featured products of %(region)s saved.", region=region.localized("name")))
    anchor = f"card-{moved_id}" if moved_id is not None else f"region-{region.slug}"
    return redirect(url_for("curation.featured", _anchor=anchor))


@bp.get("/unpublish")
@role_required("organizer")
def find_listing():
    """Go from a product number or address to its unpublishing form."""
    numbers = services.product_numbers(request.args.get("product", ""))
    if not numbers or numbers[0] > LARGEST_ID or catalogue.public_product(numbers[0]) is None:
        flash(_("No public product has that number."), "error")
        return redirect(url_for("curation.featured"))
    return redirect(url_for("curation.unpublish", product_id=numbers[0]))


@bp.route("/products/<int:product_id>/unpublish", methods=["GET", "POST"])
@role_required("organizer")
def unpublish(product_id: int):
    """Take a listing off the public site with a reason its seller reads."""
    product = catalogue.public_product(product_id)
    if product is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            catalogue.unpublish(product, request.form.get("reason", ""))
        except ValueError:
            error = _("Write the reason: the seller reads it and needs to know what to fix.")
        else:
            db.session.commit()
            flash(
                _(
                    "“%(title)s” is no longer public. Its seller sees your reason.",
                    title=product.localized("title"),
                )
            )
            return redirect(url_for("curation.featured"))
    return render_template("curation/unpublish.html", product=product, error=error), (
        400 if error else 200
    )


# --- Who may publish ------------------------------------------------------------------------


@bp.get("/review")
@role_required("organizer")
def review():
    """The review queue: shops awaiting approval, listings held back, suspended shops."""
    listings = services.listings_awaiting_review()
    return render_template(
        "curation/review.html",
        shops=services.shops_awaiting_approval(),
        listings=listings,
        ranges=services.usual_ranges(listings),
        facts=services.card_facts(listings),
        suspended=services.suspended_shops(),
    )


def _exhibitor_shop_or_404(shop_id: int):
    shop = services.exhibitor_shop(shop_id)
    if shop is None:
        abort(404)
    return shop


@bp.post("/shops/<int:shop_id>/approve")
@role_required("organizer")
def approve_shop(shop_id: int):
    """Approve an exhibitor shop: its published listings may go public."""
    shop = _exhibitor_shop_or_404(shop_id)
    services.approve_shop(shop)
    db.session.commit()
    flash(_("“%(shop)s” is approved.", shop=shop.localized("name")))
    return redirect(url_for("curation.review"))


@bp.get("/suspend")
@role_required("organizer")
def find_shop():
    """Go from a shop's address or slug to its suspension form."""
    text = request.args.get("shop", "").strip().rstrip("/")
    slug = text.rsplit("/", 1)[-1]
    shop = catalogue.public_shop(slug) if slug else None
    if shop is None:
        flash(_("No public shop has that address."), "error")
        return redirect(url_for("curation.review"))
    return redirect(url_for("curation.suspend_shop", shop_id=shop.id))


@bp.route("/shops/<int:shop_id>/suspend", methods=["GET", "POST"])
@role_required("organizer")
def suspend_shop(shop_id: int):
    """Take a whole shop off the public site with a reason its seller reads."""
    shop = _exhibitor_shop_or_404(shop_id)
    error = None
    if request.method == "POST":
        try:
            services.suspend_shop(shop, request.form.get("reason", ""))
        except services.CurationError:
            error = _("Write the reason: the seller reads it and needs to know what to fix.")
        else:
            db.session.commit()
            flash(
                _(
                    "“%(shop)s” is suspended: none of its listings is public now.",
                    shop=shop.localized("name"),
                )
            )
            return redirect(url_for("curation.review"))
    return render_template("curation/suspend.html", shop=shop, error=error), (400 if error else 200)


@bp.post("/shops/<int:shop_id>/lift")
@role_required("organizer")
def lift_suspension(shop_id: int):
    """End a shop's suspension."""
    shop = _exhibitor_shop_or_404(shop_id)
    services.lift_suspension(shop)
    db.session.commit()
    flash(_("The suspension of “%(shop)s” is lifted.", shop=shop.localized("name")))
    return redirect(url_for("curation.review"))


@bp.post("/products/<int:product_id>/approve")
@role_required("organizer")
def approve_listing(product_id: int):
    """Let a listing out of the review queue."""
    product = services.listing_in_review(product_id)
    if product is None:
        abort(404)
    services.approve_listing(product)
    db.session.commit()
    flash(_("“%(title)s” is approved.", title=product.localized("title")))
    return redirect(url_for("curation.review"))


@bp.post("/products/<int:product_id>/reject")
@role_required("organizer")
def reject_listing(product_id: int):
    """Send a held-back listing back to its seller as a draft, with the reason."""
    product = services.listing_in_review(product_id)
    if product is None:
        abort(404)
    try:
        catalogue.unpublish(product, request.form.get("reason", ""))
    except ValueError:
        flash(_("Write the reason: the seller reads it and needs to know what to fix."), "error")
        return redirect(url_for("curation.review", _anchor=f"listing-{product.id}"))
    db.session.commit()
    flash(
        _(
            "“%(title)s” went back to its seller as a draft with your reason.",
            title=product.localized("title"),
        )
    )
    return redirect(url_for("curation.review"))
