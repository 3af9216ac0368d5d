"""Forms of the inbox and of the buyer's messages (each carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from shop.messages.services import MAX_BODY_LENGTH, MAX_QUICK_REPLY_LENGTH


def _stripped(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


def _body_field(label) -> TextAreaField:
    """A message text: required, at most MAX_BODY_LENGTH characters once trimmed."""
    return TextAreaField(
        label,
        filters=[_stripped],
        validators=[
            DataRequired(message=_l("Write a message first.")),
            Length(
                max=MAX_BODY_LENGTH,
                message=_l("A message can be at most %(max)d characters; this one has %(length)d."),
            ),
        ],
        render_kw={"rows": 4, "maxlength": MAX_BODY_LENGTH},
    )


class BuyerMessageForm(FlaskForm):
    """The buyer writes to the shop on the order page."""

    body = _body_field(_l("Your message to the shop"))
    #: Shown only while the order can still be refunded: the message becomes a refund request.
    refund = BooleanField(_l("I am asking for a refund of this order"))


class AskSellerForm(FlaskForm):
    """A buyer asks the shop about a product before buying (联系卖家)."""

    body = _body_field(_l("Your question to the shop"))


class ReplyForm(FlaskForm):
    """The seller answers the buyer."""

    body = _body_field(_l("Your reply"))


class DeclineForm(FlaskForm):
    """The seller declines a request and says why (the buyer reads it)."""

    body = _body_field(_l("Why you decline (the buyer reads it)"))


class QuickReplyForm(FlaskForm):
    """One of the seller's saved answers (常用语)."""

    body = StringField(
        _l("Quick reply"),
        filters=[_stripped],
        validators=[
            DataRequired(message=_l("Write the quick reply first.")),
            Length(
                max=MAX_QUICK_REPLY_LENGTH,
                message=_l(
                    "A quick reply can be at most %(max)d characters; this one has %(length)d."
                ),
            ),
        ],
        render_kw={"maxlength": MAX_QUICK_REPLY_LENGTH, "autocomplete": "off"},
    )
