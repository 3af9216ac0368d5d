"""Forms of the trainee's pages (each carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from shop.training.services import MAX_CODE_INPUT


class JoinForm(FlaskForm):
    """The join code a trainer gave the cohort."""

    code = StringField(
        _l("Cohort join code"),
        validators=[DataRequired(), Length(max=MAX_CODE_INPUT)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"},
    )


class ResetForm(FlaskForm):
    """Confirms the reset of the practice shop (the page says what goes and what stays)."""
