"""Photos and posts on their way out, and the record that proves each photo was destroyed.

Every state change is written before the side effect it announces, so a crash at any
point can be resumed without a second post and without a forgotten file.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=20, values_callable=lambda members: [m.value for m in members])


def new_public_id() -> str:
    return uuid.uuid4().hex


class PhotoState(enum.StrEnum):
    RECEIVED = "received"  # the row exists; the bytes are being scrubbed
    READY = "ready"  # a clean, encrypted copy waits in the spool for tags and a caption
    POSTING = "posting"  # part of a post; the post's state says queued, scheduled or publishing
    PUBLISHED = "published"  # posted; its local copy is being destroyed
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    DESTROYED = "destroyed"  # terminal: every local copy is gone and a DeletionRecord says so


class PostState(enum.StrEnum):
    QUEUED = "queued"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"  # committed before the publisher is called
    PUBLISHED = "published"
    UNKNOWN = "unknown"  # found publishing with no remote id: never re-sent blindly
    FAILED = "failed"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"  # a pupil's consent was withdrawn before it went out
    EXPIRED = "expired"
    HELD = "held"  # its author was disabled or removed before it went out: a senior leader decides

    @property
    def waiting(self) -> bool:
        return self in (PostState.QUEUED, PostState.SCHEDULED)


class Fate(enum.StrEnum):
    POSTED = "posted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    ORPHAN = "orphan"  # a spool file nobody knew about, found at start-up (a partial upload, if it names a trip)
    LEFTOVER = "leftover"  # an extra copy of a photo already in the log (an unfinished or stray outbox post)


# The main destination's name in records, by ``settings.publisher``.
MAIN_DESTINATIONS = {"x": "X", "outbox": "the outbox"}


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The exact text to publish, hashtags included. Wiped if the post never goes out.
    text: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[PostState] = mapped_column(_enum(PostState), index=True)
    urgent_reason: Mapped[str] = mapped_column(Text, default="")
    scheduled_for: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # Not empty when the post's trip does not post to the main destination, so it is never sent there:
    # "main" from when it is queued, then the destination it skipped ("x" or "outbox") once released.
    main_skipped: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # While publishing: a worker's lease. A post still publishing after it ran out was interrupted.
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    # Set once an attempt's outcome was unknown: X's refusal of a copy then proves it went out.
    maybe_posted: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # The current attempt's identity, committed with the claim before anything is sent: recovery
    # matches it on the network side, so an earlier post with the same text is never taken for it.
    attempt_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    attempt_started_at: Mapped[datetime | None] = mapped_column(default=None)
    # A senior leader chose to send a post held because its author was disabled: it is not held again.
    released_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    # Outbox only: its copy of the published post is kept until then, and destroyed at that time.
    outbox_kept_until: Mapped[datetime | None] = mapped_column(default=None)
    outbox_destroyed_at: Mapped[datetime | None] = mapped_column(default=None)
    remote_id: Mapped[str | None] = mapped_column(String(64), default=None)
    remote_url: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # What X charged for it, in millionths of a dollar, at the prices of the day it went (None: free).
    x_cost_micros: Mapped[int | None] = mapped_column(default=None)

    photos: Mapped[list[Photo]] = relationship(back_populates="post", order_by="Photo.position")


class Photo(Base):
    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"), default=None, index=True)
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[PhotoState] = mapped_column(_enum(PhotoState), index=True)
    received_sha256: Mapped[str] = mapped_column(String(64))
    received_bytes: Mapped[int] = mapped_column(default=0)
    # The encrypted clean copy: a generated file name in the spool, and its own key, wrapped by
    # the spool's master key. Wiping the key on destruction makes any stray copy unreadable.
    spool_name: Mapped[str | None] = mapped_column(String(80), default=None)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    faces: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # One entry per face: a pupil id, or None to blur it.
    face_pupils: Mapped[list[int | None]] = mapped_column(JSON, default=list)
    tagged: Mapped[list[int]] = mapped_column(JSON, default=list)
    alt_text: Mapped[str] = mapped_column(Text, default="")
    # Rectangles the teacher drew to blur by hand (a missed face, a name badge), in the clean
    # JPEG's pixels: ``{"x", "y", "width", "height"}``. Blurred like faces in the posted image.
    regions: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    # "I have looked at every face in this photo": no post is made from the photo without it.
    faces_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    faces_checked_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    removed_metadata: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(default=None)

    post: Mapped[Post | None] = relationship(back_populates="photos")


class DeletionRecord(Base):
    """Proof that a photo's local copies are gone. Never holds image bytes, names or captions."""

    __tablename__ = "deletion_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"), unique=True, default=None)
    trip_id: Mapped[int | None] = mapped_column(ForeignKey("trip.id"), index=True, default=None)
    received_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    received_at: Mapped[datetime | None] = mapped_column(default=None)
    fate: Mapped[Fate] = mapped_column(_enum(Fate))
    reason: Mapped[str] = mapped_column(Text, default="")
    remote_url: Mapped[str | None] = mapped_column(String(300), default=None)
    copies: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified: Mapped[bool] = mapped_column(default=False)


class TripLog(Base):
    """The teacher's attestation and the senior leader's sign-off on a trip's deletion log."""

    __tablename__ = "trip_log"

    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id"), primary_key=True)
    attested_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    attested_at: Mapped[datetime | None] = mapped_column(default=None)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The log as signed (header and rows, canonical JSON) and its SHA-256: what the page shows after.
    snapshot: Mapped[str | None] = mapped_column(Text, default=None)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class TripAttestation(Base):
    """One member of a trip's staff confirming that their own phone holds no photo of the trip."""

    __tablename__ = "trip_attestation"

    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    attested_at: Mapped[datetime] = mapped_column(default=utcnow)
