"""Sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField(
        "New password (at least 10 characters)",
        validators=[DataRequired("Choose a new password."), Length(max=200)],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Type the new password again."), EqualTo("new_password", "The two new passwords differ.")],
    )


class CodeForm(FlaskForm):
    """A 6-digit code from the authenticator app: sign-in, set-up, and turning it off."""

    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired("Type the 6 digits your app shows."), Length(max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"},
    )
