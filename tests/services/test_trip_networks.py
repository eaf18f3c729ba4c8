"""A trip chooses its networks: only those get its posts, only their caption limits apply, and a trip
kept off the main destination (the outbox or X) never sends there, even after a crash.

The networks are the real publishers (atproto, tweepy, Mastodon.py) with only HTTP intercepted.
"""

from __future__ import annotations

from datetime import date, timedelta

import httpx

import pytest
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.channel_fakes import BLUESKY_FORM, MASTODON_FORM, mastodon_answers, pds, rsps  # noqa: F401 - fixtures
from tests.conftest import Factory
from tests.lifecycle import Clock, Outing
from tests.publishers import test_mastodon_fakes as md
from tests.publishers.test_bluesky_pds import FakePDS
from tests.services.test_publications import APPLY, Crash, bluesky_posts, checkpoint, publications_of  # noqa: F401
from tests.services.test_publish_faults import tweet_calls, x_api, x_rt  # noqa: F401 - fixtures
from tests.services.test_publishing import outbox, queue_post, receive
from tripposter.jobs import Queue
from tripposter.models import (
    AuditEvent, Channel, ChannelKind, DeletionRecord, Fate, Photo, PhotoState, Post, PostState, PublicationState, Role,
    Trip,
)
from tripposter.runtime import Runtime
from tripposter.services.deletion.rows import build_log
from tripposter.services.errors import ValidationError
from tripposter.services.networks import channels
from tripposter.services.networks.fitting import caption_counts, caption_problems
from tripposter.services.networks.trip_networks import destinations, trip_channels, trip_destinations
from tripposter.services.posting import posts
from tripposter.services.posting.publishing import publish_post
from tripposter.services.posting.recovery import recover
from tripposter.services.school import trips
from tripposter.web.phone.api_io import post_json

# 289 as X counts it (over 280), 289 graphemes for Bluesky (under 300).
LONG = "A brilliant morning of canoeing on the lake, " * 6 + "and a picnic lunch."


def connect_all(session: Session, rt: Runtime, make: Factory, rsps: responses.RequestsMock,  # noqa: F811
                **instance: int) -> dict[ChannelKind, Channel]:
    admin = make.user(Role.ADMIN)
    mastodon_answers(rsps) if not instance else (md.register_instance(rsps, **instance),
                                                rsps.get(md.VERIFY_URL, json=md.account()))
    made = {kind: channels.connect(session, admin, rt.settings.token_key, kind, form, rt.clock())
            for kind, form in ((ChannelKind.BLUESKY, BLUESKY_FORM), (ChannelKind.MASTODON, MASTODON_FORM))}
    session.commit()
    return made


def choose(session: Session, trip: Trip, *networks: str) -> None:
    trip.networks = list(networks)
    session.commit()


def trip_input(trip: Trip, networks: tuple[str, ...] | None, offered: tuple[str, ...]) -> trips.TripInput:
    return trips.TripInput(
        name=trip.name, destination=trip.destination, start_date=trip.start_date, end_date=trip.end_date,
        lead_id=trip.lead_id, pupil_ids=tuple(p.id for p in trip.pupils), networks=networks, offered_networks=offered,
    )


# --- choosing, on the trip -----------------------------------------------------------------------------


