"""The trainee's pages under /train: join a cohort, the checklist, the share kit, reset."""

from functools import wraps

from flask import (
    Blueprint,
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
from wtforms import SelectChoice

from shop.accounts.models import Role
from shop.extensions import db
from shop.sellers import services as sellers
from shop.sellers.forms import ShopForm
from shop.training import lessons, services
from shop.training import sharing as share_kit
from shop.training.forms import JoinForm, ResetForm

bp = Blueprint("training", __name__, url_prefix="/train")


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


def _commit_new_preview_token(shop) -> None:
    """Practice shops opened before previews existed get their token on first use."""
    if not shop.preview_token:
        services.ensure_preview_token(shop)
        db.session.commit()


# --- The checklist ----------------------------------------------------------------------------


@bp.get("")
@trainee_required
def index():
    """The practice checklist: the next step, progress, the practice shop's tools and each
    lesson's state. Before the practice shop is opened it shows the plan and how to start."""
    shop = services.practice_shop_of(current_user)
    graduated = shop is None and sellers.shop_of(current_user) is not None
    if shop is not None:
        _commit_new_preview_token(shop)
    done = services.completed_lessons(current_user.id)
    cohorts = services.cohorts_of(current_user)
    return render_template(
        "training/index.html",
        shop=shop,
        graduated=graduated,
        open_form=None if shop or graduated else _open_shop_form(cohorts),
        lessons=lessons.LESSONS,
        next_lesson=next((lesson for lesson in lessons.LESSONS if lesson.key not in done), None),
        done=done,
        done_count=len(done),
        links=lesson_links(),
        cohorts=cohorts,
        preview_url=share_kit.shop_address(shop) if shop is not None else None,
    )


def _open_shop_form(cohorts) -> ShopForm:
    """The shop form's essentials, to open the practice shop from the checklist (it posts to
    the shop profile page, which checks it and keeps what was typed when something is wrong);
    the region starts as the cohort's."""
    form = ShopForm(formdata=None)
    form.region.choices = [
        SelectChoice(region.id, region.localized("name")) for region in sellers.selectable_regions()
    ]
    if cohorts:
        form.region.data = cohorts[0].region_id
    return form


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
    """The share kit of the practice shop (the same page as /sell/share, and a lesson)."""
    return share_kit.kit_page(g.shop)


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
