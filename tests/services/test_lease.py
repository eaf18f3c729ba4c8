"""A slow send keeps its post's lease; only a dead worker's post is taken over by recovery."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.lifecycle import Clock, Outing
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.models import Post, PostState
from tripposter.publishers import base as pub
from tripposter.runtime import Runtime
from tripposter.services.posting.lease import LEASE
from tripposter.services.posting.publishing import publish_post
from tripposter.services.posting.recovery import RecoveryReport, recover


class SlowSend:
    """The outbox publisher, with a send that outlasts the lease while another worker ticks."""

    def __init__(self, rt: Runtime, clock: Clock, post_id: int) -> None:
        self.rt, self.clock, self.post_id = rt, clock, post_id
        self.inner = outbox(rt)
        self.seen: list[RecoveryReport] = []

    def publish(self, post: pub.Post) -> pub.Published:
        self.clock.now += LEASE + timedelta(minutes=1)  # the send has taken longer than a lease
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self._claimed_until() <= self.clock.now:
            time.sleep(0.02)  # give the worker's lease keeper a chance, as a minute would in life
        self.seen.append(recover(self.rt))  # another worker's minute tick, during the send
        return self.inner.publish(post)

    def _claimed_until(self):  # type: ignore[no-untyped-def]
        with self.rt.sessions() as session:
            return session.get(Post, self.post_id).claimed_until  # type: ignore[union-attr]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.mark.parametrize(("renew_every", "taken_over"), [(0.05, False), (3600.0, True)], ids=["renewed", "control"])
def test_a_slow_send_is_not_mistaken_for_a_dead_worker(
    renew_every: float, taken_over: bool, session: Session, rt: Runtime, outing: Outing, clock: Clock
) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    slow = SlowSend(rt, clock, post.id)
    rt.publisher_for = lambda _session: slow  # type: ignore[assignment,return-value]
    rt.lease_renew_seconds = renew_every
    assert publish_post(rt, post.id) == "published"
    # With the lease kept, recovery leaves the post to its worker. The control (no renewal in
    # time) shows what the keeper prevents: recovery declares a live send "unknown".
    assert slow.seen[0].stale == (1 if taken_over else 0)
    session.expire_all()
    assert post.state is PostState.PUBLISHED and len(outbox(rt).list_posts()) == 1
    assert rt.spool.names() == []
