"""The deletion log: rows for every photo in every fate, the attestation and the sign-off rules."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Factory
from tripposter.models import (
    AuditEvent,
    DeletionRecord,
    Fate,
    Photo,
    PhotoState,
    Post,
    PostState,
    Role,
    Trip,
    User,
)
from tripposter.services.deletion import log as deletion_log
from tripposter.services.deletion.log import LogClosedError, LogNotReadyError, NotTripStaffError
from tripposter.services.deletion.report import latin1
from tripposter.services.errors import ValidationError
from tripposter.services.spreadsheet import safe_cell

POST_URL = "https://x.com/ourschool/status/1790000000000000001"
SECRET_CAPTION = "Sam Lee wins the climbing race! #Year6Trip"


def sha(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def add_photo(
    session: Session,
    trip: Trip,
    uploader: User,
    label: str,
    *,
    state: PhotoState = PhotoState.DESTROYED,
    fate: Fate | None = None,
    reason: str = "",
    verified: bool = True,
    post: Post | None = None,
    received_at: datetime | None = None,
) -> Photo:
    """A photo row as the pipeline would leave it, with its DeletionRecord when ``fate`` is given."""
    received = received_at or datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    photo = Photo(
        idempotency_key=uuid.uuid4().hex,
        trip_id=trip.id,
        uploader_id=uploader.id,
        state=state,
        received_sha256=sha(label),
        created_at=received,
        expires_at=received + timedelta(hours=24),
        destroyed_at=received + timedelta(hours=1) if fate else None,
        post=post,
    )
    session.add(photo)
    session.flush()
    if fate is not None:
        session.add(
            DeletionRecord(
                photo_id=photo.id,
                trip_id=trip.id,
                received_sha256=photo.received_sha256,
                received_at=received,
                fate=fate,
                reason=reason,
                remote_url=POST_URL if fate is Fate.POSTED else None,
                copies=2,
                deleted_at=received + timedelta(hours=1),
                verified=verified,
            )
        )
    session.commit()
    return photo


@dataclass
class Photos:
    posted: Photo
    rejected: Photo
    expired: Photo
    withdrawn: Photo
    cancelled: Photo
    orphan: DeletionRecord


def add_every_fate(session: Session, trip: Trip, uploader: User) -> Photos:
    """One destroyed, verified photo in each fate, plus a stray file's record; the post names a pupil."""
    post = Post(
        idempotency_key=uuid.uuid4().hex,
        request_hash="0" * 64,
        trip_id=trip.id,
        author_id=uploader.id,
        text=SECRET_CAPTION,
        state=PostState.PUBLISHED,
        remote_id="1790000000000000001",
        remote_url=POST_URL,
    )
    session.add(post)
    session.flush()
    orphan = DeletionRecord(
        trip_id=trip.id, received_sha256=sha("orphan"), fate=Fate.ORPHAN, copies=1, verified=True,
        deleted_at=datetime(2025, 3, 15, 6, 0, tzinfo=UTC),
    )
    session.add(orphan)
    return Photos(
        posted=add_photo(session, trip, uploader, "posted", fate=Fate.POSTED, post=post),
        rejected=add_photo(session, trip, uploader, "rejected", fate=Fate.REJECTED, reason="The file is not a photo."),
        expired=add_photo(session, trip, uploader, "expired", fate=Fate.EXPIRED),
        withdrawn=add_photo(session, trip, uploader, "withdrawn", fate=Fate.WITHDRAWN),
        cancelled=add_photo(session, trip, uploader, "cancelled", fate=Fate.CANCELLED),
        orphan=orphan,
    )


def ended_trip(make: Factory, lead: User, **kwargs: object) -> Trip:
    """A trip whose last day was yesterday, with Sam Lee on it."""
    return make.trip(lead, [make.pupil("Sam", "Lee")], start=date.today() - timedelta(days=3), days=2, **kwargs)


