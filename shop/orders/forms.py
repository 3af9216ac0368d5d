"""Forms of the order pages (each carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp


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


class RefundForm(FlaskForm):
    """A refund: why, and optionally an amount; the lines' quantities are read beside it.

    Sent twice: first to see what would be refunded, then with `confirm` and the refunded
    amount the seller saw (`expected`), so a double click refunds once.
    """

    reason = TextAreaField(
        _l("Reason (the buyer sees it)"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"rows": 2, "maxlength": 500},
    )
    amount = StringField(
        _l("Or an amount in yuan"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "decimal", "placeholder": "12.50", "autocomplete": "off"},
    )
    restock = BooleanField(
        _l("The refunded items came back (or never left): put them back in stock")
    )
    expected = HiddenField()
    confirm = HiddenField()
