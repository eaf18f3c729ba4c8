"""Sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
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
