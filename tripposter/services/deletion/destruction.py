"""Destroy photos and leave a record that proves it: on posting, refusal, expiry, or at start-up.

The order matters: the file is unlinked and the unlink confirmed *before* the row says so, and
the photo's key is forgotten in the same transaction. A crash in between leaves a row that still
names a file which is already gone; reconciliation finishes the job, and the record says verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import MAIN_DESTINATIONS, DeletionRecord, Fate, Photo, PhotoState, Post, Publication, PublicationState, Trip
from ...models.publications import UNSETTLED
from ...spool import Spool, SpoolError
from ..audit import events as audit

# A web process writes a photo's spool file a moment before its row commits, and a phone on 3G may
# take minutes to send one. An unknown file younger than this may still belong to such an upload, so
# reconciliation leaves it for a later pass (the worker reconciles every minute).
ORPHAN_GRACE = timedelta(minutes=15)

PARTIAL_UPLOAD = "a partial upload, cut off before it arrived (the server stopped), destroyed unread"

FATE_OF_STATE = {
    PhotoState.PUBLISHED: Fate.POSTED,
    PhotoState.REJECTED: Fate.REJECTED,
    PhotoState.EXPIRED: Fate.EXPIRED,
    PhotoState.WITHDRAWN: Fate.WITHDRAWN,
    PhotoState.CANCELLED: Fate.CANCELLED,
}


def destroy_photo(
    session: Session, spool: Spool, photo: Photo, fate: Fate, now: datetime, *, reason: str = "", url: str | None = None
) -> DeletionRecord:
    """Delete every local copy of ``photo``, confirm each is gone, and record it.

    ``reason`` must never name a pupil or quote a caption: it is a rule or a short fact.
    """
    copies, verified = 0, True
    if photo.spool_name:
        copies = 1
        verified = spool.destroy(photo.spool_name)
    photo.spool_name = None
    photo.wrapped_key = None  # without its key, any copy we failed to find is unreadable
    # Who was in the photo is personal data too: it goes with the pixels.
    photo.face_pupils, photo.tagged, photo.alt_text, photo.faces = [], [], "", []
    photo.state = PhotoState.DESTROYED
    photo.destroyed_at = now
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).first()
    if record is None:
        record = DeletionRecord(photo_id=photo.id)
        session.add(record)
    record.trip_id = photo.trip_id
    record.received_sha256 = photo.received_sha256
    record.received_at = photo.created_at
    record.fate, record.reason, record.remote_url = fate, reason[:300], url
    record.copies, record.deleted_at, record.verified = copies, now, verified
    session.flush()
    audit.record(session, None, "photo.destroyed", photo, fate=fate.value, copies=copies, verified=verified,
                 reason=record.reason, url=url)
    return record


def skipped_words(post: Post) -> str:
    """Why a post never went to the main destination, in the words the records use."""
    where = MAIN_DESTINATIONS.get(post.main_skipped, "the school's main account (X or the outbox)")
    return f"not sent to {where}: this trip does not post there"


def skipped_main_fate(session: Session, post: Post) -> tuple[Fate, str, str | None]:
    """The true fate of the photos of a post its trip kept off the main destination, with reason and address.

    Posted only if a connected network published it; otherwise expired or refused, never "posted".
    """
    rows = session.execute(select(Publication.state, Publication.url).where(Publication.post_id == post.id)
                           .order_by(Publication.id)).all()
    states = {PublicationState(state) for state, _ in rows}
    skipped = skipped_words(post)
    if PublicationState.PUBLISHED in states:
        # The networks' own addresses are in the log beside it (its publications): none is the main one.
        return Fate.POSTED, skipped, None
    if PublicationState.EXPIRED in states:
        return Fate.EXPIRED, f"{skipped}, and the photos reached their limit before another network took it", None
    return Fate.REJECTED, f"{skipped}, and no other network took it", None


def settled_fate(session: Session, photo: Photo) -> tuple[Fate, str, str | None]:
    """What a photo whose post is settled ends as: its post's address, or the skipped main's true fate."""
    post = photo.post
    if post is not None and post.main_skipped and photo.state is PhotoState.PUBLISHED:
        return skipped_main_fate(session, post)
    return FATE_OF_STATE[photo.state], "", post.remote_url if post is not None else None


def finish_destructions(session: Session, spool: Spool, now: datetime) -> int:
    """Destroy photos whose fate is settled but whose destruction a crash interrupted."""
    # populate_existing: a photo this session loaded earlier (say, still "posting" before recovery
    # settled its post) must be read as the row is now, or its old state would be taken for its fate.
    # A published post's photos wait while any connected channel may still need them.
    waiting = select(Publication.post_id).where(Publication.state.in_(UNSETTLED))
    kept = (Photo.state == PhotoState.PUBLISHED) & Photo.post_id.is_not(None) & Photo.post_id.in_(waiting)
    query = select(Photo).where(Photo.state.in_(list(FATE_OF_STATE)), ~kept).execution_options(populate_existing=True)
    settled = list(session.scalars(query))
    for photo in settled:
        fate, why, url = settled_fate(session, photo)
        reason = f"{why} (finished after a restart)" if why else "finished after a restart"
        destroy_photo(session, spool, photo, fate, now, reason=reason, url=url)
    return len(settled)


@dataclass
class Reconciled:
    orphans: int = 0
    vanished: int = 0
    finished: int = 0


def reconcile_spool(
    session: Session, spool: Spool, now: datetime, grace: timedelta = ORPHAN_GRACE
) -> Reconciled:
    """Destroy files the database does not know, and settle rows whose file vanished.

    Unknown files younger than ``grace`` (by the wall clock, as file times are) are left alone.

    Also finishes destructions a crash interrupted (a photo published or refused but not destroyed).
    """
    result = Reconciled()
    held = {p.spool_name: p for p in session.scalars(select(Photo).where(Photo.spool_name.is_not(None)))}
    for entry in spool.names():
        if entry in held or _younger(spool, entry, grace):
            continue
        try:
            gone = spool.destroy(entry)
        except SpoolError:  # not a name we generate: a stray file or link someone put there
            gone = spool.remove_stray(entry)
        trip_id = spool.incoming_trip(entry)
        trip_id = trip_id if trip_id is not None and session.get(Trip, trip_id) is not None else None
        reason = PARTIAL_UPLOAD if trip_id is not None else "found in the spool with no photo"
        session.add(DeletionRecord(fate=Fate.ORPHAN, trip_id=trip_id, reason=reason, copies=1, deleted_at=now,
                                   verified=gone))
        where = {"trip_id": trip_id} if trip_id is not None else {}
        audit.record(session, None, "photo.orphan_destroyed", None, copies=1, verified=gone, **where)
        result.orphans += 1
    for name, photo in held.items():
        if not spool.exists(name) and photo.state not in FATE_OF_STATE:
            # The file is gone but the photo was still waiting: it can never be posted now.
            photo.state = PhotoState.EXPIRED
            audit.record(session, None, "photo.file_vanished", photo)
            result.vanished += 1
    result.finished += finish_destructions(session, spool, now)
    for photo in session.scalars(select(Photo).where(Photo.state == PhotoState.RECEIVED)):
        # Received but never scrubbed: the upload died mid-way. Nothing was kept; record it.
        destroy_photo(session, spool, photo, Fate.REJECTED, now, reason="upload interrupted")
        result.finished += 1
    session.flush()
    return result


def _younger(spool: Spool, entry: str, grace: timedelta) -> bool:
    try:
        return spool.age_seconds(entry) < grace.total_seconds()
    except FileNotFoundError:  # already gone (another process finished it)
        return True
    except SpoolError:
        return False
