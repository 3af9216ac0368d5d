"""The trainee's pages under /train: join a cohort, the checklist, the share kit, reset."""

from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from products.images import (
    qr_svg,
    render_share_poster,
    rendition_name,
    rendition_widths,
)
from products.services import lowest_price_fen
from products.storage import image_store
from products.views import site_url
from shop.accounts.models import Role
from shop.extensions import db
from shop.money import format_fen
from shop.sellers import services as sellers
from shop.training import checks, lessons, services
from shop.training.forms import JoinForm, ResetForm

bp = Blueprint("training", __name__, url_prefix="/train")

#: Share pictures change only when the listing does; the trainee's browser may keep them a while.
PRIVATE_CACHE = "private, max-age=300"


def trainee_required(view):
    """Log-in required, and the trainee role (others are invited to join a cohort first)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.has_role(Role.TRAINEE):
            flash(
                _(
                    "The practice checklist is for trainees. "
                    "Join a cohort with the code your trainer gave you."
                )
            )
            return redirect(url_for("training.join"))
        return view(*args, **kwargs)

    return wrapped


def practice_shop_required(view):
    """A trainee with an open practice shop (else on to open one); the shop is g.shop."""

    @wraps(view)
    @trainee_required
    def wrapped(*args, **kwargs):
        g.shop = services.practice_shop_of(current_user)
        if g.shop is None:
            if sellers.shop_of(current_user) is not None:
                # Their shop is a real exhibitor shop (graduated): nothing here applies to it.
                abort(404)
            flash(_("First, open your practice shop."))
            return redirect(url_for("sellers.shop"))
        _commit_new_preview_token(g.shop)
        return view(*args, **kwargs)

    return wrapped


def lesson_links() -> dict[str, tuple[str, str]]:
    """{lesson key: (address, link text)}: where each lesson is done."""
    inbox = url_for("inbox.index")
    return {
        lessons.PROFILE: (url_for("sellers.shop"), _("Edit your shop profile")),
        lessons.FIRST_PRODUCT: (url_for("sellers.new_product"), _("Add a product")),
        lessons.QUALITY_80: (url_for("sellers.products"), _("See your listings' scores")),
        lessons.SECOND_VARIANT: (url_for("sellers.products"), _("Open a listing")),
        lessons.SHARE_KIT: (url_for("training.share"), _("Open the share kit")),
        lessons.FIRST_ORDER: (
            url_for("practice_customers.index"),
            _("Ask for a practice customer"),
        ),
        lessons.SHIPPED: (url_for("seller_orders.index"), _("Go to your orders")),
        lessons.ANSWERED_QUESTION: (inbox, _("Go to your inbox")),
        lessons.REFUND_REQUEST: (inbox, _("Go to your inbox")),
        lessons.DISCOUNT: (url_for("discounts.index"), _("Schedule a discount")),
    }


def _preview_url(shop, product_id: int | None = None) -> str:
    """The absolute address of the shop's (or one product's) private preview page."""
    token = shop.preview_token
    if product_id is None:
        return site_url("practice_preview.shop", token=token)
    return site_url("practice_preview.product", token=token, product_id=product_id)


def _commit_new_preview_token(shop) -> None:
    """Practice shops opened before previews existed get their token on first use."""
    if not shop.preview_token:
        services.ensure_preview_token(shop)
        db.session.commit()


# --- The checklist ----------------------------------------------------------------------------


@bp.get("")
@trainee_required
def index():
    """The practice checklist: progress, each lesson's state, and the practice shop's tools."""
    shop = services.practice_shop_of(current_user)
    if shop is None and sellers.shop_of(current_user) is None:
        flash(_("First, open your practice shop: the checklist follows what you do in it."))
        return redirect(url_for("sellers.shop"))
    if shop is not None:
        _commit_new_preview_token(shop)
    done = services.completed_lessons(current_user.id)
    return render_template(
        "training/index.html",
        shop=shop,
        lessons=lessons.LESSONS,
        done=done,
        done_count=len(done),
        links=lesson_links(),
        cohorts=services.cohorts_of(current_user),
        preview_url=_preview_url(shop) if shop is not None else None,
    )


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join():
    """Join a cohort with its code (the trainer's QR code may bring it in the address)."""
    form = JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][: services.MAX_CODE_INPUT]
    status = 200
    if form.validate_on_submit():
        try:
            cohort, joined = services.join_cohort(current_user, form.code.data)
        except services.UnknownJoinCode as error:
            form.code.errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            if joined:
                flash(_("You joined %(cohort)s.", cohort=cohort.name))
            else:
                flash(_("You are already in %(cohort)s.", cohort=cohort.name))
            return redirect(url_for("training.index"))
    elif request.method == "POST":
        status = 422
    return render_template(
        "training/join.html", form=form, cohorts=services.cohorts_of(current_user)
    ), status


