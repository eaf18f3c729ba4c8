"""The sweeper: no photo outlives its retention limit, posted or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Fate, Photo, PhotoState, PostState
from ...spool import Spool
from ..audit import events as audit
from .destruction import destroy_photo


def sweep_expired(session: Session, spool: Spool, now: datetime) -> int:
    """Destroy every photo past its limit; a waiting post that loses a photo expires with it."""
    count = 0
    expired = session.scalars(select(Photo).where(Photo.state != PhotoState.DESTROYED, Photo.expires_at < now))
    for photo in list(expired):
        post = photo.post
        if post is not None and post.state is PostState.PUBLISHING and (post.claimed_until or now) > now:
            continue  # a worker is sending it this minute: its own path destroys it
        if post is not None and (post.state.waiting or post.state is PostState.HELD):
            post.state, post.text = PostState.EXPIRED, ""
            audit.record(session, None, "post.expired", post)
        fate = Fate.POSTED if photo.state is PhotoState.PUBLISHED else Fate.EXPIRED
        url = post.remote_url if post is not None and fate is Fate.POSTED else None
        photo.state = PhotoState.PUBLISHED if fate is Fate.POSTED else PhotoState.EXPIRED
        destroy_photo(session, spool, photo, fate, now, reason="" if url else "retention limit reached", url=url)
        count += 1
    if count:
        audit.record(session, None, "retention.swept", None, photos=count)
    return count
