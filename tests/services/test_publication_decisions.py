"""A senior leader settles a network's copy the app cannot: it went out, send it again, or do not send.

The networks are the real publishers (atproto, Mastodon.py) with only HTTP intercepted. Mastodon's
status endpoint here keeps its Idempotency-Key as the real server does, so a resend of a copy that
did arrive can be seen to make no second status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channel_fakes import pds, rsps  # noqa: F401 - fixtures
from tests.conftest import Factory
from tests.lifecycle import Clock, Outing
from tests.publishers import test_mastodon_fakes as md
from tests.publishers.test_bluesky_pds import FakePDS
from tests.services.test_publications import (  # noqa: F401 - fixtures
    APPLY, Crash, actions, bluesky_posts, checkpoint, connect, publications_of,
)
from tests.services.test_publishing import queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import (
    AuditEvent, ChannelKind, DeletionRecord, Fate, Photo, PhotoState, Post, Publication, PublicationState, Role,
)
from tripposter.publishers.base import Published
from tripposter.runtime import Runtime
from tripposter.services.audit.catalogue import describe
from tripposter.services.deletion.rows import build_log
from tripposter.services.errors import ServiceError
from tripposter.services.networks import channels
from tripposter.services.posting import publication_decisions as decisions
from tripposter.services.posting.publications import record_sent
from tripposter.services.posting.publishing import finish_post, publish_post
from tripposter.web.phone.api_io import post_json

CANNOT_READ = {"status": 403, "json": {"error": "This action is outside the authorized scopes"}}
MASTODON_LINK = f"{md.BASE}/@ourschool/113"


class MastodonStatuses:
    """POST /api/v1/statuses keeping each Idempotency-Key: a key seen before gets its status back, never a new one."""

    def __init__(self, clock: Clock, lose_first_answer: bool = True) -> None:
        self.clock, self.lose = clock, lose_first_answer
        self.made: dict[str, dict[str, object]] = {}
        self.keys: list[str] = []

    def __call__(self, request: object) -> tuple[int, dict[str, str], str]:
        key = request.headers["Idempotency-Key"]  # type: ignore[attr-defined]
        self.keys.append(key)
        if key not in self.made:
            self.made[key] = md.status(str(113 + len(self.made)), "<p>A brilliant morning of canoeing!</p>", self.clock.now)
            if self.lose:  # the status is made, but its answer never reaches the app
                return 503, {}, json.dumps({"error": "Service Unavailable"})
        return 200, {"Content-Type": "application/json"}, json.dumps(self.made[key])


def mastodon_that_cannot_tell(rsps: responses.RequestsMock, clock: Clock) -> MastodonStatuses:  # noqa: F811
    """Uploads work, the first status's answer is lost, and the token cannot read the account's posts back."""
    statuses = MastodonStatuses(clock)
    rsps.post(md.MEDIA_URL, json=md.media("m1"))
    rsps.add_callback(responses.POST, md.STATUSES_URL, callback=statuses)
    rsps.get(md.ACCOUNT_STATUSES_URL, **CANNOT_READ)  # type: ignore[arg-type]
    return statuses


@pytest.fixture
def waiting(session: Session, rt: Runtime, outing: Outing, queue: Queue, connect, rsps: responses.RequestsMock,  # noqa: F811
            clock: Clock) -> Callable[..., tuple[Post, MastodonStatuses]]:
    """A post in the outbox whose Mastodon copy the app cannot settle: it waits for a senior leader."""

    def make(*extra: ChannelKind) -> tuple[Post, MastodonStatuses]:
        connect(ChannelKind.MASTODON, *extra)
        statuses = mastodon_that_cannot_tell(rsps, clock)
        post = queue_post(session, rt, outing, receive(session, rt, outing))
        assert publish_post(rt, post.id) == "published"
        clock.now += timedelta(minutes=3)
        queue.tick()  # recovery asks Mastodon, which cannot say
        queue.drain()
        assert publications_of(session, post)[ChannelKind.MASTODON].state is PublicationState.UNKNOWN
        return post, statuses

    return make


def photos_of(session: Session, post: Post) -> list[Photo]:
    session.expire_all()
    return list(session.scalars(select(Photo).where(Photo.post_id == post.id)))


def test_a_copy_the_network_cannot_account_for_is_listed_and_recorded_as_posted_with_its_link(
    session: Session, rt: Runtime, outing: Outing, make: Factory, waiting, clock: Clock,
) -> None:
    post, statuses = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    assert mastodon.needs_decision_at is not None and all(p.state is PhotoState.PUBLISHED for p in photos_of(session, post))
    (copy,) = decisions.waiting_copies(session, clock.now)
    assert (copy.kind, copy.refused, copy.can_resend) == (ChannelKind.MASTODON, False, True)
    assert "could not read the school's Mastodon posts back" in copy.why and "an hour" in copy.resend_note
    leader = make.user(Role.ADMIN)

    for wrong in ("https://evil.example/@ourschool/113", "http://mastodon.example/@ourschool/113",
                  "https://mastodon.example/", "not a link", "https://user:pw@mastodon.example/@a/1"):
        with pytest.raises(ServiceError, match="not a link to a post on Mastodon"):
            decisions.decide_copy(rt, session, leader, mastodon.id, "posted", wrong)
        session.rollback()
    decided = decisions.decide_copy(rt, session, leader, mastodon.id, "posted", f"  {MASTODON_LINK} ")
    session.commit()

    assert (decided.state, decided.url, decided.decided_by, decided.decision) == (
        PublicationState.PUBLISHED, MASTODON_LINK, leader.id, "posted")
    assert decisions.waiting_copies(session, clock.now) == []
    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, post)) and rt.spool.names() == []
    record = session.scalars(select(DeletionRecord)).one()
    assert (record.fate, record.remote_url, record.verified) == (Fate.POSTED, post.remote_url, True)
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "publication.decided"))
    assert event.actor_id == leader.id and event.detail["publication"] == mastodon.id and event.detail["url"] == MASTODON_LINK
    assert describe(event.action, event.detail) == "A senior leader decided a post on a network: mastodon, it went out"
    # The phone and the deletion log say what was decided, and by whom.
    (shown,) = post_json(session.get(Post, post.id), "Europe/London", clock.now)["channels"]  # type: ignore[arg-type]
    assert shown["decided"] == f"Recorded as posted by {leader.display_name}." and shown["url"] == MASTODON_LINK
    (row,) = build_log(session, outing.trip).rows
    assert row.fate_line == f"Posted; Mastodon: recorded as posted by {leader.display_name}"
    assert MASTODON_LINK in row.all_urls and len(statuses.made) == 1


def test_do_not_send_cancels_it_says_who_and_the_photos_go(
    session: Session, rt: Runtime, outing: Outing, make: Factory, waiting, clock: Clock,
) -> None:
    post, _ = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    leader = make.user(Role.ADMIN)

    decided = decisions.decide_copy(rt, session, leader, mastodon.id, "cancel")
    session.commit()

    assert (decided.state, decided.last_error, decided.needs_decision_at) == (PublicationState.CANCELLED, "", None)
    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, post))
    (shown,) = post_json(session.get(Post, post.id), "Europe/London", clock.now)["channels"]  # type: ignore[arg-type]
    assert (shown["state"], shown["decided"]) == ("cancelled", f"Not sent: cancelled by {leader.display_name}.")
    (row,) = build_log(session, outing.trip).rows
    assert row.fate_line == f"Posted; Mastodon: not sent: cancelled by {leader.display_name}"
    with pytest.raises(ServiceError, match="not waiting for a decision any more"):
        decisions.decide_copy(rt, session, leader, mastodon.id, "cancel")


def test_a_worker_that_settles_the_copy_first_wins_and_the_leader_is_told(
    session: Session, rt: Runtime, make: Factory, waiting,
) -> None:
    post, _ = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    leader = make.user(Role.ADMIN)
    assert mastodon.state is PublicationState.UNKNOWN  # what the leader's page showed, still in this session
    # Meanwhile the network answers a worker after all, and it records the copy.
    assert record_sent(rt, mastodon.id, Published("113", MASTODON_LINK), expected=PublicationState.UNKNOWN)

    with pytest.raises(ServiceError, match="not waiting for a decision any more"):
        decisions.decide_copy(rt, session, leader, mastodon.id, "cancel")
    session.rollback()
    session.expire_all()
    assert (mastodon.state, mastodon.decision, mastodon.url) == (PublicationState.PUBLISHED, "", MASTODON_LINK)
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action == "publication.decided")).first()


def test_a_leaders_decision_first_stands_against_a_late_answer_from_the_network(
    session: Session, rt: Runtime, make: Factory, waiting,
) -> None:
    post, _ = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    decisions.decide_copy(rt, session, make.user(Role.ADMIN), mastodon.id, "cancel")
    session.commit()

    assert not record_sent(rt, mastodon.id, Published("113", MASTODON_LINK), expected=PublicationState.UNKNOWN)
    session.expire_all()
    assert mastodon.state is PublicationState.CANCELLED and mastodon.url is None


def test_send_it_again_when_the_first_did_arrive_makes_no_second_status(
    session: Session, rt: Runtime, outing: Outing, make: Factory, queue: Queue, waiting, clock: Clock,
) -> None:
    post, statuses = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    first_attempt = mastodon.attempt_id
    leader = make.user(Role.ADMIN)

    decided = decisions.decide_copy(rt, session, leader, mastodon.id, "resend")
    session.commit()
    assert (decided.state, decided.needs_decision_at, decided.attempt_id) == (
        PublicationState.PENDING, None, first_attempt)
    assert all(p.state is PhotoState.PUBLISHED for p in photos_of(session, post))  # kept: it is to be sent
    queue.enqueue_finish(post.id)
    queue.drain()

    sent = publications_of(session, post)[ChannelKind.MASTODON]
    assert (sent.state, sent.remote_id, sent.url) == (PublicationState.PUBLISHED, "113", f"{md.BASE}/@school/113")
    assert len(statuses.made) == 1 and statuses.keys == [first_attempt, first_attempt]  # one key, one status
    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, post))
    (shown,) = post_json(session.get(Post, post.id), "Europe/London", clock.now)["channels"]  # type: ignore[arg-type]
    assert shown["decided"] == f"Posted after {leader.display_name} had it sent again."


def test_a_crash_after_a_resend_is_sent_comes_back_to_the_leader_not_out_again(
    session: Session, rt: Runtime, make: Factory, queue: Queue, waiting, clock: Clock, checkpoint: None,  # noqa: F811
) -> None:
    post, statuses = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    leader = make.user(Role.ADMIN)
    decisions.decide_copy(rt, session, leader, mastodon.id, "resend")
    session.commit()

    def die(step: str) -> None:
        if step == "channel sent":
            raise Crash(step)

    rt.checkpoint = die
    with pytest.raises(Crash):
        finish_post(rt, post.id)  # the worker sends the resend, then dies before recording Mastodon's answer
    rt.checkpoint = lambda step: None
    assert publications_of(session, post)[ChannelKind.MASTODON].state is PublicationState.SENDING
    clock.now += timedelta(minutes=3)  # the dead worker's lease runs out
    queue.tick()
    queue.drain()

    # Mastodon still cannot say, so it waits for the leader again: never sent blindly a third time.
    back = publications_of(session, post)[ChannelKind.MASTODON]
    assert back.state is PublicationState.UNKNOWN and back.needs_decision_at is not None
    assert len(statuses.keys) == 2 and len(statuses.made) == 1
    assert [c.publication.id for c in decisions.waiting_copies(session, clock.now)] == [mastodon.id]
    assert all(p.state is PhotoState.PUBLISHED for p in photos_of(session, post))
    decisions.decide_copy(rt, session, leader, mastodon.id, "posted")
    session.commit()
    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, post))


def test_a_refused_copy_is_sent_again_while_another_network_keeps_the_photos(
    session: Session, rt: Runtime, outing: Outing, make: Factory, queue: Queue, waiting, pds: FakePDS,  # noqa: F811
    clock: Clock,
) -> None:
    refusal = httpx.Response(400, json={"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"})
    pds.fail(APPLY, refusal)
    post, _ = waiting(ChannelKind.BLUESKY)
    copies = publications_of(session, post)
    assert copies[ChannelKind.BLUESKY].state is PublicationState.FAILED
    listed = decisions.waiting_copies(session, clock.now)
    assert [(c.kind, c.refused, c.can_resend) for c in listed] == [
        (ChannelKind.MASTODON, False, True), (ChannelKind.BLUESKY, True, True)]  # unknown first, then refused
    assert "Bluesky will not take a second copy" in listed[1].resend_note
    leader = make.user(Role.ADMIN)
    with pytest.raises(ServiceError, match="refused this post"):
        decisions.decide_copy(rt, session, leader, copies[ChannelKind.BLUESKY].id, "posted")
    session.rollback()

    decisions.decide_copy(rt, session, leader, copies[ChannelKind.BLUESKY].id, "resend")
    session.commit()
    queue.enqueue_finish(post.id)
    queue.drain()

    assert publications_of(session, post)[ChannelKind.BLUESKY].state is PublicationState.PUBLISHED
    assert pds.calls[APPLY] == 2 and bluesky_posts(pds) == 1
    assert all(p.state is PhotoState.PUBLISHED for p in photos_of(session, post))  # Mastodon still undecided
    decisions.decide_copy(rt, session, leader, copies[ChannelKind.MASTODON].id, "posted")
    session.commit()
    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, post))
    (row,) = build_log(session, outing.trip).rows
    assert [network for network, _ in row.channel_urls] == ["Bluesky"]  # Mastodon's link was not given
    assert row.fate_line == (f"Posted; Mastodon: recorded as posted by {leader.display_name}; "
                             f"Bluesky: posted after {leader.display_name} had it sent again")  # as connected


def test_a_refused_copy_whose_photos_are_gone_says_so_and_leaves_the_page_after_a_week(
    session: Session, rt: Runtime, outing: Outing, make: Factory, connect, pds: FakePDS, clock: Clock,  # noqa: F811
) -> None:
    connect(ChannelKind.BLUESKY)
    pds.fail(APPLY, httpx.Response(400, json={"error": "InvalidRequest", "message": "Invalid record"}))
    first = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publish_post(rt, first.id) == "published"
    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, first))  # every network settled
    (copy,) = decisions.waiting_copies(session, clock.now)
    assert copy.refused and not copy.can_resend and "photos were destroyed" in copy.resend_note
    leader = make.user(Role.ADMIN)
    with pytest.raises(ServiceError, match="no longer be sent to Bluesky"):
        decisions.decide_copy(rt, session, leader, copy.publication.id, "resend")
    session.rollback()
    decided = decisions.decide_copy(rt, session, leader, copy.publication.id, "cancel")
    session.commit()
    assert decided.state is PublicationState.CANCELLED and decided.last_error  # the network's reason is kept
    assert decisions.waiting_copies(session, clock.now) == []

    pds.fail(APPLY, httpx.Response(400, json={"error": "InvalidRequest", "message": "Invalid record"}))
    second = queue_post(session, rt, outing, receive(session, rt, outing, key="photo-key-0002"), key="post-key-0002")
    assert publish_post(rt, second.id) == "published"
    assert len(decisions.waiting_copies(session, clock.now + decisions.REFUSED_SHOWN_FOR - timedelta(minutes=1))) == 1
    assert decisions.waiting_copies(session, clock.now + decisions.REFUSED_SHOWN_FOR + timedelta(minutes=1)) == []


def test_a_copy_on_a_disconnected_account_says_so_and_cannot_be_sent_again(
    session: Session, rt: Runtime, make: Factory, queue: Queue, connect, rsps: responses.RequestsMock,  # noqa: F811
    outing: Outing, clock: Clock,
) -> None:
    (mastodon_channel,) = connect(ChannelKind.MASTODON)
    rsps.post(md.MEDIA_URL, json=md.media("m1"))
    rsps.post(md.STATUSES_URL, status=503)
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publish_post(rt, post.id) == "published"
    channels.disconnect(session, None, mastodon_channel.id, clock.now)
    session.commit()
    queue.tick()

    (copy,) = decisions.waiting_copies(session, clock.now)
    assert "Mastodon account was disconnected" in copy.why and not copy.can_resend
    assert "has been disconnected" in copy.resend_note
    leader = make.user(Role.ADMIN)
    with pytest.raises(ServiceError, match="disconnected"):
        decisions.decide_copy(rt, session, leader, copy.publication.id, "resend")
    session.rollback()
    assert actions(session, "publication.needs_decision") == ["publication.needs_decision"]
    queue.tick()  # asked again: nothing new is recorded while the reason is the same
    assert actions(session, "publication.needs_decision") == ["publication.needs_decision"]
    assert session.get(Publication, copy.publication.id).state is PublicationState.UNKNOWN  # type: ignore[union-attr]


def test_a_decision_whose_request_dies_before_its_commit_is_decided_again_and_destroyed_verified(
    session: Session, rt: Runtime, outing: Outing, make: Factory, queue: Queue, waiting, clock: Clock,
) -> None:
    post, _ = waiting()
    mastodon = publications_of(session, post)[ChannelKind.MASTODON]
    leader = make.user(Role.ADMIN)
    decisions.decide_copy(rt, session, leader, mastodon.id, "cancel")  # the files are unlinked here...
    assert rt.spool.names() == []
    session.rollback()  # ...and the request dies before its commit: the rows never changed

    clock.now += timedelta(minutes=1)
    queue.tick()  # recovery leaves it: a photo of a post some network may still need is not "finished"
    session.expire_all()
    assert mastodon.state is PublicationState.UNKNOWN and mastodon.needs_decision_at is not None
    assert [c.publication.id for c in decisions.waiting_copies(session, clock.now)] == [mastodon.id]
    assert not session.scalars(select(DeletionRecord)).first()
    decisions.decide_copy(rt, session, leader, mastodon.id, "cancel")  # the leader, told nothing changed, decides again
    session.commit()

    assert all(p.state is PhotoState.DESTROYED for p in photos_of(session, post))
    record = session.scalars(select(DeletionRecord)).one()
    assert (record.fate, record.verified) == (Fate.POSTED, True)
    assert len(actions(session, "publication.decided")) == 1
