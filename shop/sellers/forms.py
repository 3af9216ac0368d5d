"""Seller workspace forms. Money is typed in yuan (39.9) and read as fen (3990)."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from shop.money import InvalidMoney, MoneyTooLarge, fen_to_decimal_text, parse_money
from shop.parsing import NotAWholeNumber, whole_number

#: What the file pickers offer; the pipeline checks the bytes themselves, never this.
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
#: Stock and weight beyond this are typos.
MOST_UNITS = 1_000_000
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{5,24}$")
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


class YuanField(StringField):
    """An amount typed in yuan; after validation `fen` holds it in fen (None when left empty)."""

    def __init__(self, label=None, validators=None, minimum_fen: int = 0, required=True, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.minimum_fen = minimum_fen
        self.required = required
        self.fen: int | None = None

    def process_data(self, value):
        # Filled from fen (editing): show 39.90, not 3990.
        self.data = fen_to_decimal_text(value) if isinstance(value, int) else value

    def pre_validate(self, form):
        self.fen = None
        text = (self.data or "").strip()
        if not text:
            if self.required:
                raise ValidationError(_l("Enter an amount in yuan, like 39.9."))
            return
        try:
            fen = parse_money(text)
        except MoneyTooLarge:
            raise ValidationError(
                _l("This amount is too large: enter at most 99,999,999.99 yuan.")
            ) from None
        except InvalidMoney:
            raise ValidationError(
                _l("Enter an amount in yuan with at most two decimals, like 39.9.")
            ) from None
        if fen < self.minimum_fen:
            raise ValidationError(
                _l("The price must be more than 0.")
                if self.minimum_fen > 0
                else _l("The amount cannot be negative.")
            )
        self.fen = fen


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (an accessible list, no script needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def lf_line_breaks(text: str | None) -> str | None:
    """WTForms filter: line breaks as LF. Browsers send a textarea's as CRLF, so without this
    saving an untouched story or description typed elsewhere (CSV, LF) would change it."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


def optional_phone(form, field) -> None:
    """WTForms validator: empty, or digits with spaces, dashes and a leading +."""
    value = (field.data or "").strip()
    if value and not PHONE_PATTERN.match(value):
        raise ValidationError(_l("Enter a phone number with digits only, like 138 1234 5678."))


def optional_sku(form, field) -> None:
    """WTForms validator: empty, or letters, digits, dots, dashes and underscores."""
    value = (field.data or "").strip()
    if value and not SKU_PATTERN.match(value):
        raise ValidationError(
            _l("Use up to 64 letters, digits, dots, dashes or underscores for the SKU.")
        )


