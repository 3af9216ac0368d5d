"""Forms of the order pages (each carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class LookupForm(FlaskForm):
    """A guest proves an order is theirs with its number and the phone's last four digits."""

    number = StringField(
        _l("Order number"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"placeholder": "VM-2611-7KQ3ZD", "autocapitalize": "characters"},
    )
    last4 = StringField(
        _l("Last 4 digits of the phone number given at checkout"),
        validators=[DataRequired(), Regexp(r"^\s*[0-9]{4}\s*$", message=_l("Enter four digits."))],
        render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"},
    )


class ShipForm(FlaskForm):
    """The carrier and tracking number the buyer will see."""

    carrier = StringField(
        _l("Carrier"),
        validators=[DataRequired(), Length(max=60)],
        render_kw={"placeholder": _l("e.g. SF Express, China Post")},
    )
    tracking_number = StringField(
        _l("Tracking number"), validators=[DataRequired(), Length(max=60)]
    )


class ReasonForm(FlaskForm):
    """Why the seller cancels or refunds (the buyer reads it)."""

    reason = TextAreaField(
        _l("Reason (the buyer sees it)"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"rows": 2, "maxlength": 500},
    )
