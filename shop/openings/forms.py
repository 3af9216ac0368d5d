"""The "tell me when it opens" form (with its CSRF token, Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from shop.accounts.forms import EMAIL_PATTERN
from shop.checkout.forms import INTERNATIONAL_PHONE, MAINLAND_MOBILE, normalize_phone
from shop.openings.models import ContactKind

#: Longer than any email address may be (254) or any phone number is: refused before parsing.
MAX_CONTACT = 254
MAX_NAME = 80


def read_contact(text: str | None) -> tuple[str, str] | None:
    """(kind, normalized contact) for an email address or a mobile number, else None.

    Only ASCII digits make a phone number ("¹³⁸" or full-width digits do not).
    """
    value = (text or "").strip()
    if not value or len(value) > MAX_CONTACT:
        return None
    if "@" in value:
        return (ContactKind.EMAIL, value.lower()) if EMAIL_PATTERN.match(value) else None
    phone = normalize_phone(value)
    if MAINLAND_MOBILE.match(phone) or INTERNATIONAL_PHONE.match(phone):
        return ContactKind.PHONE, phone
    return None


CONTACT_PROBLEM = _l("Enter an email address (name@example.com) or a mobile number (13812345678).")


def email_or_mobile(form, field) -> None:
    """WTForms validator: an email address or a mobile number."""
    if read_contact(field.data) is None:
        raise ValidationError(CONTACT_PROBLEM)


class SignupForm(FlaskForm):
    """Email or mobile number, and an optional name."""

    contact = StringField(
        _l("Email or mobile number"),
        validators=[DataRequired(message=CONTACT_PROBLEM), email_or_mobile],
    )
    name = StringField(
        _l("Your name (optional)"),
        validators=[Length(max=MAX_NAME, message=_l("Use at most 80 characters for the name."))],
    )
