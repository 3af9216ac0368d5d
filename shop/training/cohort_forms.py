"""The trainer's forms: opening a cohort, and confirming a graduation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError


class CohortForm(FlaskForm):
    """A cohort, new or edited: its name, the programme region it trains in, and its dates."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Give the cohort a name.")),
            Length(max=100, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"maxlength": 100, "placeholder": "灵寿 2026 春季班"},
    )
    region = SelectField(_l("Region"), coerce=int)
    starts_on = DateField(
        _l("First day"), validators=[InputRequired(message=_l("Enter the first day."))]
    )
    ends_on = DateField(
        _l("Last day"), validators=[InputRequired(message=_l("Enter the last day."))]
    )

    def validate_name(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Give the cohort a name."))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class GraduateForm(FlaskForm):
    """The trainer's confirmation that a trainee's shop may sell publicly (a CSRF token only)."""