def test_every_photo_appears_with_its_fate_in_plain_words(db: Session, make: Factory) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = ended_trip(make, lead)
    photos = add_every_fate(db, trip, lead)
    held = add_photo(db, trip, lead, "held", state=PhotoState.READY)

    log = deletion_log.build_log(db, trip)

    by_hash = {row.sha256: row for row in log.rows}
    assert by_hash[sha("posted")].fate_text == "Posted"
    assert by_hash[sha("posted")].remote_url == POST_URL
    assert by_hash[sha("rejected")].fate_text == "Refused: The file is not a photo."
    assert by_hash[sha("expired")].fate_text == "Expired unposted"
    assert by_hash[sha("withdrawn")].fate_text == "Consent withdrawn, not posted"
    assert by_hash[sha("cancelled")].fate_text == "Cancelled by the teacher"
    assert by_hash[sha("orphan")].short_id == f"rec-{photos.orphan.id}"
    assert by_hash[sha("held")].held and by_hash[sha("held")].held_until == held.expires_at
    assert by_hash[sha("posted")].short_id == photos.posted.public_id[:8]
    assert by_hash[sha("posted")].sha_short == sha("posted")[:12]
    assert all(r.remote_url is None for r in log.rows if r.fate is not Fate.POSTED)
    assert (log.received, log.posted, log.not_posted, log.waiting, log.held) == (7, 1, 5, 1, 1)
    assert log.received == log.posted + log.not_posted + log.waiting  # the counts add up
    assert not log.all_settled


def test_a_destroyed_photo_without_a_record_is_not_verified(db: Session, make: Factory) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = ended_trip(make, lead)
    photo = add_photo(db, trip, lead, "lost")
    photo.destroyed_at = photo.created_at + timedelta(minutes=5)
    db.commit()

    (row,) = deletion_log.build_log(db, trip).rows

    assert not row.held and not row.verified
    assert row.fate_text == "Destroyed, but no deletion record"


def test_a_refusal_reason_never_carries_a_pupils_name(db: Session, make: Factory) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = ended_trip(make, lead)
    add_photo(db, trip, lead, "named", fate=Fate.REJECTED, reason="Sam Lee's parents have not given consent. Lee too.")

    (row,) = deletion_log.build_log(db, trip).rows

    assert row.fate_text == "Refused: a pupil's parents have not given consent. a pupil too."


def test_times_are_shown_in_the_schools_zone(db: Session, make: Factory) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = make.trip(lead, start=date(2025, 7, 1), days=0)
    log = deletion_log.build_log(db, trip, now=datetime(2025, 6, 30, 23, 30, tzinfo=UTC))

    assert log.when(datetime(2025, 6, 30, 23, 30, tzinfo=UTC)) == "01/07/2025 00:30 BST"
    assert log.when(datetime(2025, 1, 5, 9, 0, tzinfo=UTC)) == "05/01/2025 09:00 GMT"
    # 23:30 UTC on 30 June is already 1 July, the trip's last day, in London.
    assert log.trip_over


def test_attestation_waits_for_the_trips_last_day(db: Session, make: Factory) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = make.trip(lead, start=date.today(), days=3)

    with pytest.raises(LogNotReadyError, match="the trip's last day"):
        deletion_log.attest(db, lead, trip, confirmed=True)


def test_only_the_trips_own_staff_may_attest(db: Session, make: Factory) -> None:
    lead, helper, other = make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD)
    head = make.user(Role.ADMIN)
    trip = ended_trip(make, lead)
    trip.staff = [helper]
    db.commit()

    for outsider in (other, head):
        with pytest.raises(NotTripStaffError):
            deletion_log.attest(db, outsider, trip, confirmed=True)
    with pytest.raises(ValidationError) as unticked:
        deletion_log.attest(db, helper, trip, confirmed=False)
    assert "confirm" in unticked.value.fields

    deletion_log.attest(db, helper, trip, confirmed=True)
    db.commit()

    log = deletion_log.build_log(db, trip)
    # One member of staff confirms for their own phone only: the lead's is still missing.
    assert not log.attested and [(a.user.id, a.valid) for a in log.attestations] == [(lead.id, False), (helper.id, True)]
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "log.attested")).one()
    assert (event.actor_id, event.subject_id) == (helper.id, str(trip.id))
    with pytest.raises(LogNotReadyError, match="already confirmed"):
        deletion_log.attest(db, helper, trip, confirmed=True)
    deletion_log.attest(db, lead, trip, confirmed=True)
    assert deletion_log.build_log(db, trip).attested


