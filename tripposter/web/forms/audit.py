"""The audit log's filters: a GET form, so a filtered view is a link that can be bookmarked or shared."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from ...services.audit.catalogue import CATEGORIES

DATE_MESSAGE = "Give the date as day, month and year, or leave it empty."


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # it only reads, and its values travel in the address

    since = DateField("From (first day)", validators=[Optional()])
    until = DateField("To (last day)", validators=[Optional()])
    category = SelectField(
        "Kind of event",
        choices=[SelectChoice("", "All kinds")] + [SelectChoice(key, c.label) for key, c in CATEGORIES.items()],
        validate_choice=False,
    )
    actor = SelectField("Who", validate_choice=False)
    trip = SelectField("Trip", validate_choice=False)
    action = StringField("Action name starts with", validators=[Optional(), Length(max=64)])

    def prepare(self, actors: list[tuple[str, str]], trips: list[tuple[str, str]]) -> None:
        self.actor.choices = [SelectChoice("", "Everyone")] + [SelectChoice(v, label) for v, label in actors]
        self.trip.choices = [SelectChoice("", "All trips")] + [SelectChoice(v, label) for v, label in trips]

    def trip_names(self) -> dict[str, str]:
        return {c.value: c.label for c in self.trip.choices[1:]}

    def checked(self) -> bool:
        """Validate, with plain messages for dates a browser without a date picker let through."""
        ok = self.validate()
        for field in (self.since, self.until):
            if field.errors:
                field.errors = [DATE_MESSAGE]
        if self.trip.data and not str(self.trip.data).isdigit():
            self.trip.errors = ["Choose a trip from the list."]
            ok = False
        return ok
