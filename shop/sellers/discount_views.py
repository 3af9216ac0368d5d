"""Limited-time discounts under /sell/discounts: schedule, list, edit, end early.

Exhibitors and trainees (practice shops) use the same pages. Times are typed and shown in
Beijing time, the programme's clock, and stored in UTC.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateTimeLocalField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from products.models import Discount, DiscountKind
from shop.extensions import db
from shop.models_base import as_utc, current_language, utcnow
from shop.money import fen_to_decimal_text
from shop.parsing import id_or_none, row_id
from shop.sellers import discounts as services
from shop.sellers.access import shop_required
from shop.sellers.forms import MOST_UNITS, WholeNumberField, YuanField
from shop.sellers.services import NotYours
from shop.templating import BEIJING

bp = Blueprint("discounts", __name__, url_prefix="/sell/discounts")

#: What a datetime-local input sends (browsers add seconds only when asked to).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
#: A new discount's form starts with a window of this length from the next full hour.
DEFAULT_LENGTH = timedelta(hours=2)


class DiscountForm(FlaskForm):
    """A limited-time discount: names, how much, when, how many units, on which variants."""

    name_zh = StringField(_l("Name in Chinese (e.g. 直播秒杀)"), validators=[Length(max=60)])
    name_en = StringField(_l("Name in English (e.g. Live sale)"), validators=[Length(max=60)])
    kind = RadioField(
        _l("Kind of discount"),
        choices=[
            SelectChoice(DiscountKind.PERCENT, _l("A percentage off the regular price")),
            SelectChoice(DiscountKind.FIXED_PRICE, _l("A fixed price")),
        ],
        default=DiscountKind.PERCENT,
        validators=[InputRequired(message=_l("Choose a percentage off or a fixed price."))],
    )
    #: The English page asks for a percentage off ("20" is 20% off); the Chinese page asks for
    #: 折 ("8" means buyers pay 80%). The page shows one of the two; the one sent is the one used.
    percent_off = WholeNumberField(
        _l("Percentage off (% off)"),
        validators=[Optional(), NumberRange(1, 99, message=_l("Enter a percentage from 1 to 99."))],
        render_kw={"inputmode": "numeric", "min": 1, "max": 99, "autocomplete": "off"},
    )
    zhe = StringField(
        _l("Discount in 折"),
        validators=[Length(max=20)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    fixed_price = YuanField(_l("Discount price (yuan)"), required=False, minimum_fen=1)
    starts_at = DateTimeLocalField(
        _l("Starts (Beijing time)"),
        format=LOCAL_FORMATS,
        validators=[InputRequired(message=_l("Enter when the discount starts."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends (Beijing time)"),
        format=LOCAL_FORMATS,
        validators=[InputRequired(message=_l("Enter when the discount ends."))],
    )
    quantity_cap = WholeNumberField(
        _l("Units at this price (leave empty for no limit)"),
        validators=[
            Optional(),
            NumberRange(1, MOST_UNITS, message=_l("Enter a whole number of at least 1.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    #: The percentage off that the 折 typed stands for, once validated.
    zhe_percent_off: int | None = None
    # Rendered by the template as checkboxes grouped by product; ownership is checked by the view.
    variants = SelectMultipleField(_l("Variants"), coerce=row_id, validate_choice=False)

    @property
    def in_zhe(self) -> bool:
        """Whether the percentage is asked (GET) or was sent (POST) as 折."""
        if request.method == "POST":
            return "zhe" in request.form
        return current_language() == "zh"

    def validate_percent_off(self, field):
        if self.kind.data == DiscountKind.PERCENT and not self.in_zhe and field.data is None:
            raise ValidationError(_l("Enter a percentage from 1 to 99."))

    def validate_zhe(self, field):
        self.zhe_percent_off = None
        if self.kind.data == DiscountKind.PERCENT and self.in_zhe:
            try:
                self.zhe_percent_off = services.percent_off_from_zhe(field.data)
            except services.DiscountProblem as problem:
                raise ValidationError(str(problem)) from None

    def chosen_percent_off(self) -> int | None:
        """The percentage off asked for, whichever way it was typed."""
        return self.zhe_percent_off if self.in_zhe else self.percent_off.data

    def validate_fixed_price(self, field):
        if self.kind.data == DiscountKind.FIXED_PRICE and field.fen is None:
            raise ValidationError(_l("Enter the discount price in yuan, like 29.9."))


def beijing_to_utc(moment: datetime) -> datetime:
    """A time typed in Beijing time (naive) as timezone-aware UTC."""
    return moment.replace(tzinfo=BEIJING).astimezone(UTC)


def shown_in_beijing(moment: datetime) -> datetime:
    """A stored time as the form shows it: Beijing time, naive, to the minute."""
    return as_utc(moment).astimezone(BEIJING).replace(tzinfo=None, second=0, microsecond=0)


def _typed_time(typed: datetime, stored: datetime | None) -> datetime:
    """The time typed, in UTC; the stored one when the seller left what the form showed, so a
    time kept to the second (not shown by the form) is not cut to the minute by a save."""
    if stored is not None and typed == shown_in_beijing(stored):
        return as_utc(stored)
    return beijing_to_utc(typed)


def _details(form: DiscountForm, editing: Discount | None = None) -> services.DiscountDetails:
    percent = form.kind.data == DiscountKind.PERCENT
    return services.DiscountDetails(
        name_zh=form.name_zh.data or "",
        name_en=form.name_en.data or "",
        kind=form.kind.data,
        percent_off=form.chosen_percent_off() if percent else None,
        fixed_price_fen=None if percent else form.fixed_price.fen,
        starts_at=_typed_time(form.starts_at.data, editing and editing.starts_at),
        ends_at=_typed_time(form.ends_at.data, editing and editing.ends_at),
        quantity_cap=form.quantity_cap.data,
        variant_ids=tuple(form.variants.data or ()),
    )


def _prefill(form: DiscountForm) -> None:
    """A new form proposes the next full hour, for two hours (a typical live-sale slot)."""
    start = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    form.starts_at.data = start.astimezone(BEIJING).replace(tzinfo=None)
    form.ends_at.data = (start + DEFAULT_LENGTH).astimezone(BEIJING).replace(tzinfo=None)


def _fill(form: DiscountForm, discount: Discount) -> None:
    """The edit form shows the discount as it is."""
    form.name_zh.data = discount.name_zh
    form.name_en.data = discount.name_en
    form.kind.data = discount.kind
    if discount.kind == DiscountKind.PERCENT:
        form.percent_off.data = discount.percent_off
        form.zhe.data = services.zhe_text(discount.percent_off)
    else:
        form.fixed_price.data = fen_to_decimal_text(discount.fixed_price_fen)
    form.starts_at.data = shown_in_beijing(discount.starts_at)
    form.ends_at.data = shown_in_beijing(discount.ends_at)
    form.quantity_cap.data = discount.quantity_cap
    form.variants.data = [variant.id for variant in discount.variants]


def _as_sent(discount: Discount) -> dict[str, list[str]]:
    """What a running discount's page shows as text, not fields, as its full form would send it."""
    percent = discount.kind == DiscountKind.PERCENT
    return {
        "kind": [discount.kind],
        "percent_off": [str(discount.percent_off)] if percent else [],
        "fixed_price": [] if percent else [fen_to_decimal_text(discount.fixed_price_fen)],
        "starts_at": [shown_in_beijing(discount.starts_at).strftime(LOCAL_FORMATS[0])],
        "variants": [str(variant.id) for variant in discount.variants],
    }


