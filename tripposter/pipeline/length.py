"""The post's final text and its length as X counts it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from twitter_text import parse_tweet

from .errors import Problem

MAX_WEIGHTED_LENGTH = 280
_HASHTAG = re.compile(r"(?<![\w&#\uff03])[#\uff03](\w+)")


def required_hashtags(school_hashtags: Iterable[str], trip_hashtags: Iterable[str]) -> tuple[str, ...]:
    """The school's then the trip's hashtags, each with one '#', without case-insensitive repeats."""
    tags: dict[str, str] = {}
    for raw in (*school_hashtags, *trip_hashtags):
        body = raw.strip().lstrip("#\uff03").strip()
        if body:
            tags.setdefault(body.casefold(), "#" + body)
    return tuple(tags.values())


def with_hashtags(caption: str, hashtags: Iterable[str]) -> str:
    """The caption with each required hashtag it lacks appended: exactly what gets posted."""
    body = caption.strip()
    present = {m.group(1).casefold() for m in _HASHTAG.finditer(body)}
    missing = [tag for tag in hashtags if tag[1:].casefold() not in present]
    if not missing:
        return body
    tail = " ".join(missing)
    return f"{body}\n\n{tail}" if body else tail


def weighted_length(text: str) -> int:
    """Length as X counts it: most emoji and CJK characters count two, every link 23."""
    return parse_tweet(text).weightedLength


def length_problems(length: int) -> list[Problem]:
    """A problem if the final post is longer than X allows."""
    if length <= MAX_WEIGHTED_LENGTH:
        return []
    over = length - MAX_WEIGHTED_LENGTH
    return [
        Problem(
            "length",
            f"With the school's hashtags added the post is {length} characters long, and X allows "
            f"{MAX_WEIGHTED_LENGTH}. Shorten the caption by {over} characters (emoji count as two).",
        )
    ]
