"""Forms on the posting pages: upload a photo, tag it, make a post, settle an unknown post."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ...publishers.base import MAX_IMAGES
from ...services.errors import ServiceError

WHEN_CHOICES = [
    SelectChoice("now", "Post now (or as soon as posting hours open)"),
    SelectChoice("later", "Post in a number of minutes"),
    SelectChoice("after_trip", "Post after we've left (after the trip)"),
]
DECISIONS = ("posted", "resend", "cancel")


def new_key() -> str:
    """A fresh idempotency key for one rendering of a form: a double submit sends it twice."""
    return uuid4().hex


def optional_int(value: object) -> int | None:
    """A select's value as a pupil id; the empty option means "blur this face"."""
    if value in (None, ""):
        return None
    return int(str(value))


class UploadForm(FlaskForm):
    photo = FileField("Take or choose a photo")
    key = HiddenField()


class TagForm(FlaskForm):
    # One select per detected face, in the order the detector found them ("Face 1" is entry 0).
    faces = FieldList(SelectField(coerce=optional_int))
    tagged = SelectMultipleField("Who is in the photo", coerce=int)
    alt_text = TextAreaField(
        "Describe the photo for people who cannot see it. Don't use names.",
        validators=[DataRequired("Describe the photo: X shows this to people using screen readers."), Length(max=1000)],
    )

    regions = HiddenField()  # the blur areas drawn on the picture (JSON), filled by static/js/tagpage.js
    faces_checked = BooleanField("I have looked at every face in this photo, as it will be posted")

    def prepare(self, face_count: int, face_choices: list[SelectChoice], pupil_choices: list[SelectChoice]) -> None:
        """Give each face its select (on first display) and every control its choices."""
        if not self.is_submitted():
            while len(self.faces) < face_count:
                self.faces.append_entry(None)
        for number, entry in enumerate(self.faces, start=1):
            entry.choices = face_choices
            entry.label.text = f"Face {number} is"
        self.tagged.choices = pupil_choices

    def face_pupils(self) -> list[int | None]:
        return [entry.data for entry in self.faces]

    def region_list(self) -> list[dict[str, Any]] | None:
        """The drawn areas, or None (leave them as they are) when the field is empty.

        Raises:
            ServiceError: the field is not a JSON list of objects.
        """
        if not (self.regions.data or "").strip():
            return None
        try:
            value = json.loads(self.regions.data)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ServiceError("The blurred areas could not be read. Reload the page and draw them again.")
        return value


class PostForm(FlaskForm):
    key = HiddenField(validators=[DataRequired("Reload the page and try again.")])
    # Checked by the service against the teacher's ready photos, so any value may arrive here.
    photo_ids = SelectMultipleField("Photos to post", validate_choice=False)
    caption = TextAreaField("Caption", validators=[Length(max=2000)])
    when = RadioField("When should it go out?", choices=WHEN_CHOICES, default="now")
    minutes = IntegerField("Minutes from now", validators=[Optional(), NumberRange(1, 7 * 24 * 60)])
    urgent_reason = StringField(
        "Urgent: post now, outside the usual hours. Give the reason", validators=[Length(max=500)]
    )

    def validate_photo_ids(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Choose at least one photo.")
        if len(field.data) > MAX_IMAGES:
            raise ValidationError(f"Choose at most {MAX_IMAGES} photos for one post.")

    def validate_minutes(self, field: Field) -> None:
        if self.when.data == "later" and not field.data:
            raise ValidationError("Give the number of minutes to wait.")


class NetworkDecisionForm(FlaskForm):
    """The buttons on a network's copy, and the link a leader may paste with "It went out"."""

    decision = HiddenField()
    url = StringField("Link to the post there, if you found it")  # checked by the service, with a clear message

    def validate_decision(self, field: Field) -> None:
        if field.data not in DECISIONS:
            raise ValidationError("Choose one of the buttons.")


class DecisionForm(FlaskForm):
    """The three buttons on an unknown post: each sends its own ``decision`` value."""

    decision = HiddenField()

    def validate_decision(self, field: Field) -> None:
        if field.data not in DECISIONS:
            raise ValidationError("Choose one of the three buttons.")
