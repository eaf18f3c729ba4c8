"""Faults on the publish path: a crash between every pair of steps, and X failing every way it can.

Afterwards there is exactly one post and nothing left in the spool. tweepy runs for real; only
the HTTP layer is intercepted, by ``responses``.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
import requests
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lifecycle import Clock, Outing
from tests.publishers.conftest import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    MEDIA_API,
    TWEETS_URL,
)
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import AuditEvent, DeletionRecord, Fate, PhotoState, PostState, Role, XAccount
from tripposter.publishers.x_connect import TokenBox, XTokens
from tripposter.runtime import Runtime
from tripposter.services.networks import x_account
from tripposter.services.posting.publishing import LEASE, publish_post
from tripposter.services.posting.recovery import recover, resolve_unknown

STEPS = ["claimed", "built", "sent", "recorded", "destroyed"]


class CrashError(RuntimeError):
    """Stands in for the worker dying at one point of the publish path."""


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step_still_posts_exactly_once(
    step: str, session: Session, rt: Runtime, outing: Outing, queue: Queue, clock: Clock
) -> None:
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)

    def crash(at: str) -> None:
        if at == step:
            raise CrashError(at)

    rt.checkpoint = crash
    with pytest.raises(CrashError):
        publish_post(rt, post.id)
    rt.checkpoint = lambda at: None
    clock.now += LEASE + timedelta(seconds=1)  # the dead worker's lease runs out
    for _ in range(3):  # a restarted worker's ticks, plus stray duplicate nudges
        queue.tick()
        queue.enqueue_publish(post.id)
        queue.drain()
    session.expire_all()
    assert len(outbox(rt).list_posts()) == 1
    assert post.state is PostState.PUBLISHED
    assert session.get(type(photo), photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    record = session.scalars(select(DeletionRecord)).one()
    assert record.fate is Fate.POSTED and record.verified
    assert rt.spool.names() == []


# --- X through tweepy, with HTTP intercepted -------------------------------------------------------

@pytest.fixture
def x_rt(rt: Runtime, session: Session, clock: Clock) -> Runtime:
    rt.settings = dataclasses.replace(rt.settings, publisher="x", x_consumer_key=CONSUMER_KEY, x_consumer_secret=CONSUMER_SECRET)
    rt.publisher_for = lambda s: x_account.publisher_for(s, rt.settings)
    tokens = XTokens("42-access-token", "at-secret", user_id="42", screen_name="ourschool")
    x_account.save_tokens(session, None, TokenBox(rt.settings.token_key), tokens, clock())
    session.commit()
    return rt


@pytest.fixture
def x_api() -> responses.RequestsMock:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{MEDIA_API}/2/media/upload/initialize", json={"data": {"id": "77", "media_key": "3_77"}})
        mock.post(re.compile(rf"{MEDIA_API}/2/media/upload/77/append"), json={})
        mock.post(f"{MEDIA_API}/2/media/upload/77/finalize", json={"data": {"id": "77"}})
        mock.post(f"{MEDIA_API}/2/media/metadata", json={"data": {"id": "77"}})
        yield mock


def tweet_ok(mock: responses.RequestsMock) -> None:
    mock.post(TWEETS_URL, json={"data": {"id": "1900", "text": "ok"}}, headers={"x-user-limit-24hour-limit": "17",
              "x-user-limit-24hour-remaining": "16", "x-user-limit-24hour-reset": "1999999999"})


def tweet_calls(mock: responses.RequestsMock) -> list[requests.PreparedRequest]:
    return [c.request for c in mock.calls if c.request.url == TWEETS_URL]


def run(queue: Queue, clock: Clock, minutes: float = 0) -> None:
    clock.now += timedelta(minutes=minutes)
    queue.tick()
    queue.drain()


def test_429_waits_for_the_reset_then_posts_once(session, x_rt, outing, queue, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    reset = int((clock.now + timedelta(minutes=15)).timestamp())
    x_api.post(TWEETS_URL, status=429, json={"title": "Too Many Requests"}, headers={"x-rate-limit-reset": str(reset),
               "x-rate-limit-remaining": "0", "x-rate-limit-limit": "100"})
    assert publish_post(x_rt, post.id) == "rescheduled"
    session.expire_all()
    assert post.state is PostState.QUEUED and post.scheduled_for.timestamp() == reset
    x_api.replace(responses.POST, TWEETS_URL, json={"data": {"id": "1900", "text": "ok"}})
    run(queue, clock, minutes=5)
    assert len(tweet_calls(x_api)) == 1  # not retried before X's reset time
    run(queue, clock, minutes=11)
    session.expire_all()
    assert post.state is PostState.PUBLISHED and post.remote_url == "https://x.com/ourschool/status/1900"
    assert len(tweet_calls(x_api)) == 2 and x_rt.spool.names() == []


def test_three_server_errors_then_success(session, x_rt, outing, queue, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    for _ in range(3):
        x_api.post(TWEETS_URL, status=503, json={"title": "Service Unavailable"})
    tweet_ok(x_api)
    # A 5xx may hide a post X did make: each one is checked against the timeline before a retry.
    timeline = x_api.get(re.compile(r"https://api\.twitter\.com/2/users/42/tweets.*"), json={"meta": {"result_count": 0}})
    publish_post(x_rt, post.id)
    for _ in range(3):
        run(queue, clock, minutes=61)
    session.expire_all()
    assert post.state is PostState.PUBLISHED and post.attempts == 4
    assert timeline.call_count == 3
    bodies = [c.body for c in tweet_calls(x_api)]
    assert len(bodies) == 4 and b'"media_ids": ["77"]' in bodies[-1] and b'"reply_settings": "mentionedUsers"' in bodies[-1]
    assert session.scalars(select(XAccount)).one().daily_remaining == 16
    assert x_rt.spool.names() == []


def test_401_pauses_the_queue_visibly(session, x_rt, outing, queue, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    x_api.post(TWEETS_URL, status=401, json={"title": "Unauthorized"})
    assert publish_post(x_rt, post.id) == "paused"
    session.expire_all()
    assert post.state is PostState.QUEUED and session.scalars(select(XAccount)).one().paused_reason
    run(queue, clock, minutes=2)
    assert len(tweet_calls(x_api)) == 1  # nothing more is sent while paused
    assert x_rt.spool.names() != []  # the photo waits, encrypted, for a reconnect
    run(queue, clock, minutes=25 * 60)  # nobody reconnected: the retention limit ends its wait
    session.expire_all()
    assert post.state is PostState.EXPIRED and x_rt.spool.names() == []
    assert session.scalars(select(DeletionRecord)).one().fate is Fate.EXPIRED


def test_402_credits_spent_pauses_x_keeps_the_post_and_resume_sends_it_once(session, x_rt, outing, queue, clock, x_api, make) -> None:  # type: ignore[no-untyped-def]
    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    text = post.text
    x_api.post(TWEETS_URL, status=402, json={"title": "Payment Required", "type": "https://api.twitter.com/2/problems/credits-depleted"})
    assert publish_post(x_rt, post.id) == "paused"
    session.expire_all()
    account = session.scalars(select(XAccount)).one()
    # Nothing was posted and the post is fine: it waits with its text and photos, not failed.
    assert post.state is PostState.QUEUED and post.text == text and not post.maybe_posted
    assert "credits" in account.paused_reason and "Resume" in account.paused_reason
    assert all(photo.state is not PhotoState.DESTROYED for photo in post.photos)
    run(queue, clock, minutes=30)
    assert len(tweet_calls(x_api)) == 1  # nothing more is sent while paused
    x_api.replace(responses.POST, TWEETS_URL, json={"data": {"id": "1901", "text": "ok"}})
    leader = make.user(Role.ADMIN)
    x_account.resume(session, leader)
    session.commit()
    run(queue, clock, minutes=1)
    session.expire_all()
    assert post.state is PostState.PUBLISHED and len(tweet_calls(x_api)) == 2 and x_rt.spool.names() == []
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(["x.paused", "x.resumed"]))).all()
    assert actions == ["x.paused", "x.resumed"]


def test_timeout_is_reconciled_from_the_timeline_without_a_second_post(session, x_rt, outing, queue, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    x_api.post(TWEETS_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    assert publish_post(x_rt, post.id) == "unknown"
    session.expire_all()
    text = post.text
    x_api.get(re.compile(r"https://api\.twitter\.com/2/users/42/tweets.*"),
              json={"data": [{"id": "1901", "text": text + " https://t.co/abc", "attachments": {"media_keys": ["3_1"]},
                              "created_at": (post.attempt_started_at + timedelta(seconds=3)).isoformat()}]})
    recover(x_rt)
    session.expire_all()
    assert post.state is PostState.PUBLISHED and post.remote_id == "1901"
    assert len(tweet_calls(x_api)) == 1 and x_rt.spool.names() == []


def test_unknown_post_a_leader_resends_and_x_duplicate_proves_it(session, x_rt, outing, queue, clock, x_api, make) -> None:  # type: ignore[no-untyped-def]
    from tripposter.models import Role

    post = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    x_api.post(TWEETS_URL, body=requests.exceptions.ConnectionError("reset by peer"))
    publish_post(x_rt, post.id)
    x_api.get(re.compile(r"https://api\.twitter\.com/2/users/42/tweets.*"), status=403,
              json={"title": "Client Forbidden", "reason": "client-not-enrolled"})
    assert recover(x_rt).reconciled == {"needs-human": 1}
    session.expire_all()
    assert post.state is PostState.UNKNOWN and "senior leader must" in post.last_error
    resolve_unknown(x_rt, session, make.user(Role.ADMIN), post.public_id, "resend")
    session.commit()
    x_api.replace(responses.POST, TWEETS_URL, status=403, json={
        "detail": "You are not allowed to create a Tweet with duplicate content.", "status": 403, "title": "Forbidden"})
    run(queue, clock, minutes=1)
    session.expire_all()
    assert post.state is PostState.PUBLISHED and x_rt.spool.names() == []
    assert session.scalars(select(DeletionRecord)).one().fate is Fate.POSTED


def test_two_workers_racing_post_once(session: Session, rt: Runtime, outing: Outing, queue: Queue) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    outcomes = []

    def second_worker(at: str) -> None:
        if at == "claimed":
            rt.checkpoint = lambda _: None
            outcomes.append(publish_post(rt, post.id))  # another worker takes the same nudge meanwhile

    rt.checkpoint = second_worker
    outcomes.append(publish_post(rt, post.id))
    assert sorted(outcomes) == ["not-waiting", "published"]
    assert len(outbox(rt).list_posts()) == 1
