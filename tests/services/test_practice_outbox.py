"""The practice outbox: a folder on this server connected as a channel, with no account anywhere.

It is posted to like any network (one publication per post, its attempt's identity committed before
the write, a lost answer settled by that identity), and its copies are local copies of photos: kept
for the outbox's retention, then destroyed and recorded in the deletion log, leftovers and strays too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lifecycle import Clock, Outing
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import (
    AuditEvent, Channel, ChannelKind, DeletionRecord, Fate, Photo, PhotoState, Post, Publication, PublicationState,
)
from tripposter.publishers.base import Attempt, Post as Request, PostImage
from tripposter.publishers.outbox import PRACTICE_URL, OutboxPublisher
from tripposter.runtime import Runtime
from tripposter.services.deletion.rows import build_log
from tripposter.services.networks import channels
from tripposter.services.posting.publishing import publish_post
from tripposter.web.phone.api_io import post_json


class Crash(Exception):
    """The worker dies here (an injected fault)."""


@pytest.fixture
def practice(session: Session, rt: Runtime) -> Iterator[Channel]:
    channel = channels.connect_practice_outbox(session, None, rt.settings.token_key, rt.settings.practice_outbox_path,
                                               rt.clock())
    session.commit()
    yield channel
    rt.checkpoint = lambda step: None


def practice_box(rt: Runtime) -> OutboxPublisher:
    return OutboxPublisher(rt.settings.practice_outbox_path, url_prefix=PRACTICE_URL)


def crash_at(rt: Runtime, post: Post, where: str) -> None:
    """Publish ``post`` with the worker dying at checkpoint ``where``."""

    def die(step: str) -> None:
        if step == where:
            raise Crash(step)

    rt.checkpoint = die
    try:
        with pytest.raises(Crash):
            publish_post(rt, post.id)
    finally:
        rt.checkpoint = lambda step: None


def publication_of(session: Session, post: Post) -> Publication:
    session.expire_all()
    return session.scalars(select(Publication).where(Publication.post_id == post.id)).one()


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_connecting_needs_no_account_and_checks_the_folder(session: Session, rt: Runtime, practice: Channel) -> None:
    assert practice.kind is ChannelKind.OUTBOX and practice.active and practice.display_name == "a folder on this server"
    assert practice.settings == {} and practice.last_test_ok is True
    assert rt.settings.practice_outbox_path.is_dir() and files_in(rt.settings.practice_outbox_path) == []
    assert rt.settings.practice_outbox_path.stat().st_mode & 0o777 == 0o700
    result = channels.test_connection(session, None, rt.settings.token_key, practice.id, rt.clock(),
                                      rt.settings.practice_outbox_path)
    assert result.ok and result.message == "Connected as a folder on this server."


def test_a_folder_that_cannot_be_written_is_refused_and_nothing_is_stored(session: Session, rt: Runtime) -> None:
    blocked = rt.settings.instance_path / "not-a-folder"
    blocked.write_bytes(b"")  # a file where the folder should be: nothing can be written inside it
    with pytest.raises(channels.ConnectionRefusedError, match="Nothing was saved.*cannot be made"):
        channels.connect_practice_outbox(session, None, rt.settings.token_key, blocked, rt.clock())
    assert session.scalars(select(Channel)).all() == []


def test_a_post_goes_to_the_outbox_and_the_practice_outbox_once_each(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, practice: Channel, clock: Clock,
) -> None:
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    assert publication_of(session, post).state is PublicationState.PENDING

    queue.enqueue_publish(post.id)
    queue.drain()
    queue.tick()
    queue.drain()

    (main,), (copy,) = outbox(rt).list_posts(), practice_box(rt).list_posts()
    publication = publication_of(session, post)
    assert publication.state is PublicationState.PUBLISHED and publication.url == f"/outbox/practice/{copy.id}"
    assert copy.attempt_id == publication.attempt_id and copy.text == main.text
    assert publication.local_kept_until == clock.now + timedelta(days=rt.settings.outbox_retention_days)
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    (row,) = build_log(session, outing.trip).rows
    assert row.link == f"/outbox/{main.id}" and row.channel_links == (("Practice outbox", publication.url),)
    assert row.outbox_until == publication.local_kept_until
    shown = post_json(session.get(Post, post.id), "Europe/London", clock.now)["channels"]  # type: ignore[arg-type]
    assert shown == [{"network": "Practice outbox", "state": "published", "url": publication.url, "error": "",
                      "decided": ""}]


def test_a_crash_after_the_write_is_settled_by_its_attempt_not_written_again(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, practice: Channel, clock: Clock,
) -> None:
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)

    crash_at(rt, post, "channel sent")
    assert publication_of(session, post).state is PublicationState.SENDING
    (written,) = practice_box(rt).list_posts()

    clock.now += timedelta(minutes=2)  # the dead worker's lease runs out
    queue.tick()
    queue.drain()

    publication = publication_of(session, post)
    assert publication.state is PublicationState.PUBLISHED and publication.remote_id == written.id
    assert [p.id for p in practice_box(rt).list_posts()] == [written.id]  # found by its attempt, not written twice
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("publication.%"))
                              .order_by(AuditEvent.id))
    assert list(actions) == ["publication.unknown", "publication.published"]
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]


def test_a_killed_writers_unfinished_copy_is_destroyed_and_recorded(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, practice: Channel, clock: Clock,
) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))

    crash_at(rt, post, "channel claimed")
    attempt = publication_of(session, post).attempt_id
    assert attempt is not None
    # What a writer killed mid-write leaves: its unfinished folder, named with its attempt.
    leftover = rt.settings.practice_outbox_path / f".tmp-{attempt}-0123456789abcdef"
    leftover.mkdir()
    (leftover / "0.jpg").write_bytes(b"\xff\xd8\xff half a photo")

    queue.tick()  # the lease still runs: its writer may be alive, so the folder is left alone
    assert leftover.exists()
    clock.now += timedelta(minutes=2)
    queue.tick()
    queue.drain()

    assert not leftover.exists()
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.LEFTOVER)).one()
    assert (record.trip_id, record.copies, record.verified) == (outing.trip.id, 1, True)
    assert record.reason == "an unfinished copy in the practice outbox, left by an interrupted post"
    assert publication_of(session, post).state is PublicationState.PUBLISHED  # not found, so written once
    assert len(practice_box(rt).list_posts()) == 1
    log = build_log(session, outing.trip)
    assert any("unfinished copy in the practice outbox" in row.fate_text for row in log.rows)


def test_retention_destroys_every_copy_in_both_folders_and_the_log_records_it(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, practice: Channel, clock: Clock,
) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publish_post(rt, post.id) == "published"
    # A second copy by the same attempt that nothing owns (a senior leader decided the other way after a
    # lost answer): destroyed after the same time, recorded against the attempt's trip.
    attempt = Attempt(publication_of(session, post).attempt_id or "", clock(), 1)
    stray = practice_box(rt).publish(Request(text="A stray", images=(PostImage(b"\xff\xd8\xff\xe0", "A lake"),),
                                             attempt=attempt))
    assert files_in(rt.settings.outbox_path) and files_in(rt.settings.practice_outbox_path)
    log = build_log(session, outing.trip)
    assert log.in_outbox == 1  # the trip cannot be signed off while a copy is kept

    clock.now += timedelta(days=rt.settings.outbox_retention_days, minutes=1)
    queue.tick()

    assert files_in(rt.settings.outbox_path) == [] and files_in(rt.settings.practice_outbox_path) == []
    assert practice_box(rt).list_posts() == [] and outbox(rt).list_posts() == []
    assert not (rt.settings.practice_outbox_path / stray.remote_id).exists()
    publication = publication_of(session, post)
    assert publication.local_destroyed_at == clock.now
    (row, stray_row) = sorted(build_log(session, outing.trip).rows, key=lambda r: r.fate is Fate.LEFTOVER)
    assert row.outbox_until is None and row.outbox_destroyed_at == clock.now
    assert stray_row.fate is Fate.LEFTOVER and "a copy in the practice outbox that no published post owns" in stray_row.fate_text
    assert build_log(session, outing.trip).in_outbox == 0
    destroyed = session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.destroyed")).all()
    assert len(destroyed) == 2  # the outbox's copy and the practice outbox's


def test_disconnecting_stops_new_copies_and_the_old_ones_still_go_at_their_time(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, practice: Channel, clock: Clock,
) -> None:
    first = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publish_post(rt, first.id) == "published"
    channels.disconnect(session, None, practice.id, clock())
    session.commit()
    second = queue_post(session, rt, outing, receive(session, rt, outing, key="photo-key-0002"), key="post-key-0002")
    assert publish_post(rt, second.id) == "published"
    assert session.scalars(select(Publication).where(Publication.post_id == second.id)).all() == []
    assert len(practice_box(rt).list_posts()) == 1

    clock.now += timedelta(days=rt.settings.outbox_retention_days, minutes=1)
    queue.tick()
    assert files_in(rt.settings.practice_outbox_path) == []
    assert publication_of(session, first).local_destroyed_at == clock.now


def test_a_trip_chooses_it_like_any_network(
    session: Session, rt: Runtime, outing: Outing, practice: Channel,
) -> None:
    outing.trip.networks = ["main"]  # the outbox only
    session.commit()
    kept_off = queue_post(session, rt, outing, receive(session, rt, outing))
    assert session.scalars(select(Publication).where(Publication.post_id == kept_off.id)).all() == []
    outing.trip.networks = ["main", ChannelKind.OUTBOX.value]
    session.commit()
    chosen = queue_post(session, rt, outing, receive(session, rt, outing, key="photo-key-0002"), key="post-key-0002")
    assert publication_of(session, chosen).channel_id == practice.id
