"""Named errors and problems that the pipeline hands back to the teacher."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserFacingError


class PipelineError(UserFacingError):
    """A photo was refused by the pipeline."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``rule`` is a stable machine name, ``message`` a sentence for the teacher."""

    rule: str
    message: str
