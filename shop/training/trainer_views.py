"""The trainer's pages under /train/cohorts: cohorts, the progress matrix, CSV, graduation."""

import csv
import io
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from products.addresses import site_url
from products.images import qr_svg
from products.services import quality_score
from shop.accounts.auth import role_required
from shop.accounts.models import Role
from shop.extensions import db
from shop.models_base import as_utc, utcnow
from shop.sellers.services import selectable_regions
from shop.spreadsheets import csv_cell
from shop.templating import BEIJING
from shop.training import cohorts
from shop.training import services as training
from shop.training.cohort_forms import CohortForm, GraduateForm
from shop.training.lessons import LESSONS
from shop.training.models import Cohort

bp = Blueprint("trainer", __name__, url_prefix="/train/cohorts")

#: Who may open the trainer's pages: trainers (their own cohorts) and organizers (every cohort).
STAFF_ROLES = (Role.TRAINER, Role.ORGANIZER)


def _cohort_or_404(cohort_id: int) -> Cohort:
    """The cohort when the current user may see it; another trainer's is a 404, never a 403."""
    cohort = cohorts.cohort_for(current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


def join_link(cohort: Cohort) -> str:
    """The absolute sign-up address with the cohort's join code filled in (what the QR encodes)."""
    return site_url("accounts.signup", code=cohort.join_code)


def duration_words(seconds: float | None) -> str:
    """A wait in human words: "45 s", "12 min", "2 h 5 min", "3 d 4 h"; "" when unknown."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return _("%(seconds)d s", seconds=seconds)
    if seconds < 3600:
        return _("%(minutes)d min", minutes=minutes)
    if seconds < 86400:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes % 60)
    return _("%(days)d d %(hours)d h", days=days, hours=hours % 24)


def in_beijing(moment: datetime | None) -> datetime | None:
    """A stored time in the programme's time zone (Asia/Shanghai), aware."""
    return as_utc(moment).astimezone(BEIJING) if moment is not None else None


def _iso(moment: datetime | None) -> str:
    """ISO 8601 in Asia/Shanghai, to the second, for the CSV; "" when there is none."""
    return in_beijing(moment).isoformat(timespec="seconds") if moment is not None else ""


@bp.get("")
@role_required(*STAFF_ROLES)
def index():
    """The cohorts the trainer runs (every cohort for an organizer), with their trainee counts."""
    return render_template(
        "training/cohorts.html",
        summaries=cohorts.cohort_summaries(current_user),
        can_open=current_user.has_role(Role.TRAINER),
    )


def _region_choices(form: CohortForm, keep: Cohort | None = None) -> None:
    """The programme's regions, and an edited cohort's own region even once it is no longer
    offered (now coming soon), so saving the form unchanged keeps it."""
    regions = [(region.id, region.localized("name")) for region in selectable_regions()]
    if keep is not None and keep.region_id not in {region_id for region_id, _name in regions}:
        regions.insert(0, (keep.region_id, keep.region.localized("name")))
    form.region.choices = [SelectChoice(region_id, name) for region_id, name in regions]


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.TRAINER)
def new():
    """Open a cohort: its name, region and dates; a join code is made for it."""
    form = CohortForm()
    _region_choices(form)
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(
                current_user,
                form.name.data,
                form.region.data,
                form.starts_on.data,
                form.ends_on.data,
            )
        except cohorts.CohortError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Cohort opened. Share its join code or QR code with the trainees."))
            return redirect(url_for("trainer.cohort", cohort_id=cohort.id))
    status = 422 if form.errors else 200
    return render_template("training/cohort_new.html", form=form, cohort=None), status


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def edit(cohort_id: int):
    """Correct a cohort's name, region or dates (its trainer, or an organizer, who sees every
    cohort); the join code and the trainees stay."""
    cohort = _cohort_or_404(cohort_id)
    form = CohortForm(obj=cohort if request.method == "GET" else None)
    if request.method == "GET":
        form.region.data = cohort.region_id
    _region_choices(form, keep=cohort)
    if form.validate_on_submit():
        try:
            cohorts.update_cohort(
                cohort, form.name.data, form.region.data, form.starts_on.data, form.ends_on.data
            )
        except cohorts.CohortError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Cohort saved."))
            return redirect(url_for("trainer.cohort", cohort_id=cohort.id))
    status = 422 if form.errors else 200
    return render_template("training/cohort_new.html", form=form, cohort=cohort), status


