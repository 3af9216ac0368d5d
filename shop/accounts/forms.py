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
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from shop.accounts.models import Role
from shop.accounts.passwords import MIN_LENGTH, password_problem

#: Good enough to catch typos; whether the address works is only known by writing to it.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(form, field) -> None:
    """WTForms validator: something@somewhere.tld, at most 254 characters."""
    value = (field.data or "").strip()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise ValidationError(_l("Enter an email address like name@example.com."))


def acceptable_password(form, field) -> None:
    """WTForms validator: long enough and not one of the most common passwords."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def language_choices() -> list[SelectChoice]:
    """Each language named in itself, so anyone can find their own."""
    return [SelectChoice("zh", "中文"), SelectChoice("en", "English")]


class LoginForm(FlaskForm):
    """Email and password, and whether to stay logged in on this device."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class SignupForm(FlaskForm):
    """A new account: who you are, how you log in, what you came for."""

    email = EmailField(_l("Email"), validators=[DataRequired(), valid_email])
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
    """The email to send a reset link to."""

    email = EmailField(_l("Email"), validators=[DataRequired(), valid_email])


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
