"""Organizer pages: choose each region's featured products and their order; unpublish listings."""

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
    return render_template(
        "curation/featured.html",
        regions=regions,
        featured=catalogue.featured_by_region(),
        candidates={region.id: services.candidates(region) for region in regions},
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
    try:
        services.arrange_featured(
            region, shown, chosen, services.product_numbers(form.get("add", ""))
        )
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
    return redirect(url_for("curation.featured", _anchor=f"region-{region.slug}"))


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
