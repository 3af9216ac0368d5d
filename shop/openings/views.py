"""The "tell me when it opens" form of a partner country, and the organizer's list and CSV."""

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from products import services as catalogue
from products.addresses import page_links
from shop.accounts.auth import role_required
from shop.extensions import db, limiter
from shop.models_base import current_language
from shop.openings import services
from shop.openings.forms import SignupForm, read_contact
from shop.spreadsheets import csv_cell
from shop.templating import localtime

bp = Blueprint("openings", __name__)

#: Sign-ups per visitor address: enough for a family sharing one connection, too few to flood.
SIGNUP_LIMIT = "10 per hour"
CSV_COLUMNS = ("country", "contact", "kind", "name", "language", "signed_up")


def _coming_soon_or_404(slug: str):
    region = catalogue.region_by_slug(slug)
    if region is None or not region.coming_soon:
        abort(404)
    return region


@bp.post("/regions/<slug>/notify")
@limiter.limit(SIGNUP_LIMIT, methods=["POST"], key_func=get_remote_address)
def sign_up(slug: str):
    """Keep a visitor's email or mobile number to tell them when this country opens."""
    region = _coming_soon_or_404(slug)
    form = SignupForm()
    if not form.validate_on_submit():
        page = render_template(
            "catalogue/coming_soon.html",
            region=region,
            links=page_links("catalogue.region", slug=region.slug),
            form_values={"contact": form.contact.data or "", "name": form.name.data or ""},
            form_errors={name: field.errors for name, field in form._fields.items()},
        )
        return page, 422
    kind, contact = read_contact(form.contact.data)
    created = services.sign_up(
        region, kind, contact, (form.name.data or "").strip(), current_language()
    )
    db.session.commit()
    country = region.localized("name")
    if created:
        flash(
            _(
                "Thank you. We will tell %(contact)s when %(country)s opens.",
                contact=contact,
                country=country,
            )
        )
    else:
        flash(
            _(
                "%(contact)s is already on the list for %(country)s: nothing more to do. We will tell you once when it opens.",
                contact=contact,
                country=country,
            )
        )
    return redirect(
        # The top of the page, where the message shows (not the form below it).
        url_for("catalogue.region", slug=region.slug, lang=current_language()),
        code=303,
    )


@bp.get("/organize/openings")
@role_required("organizer")
def signups():
    """Each partner country with the contacts waiting for it to open."""
    regions = services.coming_soon_regions()
    waiting = services.signups()
    by_region = {region.id: [] for region in regions}
    for signup in waiting:
        by_region.setdefault(signup.region_id, []).append(signup)
    return render_template("curation/openings.html", regions=regions, by_region=by_region)


@bp.get("/organize/openings/export.csv")
@role_required("organizer")
def export():
    """The sign-ups (all, or one country's with ?region=) as a CSV file for Excel or WPS."""
    slug = request.args.get("region")
    region = _coming_soon_or_404(slug) if slug else None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for signup in services.signups(region):
        writer.writerow(
            csv_cell(value)
            for value in [
                # Reports are written in Chinese whoever downloads them, with the English beside.
                f"{signup.region.name_zh} {signup.region.name_en}",
                signup.contact,
                signup.contact_kind,
                signup.name,
                signup.language,
                localtime(signup.created_at),
            ]
        )
    name = f"signups-{region.slug}.csv" if region else "signups.csv"
    # A byte-order mark so Excel reads the Chinese as UTF-8.
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename={name}",
            "Cache-Control": "no-store",
        },
    )