def test_a_new_trip_posts_everywhere_including_networks_connected_later(
    session: Session, rt: Runtime, make: Factory, pds: FakePDS, rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    office, lead = make.user(Role.OFFICE), make.user(Role.TRIP_LEAD)
    data = trips.TripInput(name="Zoo", destination="Chester", start_date=date(2026, 6, 1), end_date=date(2026, 6, 1),
                           lead_id=lead.id)
    trip = trips.save_trip(session, office, data)
    session.commit()
    assert trip.networks is None
    assert [d.label for d in trip_destinations(session, "outbox", trip)] == ["The outbox"]
    connect_all(session, rt, make, rsps)
    assert [d.label for d in trip_destinations(session, "x", trip)] == ["X", "Bluesky", "Mastodon"]


def test_ticking_every_network_means_all_and_a_subset_is_stored_and_audited(
    session: Session, rt: Runtime, make: Factory, outing: Outing, pds: FakePDS, rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    connect_all(session, rt, make, rsps)
    office = make.user(Role.OFFICE)
    offered = tuple(d.key for d in destinations(session, "outbox"))
    assert offered == ("main", "bluesky", "mastodon")
    trips.save_trip(session, office, trip_input(outing.trip, ("bluesky",), offered), outing.trip)
    session.commit()
    assert outing.trip.networks == ["bluesky"] and [c.kind for c in trip_channels(session, outing.trip)] == ["bluesky"]
    trips.save_trip(session, office, trip_input(outing.trip, offered, offered), outing.trip)
    session.commit()
    assert outing.trip.networks is None
    changes = session.scalars(select(AuditEvent).where(AuditEvent.action == "trip.networks_changed")
                              .order_by(AuditEvent.id)).all()
    assert [(e.detail["before"], e.detail["after"]) for e in changes] == [("all", ["bluesky"]), (["bluesky"], "all")]
    # A form that did not show the networks leaves the choice alone.
    choose(session, outing.trip, "main")
    trips.save_trip(session, office, trip_input(outing.trip, None, ()), outing.trip)
    assert outing.trip.networks == ["main"]


@pytest.mark.parametrize(("ticked", "message"), [((), "at least one"), (("facebook",), "no longer connected")])
def test_a_trip_keeps_at_least_one_connected_network(
    session: Session, make: Factory, outing: Outing, ticked: tuple[str, ...], message: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        trips.save_trip(session, make.user(Role.OFFICE), trip_input(outing.trip, ticked, ("main",)), outing.trip)
    assert message in refused.value.fields["networks"]


def test_a_network_disconnected_after_the_trip_chose_it_is_not_used_and_the_trip_says_so(
    session: Session, rt: Runtime, make: Factory, outing: Outing, pds: FakePDS, rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    made = connect_all(session, rt, make, rsps)
    choose(session, outing.trip, "main", "bluesky")
    channels.disconnect(session, None, made[ChannelKind.BLUESKY].id, rt.clock())
    session.commit()
    assert trip_channels(session, outing.trip) == []
    shown = trip_destinations(session, "outbox", outing.trip)
    assert [(d.label, d.connected) for d in shown] == [("The outbox", True), ("Bluesky", False)]
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publications_of(session, post) == {} and post.main_skipped == ""


# --- caption length: only the trip's networks count ------------------------------------------------------


def test_only_the_trips_networks_count_the_caption(
    session: Session, rt: Runtime, make: Factory, outing: Outing, pds: FakePDS, rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    connect_all(session, rt, make, rsps)
    check = lambda: posts.check_caption_for(session, outing.lead, outing.trip.id, LONG, [], now=rt.clock())  # noqa: E731
    assert [p.rule for p in check().problems] == ["length"]  # X's 280 (the outbox stands in for X)
    choose(session, outing.trip, "bluesky")
    assert check().problems == ()  # Bluesky takes 300 graphemes
    counts = caption_counts(session, check().text, outing.trip, "X")
    assert [(c.network, c.limit) for c in counts] == [("Bluesky", 300)]
    choose(session, outing.trip, "main")
    assert [(c.network, c.limit) for c in caption_counts(session, check().text, outing.trip, "X")] == [("X", 280)]


def test_mastodon_counts_against_the_limit_its_server_gave_at_connect(
    session: Session, rt: Runtime, make: Factory, outing: Outing, pds: FakePDS, rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    made = connect_all(session, rt, make, rsps, max_characters=100)
    mastodon = made[ChannelKind.MASTODON]
    assert (mastodon.settings["max_characters"], mastodon.settings["max_characters_from_server"]) == (100, True)
    choose(session, outing.trip, "mastodon")
    (problem,) = caption_problems(session, "Canoeing! " * 12, outing.trip)
    assert "for Mastodon, which allows 100" in problem.message
    assert caption_problems(session, "Canoeing!", outing.trip) == []


def test_test_connection_reads_a_raised_mastodon_limit_and_notes_a_missing_one(
    session: Session, rt: Runtime, make: Factory, outing: Outing, pds: FakePDS, rsps: responses.RequestsMock,  # noqa: F811
) -> None:
    made = connect_all(session, rt, make, rsps)
    choose(session, outing.trip, "mastodon")
    caption = "Canoeing! " * 60  # 600 characters: over Mastodon's usual 500
    assert caption_problems(session, caption, outing.trip)
    rsps.replace(responses.GET, md.INSTANCE_URL, json=md.instance(max_characters=1000))
    channels.test_connection(session, None, rt.settings.token_key, made[ChannelKind.MASTODON].id, rt.clock())
    session.commit()
    assert caption_problems(session, caption, outing.trip) == []
    # A server that says nothing: Mastodon's 500, and the channel records that it was assumed.
    rsps.replace(responses.GET, md.INSTANCE_URL, status=404, json={"error": "Record not found"})
    rsps.get(f"{md.BASE}/api/v1/instance/", status=404, json={"error": "Record not found"})
    channels.test_connection(session, None, rt.settings.token_key, made[ChannelKind.MASTODON].id, rt.clock())
    session.commit()
    stored = session.get(Channel, made[ChannelKind.MASTODON].id).settings  # type: ignore[union-attr]
    assert (stored["max_characters"], stored["max_characters_from_server"]) == (500, False)
    assert caption_problems(session, caption, outing.trip)


# --- a trip kept off the main destination ------------------------------------------------------------------


def test_a_bluesky_only_trip_makes_one_publication_never_posts_to_x_and_destroys_after_bluesky(
    session: Session, x_rt: Runtime, make: Factory, outing: Outing, queue: Queue, pds: FakePDS,  # noqa: F811
    x_api: responses.RequestsMock, clock: Clock,  # noqa: F811
) -> None:
    admin = make.user(Role.ADMIN)
    channels.connect(session, admin, x_rt.settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM, clock())
    session.commit()
    choose(session, outing.trip, "bluesky")
    photo = receive(session, x_rt, outing)
    post = queue_post(session, x_rt, outing, photo, caption=LONG)  # over X's 280: fine, X is not used
    assert list(publications_of(session, post)) == [ChannelKind.BLUESKY]

    queue.enqueue_publish(post.id)
    queue.drain()
    queue.tick()
    queue.drain()

    assert tweet_calls(x_api) == [], [c.request.url for c in x_api.calls]
    assert len(x_api.calls) == 0  # not a byte to X
    assert bluesky_posts(pds) == 1
    session.expire_all()
    post = session.get(Post, post.id)  # type: ignore[assignment]
    sent = publications_of(session, post)[ChannelKind.BLUESKY]
    assert (post.state, post.main_skipped, post.remote_url, post.x_cost_micros) == (PostState.PUBLISHED, "x", None, None)
    assert sent.state is PublicationState.PUBLISHED
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED and x_rt.spool.names() == []  # type: ignore[union-attr]
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).one()
    assert (record.fate, record.remote_url) == (Fate.POSTED, None)
    assert record.reason == "not sent to X: this trip does not post there"
    (row,) = build_log(session, outing.trip).rows
    assert row.fate_text == "Posted; not sent to X: this trip does not post there"
    assert row.all_urls.split() == [sent.url]  # Bluesky's address only: nothing claims X has it
    shown = post_json(post, "Europe/London", clock.now)
    assert (shown["url"], shown["skipped_main"]) == (None, "Not sent to X: this trip does not post there.")
    released = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["post.released", "post.published"]))).all()
    assert [e.action for e in released] == ["post.released"]


def test_a_crash_right_after_release_sends_to_bluesky_once_and_never_to_x(
    session: Session, x_rt: Runtime, make: Factory, outing: Outing, queue: Queue, pds: FakePDS,  # noqa: F811
    x_api: responses.RequestsMock, clock: Clock, checkpoint: None,  # noqa: F811
) -> None:
    channels.connect(session, make.user(Role.ADMIN), x_rt.settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM, clock())
    session.commit()
    choose(session, outing.trip, "bluesky")
    photo = receive(session, x_rt, outing)
    post = queue_post(session, x_rt, outing, photo)

    def die(step: str) -> None:
        if step in ("released", "channel claimed"):
            raise Crash(step)

    x_rt.checkpoint = die
    with pytest.raises(Crash):
        publish_post(x_rt, post.id)
    x_rt.checkpoint = lambda step: None
    session.expire_all()
    assert session.get(Post, post.id).state is PostState.PUBLISHED  # type: ignore[union-attr]
    # Recovery and the minute tick, as after a restart, then again after the lease ran out.
    recover(x_rt, spool=True)
    queue.tick()
    queue.drain()
    clock.now += timedelta(minutes=15)
    queue.tick()
    queue.drain()
    assert len(x_api.calls) == 0 and bluesky_posts(pds) == 1
    session.expire_all()
    assert session.get(Photo, photo.id).state is PhotoState.DESTROYED  # type: ignore[union-attr]
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).one()
    assert record.fate is Fate.POSTED and "not sent to X" in record.reason


def test_when_bluesky_refuses_the_only_copy_the_log_says_not_posted_never_posted(
    session: Session, rt: Runtime, make: Factory, outing: Outing, queue: Queue, pds: FakePDS,  # noqa: F811
    clock: Clock,
) -> None:
    channels.connect(session, make.user(Role.ADMIN), rt.settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM, clock())
    session.commit()
    choose(session, outing.trip, "bluesky")
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    pds.fail(APPLY, httpx.Response(400, json={"error": "InvalidRequest", "message": "Invalid record"}))
    queue.enqueue_publish(post.id)
    queue.drain()
    assert outbox(rt).list_posts() == []  # the outbox (the main destination here) never got it
    session.expire_all()
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).one()
    assert record.fate is Fate.REJECTED
    assert record.reason == "not sent to the outbox: this trip does not post there, and no other network took it"
    (row,) = build_log(session, outing.trip).rows
    assert row.fate_text.startswith("Refused: not sent to the outbox") and row.all_urls == ""


