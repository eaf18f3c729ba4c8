"""The two folders on this server that hold posted copies: the outbox, and the practice outbox channel.

Each says, in its own rows, who wrote a copy (by attempt id), whether that writer may still be at
work, which copies are due for destruction and which it owns. ``outbox.settle_outbox`` settles both
the same way from these answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ...models import Channel, ChannelKind, Post, PostState, Publication, PublicationState
from ...publishers.outbox import MAIN_URL, PRACTICE_URL, OutboxPublisher
from ...runtime import Runtime


@dataclass(frozen=True)
class Writer:
    """The post an attempt belongs to (None if unknown) and whether its writer may still be writing."""

    post: Post | None
    alive: bool


@dataclass(frozen=True)
class Due:
    """A posted copy past its retention: its id in the folder, its post, and the row to mark destroyed."""

    remote_id: str
    post: Post
    row: Post | Publication


class OutboxFolder(Protocol):
    name: str  # in the deletion log's words: "the outbox", "the practice outbox"
    outbox: OutboxPublisher

    def writer(self, session: Session, attempt_id: str | None, now: datetime) -> Writer: ...

    def due(self, session: Session, now: datetime) -> list[Due]: ...

    def mark_destroyed(self, due: Due, now: datetime) -> None: ...

    def owned(self, session: Session) -> set[str]: ...


def _alive(claimed_until: datetime | None, now: datetime) -> bool:
    return (claimed_until or now) > now  # the lease is being renewed: it renames or removes its folder itself


class MainOutbox:
    """The install's main destination when it is the outbox: a post's own state machine writes it."""

    name = "the outbox"

    def __init__(self, rt: Runtime) -> None:
        self.outbox = OutboxPublisher(rt.settings.outbox_path, url_prefix=MAIN_URL)

    def writer(self, session: Session, attempt_id: str | None, now: datetime) -> Writer:
        post = None if attempt_id is None else session.scalars(select(Post).where(Post.attempt_id == attempt_id)).first()
        return Writer(post, post is not None and post.state is PostState.PUBLISHING and _alive(post.claimed_until, now))

    def due(self, session: Session, now: datetime) -> list[Due]:
        query = select(Post).where(Post.outbox_kept_until <= now, Post.outbox_destroyed_at.is_(None))
        return [Due(post.remote_id or "", post, post) for post in session.scalars(query)]

    def mark_destroyed(self, due: Due, now: datetime) -> None:
        due.post.outbox_destroyed_at = now

    def owned(self, session: Session) -> set[str]:
        return set(session.scalars(select(Post.remote_id).where(Post.remote_id.is_not(None))))


class PracticeOutbox:
    """The practice outbox channel: each post's ``Publication`` on it writes it, as on any network."""

    name = "the practice outbox"

    def __init__(self, rt: Runtime) -> None:
        self.outbox = OutboxPublisher(rt.settings.practice_outbox_path, url_prefix=PRACTICE_URL)

    @staticmethod
    def _publications() -> Select[tuple[Publication]]:
        return (select(Publication).join(Channel, Channel.id == Publication.channel_id)
                .where(Channel.kind == ChannelKind.OUTBOX))

    def writer(self, session: Session, attempt_id: str | None, now: datetime) -> Writer:
        if attempt_id is None:
            return Writer(None, False)
        publication = session.scalars(self._publications().where(Publication.attempt_id == attempt_id)).first()
        if publication is None:
            return Writer(None, False)
        alive = publication.state is PublicationState.SENDING and _alive(publication.claimed_until, now)
        return Writer(session.get(Post, publication.post_id), alive)

    def due(self, session: Session, now: datetime) -> list[Due]:
        query = self._publications().where(Publication.local_kept_until <= now,
                                           Publication.local_destroyed_at.is_(None))
        found = []
        for publication in session.scalars(query).all():
            post = session.get(Post, publication.post_id)
            if post is not None:
                found.append(Due(publication.remote_id or "", post, publication))
        return found

    def mark_destroyed(self, due: Due, now: datetime) -> None:
        assert isinstance(due.row, Publication)
        due.row.local_destroyed_at = now

    def owned(self, session: Session) -> set[str]:
        query = (select(Publication.remote_id).join(Channel, Channel.id == Publication.channel_id)
                 .where(Channel.kind == ChannelKind.OUTBOX, Publication.remote_id.is_not(None)))
        return {str(remote) for remote in session.scalars(query)}


def outbox_folders(rt: Runtime) -> list[OutboxFolder]:
    """Every folder on this server that holds posted copies and exists (nothing published: no folder)."""
    paths = ((rt.settings.outbox_path, MainOutbox), (rt.settings.practice_outbox_path, PracticeOutbox))
    return [make(rt) for path, make in paths if path.is_dir()]
