"""The teacher's attestation on the deletion log (the sign-off is a plain ``ActionForm`` button)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ...services.deletion_log import ATTESTATION


class AttestForm(FlaskForm):
    confirm = BooleanField(
        ATTESTATION, validators=[DataRequired("Tick the box to confirm that you have deleted every photo.")]
    )