def test_a_trip_whose_only_network_is_disconnected_cannot_queue_a_post(
    session: Session, rt: Runtime, outing: Outing,
) -> None:
    choose(session, outing.trip, "bluesky")
    with pytest.raises(posts.ChecksFailedError) as refused:
        queue_post(session, rt, outing, receive(session, rt, outing))
    assert [p.rule for p in refused.value.problems] == ["networks"]
    assert "not connected" in refused.value.problems[0].message
    session.rollback()


def test_photos_swept_while_the_trips_only_network_is_paused_are_expired_not_posted(
    session: Session, rt: Runtime, make: Factory, outing: Outing, queue: Queue, pds: FakePDS,  # noqa: F811
    clock: Clock,
) -> None:
    from tripposter.services.deletion.retention import sweep_expired

    made = channels.connect(session, make.user(Role.ADMIN), rt.settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM,
                            clock())
    made.paused_reason = "The app password was refused."
    session.commit()
    choose(session, outing.trip, "bluesky")
    photo = receive(session, rt, outing)
    post = queue_post(session, rt, outing, photo)
    assert publish_post(rt, post.id) == "released"
    assert bluesky_posts(pds) == 0 and outbox(rt).list_posts() == []
    with rt.sessions() as swept, swept.begin():
        sweep_expired(swept, rt.spool, clock.now + timedelta(days=3))
    session.expire_all()
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).one()
    assert record.fate is Fate.EXPIRED and record.reason.startswith("not sent to the outbox: this trip does not post there")
    assert publications_of(session, post)[ChannelKind.BLUESKY].state is PublicationState.EXPIRED


def test_x_paused_does_not_hold_up_a_trip_that_does_not_post_to_x(
    session: Session, x_rt: Runtime, make: Factory, outing: Outing, pds: FakePDS,  # noqa: F811
    x_api: responses.RequestsMock, clock: Clock,  # noqa: F811
) -> None:
    from tripposter.services.networks import x_account

    channels.connect(session, make.user(Role.ADMIN), x_rt.settings.token_key, ChannelKind.BLUESKY, BLUESKY_FORM, clock())
    x_account.pause(session, "X refused the school's tokens.")
    session.commit()
    everywhere = queue_post(session, x_rt, outing, receive(session, x_rt, outing, key="photo-key-0002"), key="post-key-0002")
    choose(session, outing.trip, "bluesky")
    bluesky_only = queue_post(session, x_rt, outing, receive(session, x_rt, outing))
    assert publish_post(x_rt, everywhere.id) == "paused"  # it waits for X, as before
    assert publish_post(x_rt, bluesky_only.id) == "released"
    assert bluesky_posts(pds) == 1 and len(x_api.calls) == 0
