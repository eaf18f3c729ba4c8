"""Receive a photo from the phone, keep only its clean encrypted copy, and record the teacher's tags.

A retried upload (same idempotency key, same bytes) returns the photo already made; the same
key with different bytes is refused. A refused upload is recorded and destroyed like any other.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import DeletionRecord, Fate, Photo, PhotoState, Trip, TripLog, User
from ...pipeline.errors import PipelineError
from ...pipeline.faces import FaceDetector
from ...pipeline.photo import Limits, scrub_photo
from ...pipeline.regions import reading_order
from ...spool import Spool
from ..audit import events as audit
from ..deletion.destruction import destroy_photo
from ..errors import NotFoundError, ServiceError
from ..school.settings import get_school, school_today
from .trip_grace import DEFAULT_GRACE_DAYS, trip_for_photo

KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
# What ``new_public_id`` makes. Anything else cannot exist, so it is not looked up at all
# (PostgreSQL would refuse a NUL in the query rather than find nothing).
PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


class IdempotencyConflictError(ServiceError):
    """The key was used before for a different request."""

    code = "idempotency_conflict"


class PhotoRefusedError(ServiceError):
    """The pipeline refused the upload; it has been destroyed and recorded."""

    def __init__(self, user_message: str, code: str) -> None:
        super().__init__(user_message)
        self.code = code  # the pipeline's own refusal code, e.g. "not_an_image"


@dataclass(frozen=True)
class Received:
    photo: Photo
    replayed: bool


def check_key(key: str) -> str:
    """An idempotency key as the phone makes them (a UUID); anything else is refused.

    Raises:
        ServiceError: the key is missing or malformed.
    """
    if not 8 <= len(key) <= 64 or not set(key) <= KEY_CHARS:
        raise ServiceError("This upload has no valid idempotency key. Reload the page and try again.")
    return key


def posting_trip(session: Session, user: User, trip_id: int, now: datetime | None = None) -> Trip:
    """A trip ``user`` may post from today.

    Raises:
        NotFoundError: not their trip, or no such trip.
        ServiceError: the trip is not running today.
    """
    trip = session.get(Trip, trip_id)
    if trip is None or not trip.is_led_by(user):
        raise NotFoundError("That trip does not exist or is not one of yours.")
    if not trip.is_running_on(school_today(session, now)):
        raise ServiceError(f"{trip.name} is not running today, so photos cannot be added to it.")
    log = session.get(TripLog, trip.id)
    if log is not None and log.signed_at is not None:
        raise ServiceError(f"The deletion log of {trip.name} is signed off, so nothing more can be posted from it.")
    return trip


def receive_photo(
    session: Session,
    spool: Spool,
    user: User,
    trip_id: int,
    key: str,
    data: bytes,
    *,
    now: datetime,
    limits: Limits,
    detector: FaceDetector | None,
    taken_at: datetime | None = None,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> Received:
    """Scrub an upload in memory and keep only its clean copy, encrypted, in the spool.

    ``taken_at`` is when the phone says the photo was taken: after the trip it must fall within it.

    Raises:
        IdempotencyConflictError: ``key`` was used for other bytes.
        PhotoRefusedError: the pipeline refused the file (it is recorded, nothing is kept).
        NotFoundError, ServiceError: see ``trip_grace.trip_for_photo``.
    """
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalars(select(Photo).where(Photo.idempotency_key == check_key(key))).first()
    if existing is not None:
        if existing.received_sha256 != digest or existing.uploader_id != user.id:
            raise IdempotencyConflictError("This upload key was already used for a different photo.")
        _refuse_again(session, existing, data, limits)
        return Received(existing, replayed=True)
    trip = trip_for_photo(session, user, trip_id, now=now, taken_at=taken_at, grace_days=grace_days)
    retention = timedelta(hours=get_school(session).retention_hours)
    # Scrub before the row is written: on SQLite the INSERT takes the database's one write lock until
    # the request commits, and holding it through seconds of decoding and face detection stalled every
    # other writer (20 concurrent uploads ran past the 30 s busy timeout; see benchmarks/load.py).
    # Nothing is lost: the row was not committed during the scrub anyway.
    refused: PipelineError | None = None
    try:
        result = scrub_photo(data, limits=limits, detector=detector)
    except PipelineError as exc:
        refused = exc
    photo = Photo(
        idempotency_key=key,
        trip_id=trip.id,
        uploader_id=user.id,
        state=PhotoState.RECEIVED,
        received_sha256=digest,
        received_bytes=len(data),
        created_at=now,
        expires_at=now + retention,
    )
    session.add(photo)
    session.flush()
    if refused is not None:
        photo.state = PhotoState.REJECTED
        destroy_photo(session, spool, photo, Fate.REJECTED, now, reason=refused.code)
        audit.record(session, user, "photo.refused", photo, rule=refused.code, size=len(data), sha256=digest[:16])
        raise PhotoRefusedError(refused.user_message, refused.code) from None
    stored = spool.write(result.jpeg)
    photo.spool_name, photo.wrapped_key = stored.name, stored.wrapped_key
    photo.width, photo.height = result.width, result.height
    # Numbered as a page is read, so "face 3" on the screen and in a message is easy to find.
    photo.faces = [face.as_dict() for face in reading_order(result.faces)]
    photo.face_pupils = [None] * len(result.faces)  # every face blurred until the teacher says whose
    photo.removed_metadata = result.removed
    photo.state = PhotoState.READY
    audit.record(session, user, "photo.received", photo, size=len(data), sha256=digest[:16], faces=len(result.faces))
    return Received(photo, replayed=False)


def _refuse_again(session: Session, photo: Photo, data: bytes, limits: Limits) -> None:
    """A replay of a refused upload gets the first answer again: the same refusal, with its reason.

    Only the rule was kept, not the message, so the (identical, refused) bytes are checked again,
    without face detection: the refusal never depended on faces.

    Raises:
        PhotoRefusedError: the photo was refused when it first arrived.
    """
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).first()
    if record is None or record.fate is not Fate.REJECTED:
        return
    try:
        scrub_photo(data, limits=limits, detector=None)
    except PipelineError as exc:
        raise PhotoRefusedError(exc.user_message, exc.code) from None
    raise PhotoRefusedError("This photo was refused when it was first sent. Choose another photo.", record.reason)


def own_photo(session: Session, user: User, public_id: str) -> Photo:
    """A photo of one of ``user``'s trips.

    Raises:
        NotFoundError: no such photo, or it belongs to someone else's trip.
    """
    found = PUBLIC_ID.fullmatch(public_id) is not None
    photo = session.scalars(select(Photo).where(Photo.public_id == public_id)).first() if found else None
    trip = session.get(Trip, photo.trip_id) if photo is not None else None
    if photo is None or trip is None or not trip.is_led_by(user):
        raise NotFoundError("That photo does not exist or is not one of yours.")
    return photo


def tag_photo(
    session: Session, user: User, public_id: str, face_pupils: list[int | None], tagged: list[int], alt_text: str
) -> Photo:
    """Record who is in a ready photo, face by face, and its alt text.

    Raises:
        NotFoundError: see ``own_photo``.
        ServiceError: the photo is already posting or gone, or the face list does not match.
    """
    photo = own_photo(session, user, public_id)
    if photo.state is not PhotoState.READY:
        raise ServiceError("This photo can no longer be changed: it is already on its way or destroyed.")
    if len(face_pupils) != len(photo.faces):
        raise ServiceError("The faces in this photo have changed. Reload it and tag it again.")
    trip_pupils = {p.id for p in photo_trip(session, photo).pupils}
    if unknown := [p for p in [*tagged, *(f for f in face_pupils if f is not None)] if p not in trip_pupils]:
        raise ServiceError(f"{len(unknown)} of the tagged pupils are not on this trip. Reload and try again.")
    photo.face_pupils, photo.tagged, photo.alt_text = face_pupils, list(dict.fromkeys(tagged)), alt_text.strip()[:1000]
    # Counts only: which pupil is in which photo is exactly what the log must not say.
    audit.record(session, user, "photo.tagged", photo, faces=len(face_pupils),
                 blurred=sum(1 for f in face_pupils if f is None), tagged=len(photo.tagged))
    return photo


def cancel_photo(session: Session, spool: Spool, user: User, public_id: str, now: datetime) -> Photo:
    """The teacher abandons a photo: destroy it now and record it.

    Raises:
        NotFoundError: see ``own_photo``.
        ServiceError: it is already part of a post on its way.
    """
    photo = own_photo(session, user, public_id)
    if photo.state is PhotoState.DESTROYED:
        return photo  # a repeated cancel is not an error
    if photo.state is not PhotoState.READY:
        raise ServiceError("This photo is part of a post on its way. Cancel the post instead.")
    photo.state = PhotoState.CANCELLED
    destroy_photo(session, spool, photo, Fate.CANCELLED, now, reason="cancelled by the teacher")
    return photo


def photo_trip(session: Session, photo: Photo) -> Trip:
    trip = session.get(Trip, photo.trip_id)
    if trip is None:  # a foreign key prevents it; say so plainly if the database was tampered with
        raise NotFoundError("This photo's trip no longer exists.")
    return trip
