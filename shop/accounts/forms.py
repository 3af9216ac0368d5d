"""Account forms. Every one carries a CSRF token (Flask-WTF)."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from shop.accounts.codes import parse_code
from shop.accounts.models import Role
from shop.accounts.passwords import MIN_LENGTH, password_problem
from shop.accounts.phones import looks_like_email, normalize_phone

#: Good enough to catch typos; whether the address works is only known by writing to it.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(form, field) -> None:
    """WTForms validator: something@somewhere.tld, at most 254 characters."""
    value = (field.data or "").strip()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise ValidationError(_l("Enter an email address like name@example.com."))


def mainland_mobile(form, field) -> None:
    """WTForms validator: an 11-digit mainland mobile number, however it is spaced."""
    if normalize_phone(field.data) is None:
        raise ValidationError(_l("Enter an 11-digit mainland mobile number, like 138 1234 5678."))


def email_or_mobile(form, field) -> None:
    """WTForms validator: an email (it has an @) or a mainland mobile number."""
    if looks_like_email(field.data):
        valid_email(form, field)
    elif normalize_phone(field.data) is None:
        raise ValidationError(
            _l("Enter your email, or an 11-digit mainland mobile number like 138 1234 5678.")
        )


def six_digit_code(form, field) -> None:
    """WTForms validator: the six digits of an SMS code."""
    if parse_code(field.data) is None:
        raise ValidationError(_l("Enter the 6 digits of the code in the SMS."))


def acceptable_password(form, field) -> None:
    """WTForms validator: long enough and not one of the most common passwords."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def language_choices() -> list[SelectChoice]:
    """Each language named in itself, so anyone can find their own."""
    return [SelectChoice("zh", "中文"), SelectChoice("en", "English")]


class LoginForm(FlaskForm):
    """Email or mobile number and password, and whether to stay logged in on this device.

    The field keeps the name "email" so links, password managers and scripts keep working.
    """

    email = StringField(
        _l("Email or mobile number"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class SignupForm(FlaskForm):
    """A new account: who you are, how you log in (email, mobile number or both), what for."""

    email = EmailField(_l("Email"), validators=[Optional(), valid_email])
    phone = StringField(
        _l("Mobile number"),
        validators=[Optional(), mainland_mobile],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 24},
    )
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=80)], render_kw={"maxlength": 80}
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200), acceptable_password],
        render_kw={"minlength": MIN_LENGTH, "autocomplete": "new-password"},
    )
    language = SelectField(_l("Preferred language"), choices=language_choices(), default="zh")
    role = RadioField(
        _l("I am here to"),
        choices=[
            SelectChoice(Role.CUSTOMER, _l("Buy farm products")),
            SelectChoice(Role.EXHIBITOR, _l("Sell at the exhibition (exhibitor)")),
            SelectChoice(Role.TRAINEE, _l("Practise running a shop (trainee)")),
        ],
        default=Role.CUSTOMER,
    )
    #: A trainer's cohort code (the sign-up QR code fills it in); with one, the account is a
    #: trainee's and joins that cohort.
    join_code = StringField(
        _l("Cohort join code (optional)"),
        validators=[Length(max=40)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then: an email or a mobile number, at least one of them."""
        valid = super().validate(extra_validators)
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.email.errors = [*self.email.errors, _l("Enter an email or a mobile number.")]
            return False
        return valid


class ChangePasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200), acceptable_password],
        render_kw={"minlength": MIN_LENGTH, "autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(FlaskForm):
    """The email to send a reset link to, or the mobile number to text a reset code to."""

    email = StringField(
        _l("Email or mobile number"),
        validators=[DataRequired(), Length(max=254), email_or_mobile],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )


class PhoneForm(FlaskForm):
    """The mobile number to text a log-in code to."""

    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(), mainland_mobile],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 24},
    )


class CodeForm(FlaskForm):
    """The six-digit code from the SMS."""

    code = StringField(
        _l("Code from the SMS"),
        validators=[DataRequired(), six_digit_code],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": 12,
            "spellcheck": "false",
        },
    )


class ResetWithCodeForm(CodeForm):
    """The texted reset code and a new password, twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200), acceptable_password],
        render_kw={"minlength": MIN_LENGTH, "autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ResetPasswordForm(FlaskForm):
    """A new password, twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200), acceptable_password],
        render_kw={"minlength": MIN_LENGTH, "autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
