"""Which of a Facebook Page's recent published posts an unknown attempt made, never by text alone.

Graph lists a multi-photo post with one album attachment whose subattachments are the photos, and a
one-photo post with a single photo attachment; a post matches only with the attempt's message, its
number of photos, a creation time after the attempt started, and an id no other post owns.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tripposter.publishers.base import Attempt

# Our clock and Facebook's may disagree by this much: a same-text post made within it just before the
# attempt started cannot be told apart from the attempt, so a person decides.
CLOCK_SKEW = timedelta(seconds=5)


def _comparable(text: str) -> str:
    return " ".join(text.split())


def _photo_count(post: dict[str, Any]) -> int:
    """Photos on a post: an album attachment's subattachments, else one per attachment."""
    total = 0
    for attachment in (post.get("attachments") or {}).get("data") or []:
        subs = ((attachment.get("subattachments") or {}).get("data") or []) if isinstance(attachment, dict) else []
        total += len(subs) or 1
    return total


def candidates(posts: list[Any], text: str, attempt: Attempt) -> tuple[list[str], list[str]]:
    """Posts that are surely after the attempt started, and posts within the clock skew before it."""
    wanted = _comparable(text)
    fits: list[str] = []
    maybe: list[str] = []
    for post in posts:
        if not isinstance(post, dict) or not post.get("id"):
            continue
        post_id = str(post["id"])
        if post_id in attempt.known_ids or _comparable(str(post.get("message", ""))) != wanted:
            continue
        created = _created_time(post.get("created_time"))
        if _photo_count(post) != attempt.media_count or created is None or created < attempt.started_at - CLOCK_SKEW:
            continue  # another post: a different number of photos, or made before this attempt began
        (fits if created >= attempt.started_at else maybe).append(post_id)
    return fits, maybe


def _created_time(raw: Any) -> datetime | None:
    """Graph's ``created_time`` (``2026-06-03T10:00:04+0000``) as an aware datetime."""
    if not isinstance(raw, str):
        return None
    try:
        created = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
