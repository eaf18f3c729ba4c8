"""What became of a post's copy on each connected network, as the records say it.

The deletion log and the phone both read these words, so a senior leader's decision reads the same
everywhere: "recorded as posted by Ms Patel", "not sent: cancelled by Ms Patel".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Channel, ChannelKind, Post, Publication, PublicationState, User

CopiesByPost = dict[int, tuple[tuple[str, str], ...]]
# A copy kept on this server (the practice outbox): until when, and when it was destroyed (None if not yet).
LocalCopies = dict[int, list[tuple[datetime, datetime | None]]]


def decided_note(publication: Publication, leader: User | None) -> str:
    """What a senior leader's decision made of this copy; "" if none decided it (or it has moved on since)."""
    who = leader.display_name if leader is not None else "a senior leader"
    state, decision = publication.state, publication.decision
    if decision == "posted" and state is PublicationState.PUBLISHED:
        return f"recorded as posted by {who}"
    if decision == "cancel" and state is PublicationState.CANCELLED:
        return f"not sent: cancelled by {who}"
    if decision == "resend" and state is PublicationState.PUBLISHED:
        return f"posted after {who} had it sent again"
    if decision == "resend" and state in (PublicationState.PENDING, PublicationState.SENDING):
        return f"{who} had it sent again"
    return ""


def leader_note(session: Session, publication: Publication) -> str:
    """``decided_note`` with the deciding leader looked up."""
    if not publication.decision:
        return ""
    leader = session.get(User, publication.decided_by) if publication.decided_by is not None else None
    return decided_note(publication, leader)


def channel_records(session: Session, post_ids: set[int]) -> tuple[CopiesByPost, CopiesByPost]:
    """Per post: each published copy's (network, address), and each decided copy's (network, what was decided)."""
    if not post_ids:
        return {}, {}
    query = (select(Publication, Channel.kind).join(Channel, Channel.id == Publication.channel_id)
             .where(Publication.post_id.in_(post_ids)).order_by(Publication.id))
    urls: dict[int, list[tuple[str, str]]] = {}
    notes: dict[int, list[tuple[str, str]]] = {}
    for publication, kind in session.execute(query).all():
        network = ChannelKind(kind).label
        if publication.state is PublicationState.PUBLISHED and publication.url:
            urls.setdefault(publication.post_id, []).append((network, publication.url))
        if note := leader_note(session, publication):
            notes.setdefault(publication.post_id, []).append((network, note))
    return ({post_id: tuple(found) for post_id, found in urls.items()},
            {post_id: tuple(found) for post_id, found in notes.items()})


def local_copies(session: Session, post_ids: set[int]) -> LocalCopies:
    """Per post: each copy a channel on this server holds (the practice outbox), with its retention."""
    if not post_ids:
        return {}
    query = select(Publication).where(Publication.post_id.in_(post_ids), Publication.local_kept_until.is_not(None))
    found: LocalCopies = {}
    for publication in session.scalars(query):
        assert publication.local_kept_until is not None
        found.setdefault(publication.post_id, []).append((publication.local_kept_until, publication.local_destroyed_at))
    return found


def kept_on_server(post: Post | None, local: list[tuple[datetime, datetime | None]], posted: bool
                   ) -> dict[str, datetime | None]:
    """Until when this server still keeps a posted copy (the outbox's, the practice outbox's), or when the last went."""
    if post is None or not posted:
        return {"outbox_until": None, "outbox_destroyed_at": None}
    copies = [*local, *([(post.outbox_kept_until, post.outbox_destroyed_at)] if post.outbox_kept_until else [])]
    kept = [until for until, destroyed in copies if destroyed is None]
    destroyed = [when for _, when in copies if when is not None]
    if kept:
        return {"outbox_until": max(kept), "outbox_destroyed_at": None}
    return {"outbox_until": None, "outbox_destroyed_at": max(destroyed) if destroyed else post.outbox_destroyed_at}
