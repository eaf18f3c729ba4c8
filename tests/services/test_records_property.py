"""A property test over random crash points and texts: for every photo, the log's fate matches the outbox and the disk.

Hypothesis draws a few posts (their texts often identical, as photo-only posts are) and one crash point
anywhere on the publish path, the outbox's write included. The crash is an exception no code handles
(like SIGKILL, it skips every ``except Exception``; its open transaction rolls back as a dead
connection's would). Then the worker "restarts": the lease runs out, recovery runs, due posts go out.

For every photo afterwards: "posted" means its post is in the outbox under that post's own attempt and
its spool file is gone; "still waiting" means its spool file is on disk; no row says destroyed about a
file that exists. And the outbox holds nothing the log does not list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lifecycle import Clock, Outing
from tests.services.test_publishing import queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import DeletionRecord, Fate, Photo, PhotoState, Post, PostState
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.runtime import Runtime
from tripposter.services.deletion.log import build_log
from tripposter.services.posting.lease import LEASE
from tripposter.services.posting.publishing import publish_post
from tripposter.services.posting.recovery import recover

pytestmark = pytest.mark.slow
POINTS = ["claimed", "built", "outbox-folder", "outbox-image-0", "outbox-record", "outbox-renamed", "sent",
          "recorded", "mid-destroy", "destroyed"]
TEXTS = ["#Year6 #LakeDistrict", "#Year6 #LakeDistrict", "Canoeing on the lake! #Year6"]


class Killed(BaseException):
    """The worker dies here: not an error any code path handles."""


class Crasher:
    """Arms one crash point, at the n-th post to reach it."""

    def __init__(self, point: str | None, nth: int) -> None:
        self.point, self.nth, self.seen = point, nth, 0

    def __call__(self, step: str) -> None:
        if step == self.point:
            self.seen += 1
            if self.seen == self.nth:
                self.point = None  # a dead worker dies once
                raise Killed(step)


def arm(rt: Runtime, crasher: Crasher) -> Callable[[], None]:
    """Install the crash hooks; returns what removes them (the restart)."""
    saved = (rt.checkpoint, rt.publisher_for, rt.spool.destroy)
    destroy = rt.spool.destroy
    root = rt.settings.outbox_path

    def destroy_then_maybe_die(name: str) -> bool:
        gone = destroy(name)
        crasher("mid-destroy")
        return gone

    rt.checkpoint = crasher
    rt.publisher_for = lambda session: OutboxPublisher(root, checkpoint=crasher)
    rt.spool.destroy = destroy_then_maybe_die  # type: ignore[method-assign]

    def disarm() -> None:
        rt.checkpoint, rt.publisher_for = saved[0], saved[1]
        rt.spool.destroy = saved[2]  # type: ignore[method-assign]

    return disarm


def check_the_log_against_disk(
    session: Session, rt: Runtime, outing: Outing, posts: list[Post], *, recovered: bool = True
) -> None:
    session.expire_all()
    outbox = OutboxPublisher(rt.settings.outbox_path)
    stored = {p.id: p for p in outbox.list_posts()}
    rows = {row.short_id: row for row in build_log(session, outing.trip).rows}
    on_disk = set(rt.spool.names())
    for post in posts:
        for photo in session.scalars(select(Photo).where(Photo.post_id == post.id)):
            row = rows[photo.public_id[:8]]
            if row.fate is Fate.POSTED:
                assert post.state is PostState.PUBLISHED and post.remote_id in stored
                assert stored[post.remote_id].attempt_id == post.attempt_id  # its own attempt, not a same-text one
                assert stored[post.remote_id].text == post.text
            if row.destroyed_at is not None:
                assert photo.spool_name is None and row.verified  # destroyed means gone
                assert photo.spool_name not in on_disk
            else:
                # Held: waiting (its file on disk), or posted with its destruction still to finish
                # (a crash between the unlink and the row may already have removed the file).
                assert photo.spool_name is not None
                assert photo.spool_name in on_disk if row.fate is None else photo.state is PhotoState.PUBLISHED
    if not recovered:
        return  # straight after a kill the outbox may hold what only recovery can account for
    owners = {p.remote_id for p in session.scalars(select(Post).where(Post.state == PostState.PUBLISHED))}
    assert set(stored) <= owners, "the outbox holds a post the log does not list"
    assert outbox.leftovers() == []
    remote = [p.remote_id for p in session.scalars(select(Post).where(Post.remote_id.is_not(None)))]
    assert len(remote) == len(set(remote)), "two posts claim one outbox post"
    for record in session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.LEFTOVER)):
        assert record.verified


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3), point=st.sampled_from([None, *POINTS]),
       nth=st.integers(min_value=1, max_value=3))
def test_every_photos_fate_matches_the_outbox_and_the_disk(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, clock: Clock, texts: list[str], point: str | None,
    nth: int,
) -> None:
    posts = []
    for text in texts:
        key = uuid.uuid4().hex
        posts.append(queue_post(session, rt, outing, receive(session, rt, outing, key=key), key=f"{key}-post"))
        posts[-1].text = text
        session.commit()
    disarm = arm(rt, Crasher(point, nth))
    try:
        for post in posts:
            publish_post(rt, post.id)
    except Killed:
        session.rollback()  # what the dead worker had not committed is gone
    finally:
        disarm()
    check_the_log_against_disk(session, rt, outing, posts, recovered=False)  # true even straight after the crash
    clock.now += LEASE + timedelta(seconds=60)  # the restart: the dead worker's lease has run out
    queue.tick()
    queue.drain()
    recover(rt, spool=True)
    check_the_log_against_disk(session, rt, outing, posts)
    session.expire_all()
    assert all(p.state is PostState.PUBLISHED for p in posts)
    assert all(p.state is PhotoState.DESTROYED for post in posts for p in post.photos)
