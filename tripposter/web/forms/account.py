"""Forms on the X account page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import DataRequired

from ...services.networks.x_account import REPLY_CHOICES


class ReplySettingsForm(FlaskForm):
    reply_settings = RadioField(
        "Who can reply to the school's posts on X",
        choices=[SelectChoice(value, label) for value, label in REPLY_CHOICES.items()],
        validators=[DataRequired("Choose who may reply.")],
    )
