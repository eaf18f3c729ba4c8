"""Put a service's field errors beside the matching form fields."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from ...services.errors import ServiceError, ValidationError


def show_errors(form: FlaskForm, exc: ServiceError) -> None:
    """Field errors go beside their field; anything else is flashed at the top of the page."""
    if not isinstance(exc, ValidationError):
        flash(exc.user_message, "error")
        return
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is None:
            flash(message, "error")
        else:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
