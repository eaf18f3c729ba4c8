"""The decisions page's network copies, driven through its forms: what a senior leader reads and presses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Clock, Outing
from tests.services.test_publishing import queue_post, receive
from tests.web.test_post import page
from tripposter.jobs import Queue
from tripposter.models import Channel, ChannelKind, Photo, PhotoState, Post, Publication, PublicationState, Role
from tripposter.runtime import Runtime
from tripposter.services.posting.publishing import publish_post

WHY = ("The app could not read the school's Mastodon posts back, so it cannot tell whether the post went out. "
       "A senior leader must decide.")
LINK = "https://mastodon.example/@ourschool/113"


def waiting_copy(db: Session, rt: Runtime, outing: Outing, clock: Clock, n: int = 1) -> Publication:
    """A post in the outbox whose Mastodon copy recovery gave up on; its photo is still held for it."""
    channel = Channel(kind=ChannelKind.MASTODON, display_name="@ourschool@mastodon.example", secret=b"sealed",
                      settings={"instance": "https://mastodon.example"}, paused_reason="The access token was refused.")
    db.add(channel)
    db.commit()
    post = queue_post(db, rt, outing, receive(db, rt, outing, key=f"photo-key-{n:04}"), key=f"post-key-{n:04}")
    assert publish_post(rt, post.id) == "published"  # Mastodon is paused: its copy waits, with the photo
    copy = db.scalars(select(Publication).where(Publication.post_id == post.id)).one()
    copy.state, copy.attempt_id, copy.attempt_started_at = PublicationState.UNKNOWN, "a" * 32, clock.now
    copy.last_error, copy.needs_decision_at = WHY, clock.now
    db.commit()
    return copy


@pytest.fixture
def copy(db: Session, rt: Runtime, outing: Outing, clock: Clock) -> Publication:
    return waiting_copy(db, rt, outing, clock)


def held(db: Session, copy: Publication) -> bool:
    db.expire_all()
    return all(p.state is PhotoState.PUBLISHED for p in db.scalars(select(Photo).where(Photo.post_id == copy.post_id)))


def test_a_senior_leader_records_a_network_copy_as_posted_with_its_link(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session, copy: Publication, outing: Outing,
) -> None:
    leader = make.user(Role.ADMIN)
    auth.login(leader)
    shown = page(client, "/post/decisions")
    assert "Posts on the other networks" in shown and f"Mastodon: {outing.trip.name}" in shown
    assert "@ourschool@mastodon.example" in shown
    assert WHY in shown and outing.trip.name in shown and "for about an hour after the first try" in shown
    url = f"/post/decisions/networks/{copy.id}"
    assert f'action="{url}"' in shown and "It went out" in shown and "Send it again" in shown and "Do not send" in shown
    assert "Link to the post on Mastodon" in shown

    assert auth.post(url, {"decision": "posted", "url": "https://evil.example/@ourschool/113"}).status_code == 302
    assert "That is not a link to a post on Mastodon" in page(client, "/post/decisions")
    assert held(db, copy) and copy.state is PublicationState.UNKNOWN
    assert auth.post(url, {"decision": "posted", "url": LINK}).status_code == 302

    after = page(client, "/post/decisions")
    assert "Recorded as posted there" in after and "Nothing to decide on the other networks" in after
    db.expire_all()
    assert (copy.state, copy.url, copy.decided_by) == (PublicationState.PUBLISHED, LINK, leader.id)
    assert not held(db, copy)  # the last copy settled: the photo is destroyed
    assert auth.post(url, {"decision": "cancel"}).status_code == 302
    assert "not waiting for a decision any more" in page(client, "/post/decisions")
    assert auth.post(url, {"decision": "shrug"}).status_code == 400

    # The trip lead's own page says what became of the copy, and who decided.
    auth.post("/auth/logout")
    auth.login(outing.lead)
    trip_page = page(client, f"/post/trips/{outing.trip.id}")
    assert f"Mastodon: posted (recorded as posted by {leader.display_name})." in trip_page and LINK in trip_page


def test_send_it_again_queues_the_copy_and_do_not_send_settles_it(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session, rt: Runtime, outing: Outing, clock: Clock,
    queue: Queue,
) -> None:
    first = waiting_copy(db, rt, outing, clock)
    db.execute(Channel.__table__.update().values(active=False))  # make room: one active channel per network
    db.commit()
    second = waiting_copy(db, rt, outing, clock, n=2)
    auth.login(make.user(Role.ADMIN))
    assert "disconnected" in page(client, "/post/decisions")  # the first one's account is gone: no resend for it

    assert auth.post(f"/post/decisions/networks/{first.id}", {"decision": "resend"}).status_code == 302
    assert "has been disconnected" in page(client, "/post/decisions")
    assert auth.post(f"/post/decisions/networks/{second.id}", {"decision": "resend"}).status_code == 302
    assert "It will be sent there again in a minute" in page(client, "/post/decisions")
    db.expire_all()
    assert second.state is PublicationState.PENDING and second.attempt_id == "a" * 32 and held(db, second)
    assert queue.huey.pending_count() == 1  # handed to a worker at once

    assert auth.post(f"/post/decisions/networks/{first.id}", {"decision": "cancel"}).status_code == 302
    db.expire_all()
    assert first.state is PublicationState.CANCELLED and not held(db, first)


def test_the_home_page_counts_network_copies_waiting_for_a_decision(
    auth: AuthActions, client: FlaskClient, make: Factory, copy: Publication, clock: Clock, db: Session,
) -> None:
    auth.login(make.user(Role.ADMIN))
    home = page(client, "/")
    assert "1 post(s) on Mastodon wait for your decision" in home and 'href="/post/decisions"' in home
    post = db.get(Post, copy.post_id)
    assert post is not None and post.published_at is not None
    copy_row = db.get(Publication, copy.id)
    assert copy_row is not None
    copy_row.state = PublicationState.FAILED  # a refusal is shown for a week after its post went out
    post.published_at = clock.now - timedelta(days=8)
    db.commit()
    assert "on Mastodon wait for your decision" not in page(client, "/")
