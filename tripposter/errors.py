"""The one base for errors that carry a sentence for a person: every layer's refusals subclass it."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something was refused. ``user_message`` says, in plain words, what happened and what to do next."""

    code = "refused"

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message