class WholeNumberField(IntegerField):
    """IntegerField that reads ASCII digits only (int() also takes "١٢" and "1_000")."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = whole_number(valuelist[0])
        except NotAWholeNumber as error:
            self.data = None
            raise ValueError(
                _l("That number is too large.")
                if error.too_large
                else _l("Enter a whole number with the digits 0 to 9.")
            ) from None


def whole_number_field(label):
    """A required whole number from 0 up to MOST_UNITS."""
    return WholeNumberField(
        label,
        default=0,
        validators=[
            InputRequired(message=_l("Enter a whole number (0 or more).")),
            NumberRange(0, MOST_UNITS, message=_l("Enter a whole number (0 or more).")),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )


def absent_keeps_current(form, field) -> None:
    """A field the sent form does not have at all (a page opened before the field existed)
    passes: the view keeps the current value. An empty box is still checked."""
    if not field.raw_data:
        field.errors[:] = []
        raise StopValidation()


class ShopForm(FlaskForm):
    """The shop profile: names, region, story, logo, phone and shipping rule."""

    name_zh = StringField(_l("Shop name in Chinese"), validators=[Length(max=100)])
    name_en = StringField(_l("Shop name in English"), validators=[Length(max=100)])
    region = SelectField(_l("Region"), coerce=int)
    story_zh = TextAreaField(
        _l("Your story in Chinese"), filters=[lf_line_breaks], validators=[Length(max=5000)]
    )
    story_en = TextAreaField(
        _l("Your story in English"), filters=[lf_line_breaks], validators=[Length(max=5000)]
    )
    logo = FileField(_l("Logo"), render_kw={"accept": IMAGE_ACCEPT})
    contact_phone = StringField(
        _l("Contact phone"), validators=[Length(max=30), optional_phone], render_kw={"type": "tel"}
    )
    shipping_fee = YuanField(_l("Shipping fee per order (yuan)"), default=0)
    free_shipping_over = YuanField(_l("Free shipping from (yuan)"), required=False)
    no_shipping_regions = MultiCheckboxField(_l("Provinces you do not ship to"))
    dispatch_days = WholeNumberField(
        _l("Dispatch within (days after payment)"),
        default=2,
        validators=[
            absent_keeps_current,
            InputRequired(message=_l("Enter a number of days from 1 to 30.")),
            NumberRange(1, 30, message=_l("Enter a number of days from 1 to 30.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": 30},
    )

    def validate_name_zh(self, field):
        if not (field.data or "").strip() and not (self.name_en.data or "").strip():
            raise ValidationError(_l("Give your shop a name, in Chinese or English."))


class CategoryField(SelectField):
    """The category select: filled from a listing, it takes the category's id, not the object.

    (Filled with obj=product, WTForms hands it product.category; an object matches no option,
    so nothing was preselected and saving the untouched form wiped the category.)
    """

    def process_data(self, value):
        super().process_data(getattr(value, "id", value) if value is not None else 0)


class ListingForm(FlaskForm):
    """What the product is: titles, descriptions, category and tags."""

    title_zh = StringField(_l("Title in Chinese"), validators=[Length(max=120)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=120)])
    description_zh = TextAreaField(
        _l("Description in Chinese"), filters=[lf_line_breaks], validators=[Length(max=10000)]
    )
    description_en = TextAreaField(
        _l("Description in English"), filters=[lf_line_breaks], validators=[Length(max=10000)]
    )
    category = CategoryField(_l("Category"), coerce=int, default=0)
    tags = StringField(
        _l("Tags (separated by commas)"), validators=[Length(max=500)], render_kw={"maxlength": 500}
    )

    #: Shown only when a price is far from the category's usual range (products.price_range).
    confirm_prices = BooleanField(_l("Yes, these prices are right: save them"))

    def validate_title_zh(self, field):
        if not (field.data or "").strip() and not (self.title_en.data or "").strip():
            raise ValidationError(_l("Give the listing a title, in Chinese or English."))


class VariantForm(FlaskForm):
    """One spec of a listing: its label, price, stock, weight and SKU."""

    spec_zh = StringField(_l("Spec in Chinese (e.g. 5 jin box)"), validators=[Length(max=80)])
    spec_en = StringField(_l("Spec in English"), validators=[Length(max=80)])
    price = YuanField(_l("Price (yuan)"), minimum_fen=1)
    stock = whole_number_field(_l("Stock"))
    weight_g = whole_number_field(_l("Weight (grams)"))
    sku = StringField(_l("SKU (your own code, optional)"), validators=[Optional(), optional_sku])

    def validate_spec_zh(self, field):
        if not (field.data or "").strip() and not (self.spec_en.data or "").strip():
            raise ValidationError(_l("Name the spec, e.g. 一箱 5 斤 or 5 jin box."))


class NewListingForm(ListingForm, VariantForm):
    """A new listing: the product, its first variant and, if at hand, its first photo."""

    photo = FileField(_l("Photo"), render_kw={"accept": IMAGE_ACCEPT})


class PhotoForm(FlaskForm):
    """One or more photos to add to a listing."""

    photos = MultipleFileField(_l("Add photos"), render_kw={"accept": IMAGE_ACCEPT})


class ImportForm(FlaskForm):
    """A CSV file to check (dry run), or to import once it is valid."""

    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"})
