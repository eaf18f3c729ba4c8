"""X as the main destination and Bluesky beside it: X succeeds, Bluesky fails twice, then succeeds.

Exactly one post on each network, and the photos are destroyed only once both are settled. tweepy
and atproto run for real; only their HTTP layers are intercepted (``responses`` for X, the fake
Bluesky server behind ``respx``).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channel_fakes import BLUESKY_FORM, pds  # noqa: F401 - fixture
from tests.conftest import Factory
from tests.lifecycle import Clock, Outing
from tests.publishers.test_bluesky_pds import FakePDS
from tests.services.test_publish_faults import tweet_calls, tweet_ok, x_api, x_rt  # noqa: F401 - fixtures
from tests.services.test_publishing import queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import (
    ChannelKind, DeletionRecord, Fate, Photo, PhotoState, Post, PostState, Publication, PublicationState, Role,
)
from tripposter.runtime import Runtime
from tripposter.services.deletion.rows import build_log
from tripposter.services.networks import channels
from tripposter.services.posting.publishing import publish_post

APPLY = "com.atproto.repo.applyWrites"


def _bluesky(session: Session) -> Publication:
    session.expire_all()
    return session.scalars(select(Publication)).one()


def _down(status: int = 503) -> httpx.Response:
    return httpx.Response(status, json={"error": "InternalServerError", "message": "Service Unavailable"})


def test_x_posts_once_bluesky_fails_twice_then_posts_once_and_then_the_photos_go(
    session: Session, x_rt: Runtime, outing: Outing, queue: Queue, clock: Clock, make: Factory,  # noqa: F811
    x_api: responses.RequestsMock, pds: FakePDS,  # noqa: F811
) -> None:
    channels.connect(session, make.user(Role.ADMIN), x_rt.settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM,
                     clock())
    session.commit()
    tweet_ok(x_api)
    # Two refusals the network may or may not have acted on: each is checked on Bluesky before a resend.
    pds.fail(APPLY, _down(), _down(502))
    photo = receive(session, x_rt, outing)
    post = queue_post(session, x_rt, outing, photo)

    publish_post(x_rt, post.id)
    session.expire_all()
    assert session.get(Post, post.id).state is PostState.PUBLISHED  # type: ignore[union-attr]
    assert _bluesky(session).state is not PublicationState.PUBLISHED
    assert session.get(Photo, photo.id).state is not PhotoState.DESTROYED  # type: ignore[union-attr]

    for _ in range(6):  # the worker's ticks: Bluesky alone is tried again, never X
        clock.now += timedelta(minutes=5)
        queue.tick()
        queue.drain()

    bluesky = _bluesky(session)
    assert bluesky.state is PublicationState.PUBLISHED and bluesky.url
    assert sum(1 for collection, _ in pds.records if collection == "app.bsky.feed.post") == 1
    assert len(tweet_calls(x_api)) == 1 and pds.calls[APPLY] == 3
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    record = session.scalars(select(DeletionRecord)).one()
    assert record.fate is Fate.POSTED and record.verified
    (row,) = build_log(session, outing.trip).rows
    assert row.all_urls.split() == ["https://x.com/ourschool/status/1900", bluesky.url]
    assert x_rt.spool.names() == []
