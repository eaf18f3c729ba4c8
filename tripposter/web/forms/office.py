"""Forms office staff use: the roster and trips."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

CONSENT_CHOICES = [
    SelectChoice("yes", "Yes"),
    SelectChoice("no", "No"),
    SelectChoice("unknown", "No record (counts as no)"),
]


class ImportForm(FlaskForm):
    file = FileField("Roster file (CSV)", validators=[FileRequired("Choose the CSV file exported from your MIS.")])


class ConfirmImportForm(FlaskForm):
    # The checked file travels back with the confirmation and is checked again before writing.
    csv_text = HiddenField(validators=[DataRequired()])


class ConsentForm(FlaskForm):
    photo_consent = SelectField("Photo consent", choices=CONSENT_CHOICES)
    first_name_consent = SelectField("First-name consent", choices=CONSENT_CHOICES)


class TripForm(FlaskForm):
    name = StringField("Trip name", validators=[Length(max=120)])
    destination = StringField("Destination", validators=[Length(max=200)])
    start_date = DateField("First day", validators=[Optional()])
    end_date = DateField("Last day", validators=[Optional()])
    lead_id = SelectField("Lead teacher", coerce=int, validate_choice=False)
    staff_ids = SelectMultipleField("Other staff who may post", coerce=int, validate_choice=False)
    pupil_ids = SelectMultipleField("Pupils on the trip", coerce=int, validate_choice=False)
    hashtags = StringField("Trip hashtags", validators=[Length(max=500)])
    posting_start = TimeField("Posting from", validators=[Optional()])
    posting_end = TimeField("Posting until", validators=[Optional()])
    networks = SelectMultipleField("Where this trip's posts go", coerce=str, validate_choice=False)
    # Present only when the form showed the networks: a form without it leaves the trip's choice alone.
    networks_shown = HiddenField()


def consent_value(choice: str) -> bool | None:
    return {"yes": True, "no": False}.get(choice)


def consent_choice(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "unknown")  # type: ignore[arg-type]
