"""The staff's attestation and the senior leader's sign-off on the deletion log: each needs its box ticked."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ...services.deletion.log import ATTESTATION

SIGN_OFF = (
    "I have checked this log. Signing it off freezes it as it stands now: it can never be changed, and later "
    "edits to the trip are only shown beside it."
)


class AttestForm(FlaskForm):
    confirm = BooleanField(
        ATTESTATION, validators=[DataRequired("Tick the box to confirm that you have deleted every photo.")]
    )


class SignOffForm(FlaskForm):
    # Enforced again by the service: a sign-off without the tick is refused whatever the form says.
    confirm = BooleanField(
        SIGN_OFF, validators=[DataRequired("Tick the box to confirm that you have checked this log.")]
    )