def _own_variants_or_404(products) -> None:
    """Another shop's variant in the form is answered as if it did not exist."""
    own_ids = {variant.id for product in products for variant in product.variants}
    submitted = {id_or_none(value) for value in request.form.getlist("variants")}
    if submitted - own_ids - {None}:
        abort(404)


@bp.get("")
@shop_required
def index():
    """The shop's discounts: running, scheduled and ended, with the units sold under each."""
    now = utcnow()
    groups = {state: [] for state in services.DiscountState.ALL}
    for discount in services.own_discounts(g.shop):
        groups[services.discount_state(discount, now)].append(discount)
    return render_template(
        "sellers/discounts.html",
        shop=g.shop,
        groups=groups,
        form=FlaskForm(),
        discount_label=services.discount_label,
        amount_text=services.amount_text,
    )


@bp.route("/new", methods=["GET", "POST"])
@shop_required
def new():
    """Schedule a limited-time discount on some of the shop's variants."""
    form = DiscountForm()
    products = services.discountable_products(g.shop)
    status = 200
    if request.method == "GET":
        _prefill(form)
    else:
        _own_variants_or_404(products)
        status = 422
        if form.validate():
            try:
                discount = services.schedule_discount(g.shop, _details(form))
            except NotYours:
                abort(404)
            except services.DiscountProblem as problem:
                field = getattr(form, problem.field)
                field.errors = [*field.errors, str(problem)]
            else:
                db.session.commit()
                flash(
                    _(
                        "Discount “%(name)s” (%(amount)s) scheduled: %(prices)s. "
                        "Buyers see it on the product pages while it runs.",
                        name=services.discount_label(discount),
                        amount=services.amount_text(discount),
                        prices=services.price_examples(discount),
                    )
                )
                return redirect(url_for("discounts.index"))
    chosen = set(form.variants.data or ())
    return render_template(
        "sellers/discounts_new.html",
        form=form,
        shop=g.shop,
        products=products,
        chosen=chosen,
        discount=None,
        running=False,
    ), status


