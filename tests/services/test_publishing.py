"""The life of a photo: received, checked, queued, published once, destroyed, recorded."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.lifecycle import Outing, age_spool
from tests.photos import phone_jpeg
from tests.pipeline.corpus import MARKERS
from tripposter.jobs import Queue
from tripposter.models import DeletionRecord, Fate, Photo, PhotoState, Post, PostState
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.runtime import Runtime
from tripposter.services.errors import ServiceError
from tripposter.services.posting import photo_review, photos, posts
from tripposter.services.posting.photos import IdempotencyConflictError, PhotoRefusedError


def receive(session: Session, rt: Runtime, outing: Outing, key: str = "photo-key-0001", data: bytes | None = None) -> Photo:
    received = photos.receive_photo(
        session, rt.spool, outing.lead, outing.trip.id, key, data or phone_jpeg(),
        now=rt.clock(), limits=rt.limits, detector=rt.detector_factory(),
    )
    session.commit()
    return received.photo


def queue_post(session: Session, rt: Runtime, outing: Outing, photo: Photo, key: str = "post-key-0001", **over: object) -> Post:
    photos.tag_photo(session, outing.lead, photo.public_id, [outing.sam.id, None], [outing.sam.id], "Two pupils at the lake")
    photo_review.review_photo(session, outing.lead, photo.public_id, regions=None, faces_checked=True, now=rt.clock())
    request = posts.PostRequest(key=key, trip_id=outing.trip.id, photo_ids=(photo.public_id,),
                                caption=str(over.pop("caption", "A brilliant morning of canoeing!")), **over)  # type: ignore[arg-type]
    post, _ = posts.create_post(session, outing.lead, request, rt.clock())
    session.commit()
    return post


def outbox(rt: Runtime) -> OutboxPublisher:
    return OutboxPublisher(rt.settings.outbox_path)


def spool_files(rt: Runtime) -> list[str]:
    return rt.spool.names()


def test_received_photo_is_scrubbed_encrypted_and_faces_found(session: Session, rt: Runtime, outing: Outing) -> None:
    data = phone_jpeg()
    photo = receive(session, rt, outing, data=data)
    assert photo.state is PhotoState.READY and len(photo.faces) == 2
    assert photo.face_pupils == [None, None]  # blurred until the teacher says whose
    assert {"exif", "gps"} <= set(photo.removed_metadata)
    (name,) = spool_files(rt)
    on_disk = (rt.spool.root / name).read_bytes()
    assert b"\xff\xd8\xff" not in on_disk[:16] and MARKERS["gps"].encode() not in on_disk  # encrypted
    clean = rt.spool.read(name, photo.wrapped_key)  # type: ignore[arg-type]
    assert MARKERS["gps"].encode() not in clean and Image.open(io.BytesIO(clean)).format == "JPEG"


def test_full_life_posts_once_and_destroys_every_copy(session: Session, rt: Runtime, outing: Outing, queue: Queue) -> None:
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    assert post.state is PostState.QUEUED and post.text.startswith("A brilliant morning")
    queue.enqueue_publish(post.id)
    assert queue.drain() == 1
    session.expire_all()
    assert post.state is PostState.PUBLISHED and post.remote_url
    (published,) = outbox(rt).list_posts()
    assert published.text == post.text
    assert photo.state is PhotoState.DESTROYED and photo.spool_name is None and photo.wrapped_key is None
    record = session.scalars(select(DeletionRecord)).one()
    assert record.fate is Fate.POSTED and record.verified and record.remote_url == post.remote_url
    assert record.received_sha256 == photo.received_sha256
    assert spool_files(rt) == []
    # The posted picture went out with the unassigned face blurred: it differs from the clean copy.
    posted = outbox(rt).image_path(published.id, 0).read_bytes()
    assert MARKERS["gps"].encode() not in posted


def test_replayed_upload_returns_the_same_photo(session: Session, rt: Runtime, outing: Outing) -> None:
    data = phone_jpeg()
    first = receive(session, rt, outing, data=data)
    again = photos.receive_photo(session, rt.spool, outing.lead, outing.trip.id, "photo-key-0001", data,
                                 now=rt.clock(), limits=rt.limits, detector=None)
    assert again.replayed and again.photo.id == first.id
    with pytest.raises(IdempotencyConflictError):
        photos.receive_photo(session, rt.spool, outing.lead, outing.trip.id, "photo-key-0001", phone_jpeg(seed=9),
                             now=rt.clock(), limits=rt.limits, detector=None)
    assert len(spool_files(rt)) == 1


def test_refused_upload_is_recorded_and_leaves_nothing(session: Session, rt: Runtime, outing: Outing) -> None:
    with pytest.raises(PhotoRefusedError) as err:
        receive(session, rt, outing, data=b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    session.commit()
    assert err.value.user_message
    record = session.scalars(select(DeletionRecord)).one()
    assert record.fate is Fate.REJECTED and record.verified and record.copies == 0
    assert spool_files(rt) == []


def test_tagging_a_pupil_without_consent_blocks_the_post(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    photos.tag_photo(session, outing.lead, photo.public_id, [outing.ava.id, None], [outing.ava.id], "At the lake")
    photo_review.review_photo(session, outing.lead, photo.public_id, regions=None, faces_checked=True, now=rt.clock())
    request = posts.PostRequest("post-key-0002", outing.trip.id, (photo.public_id,), "Great day!")
    with pytest.raises(posts.ChecksFailedError) as err:
        posts.create_post(session, outing.lead, request, rt.clock())
    assert any("Ava Khan" in p.message and "consent" in p.message for p in err.value.problems)
    assert session.scalar(select(func.count()).select_from(Post)) == 0


def test_caption_with_a_surname_is_refused_with_every_problem(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    with pytest.raises(posts.ChecksFailedError) as err:
        queue_post(session, rt, outing, photo, caption="Well done Sam Lee lol @randomperson")
    rules = {p.rule for p in err.value.problems}
    assert {"full_name", "text_speak", "mention"} <= rules or len(rules) >= 3


def test_consent_withdrawn_after_queueing_stops_the_post(session: Session, rt: Runtime, outing: Outing, queue: Queue) -> None:
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    outing.sam.photo_consent = False  # a parent rings the office
    session.commit()
    queue.enqueue_publish(post.id)
    queue.drain()
    session.expire_all()
    assert post.state is PostState.WITHDRAWN and post.text == ""
    assert outbox(rt).list_posts() == []
    record = session.scalars(select(DeletionRecord)).one()
    assert record.fate is Fate.WITHDRAWN and record.verified
    assert spool_files(rt) == []


def test_double_tap_makes_one_post(session: Session, rt: Runtime, outing: Outing, queue: Queue) -> None:
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    same, replayed = posts.create_post(
        session, outing.lead,
        posts.PostRequest("post-key-0001", outing.trip.id, (photo.public_id,), "A brilliant morning of canoeing!"),
        rt.clock(),
    )
    assert replayed and same.id == post.id
    for _ in range(3):
        queue.enqueue_publish(post.id)
    queue.drain()
    assert len(outbox(rt).list_posts()) == 1


def test_cancelled_photo_is_destroyed_and_logged(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    photos.cancel_photo(session, rt.spool, outing.lead, photo.public_id, rt.clock())
    session.commit()
    assert session.scalars(select(DeletionRecord)).one().fate is Fate.CANCELLED
    assert spool_files(rt) == []


def test_other_teachers_cannot_touch_a_photo(session: Session, rt: Runtime, outing: Outing, make) -> None:  # type: ignore[no-untyped-def]
    from tripposter.models import Role

    photo = receive(session, rt, outing)
    stranger = make.user(Role.TRIP_LEAD)
    with pytest.raises(ServiceError):
        photos.tag_photo(session, stranger, photo.public_id, [None, None], [], "x")


def test_sweeper_destroys_expired_photos(session: Session, rt: Runtime, outing: Outing, queue: Queue, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    photo = receive(session, rt, outing)
    clock.now += timedelta(hours=25)
    assert queue.tick()["swept"] == 1
    session.expire_all()
    assert photo.state is PhotoState.DESTROYED
    assert session.scalars(select(DeletionRecord)).one().fate is Fate.EXPIRED
    assert spool_files(rt) == []


def test_start_up_reconciliation_clears_orphans_and_vanished_files(session: Session, rt: Runtime, outing: Outing) -> None:
    from tripposter.services.posting.recovery import recover

    kept = receive(session, rt, outing, key="photo-key-0002")
    vanished = receive(session, rt, outing, key="photo-key-0003", data=phone_jpeg(seed=11))
    (rt.spool.root / vanished.spool_name).unlink()  # type: ignore[operator]
    rt.spool.write(b"bytes nobody recorded")  # e.g. a crash between the write and the commit
    (rt.spool.root / "stray.txt").write_text("junk")
    age_spool(rt)
    report = recover(rt, spool=True)
    assert report.spool is not None and report.spool.orphans == 2 and report.spool.vanished == 1
    session.expire_all()
    assert kept.state is PhotoState.READY and rt.spool.names() == [kept.spool_name]
    assert vanished.state is PhotoState.DESTROYED
    orphans = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.ORPHAN)).all()
    assert len(orphans) == 2 and all(o.verified for o in orphans)
    photos.cancel_photo(session, rt.spool, outing.lead, kept.public_id, rt.clock())
    session.commit()


def test_a_post_timed_after_the_photos_must_go_is_refused_up_front(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    with pytest.raises(ServiceError, match="after the photos must be destroyed"):
        queue_post(session, rt, outing, photo, when="later", minutes=7 * 24 * 60)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Post)) == 0
