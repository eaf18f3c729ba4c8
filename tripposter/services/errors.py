"""Errors that services raise for the web layer and the CLI to show."""

from __future__ import annotations


class ServiceError(Exception):
    """A request was refused. ``user_message`` says what happened and what to do next."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class ValidationError(ServiceError):
    """Input was refused; ``fields`` maps a field name to the message to show beside it."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(" ".join(fields.values()))
        self.fields = fields


class NotFoundError(ServiceError):
    """The thing asked for does not exist, or the caller may not see it."""
