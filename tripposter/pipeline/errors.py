"""Named errors and problems that the pipeline hands back to the teacher."""

from __future__ import annotations

from dataclasses import dataclass


class PipelineError(Exception):
    """A photo was refused. ``user_message`` says, in plain words, what happened and what to do next."""

    code = "refused"

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``rule`` is a stable machine name, ``message`` a sentence for the teacher."""

    rule: str
    message: str
