"""The checkout form: who receives the parcel, where, and a note for the seller."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from products import divisions
from products.shipping import PROVINCES
from shop.accounts.forms import valid_email

#: A mainland mobile number: 11 digits starting 13 to 19.
MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
#: Any other number in international form, e.g. +85591234567.
INTERNATIONAL_PHONE = re.compile(r"^\+[0-9]{6,15}$")
MAINLAND = "cn"
ABROAD = "abroad"
CHINA = "中国"


def normalize_phone(text: str) -> str:
    """Spaces and dashes out; a +86 / 0086 prefix dropped from mainland numbers."""
    phone = re.sub(r"[\s\-()]", "", text or "")
    match = re.match(r"^(?:\+86|0086|86)(1[0-9]{10})$", phone)
    return match.group(1) if match else phone


def province_choices(language: str) -> list[SelectChoice]:
    """The province select's options, named in the visitor's language."""
    choices = [SelectChoice("", _l("Choose a province"))]
    for name_zh, name_en in PROVINCES:
        choices.append(
            SelectChoice(name_zh, name_zh if language == "zh" else f"{name_en} · {name_zh}")
        )
    return choices


class CheckoutForm(FlaskForm):
    """Contact and address for every order of this checkout."""

    contact_name = StringField(
        _l("Name of the person receiving the parcel"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "name", "maxlength": 80},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(), Length(max=24)],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 24},
    )
    email = EmailField(
        _l("Email for order notices (optional)"),
        validators=[Optional(), Length(max=254), valid_email],
        render_kw={"autocomplete": "email"},
    )
    destination = RadioField(
        _l("Ship to"),
        choices=[
            SelectChoice(MAINLAND, _l("Mainland China")),
            SelectChoice(ABROAD, _l("Outside mainland China")),
        ],
        default=MAINLAND,
    )
    province = SelectField(_l("Province"), choices=[], validate_choice=False)
    city = StringField(
        _l("City"), validators=[Length(max=80)], render_kw={"autocomplete": "address-level2"}
    )
    district = StringField(
        _l("District or county"),
        validators=[Length(max=80)],
        render_kw={"autocomplete": "address-level3"},
    )
    street = StringField(
        _l("Street, building and room"),
        validators=[DataRequired(), Length(max=300)],
        render_kw={"autocomplete": "address-line1", "maxlength": 300},
    )
    country = StringField(
        _l("Country or region"),
        validators=[Length(max=80)],
        render_kw={"autocomplete": "country-name"},
    )
    #: The city of an address abroad (the mainland's city is chosen under its province).
    town = StringField(
        _l("City or town"),
        validators=[Length(max=80)],
        render_kw={"autocomplete": "address-level2", "maxlength": 80},
    )
    postal_code = StringField(
        _l("Postal code"), validators=[Length(max=20)], render_kw={"autocomplete": "postal-code"}
    )
    note = TextAreaField(
        _l("Note for the seller (optional)"),
        validators=[Length(max=500)],
        render_kw={"rows": 3, "maxlength": 500},
    )
    #: A digest of the prices the buyer was shown (never a price: see CartSummary.quote).
    quote = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then those that depend on where the parcel goes."""
        valid = super().validate(extra_validators)
        phone = normalize_phone(self.phone.data)
        if self.destination.data == MAINLAND:
            valid = self._validate_place() and valid
            if self.phone.data and not MAINLAND_MOBILE.match(phone):
                self.phone.errors = [
                    *self.phone.errors,
                    _l("Enter an 11-digit mainland mobile number, like 13812345678."),
                ]
                valid = False
        else:
            for field in (self.country, self.town):
                if not (field.data or "").strip():
                    field.errors = [*field.errors, _l("This field is required.")]
                    valid = False
            if (self.country.data or "").strip() in (CHINA, "China", "china", "PRC"):
                self.country.errors = [
                    *self.country.errors,
                    _l("For an address in mainland China, choose “Mainland China” above."),
                ]
                valid = False
            if self.phone.data and not (
                MAINLAND_MOBILE.match(phone) or INTERNATIONAL_PHONE.match(phone)
            ):
                self.phone.errors = [
                    *self.phone.errors,
                    _l("Enter the number with its country code, like +85591234567."),
                ]
                valid = False
        return valid

    def _validate_place(self) -> bool:
        """Province, city and county must belong together, as the picker offers them.

        Without JavaScript they are typed: a name typed by its beginning ("宿州") becomes the
        official one, and one that does not fit is named with the choices that would, while the
        field keeps what was typed.
        """
        try:
            names = divisions.match_place(self.province.data, self.city.data, self.district.data)
        except divisions.PlaceNotFound as error:
            field = {"province": self.province, "city": self.city, "district": self.district}[
                error.level
            ]
            field.errors = [*field.errors, _place_message(error)]
            # What lies under a place not found is unknown, but an empty field is named now.
            below = {"province": (self.city, self.district), "city": (self.district,)}
            for empty in below.get(error.level, ()):
                if not (empty.data or "").strip():
                    empty.errors = [*empty.errors, _("This field is required.")]
            return False
        except divisions.NoCountyLevel as error:
            self.district.errors = [
                *self.district.errors,
                _(
                    "%(city)s has no districts or counties: leave this field empty and write "
                    "the town in the street line.",
                    city=error.city,
                ),
            ]
            return False
        self.province.data, self.city.data, self.district.data = names
        return True


def _place_message(error: "divisions.PlaceNotFound") -> str:
    """What to say about a province, city or county that does not fit the one above it."""
    choices = "、".join(error.choices)
    if error.level == "province":
        return _("Choose the province.")
    if not error.typed:
        return _("This field is required.")
    if error.level == "city":
        return _(
            "“%(typed)s” is not a city of %(province)s. Choose one of: %(choices)s.",
            typed=error.typed,
            province=error.parent,
            choices=choices,
        )
    return _(
        "“%(typed)s” is not a district or county of %(city)s. Choose one of: %(choices)s.",
        typed=error.typed,
        city=error.parent,
        choices=choices,
    )
