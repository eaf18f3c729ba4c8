"""The name guard over hashtags as they are saved: a hashtag goes out on every post, so it may name no pupil."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ...pipeline.errors import Problem
from ...pipeline.name_guard import OutgoingText, guard
from .rules import roster_names
from .settings import get_school


def hashtag_problems(session: Session, tags: Iterable[str], whose: str) -> list[Problem]:
    """Names in hashtags being saved; ``whose`` is "trip" or "school". A hashtag goes on every post."""
    fields = [OutgoingText(f"The {whose} hashtag {tag}", tag, every_post=True) for tag in tags]
    return list(guard(fields, roster_names(session, get_school(session)), first_names_allowed=False).problems)


def hashtag_error(session: Session, tags: Iterable[str], whose: str) -> str | None:
    """One sentence for the form, or None when no hashtag names anyone."""
    problems = hashtag_problems(session, tags, whose)
    return " ".join(p.message for p in problems) or None
