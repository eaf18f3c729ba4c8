"""Crash injection for the records: identical texts, and a kill at each point of the outbox's write.

Real worker processes (``tests/crash_worker.py``) are killed with SIGKILL, then a fresh worker recovers.

- Identical texts (every photo-only post of a trip has the same text): the worker dies after the
  claim (or the build, or the send) of the second post, the first already published. Afterwards
  there are 0 "published" rows that do not own their own post on X, and 0 destroyed photos of a
  post that did not go out. Where X cannot say (its timeline is closed to the app's tier), the
  post waits for a senior leader with its photo still held.
- The outbox's write, killed at each step: afterwards there are 0 files in the outbox that the
  log does not list (each one is a published post's, or was destroyed and recorded).
"""

from __future__ import annotations

import multiprocessing
import signal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.crash_worker import connect_x, tweet_ids
from tests.lifecycle import Clock, Outing
from tests.test_crash_injection import RESTART_AFTER, Workers, forkserver, leftover_files, queue_post
from tripposter.config import Settings
from tripposter.models import DeletionRecord, Fate, Photo, PhotoState, Post, PostState, Role
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.runtime import Runtime
from tripposter.services.posting.recovery import NEEDS_HUMAN

pytestmark = pytest.mark.slow
__all__ = ["forkserver"]  # the module-scoped fixture, shared with the main crash suite
SAME_TEXT = "#Year6Residential #LakeDistrict"  # what every photo-only post of the trip says


def two_identical_posts(session: Session, rt: Runtime, outing: Outing) -> list[Post]:
    posts = [queue_post(session, rt, outing, 1, key=f"same-{n}") for n in (1, 2)]
    for post in posts:
        post.text = SAME_TEXT
    session.commit()
    return posts


def assert_records_true(session: Session, posts: list[Post], fake_x: Path) -> None:
    """Every published row owns its own post on X; no photo of a post that did not go out is destroyed."""
    session.expire_all()
    published = [p for p in posts if p.state is PostState.PUBLISHED]
    owned = [p.remote_id for p in published]
    # Each published row owns a post of its own on X (a post on X may still await its row after a crash).
    assert len(set(owned)) == len(owned) and set(owned) <= set(tweet_ids(fake_x)), "a published row without its own post"
    for post in posts:
        photos = list(session.scalars(select(Photo).where(Photo.post_id == post.id)))
        if post.state is not PostState.PUBLISHED:
            assert all(p.state is not PhotoState.DESTROYED for p in photos), "a photo of an unposted post destroyed"
            assert not session.scalars(select(DeletionRecord).where(
                DeletionRecord.photo_id.in_([p.id for p in photos]), DeletionRecord.fate == Fate.POSTED)).first()


@pytest.mark.parametrize("step", ["claimed#2", "built#2", "sent#2", "sent#1"])
def test_identical_texts_killed_around_the_second_post(
    step: str, forkserver: multiprocessing.context.BaseContext, settings: Settings, session: Session, rt: Runtime,
    outing: Outing, clock: Clock, tmp_path: Path,
) -> None:
    connect_x(session, settings, clock())
    posts = two_identical_posts(session, rt, outing)
    workers = Workers(forkserver, settings, tmp_path)
    assert workers.run(crash_at=step) == -signal.SIGKILL
    assert_records_true(session, posts, workers.fake_x)
    assert workers.run(clock_offset=RESTART_AFTER) == 0
    assert_records_true(session, posts, workers.fake_x)
    assert [p.state for p in posts] == [PostState.PUBLISHED, PostState.PUBLISHED]
    assert sorted(p.remote_id or "" for p in posts) == sorted(tweet_ids(workers.fake_x))  # two posts, one each
    assert leftover_files(rt, workers.tmpdir) == []


def test_identical_texts_when_x_cannot_say_wait_for_a_senior_leader(
    forkserver: multiprocessing.context.BaseContext, settings: Settings, session: Session, rt: Runtime,
    outing: Outing, clock: Clock, tmp_path: Path, auth: AuthActions, make: Factory,
) -> None:
    connect_x(session, settings, clock())
    first, second = two_identical_posts(session, rt, outing)
    workers = Workers(forkserver, settings, tmp_path)
    assert workers.run(crash_at="claimed#2") == -signal.SIGKILL
    assert workers.run(timeline="forbidden", clock_offset=RESTART_AFTER) == 0
    assert_records_true(session, [first, second], workers.fake_x)
    assert (first.state, second.state, second.last_error) == (PostState.PUBLISHED, PostState.UNKNOWN, NEEDS_HUMAN)
    held = session.scalars(select(Photo).where(Photo.post_id == second.id)).one()
    assert held.state is PhotoState.POSTING and held.spool_name in rt.spool.names()  # kept until decided
    auth.login(make.user(Role.ADMIN))
    assert second.public_id in auth.client.get("/post/decisions").get_data(as_text=True)
    # The leader sees one post on the account (the first one's) and sends the second.
    assert auth.post(f"/post/decisions/{second.public_id}", data={"decision": "resend"}).status_code == 302
    assert workers.run(clock_offset=RESTART_AFTER) == 0
    assert_records_true(session, [first, second], workers.fake_x)
    assert second.state is PostState.PUBLISHED and len(tweet_ids(workers.fake_x)) == 2


OUTBOX_STEPS = ["outbox-folder", "outbox-image-0", "outbox-image-1", "outbox-record", "outbox-renamed"]


@pytest.mark.parametrize("step", OUTBOX_STEPS)
def test_outbox_write_killed_at_each_point_leaves_no_file_the_log_does_not_list(
    step: str, forkserver: multiprocessing.context.BaseContext, settings: Settings, session: Session, rt: Runtime,
    outing: Outing, tmp_path: Path,
) -> None:
    post = queue_post(session, rt, outing, 2, key=f"outbox-{step}")
    workers = Workers(forkserver, settings, tmp_path)
    outbox_env = {"env_extra": {"TRIPPOSTER_PUBLISHER": "outbox"}}
    assert workers.run(crash_at=step, **outbox_env) == -signal.SIGKILL
    root = settings.outbox_path
    written = sum(1 for entry in root.rglob("*") if entry.is_file())
    assert workers.run(clock_offset=RESTART_AFTER, **outbox_env) == 0
    session.expire_all()
    assert post.state is PostState.PUBLISHED
    stored = OutboxPublisher(root).list_posts()
    assert [s.id for s in stored] == [post.remote_id]  # one post: never two, never a half one
    assert [e.name for e in root.iterdir()] == [post.remote_id]  # no unfinished folder
    listed = {post.remote_id}
    files = [f for f in root.rglob("*") if f.is_file()]
    assert files and all(f.parent.name in listed for f in files), "a file the log does not list"
    leftovers = list(session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.LEFTOVER)))
    if step == "outbox-renamed":
        assert leftovers == []  # the post was whole: recovery found it by its attempt and recorded it
    else:
        [record] = leftovers  # the unfinished copy, destroyed and recorded against the trip
        assert (record.trip_id, record.copies, record.verified) == (outing.trip.id, written, True)
    assert leftover_files(rt, workers.tmpdir) == []
