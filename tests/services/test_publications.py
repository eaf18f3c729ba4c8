"""Each post goes to the outbox and to every connected channel, exactly once each; the photos wait for all.

The channels are the real publishers (atproto, Mastodon.py) with only their HTTP intercepted:
the fake Bluesky server behind respx, Mastodon through `responses`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channel_fakes import BLUESKY_FORM, MASTODON_FORM, mastodon_answers, pds, rsps  # noqa: F401 - fixtures
from tests.conftest import Factory
from tests.lifecycle import Clock, Outing
from tests.publishers import test_mastodon_fakes as md
from tests.publishers.test_bluesky_pds import FakePDS
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import (
    AuditEvent, Channel, ChannelKind, DeletionRecord, Photo, PhotoState, Post, PostState, Publication, PublicationState,
    Role,
)
from tripposter.runtime import Runtime
from tripposter.services.deletion.rows import build_log
from tripposter.services.networks import channels
from tripposter.services.posting import posts, publications
from tripposter.services.posting.publishing import publish_post
from tripposter.web.phone.api_io import post_json

APPLY = "com.atproto.repo.applyWrites"


class Crash(Exception):
    """The worker dies here (an injected fault)."""


@pytest.fixture
def connect(session: Session, rt: Runtime, make: Factory, pds: FakePDS, rsps: responses.RequestsMock):  # type: ignore[no-untyped-def] # noqa: F811
    """Connect the school's Bluesky and/or Mastodon through their fakes."""
    admin = make.user(Role.ADMIN)

    def connect(*kinds: ChannelKind) -> list[Channel]:
        made = []
        for kind in kinds:
            if kind is ChannelKind.MASTODON:
                mastodon_answers(rsps)
            form = {ChannelKind.BLUESKY: BLUESKY_FORM, ChannelKind.MASTODON: MASTODON_FORM}[kind]
            made.append(channels.connect(session, admin, rt.settings.token_key, kind, form, rt.clock()))
        session.commit()
        return made

    return connect


@pytest.fixture
def checkpoint(rt: Runtime) -> Iterator[None]:
    yield
    rt.checkpoint = lambda step: None


def mastodon_posts(rsps: responses.RequestsMock, *answers: dict[str, object]) -> None:  # noqa: F811
    """Media uploads work; the status POST answers with ``answers`` in order (the last repeats)."""
    rsps.post(md.MEDIA_URL, json=md.media("m1"))
    for answer in answers:
        rsps.post(md.STATUSES_URL, **answer)  # type: ignore[arg-type]
    rsps.get(md.ACCOUNT_STATUSES_URL, json=[])  # find_recent: nothing of ours there (yet)


def status_calls(rsps: responses.RequestsMock) -> list[responses.Call]:  # noqa: F811
    return [c for c in rsps.calls if c.request.method == "POST" and c.request.url == md.STATUSES_URL]


def bluesky_posts(pds: FakePDS) -> int:  # noqa: F811
    return sum(1 for collection, _ in pds.records if collection == "app.bsky.feed.post")


def ok_status(clock: Clock) -> dict[str, object]:
    return {"json": md.status("113", "<p>A brilliant morning of canoeing!</p>", clock.now)}


def publications_of(session: Session, post: Post) -> dict[ChannelKind, Publication]:
    session.expire_all()
    rows = session.scalars(select(Publication).where(Publication.post_id == post.id))
    return {session.get(Channel, p.channel_id).kind: p for p in rows}  # type: ignore[union-attr]


def actions(session: Session, prefix: str) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.id)
    return list(session.scalars(query))


