"""Forms a senior leader uses: staff accounts and the school's settings."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...models import WEEKDAYS, Role

DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email address."), Length(max=254)])
    display_name = StringField("Name", validators=[DataRequired("Enter the person's name."), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(r.value, r.label) for r in Role], validators=[DataRequired()])
    password = PasswordField(
        "First password (at least 10 characters)",
        validators=[DataRequired("Choose a first password."), Length(max=200)],
    )


class ActionForm(FlaskForm):
    """A button that changes something: it only needs its CSRF token."""


class SchoolForm(FlaskForm):
    name = StringField("School name", validators=[DataRequired("Enter the school's name."), Length(max=200)])
    timezone = SelectField("Time zone", validate_choice=False)  # checked by the service, with the rest
    required_hashtags = StringField("Hashtags on every post", validators=[Length(max=500)])
    first_names_allowed = BooleanField("Pupils' first names may be used, where the pupil has first-name consent")
    guard_staff_surnames = BooleanField("Never post staff surnames (\u201cMr Baker\u201d) either")
    allow_blurred_without_consent = BooleanField(
        "A pupil without photo consent may appear if their face is blurred"
    )
    allowed_handles = StringField("@handles that posts may mention", validators=[Length(max=1000)])
    banned_words = TextAreaField("Text-speak and words never to post", validators=[Length(max=5000)])
    require_two_factor = BooleanField(
        "Senior leaders and office staff must use two-step sign-in (a code from an app on their phone)"
    )
    x_monthly_budget = DecimalField(
        "Most that posting to X may spend each month (US dollars)", places=2,
        validators=[Optional(), NumberRange(0, 10_000, "Give an amount between $0 and $10,000, or leave it empty.")],
    )
    retention_hours = IntegerField(
        "Longest time a photo may wait before it is destroyed (hours)",
        validators=[DataRequired("Give a number of hours."), NumberRange(1, 336)],
    )


def school_form_class() -> type[SchoolForm]:
    """SchoolForm with a start and an end field for each weekday."""
    fields: dict[str, Any] = {}
    for day, label in DAY_NAMES.items():
        fields[f"{day}_start"] = TimeField(f"{label} from", validators=[Optional()])
        fields[f"{day}_end"] = TimeField(f"{label} until", validators=[Optional()])
    return type("SchoolHoursForm", (SchoolForm,), fields)