# --- The share kit ----------------------------------------------------------------------------


@bp.get("/share")
@practice_shop_required
def share():
    """The share kit: the shop's and each product's preview QR code and poster."""
    shop = g.shop
    checks.share_kit_opened(shop)
    db.session.commit()
    products = services.published_products(shop)
    return render_template(
        "training/share.html",
        shop=shop,
        shop_url=_preview_url(shop),
        products=products,
        product_urls={product.id: _preview_url(shop, product.id) for product in products},
    )


def _own_published_or_404(product_id: int):
    product = services.published_product(g.shop, product_id)
    if product is None:
        abort(404)
    return product


def _svg(address: str) -> Response:
    response = Response(qr_svg(address), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = PRIVATE_CACHE
    return response


@bp.get("/share/qr.svg")
@practice_shop_required
def shop_qr():
    """The preview storefront's address as a QR code (SVG)."""
    return _svg(_preview_url(g.shop))


@bp.get("/share/qr/<int:product_id>.svg")
@practice_shop_required
def product_qr(product_id: int):
    """A published product's preview page as a QR code (SVG); any other id is a 404."""
    product = _own_published_or_404(product_id)
    return _svg(_preview_url(g.shop, product.id))


def _cover_bytes(product) -> bytes | None:
    """The stored cover photo at its largest width, or None without one."""
    if not product.images:
        return None
    cover = product.images[0]
    path = image_store().path(rendition_name(cover.key, rendition_widths(cover.width)[-1]))
    return path.read_bytes() if path is not None else None


def _price_text(product) -> str:
    lowest = lowest_price_fen(product)
    if lowest is None:
        return ""
    # As the catalogue's cards say it: "from" when there is more than one size to choose.
    if len(product.variants) > 1:
        return _("from %(price)s", price=format_fen(lowest))
    return format_fen(lowest)


@bp.get("/share/posters/<int:product_id>.png")
@practice_shop_required
def poster(product_id: int):
    """A published product's share poster (PNG) to save and post; any other id is a 404."""
    product = _own_published_or_404(product_id)
    png = render_share_poster(
        _cover_bytes(product),
        product.localized("title"),
        _price_text(product),
        g.shop.localized("name"),
        _preview_url(g.shop, product.id),
        hint=_("Scan the code to see this product"),
    )
    response = Response(png, mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="{product.slug}-poster.png"'
    response.headers["Cache-Control"] = PRIVATE_CACHE
    return response


# --- Reset ------------------------------------------------------------------------------------


@bp.route("/reset", methods=["GET", "POST"])
@practice_shop_required
def reset():
    """Clear the practice shop's orders and messages, keeping its listings, after confirming."""
    form = ResetForm()
    if form.validate_on_submit():
        result = services.reset_practice_shop(g.shop)
        db.session.commit()
        flash(
            _(
                "Your practice shop is reset: %(orders)d orders and %(messages)d messages were "
                "cleared. Your listings are kept.",
                orders=result.orders,
                messages=result.messages,
            )
        )
        return redirect(url_for("training.index"))
    return render_template(
        "training/reset.html", form=form, shop=g.shop, activity=services.shop_activity(g.shop)
    )