def test_a_post_goes_to_the_outbox_bluesky_and_mastodon_once_each_then_its_photos_go(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, pds: FakePDS,  # noqa: F811
    rsps: responses.RequestsMock, clock: Clock,  # noqa: F811
) -> None:
    connect(ChannelKind.BLUESKY, ChannelKind.MASTODON)
    mastodon_posts(rsps, ok_status(clock))
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    assert {k: p.state for k, p in publications_of(session, post).items()} == {
        ChannelKind.BLUESKY: PublicationState.PENDING, ChannelKind.MASTODON: PublicationState.PENDING}

    queue.enqueue_publish(post.id)
    queue.drain()
    queue.tick()
    queue.drain()

    assert len(outbox(rt).list_posts()) == 1
    assert pds.calls[APPLY] == 1 and bluesky_posts(pds) == 1
    assert len(status_calls(rsps)) == 1
    sent = publications_of(session, post)
    assert {p.state for p in sent.values()} == {PublicationState.PUBLISHED}
    assert sent[ChannelKind.MASTODON].url == f"{md.BASE}/@school/113"
    assert sent[ChannelKind.BLUESKY].url and sent[ChannelKind.BLUESKY].url.startswith("https://bsky.app/")
    assert status_calls(rsps)[0].request.headers["Idempotency-Key"] == sent[ChannelKind.MASTODON].attempt_id
    session.expire_all()
    assert photo.state is PhotoState.DESTROYED and rt.spool.names() == []
    assert actions(session, "publication.") == ["publication.published", "publication.published"]
    # The deletion log and the phone show every place the post went.
    (row,) = build_log(session, outing.trip).rows
    assert row.all_urls.split() == [post.remote_url, sent[ChannelKind.BLUESKY].url, sent[ChannelKind.MASTODON].url]
    shown = post_json(session.get(Post, post.id), "Europe/London", clock.now)["channels"]  # type: ignore[arg-type]
    assert shown == [
        {"network": "Bluesky", "state": "published", "url": sent[ChannelKind.BLUESKY].url, "error": "", "decided": ""},
        {"network": "Mastodon", "state": "published", "url": f"{md.BASE}/@school/113", "error": "", "decided": ""},
    ]


def test_mastodon_down_twice_then_up_posts_once_and_the_photos_wait_for_it(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, pds: FakePDS,  # noqa: F811
    rsps: responses.RequestsMock, clock: Clock,  # noqa: F811
) -> None:
    connect(ChannelKind.BLUESKY, ChannelKind.MASTODON)
    mastodon_posts(rsps, {"status": 503}, {"status": 503}, ok_status(clock))
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)

    assert publish_post(rt, post.id) == "published"
    states = {k: p.state for k, p in publications_of(session, post).items()}
    assert states == {ChannelKind.BLUESKY: PublicationState.PUBLISHED, ChannelKind.MASTODON: PublicationState.UNKNOWN}
    assert session.get(Photo, photo.id).state is not PhotoState.DESTROYED  # type: ignore[union-attr]
    for _ in range(3):  # each tick: asked Mastodon (not there), sent again with the same key
        clock.now += timedelta(minutes=1)
        queue.tick()
        queue.drain()

    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    assert mastodon.state is PublicationState.PUBLISHED and mastodon.remote_id == "113"
    keys = {c.request.headers["Idempotency-Key"] for c in status_calls(rsps)}
    assert len(status_calls(rsps)) == 3 and keys == {mastodon.attempt_id}  # one key: Mastodon makes one status
    assert pds.calls[APPLY] == 1 and len(outbox(rt).list_posts()) == 1
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    assert session.scalars(select(DeletionRecord)).one().verified


def test_a_crash_after_a_channel_send_is_settled_from_the_network_without_a_second_post(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, pds: FakePDS, clock: Clock,  # noqa: F811
    checkpoint: None,
) -> None:
    connect(ChannelKind.BLUESKY)
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)

    def die(step: str) -> None:
        if step == "channel sent":
            raise Crash(step)

    rt.checkpoint = die
    with pytest.raises(Crash):
        publish_post(rt, post.id)
    rt.checkpoint = lambda step: None
    assert publications_of(session, post)[ChannelKind.BLUESKY].state is PublicationState.SENDING
    assert session.get(Photo, photo.id).state is not PhotoState.DESTROYED  # type: ignore[union-attr]

    queue.tick()  # the lease still runs: a live worker may be sending, so nothing is touched
    assert publications_of(session, post)[ChannelKind.BLUESKY].state is PublicationState.SENDING
    clock.now += timedelta(minutes=2)
    queue.tick()
    queue.drain()

    bluesky = publications_of(session, post)[ChannelKind.BLUESKY]
    assert bluesky.state is PublicationState.PUBLISHED and bluesky.url
    assert pds.calls[APPLY] == 1 and bluesky_posts(pds) == 1  # found by its record key, not sent again
    assert "com.atproto.repo.getRecord" in pds.calls
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    assert actions(session, "publication.") == ["publication.unknown", "publication.published"]


