"""Errors that services raise for the web layer and the CLI to show."""

from __future__ import annotations

from ..errors import UserFacingError


class ServiceError(UserFacingError):
    """A request was refused by a use case."""


class ValidationError(ServiceError):
    """Input was refused; ``fields`` maps a field name to the message to show beside it."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(" ".join(fields.values()))
        self.fields = fields


class NotFoundError(ServiceError):
    """The thing asked for does not exist, or the caller may not see it."""
