"""One post's copy on one connected channel (Bluesky, Mastodon, a Facebook Page): its own life.

The main destination (the outbox or X) keeps the post's own state machine; each connected channel
gets a Publication with the same guarantees: claimed by compare-and-set, its attempt's identity
committed before a byte is sent, its remote id committed the moment it comes back, and a send whose
answer was lost reconciled by asking the network, never re-sent blindly.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class PublicationState(enum.StrEnum):
    PENDING = "pending"  # waits for its post to be published, or for next_try_at
    SENDING = "sending"  # claimed; the attempt's id was committed before the send
    PUBLISHED = "published"
    UNKNOWN = "unknown"  # the answer was lost: recovery asks the network, never re-sends blindly
    FAILED = "failed"  # the network refused the post; sending it again unchanged will not help
    EXPIRED = "expired"  # the photos reached their retention limit before it could go out
    CANCELLED = "cancelled"  # the post never went out, or the channel was disconnected

    @property
    def settled(self) -> bool:
        """Nothing more will be sent: the photos may be destroyed as far as this channel cares."""
        return self in SETTLED


SETTLED = frozenset({PublicationState.PUBLISHED, PublicationState.FAILED, PublicationState.EXPIRED,
                     PublicationState.CANCELLED})
UNSETTLED = frozenset(set(PublicationState) - SETTLED)


class Publication(Base):
    __tablename__ = "publication"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", name="uq_publication_post_channel"),  # exactly once each
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channel.id"))
    state: Mapped[PublicationState] = mapped_column(
        Enum(PublicationState, native_enum=False, length=20, values_callable=lambda states: [s.value for s in states]),
        default=PublicationState.PENDING, index=True,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # One identity for the publication's whole life (see services.posting.publications).
    attempt_id: Mapped[str | None] = mapped_column(String(32), default=None)
    attempt_started_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    next_try_at: Mapped[datetime | None] = mapped_column(default=None)
    remote_id: Mapped[str | None] = mapped_column(String(200), default=None)
    url: Mapped[str | None] = mapped_column(String(500), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when recovery gives up asking the network: from then on it waits for a senior leader.
    needs_decision_at: Mapped[datetime | None] = mapped_column(default=None)
    # A senior leader's decision ("posted", "resend", "cancel"), who made it and when; "" if none.
    decision: Mapped[str] = mapped_column(String(20), default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    # A copy kept on this server (the practice outbox) is destroyed after the outbox's retention:
    # until when it is kept, and when it was destroyed. None for a network's copy.
    local_kept_until: Mapped[datetime | None] = mapped_column(default=None)
    local_destroyed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
