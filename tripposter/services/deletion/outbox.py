"""The outbox's copies are local copies too: every one is known, kept for a set time, then destroyed and recorded.

Three kinds of copy are settled here, each with a record in the trip's deletion log:
- an unfinished post (a ``.tmp-*`` folder a killed writer left): destroyed at once unless its
  attempt is still alive, recorded against the attempt's trip as a leftover copy;
- a published post past ``TRIPPOSTER_OUTBOX_RETENTION_DAYS``: destroyed, and its post row says when;
- a stored post no published post owns (a writer died after its rename and a senior leader
  decided otherwise, or an older version left it): destroyed once it is past the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import DeletionRecord, Fate, Post, PostState
from ...publishers.outbox import OutboxNotFoundError, OutboxPublisher
from ...runtime import Runtime
from ..audit import events as audit

UNFINISHED = "an unfinished copy in the outbox, left by an interrupted post"
UNCLAIMED = "a copy in the outbox that no published post owns"


@dataclass
class OutboxSettled:
    leftovers: int = 0
    expired: int = 0
    strays: int = 0


def settle_outbox(session: Session, rt: Runtime, now: datetime) -> OutboxSettled:
    """Destroy unfinished, expired and unclaimed outbox copies, recording each."""
    result = OutboxSettled()
    if not rt.settings.outbox_path.is_dir():
        return result  # nothing was ever published to the outbox
    outbox = OutboxPublisher(rt.settings.outbox_path)
    result.leftovers = _leftovers(session, outbox, now)
    result.expired = _expired(session, outbox, now)
    result.strays = _strays(session, outbox, now, timedelta(days=rt.settings.outbox_retention_days))
    session.flush()
    return result


def _attempt_post(session: Session, attempt_id: str | None) -> Post | None:
    if attempt_id is None:
        return None
    return session.scalars(select(Post).where(Post.attempt_id == attempt_id)).first()


def _leftovers(session: Session, outbox: OutboxPublisher, now: datetime) -> int:
    count = 0
    for leftover in outbox.leftovers():
        post = _attempt_post(session, leftover.attempt_id)
        if post is not None and post.state is PostState.PUBLISHING and (post.claimed_until or now) > now:
            continue  # its writer is alive (the lease is being renewed): it renames or removes it itself
        gone = outbox.remove_leftover(leftover.name)
        _record(session, post, UNFINISHED, leftover.files, gone, now)
        count += 1
    return count


def _expired(session: Session, outbox: OutboxPublisher, now: datetime) -> int:
    due = select(Post).where(Post.outbox_kept_until <= now, Post.outbox_destroyed_at.is_(None))
    count = 0
    for post in session.scalars(due):
        try:
            files, gone = outbox.delete_post(post.remote_id or "")
        except OutboxNotFoundError:
            files, gone = 0, True  # removed by hand already: nothing is left to destroy
        if not gone:
            continue  # the next round tries again; the log keeps saying it is held
        post.outbox_destroyed_at = now
        audit.record(session, None, "outbox.destroyed", post, files=files, verified=gone)
        count += 1
    return count


def _strays(session: Session, outbox: OutboxPublisher, now: datetime, keep: timedelta) -> int:
    owned = set(session.scalars(select(Post.remote_id).where(Post.remote_id.is_not(None))))
    count = 0
    for stored in outbox.list_posts():
        if stored.id in owned or stored.created_at > now - keep:
            continue  # owned by a post (its retention applies), or young: recovery may still claim it
        files, gone = outbox.delete_post(stored.id)
        _record(session, _attempt_post(session, stored.attempt_id), UNCLAIMED, files, gone, now)
        count += 1
    return count


def _record(session: Session, post: Post | None, reason: str, files: int, gone: bool, now: datetime) -> None:
    trip_id = post.trip_id if post is not None else None
    session.add(DeletionRecord(fate=Fate.LEFTOVER, trip_id=trip_id, reason=reason, copies=files, deleted_at=now,
                               verified=gone))
    audit.record(session, None, "outbox.leftover_destroyed", post, files=files, verified=gone)