@bp.get("/<int:cohort_id>")
@role_required(*STAFF_ROLES)
def cohort(cohort_id: int):
    """The cohort's join code and QR code, its trainees x lessons matrix and completion chart."""
    cohort = _cohort_or_404(cohort_id)
    sort, direction = cohorts.valid_sort(request.args.get("sort"), request.args.get("dir"))
    report = cohorts.progress(cohort)
    # Shops opened before preview links existed get theirs now, so every row has its link.
    unlinked = [row.shop for row in report.rows if row.shop and row.shop.is_practice]
    unlinked = [shop for shop in unlinked if not shop.preview_token]
    for shop in unlinked:
        training.ensure_preview_token(shop)
    if unlinked:
        db.session.commit()
    link = join_link(cohort)
    stuck_days = current_app.config["TRAINEE_STUCK_DAYS"]
    return render_template(
        "training/cohort.html",
        cohort=cohort,
        stuck=cohorts.stuck_trainees(report.rows, utcnow(), stuck_days),
        stuck_days=stuck_days,
        rows=cohorts.sorted_rows(report.rows, sort, direction),
        rates=report.lessons,
        lessons=LESSONS,
        sort=sort,
        direction=direction,
        lesson_sort_key=cohorts.lesson_sort_key,
        join_link=link,
        # qrcode writes the SVG from the address alone: nothing a visitor typed goes in unescaped.
        join_qr=Markup(qr_svg(link)),  # noqa: S704
        duration_words=duration_words,
        in_beijing=in_beijing,
    )


@bp.get("/<int:cohort_id>/qr.svg")
@role_required(*STAFF_ROLES)
def join_qr(cohort_id: int):
    """The join link's QR code as an SVG file, to print on a class handout or a slide."""
    cohort = _cohort_or_404(cohort_id)
    return Response(
        qr_svg(join_link(cohort)),
        mimetype="image/svg+xml",
        headers={
            "Content-Disposition": f"attachment; filename=cohort-{cohort.join_code}.svg",
            "Cache-Control": "private, no-store",
        },
    )


#: Columns of the cohort CSV, before and after one column per lesson (its key).
CSV_LEADING = ("name", "email", "joined", "shop")
CSV_TRAILING = ("lessons_done", "orders_handled", "average_reply_seconds", "graduated")


@bp.get("/<int:cohort_id>/export.csv")
@role_required(*STAFF_ROLES)
def export(cohort_id: int):
    """One row per trainee for the programme's reports; times in Asia/Shanghai, UTF-8 with BOM."""
    cohort = _cohort_or_404(cohort_id)
    report = cohorts.progress(cohort)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_LEADING, *(lesson.key for lesson in LESSONS), *CSV_TRAILING])
    for row in cohorts.sorted_rows(report.rows, "name", "asc"):
        writer.writerow(
            csv_cell(value)
            for value in [
                row.user.display_name,
                row.user.email,
                _iso(row.member.joined_at),
                # Reports are written in Chinese whoever downloads them.
                row.shop.localized("name", "zh") if row.shop else "",
                *(_iso(row.completions.get(lesson.key)) for lesson in LESSONS),
                row.done,
                row.orders_handled,
                round(row.reply_seconds) if row.reply_seconds is not None else "",
                _iso(row.member.graduated_at),
            ]
        )
    # A byte-order mark so Excel reads the Chinese as UTF-8.
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=cohort-{cohort.id}.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:cohort_id>/trainees/<int:user_id>/graduate", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def graduate(cohort_id: int, user_id: int):
    """Review a trainee's shop and listings (GET), then make it a real exhibitor shop (POST)."""
    cohort = _cohort_or_404(cohort_id)
    member = cohorts.member_of(cohort, user_id)
    if member is None:
        abort(404)
    form = GraduateForm()
    error = None
    if form.validate_on_submit():
        try:
            shop = cohorts.graduate(member, current_user)
        except cohorts.CannotGraduate as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            flash(
                _(
                    "%(shop)s is now an exhibitor shop: its published listings are in the public catalogue.",
                    shop=shop.localized("name"),
                )
            )
            return redirect(url_for("trainer.cohort", cohort_id=cohort.id))
    shop = cohorts.graduation_shop(member)
    return render_template(
        "training/cohort_graduate.html",
        cohort=cohort,
        member=member,
        shop=shop,
        quality={product.id: quality_score(product).score for product in shop.products}
        if shop
        else {},
        form=form,
        error=error,
    ), 409 if error else 200
