"""The sandbox payment pages' forms: a test card, or a simulated WeChat Pay / Alipay scan."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError
from wtforms.widgets import TextInput

from shop.models_base import utcnow
from shop.payments.models import PaymentMethod


class NeverEchoedInput(TextInput):
    """A text input that never writes its value back into the page (for card numbers)."""

    def __call__(self, field, **kwargs):
        kwargs["value"] = ""
        return super().__call__(field, **kwargs)


def card_expiry(form, field) -> None:
    """MM/YY in the future, as on a card."""
    match = re.fullmatch(r"\s*([0-9]{1,2})\s*/\s*([0-9]{2})\s*", field.data or "")
    if not match or not 1 <= int(match.group(1)) <= 12:
        raise ValidationError(_l("Enter the expiry date as MM/YY, like 12/34."))
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    now = utcnow()
    if (year, month) < (now.year, now.month):
        raise ValidationError(_l("This card has expired."))


class SandboxCardForm(FlaskForm):
    """Card details as a hosted checkout asks for them (only test numbers work)."""

    card_number = StringField(
        _l("Card number"),
        validators=[DataRequired(), Length(max=30)],
        widget=NeverEchoedInput(),
        render_kw={
            "autocomplete": "off",
            "inputmode": "numeric",
            "placeholder": "4242 4242 4242 4242",
        },
    )
    expiry = StringField(
        _l("Expiry (MM/YY)"),
        validators=[DataRequired(), card_expiry],
        render_kw={"autocomplete": "off", "placeholder": "12/34", "maxlength": 7},
    )
    cvc = StringField(
        _l("Security code (CVC)"),
        validators=[DataRequired(), Length(min=3, max=4)],
        widget=NeverEchoedInput(),
        render_kw={
            "autocomplete": "off",
            "inputmode": "numeric",
            "placeholder": "123",
            "maxlength": 4,
        },
    )
    cardholder = StringField(
        _l("Name on the card"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )


class QrChoiceForm(FlaskForm):
    """Pay by scanning a QR code: which app (the button pressed says)."""

    method = StringField(validators=[DataRequired(), AnyOf(PaymentMethod.QR)])


#: What the practice QR page's buttons make the scan do.
SCAN_RESULTS = ("paid", "failed", "timeout")


class QrScanForm(FlaskForm):
    """What the simulated scan does (the button pressed says)."""

    action = StringField(validators=[DataRequired(), AnyOf(SCAN_RESULTS)])