def test_a_refused_connection_pauses_the_channel_and_keeps_the_photos_until_their_limit(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, rsps: responses.RequestsMock,  # noqa: F811
    clock: Clock,
) -> None:
    (mastodon,) = connect(ChannelKind.MASTODON)
    rsps.post(md.MEDIA_URL, status=401, json={"error": "The access token is invalid"})
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)

    assert publish_post(rt, post.id) == "published"
    session.expire_all()
    assert mastodon.paused_reason and "Mastodon" in mastodon.paused_reason
    assert publications_of(session, post)[ChannelKind.MASTODON].state is PublicationState.PENDING
    clock.now += timedelta(hours=1)
    queue.tick()
    queue.drain()
    assert len([c for c in rsps.calls if c.request.url == md.MEDIA_URL]) == 1  # paused: not asked again
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.PUBLISHED  # type: ignore[union-attr]

    clock.now = photo.expires_at + timedelta(minutes=1)
    queue.tick()
    session.expire_all()
    pending = publications_of(session, post)[ChannelKind.MASTODON]
    assert pending.state is PublicationState.EXPIRED and "retention limit" in pending.last_error
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    assert session.scalars(select(DeletionRecord)).one().remote_url == post.remote_url
    assert "publication.expired" in actions(session, "publication.") and actions(session, "channel.paused")


def test_a_channel_that_refuses_the_post_fails_alone_and_the_photos_still_go(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, pds: FakePDS,  # noqa: F811
    rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    connect(ChannelKind.BLUESKY, ChannelKind.MASTODON)
    mastodon_posts(rsps, {"status": 422, "json": {"error": "Validation failed: Text character limit exceeded"}})
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)

    assert publish_post(rt, post.id) == "published"

    sent = publications_of(session, post)
    assert sent[ChannelKind.BLUESKY].state is PublicationState.PUBLISHED
    assert sent[ChannelKind.MASTODON].state is PublicationState.FAILED and sent[ChannelKind.MASTODON].last_error
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    assert session.get(Post, post.id).state is PostState.PUBLISHED  # type: ignore[union-attr]
    assert "publication.failed" in actions(session, "publication.")


def test_two_workers_claiming_the_same_publication_send_it_once(
    session: Session, rt: Runtime, outing: Outing, connect, pds: FakePDS, checkpoint: None,  # noqa: F811
) -> None:
    connect(ChannelKind.BLUESKY)
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    (publication,) = publications_of(session, post).values()
    second: list[str] = []

    def other_worker(step: str) -> None:
        if step == "channel claimed" and not second:  # the first worker holds the claim: the second tries now
            second.append(publications.send_publication(rt, publication.id, lambda s, p: pytest.fail("built twice")))

    rt.checkpoint = other_worker
    assert publish_post(rt, post.id) == "published"

    assert second == ["taken"]
    assert pds.calls[APPLY] == 1
    assert publications_of(session, post)[ChannelKind.BLUESKY].state is PublicationState.PUBLISHED


def test_a_post_taken_back_cancels_its_network_copies_and_a_disconnected_network_gets_nothing(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, pds: FakePDS,  # noqa: F811
) -> None:
    (bluesky,) = connect(ChannelKind.BLUESKY)
    first = queue_post(session, rt, outing, receive(session, rt, outing))
    second = queue_post(session, rt, outing, receive(session, rt, outing, key="photo-key-0002"), key="post-key-0002")
    posts.cancel_post(session, outing.lead, first.public_id)
    session.commit()
    channels.disconnect(session, None, bluesky.id, rt.clock())
    session.commit()

    queue.tick()
    assert publish_post(rt, second.id) == "published"

    assert publications_of(session, first)[ChannelKind.BLUESKY].state is PublicationState.CANCELLED
    assert publications_of(session, second)[ChannelKind.BLUESKY].state is PublicationState.CANCELLED
    assert pds.calls[APPLY] == 0
    session.expire_all()
    assert all(photo.state is PhotoState.DESTROYED for photo in session.get(Post, second.id).photos)  # type: ignore[union-attr]
