"""Two processes changing one post: every transition is a compare-and-set, never read-then-write.

Each test holds the post in one session as a request would have read it, lets a worker move it
on in its own sessions, then acts on the stale read. Before the writes were conditional, each of
these overwrote the worker's state: a cancelled post went out, or a post went out twice.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.lifecycle import Outing
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import PhotoState, PostState, Role
from tripposter.runtime import Runtime
from tripposter.services.errors import ServiceError
from tripposter.services.posting import posts
from tripposter.services.posting.publishing import publish_post
from tripposter.services.posting.recovery import reconcile_unknown, resolve_unknown


def test_a_cancel_that_reaches_the_row_after_a_worker_claimed_it_is_refused(
    session: Session, rt: Runtime, outing: Outing
) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    assert post.state is PostState.QUEUED  # what the teacher's request read
    refused = []

    def teacher_cancels_now(step: str) -> None:
        if step == "claimed":
            with pytest.raises(ServiceError) as err:
                posts.cancel_post(session, outing.lead, post.public_id)
            session.commit()
            refused.append(err.value.user_message)

    rt.checkpoint = teacher_cancels_now
    assert publish_post(rt, post.id) == "published"
    session.expire_all()
    assert refused and "cannot be taken back" in refused[0]
    assert post.state is PostState.PUBLISHED and len(outbox(rt).list_posts()) == 1
    assert all(photo.state is PhotoState.DESTROYED for photo in post.photos) and rt.spool.names() == []


def test_a_leaders_resend_after_a_worker_settled_the_post_is_refused(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, make
) -> None:  # type: ignore[no-untyped-def]
    admin = make.user(Role.ADMIN)
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    post.state, post.maybe_posted = PostState.UNKNOWN, True  # as a crash mid-send leaves it
    post.attempt_id, post.attempt_started_at = "a" * 32, rt.clock()
    session.commit()  # the leader's page shows it as unknown
    assert reconcile_unknown(rt, post.id) == "requeued"  # meanwhile a worker: not on the account
    queue.tick()
    queue.drain()
    assert len(outbox(rt).list_posts()) == 1
    with pytest.raises(ServiceError):
        resolve_unknown(rt, session, admin, post.public_id, "resend")  # the leader clicks on the stale page
    session.commit()
    queue.tick()
    queue.drain()
    session.expire_all()
    assert post.state is PostState.PUBLISHED and len(outbox(rt).list_posts()) == 1
    assert rt.spool.names() == []