def test_sign_off_needs_the_attestation_and_every_photo_destroyed_and_verified(db: Session, make: Factory) -> None:
    lead, head = make.user(Role.TRIP_LEAD), make.user(Role.ADMIN)
    trip = ended_trip(make, lead)
    add_every_fate(db, trip, lead)
    held = add_photo(db, trip, lead, "held", state=PhotoState.READY)

    with pytest.raises(LogNotReadyError, match="not yet confirmed"):
        deletion_log.sign_off(db, head, trip, confirmed=True)
    deletion_log.attest(db, lead, trip, confirmed=True)
    db.commit()
    with pytest.raises(LogNotReadyError, match="1 photo\\(s\\) are still held"):
        deletion_log.sign_off(db, head, trip, confirmed=True)

    db.add(DeletionRecord(photo_id=held.id, trip_id=trip.id, fate=Fate.EXPIRED, verified=False))
    held.state, held.destroyed_at = PhotoState.DESTROYED, datetime.now(UTC)
    db.commit()
    with pytest.raises(LogNotReadyError, match="not verified"):
        deletion_log.sign_off(db, head, trip, confirmed=True)

    db.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == held.id)).one().verified = True
    deletion_log.sign_off(db, head, trip, confirmed=True)
    db.commit()

    log = deletion_log.build_log(db, trip)
    assert log.signed and log.signed_by is not None and log.signed_by.id == head.id
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "log.signed_off")).one().actor_id == head.id


def test_a_signed_log_is_read_only(db: Session, make: Factory) -> None:
    lead, head, other_head = make.user(Role.TRIP_LEAD), make.user(Role.ADMIN), make.user(Role.ADMIN)
    trip = ended_trip(make, lead)
    add_every_fate(db, trip, lead)
    deletion_log.attest(db, lead, trip, confirmed=True)
    deletion_log.sign_off(db, head, trip, confirmed=True)
    db.commit()

    with pytest.raises(LogClosedError, match="signed off by"):
        deletion_log.attest(db, lead, trip, confirmed=True)
    with pytest.raises(LogClosedError):
        deletion_log.sign_off(db, other_head, trip, confirmed=True)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "log.signed_off")).all()[0].actor_id == head.id


def test_a_senior_leader_cannot_sign_off_their_own_attestation(db: Session, make: Factory) -> None:
    head = make.user(Role.ADMIN)
    trip = ended_trip(make, head)
    deletion_log.attest(db, head, trip, confirmed=True)

    with pytest.raises(LogNotReadyError, match="another senior leader"):
        deletion_log.sign_off(db, head, trip, confirmed=True)


def test_a_photo_arriving_after_the_attestation_needs_a_new_one(db: Session, make: Factory) -> None:
    lead, head = make.user(Role.TRIP_LEAD), make.user(Role.ADMIN)
    trip = ended_trip(make, lead)
    deletion_log.attest(db, lead, trip, confirmed=True).attested_at = datetime.now(UTC) - timedelta(hours=1)
    db.commit()
    add_photo(db, trip, lead, "late", fate=Fate.EXPIRED, received_at=datetime.now(UTC) - timedelta(minutes=1))

    with pytest.raises(LogNotReadyError, match="must confirm again"):
        deletion_log.sign_off(db, head, trip, confirmed=True)
    deletion_log.attest(db, lead, trip, confirmed=True)
    db.commit()
    deletion_log.sign_off(db, head, trip, confirmed=True)


def test_an_office_user_cannot_sign_off(db: Session, make: Factory) -> None:
    lead, office = make.user(Role.TRIP_LEAD), make.user(Role.OFFICE)
    trip = ended_trip(make, lead)
    deletion_log.attest(db, lead, trip, confirmed=True)

    refusals = deletion_log.sign_off_refusals(deletion_log.build_log(db, trip), office)

    assert [r.user_message for r in refusals] == ["Only a senior leader can sign off a deletion log."]


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil\")", "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    assert safe_cell("Posted") == "Posted"


def test_pdf_text_keeps_latin1_and_replaces_the_rest() -> None:
    assert latin1("Café in Łódź \u2014 “ok” 🚌") == 'Café in Lódz - "ok" ?'