@bp.route("/<int:discount_id>/edit", methods=["GET", "POST"])
@shop_required
def edit(discount_id: int):
    """Change a discount before it ends: all of it while scheduled; its names, end and cap while
    it runs. An ended discount is kept as it was (the list says what it sold)."""
    try:
        # Locked before its variants on a save, in the order checkout takes them.
        discount = services.own_discount(g.shop, discount_id, lock=request.method == "POST")
    except NotYours:
        abort(404)
    state = services.discount_state(discount)
    if state == services.DiscountState.ENDED:
        flash(
            _(
                "Discount “%(name)s” has ended, so it can no longer be changed. "
                "Schedule a new one instead.",
                name=services.discount_label(discount),
            ),
            "error",
        )
        return redirect(url_for("discounts.index"))
    running = state == services.DiscountState.RUNNING
    products = services.discountable_products(g.shop)
    status = 200
    if request.method == "GET":
        form = DiscountForm(formdata=None)
        _fill(form, discount)
    else:
        _own_variants_or_404(products)
        sent = MultiDict(request.form)
        # A running discount's page has no fields for what may no longer change; a page opened
        # before it started does, and then a change there is refused, not silently dropped.
        if running and "kind" not in request.form:
            for name, values in _as_sent(discount).items():
                sent.setlist(name, values)
        form = DiscountForm(formdata=sent)
        status = 422
        if form.validate():
            try:
                services.update_discount(g.shop, discount, _details(form, discount))
            except NotYours:
                abort(404)
            except services.AlreadyEnded as error:
                flash(str(error), "error")
                return redirect(url_for("discounts.index"))
            except services.DiscountProblem as problem:
                db.session.rollback()
                field = getattr(form, problem.field)
                field.errors = [*field.errors, str(problem)]
            else:
                db.session.commit()
                flash(
                    _(
                        "Discount “%(name)s” (%(amount)s) saved: %(prices)s.",
                        name=services.discount_label(discount),
                        amount=services.amount_text(discount),
                        prices=services.price_examples(discount),
                    )
                )
                return redirect(url_for("discounts.index"))
    if running:
        # Only the discount's own variants are shown, as text.
        products = [
            product
            for product in products
            if any(variant in discount.variants for variant in product.variants)
        ]
    return render_template(
        "sellers/discounts_new.html",
        form=form,
        shop=g.shop,
        products=products,
        chosen=set(form.variants.data or ()),
        discount=discount,
        running=running,
        discount_label=services.discount_label,
        amount_text=services.amount_text,
    ), status


@bp.post("/<int:discount_id>/end")
@shop_required
def end(discount_id: int):
    """End one of the shop's discounts now (a scheduled one is called off)."""
    try:
        discount = services.own_discount(g.shop, discount_id)
    except NotYours:
        abort(404)
    try:
        services.end_discount(discount)
    except services.AlreadyEnded as error:
        flash(str(error), "error")
        return redirect(url_for("discounts.index"))
    db.session.commit()
    flash(
        _(
            "Discount “%(name)s” ended: buyers pay the regular price from now on.",
            name=services.discount_label(discount),
        )
    )
    return redirect(url_for("discounts.index"))
