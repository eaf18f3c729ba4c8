"""Who a publishing attempt is, and when an attempt's outcome can only be settled by a person.

Every photo-only post of a trip has the same text, so the text never identifies an attempt: its id,
start time, photo count and the remote ids other posts already own do (see ``publishers.base.Attempt``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Post, PostState
from ...publishers import base as pub

HELD_AUTHOR = (
    "Whoever wrote this post has been disabled or removed (for example after a lost phone), so it was held "
    "back. A senior leader must decide whether it goes out."
)
SAME_TEXT_DUPLICATE = (
    "X refused this as a copy, but another post with the same text went out earlier, so the app cannot tell "
    "whether this one did. A senior leader must check the account and decide."
)


def attempt_of(session: Session, post: Post) -> pub.Attempt | None:
    """The post's latest attempt, with the remote ids other posts already own (never this attempt's)."""
    if post.attempt_id is None or post.attempt_started_at is None:
        return None
    since = post.attempt_started_at - timedelta(days=1)
    owned = select(Post.remote_id).where(Post.remote_id.is_not(None), Post.id != post.id, Post.published_at >= since)
    known = frozenset(str(remote) for remote in session.scalars(owned))
    return pub.Attempt(post.attempt_id, post.attempt_started_at, len(post.photos), known)


def same_text_posted(session: Session, post: Post) -> bool:
    """Another of our posts with this exact text went out in the last day (X's duplicate window)."""
    since = (post.attempt_started_at or post.created_at) - timedelta(days=1)
    query = select(Post.id).where(Post.id != post.id, Post.text == post.text, Post.state == PostState.PUBLISHED,
                                  Post.published_at >= since)
    return session.scalars(query.limit(1)).first() is not None
