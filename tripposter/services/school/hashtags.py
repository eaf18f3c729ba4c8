"""Hashtags as they are saved: the pattern, and the name guard (a hashtag goes out on every post, so it may name no pupil)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from ...models import SchoolSettings
from ...pipeline.errors import Problem
from ...pipeline.name_guard import OutgoingText, guard
from .rules import roster_names

HASHTAG = re.compile(r"^#[^\W_][\w]{0,99}$", re.UNICODE)


def hashtag_problems(session: Session, school: SchoolSettings, tags: Iterable[str], whose: str) -> list[Problem]:
    """Names in hashtags being saved; ``whose`` is "trip" or "school". A hashtag goes on every post."""
    fields = [OutgoingText(f"The {whose} hashtag {tag}", tag, every_post=True) for tag in tags]
    return list(guard(fields, roster_names(session, school), first_names_allowed=False).problems)


def hashtag_error(session: Session, school: SchoolSettings, tags: Iterable[str], whose: str) -> str | None:
    """One sentence for the form, or None when no hashtag names anyone."""
    problems = hashtag_problems(session, school, tags, whose)
    return " ".join(p.message for p in problems) or None
