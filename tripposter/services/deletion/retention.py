"""The sweeper: no photo outlives its retention limit, posted or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import Fate, Photo, PhotoState, Post, PostState, Publication, PublicationState
from ...spool import Spool
from ..audit import events as audit
from .destruction import destroy_photo, skipped_main_fate


def _channel_sending(session: Session, post: Post, now: datetime) -> bool:
    query = select(Publication.id).where(Publication.post_id == post.id, Publication.state == PublicationState.SENDING,
                                         Publication.claimed_until > now)
    return session.scalars(query.limit(1)).first() is not None


def expire_unsent(session: Session, post: Post) -> int:
    """Every connected channel still waiting for ``post`` misses it: expired and audited, never silently lost."""
    waiting = list(session.scalars(select(Publication.id).where(Publication.post_id == post.id,
                                                                Publication.state == PublicationState.PENDING)))
    count = 0
    for publication_id in waiting:
        why = "The photos reached their retention limit before this post could go out here."
        moved = session.execute(  # conditional: a worker may claim it between the read and this write
            update(Publication).where(Publication.id == publication_id, Publication.state == PublicationState.PENDING)
            .values(state=PublicationState.EXPIRED, last_error=why).execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            audit.record(session, None, "publication.expired", post, publication=publication_id,
                         reason="retention limit reached")
            count += 1
    return count


def sweep_expired(session: Session, spool: Spool, now: datetime) -> int:
    """Destroy every photo past its limit; a waiting post that loses a photo expires with it."""
    count = 0
    expired = session.scalars(select(Photo).where(Photo.state != PhotoState.DESTROYED, Photo.expires_at < now))
    for photo in list(expired):
        post = photo.post
        if post is not None and post.state is PostState.PUBLISHING and (post.claimed_until or now) > now:
            continue  # a worker is sending it this minute: its own path destroys it
        if post is not None and _channel_sending(session, post, now):
            continue  # the same, for one of its connected channels
        if post is not None:
            expire_unsent(session, post)  # never a silent loss: each channel it missed is recorded
        if post is not None and (post.state.waiting or post.state is PostState.HELD):
            post.state, post.text = PostState.EXPIRED, ""
            audit.record(session, None, "post.expired", post)
        fate = Fate.POSTED if photo.state is PhotoState.PUBLISHED else Fate.EXPIRED
        url = post.remote_url if post is not None and fate is Fate.POSTED else None
        reason = "" if url else "retention limit reached"
        if post is not None and post.main_skipped and fate is Fate.POSTED:
            fate, reason, url = skipped_main_fate(session, post)  # posted only if a network took it
        photo.state = PhotoState.PUBLISHED if fate is Fate.POSTED else PhotoState.EXPIRED
        destroy_photo(session, spool, photo, fate, now, reason=reason, url=url)
        count += 1
    if count:
        audit.record(session, None, "retention.swept", None, photos=count)
    return count
