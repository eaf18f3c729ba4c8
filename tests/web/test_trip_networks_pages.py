"""The trip form's networks, the trip page, and what the phone shows for a trip's own networks."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Outing
from tests.web.test_api import Phone, phone  # noqa: F401  (the fixture)
from tests.web.test_costs_shown import _check, x_client  # noqa: F401  (the fixture)
from tests.web.test_name_guard_api import _ready_photo
from tests.web.test_trips import _form
from tripposter.models import AuditEvent, Channel, ChannelKind, Post, PostState, Publication, PublicationState, Role, Trip


def _bluesky(db: Session, *, active: bool = True) -> Channel:
    """A connected Bluesky row (these pages only read it; sending is tested in tests/services)."""
    channel = Channel(kind=ChannelKind.BLUESKY, display_name="Oakfield (@oakfield.bsky.social)", active=active)
    db.add(channel)
    db.commit()
    return channel


def test_a_new_trip_form_ticks_every_network_and_says_what_ticking_all_means(
    auth: AuthActions, make: Factory, db: Session, client: FlaskClient,
) -> None:
    _bluesky(db)
    auth.login(make.user(Role.OFFICE))
    page = client.get("/trips/new").get_data(as_text=True)
    assert 'name="networks" value="main" checked' in page and 'name="networks" value="bluesky" checked' in page
    assert "including any network a senior leader connects later" in page and "The outbox" in page


def test_office_keeps_a_trip_off_the_outbox_and_the_trip_page_says_where_posts_go(
    auth: AuthActions, make: Factory, db: Session, client: FlaskClient,
) -> None:
    bluesky = _bluesky(db)
    lead = make.user(Role.TRIP_LEAD)
    auth.login(make.user(Role.OFFICE))
    response = auth.post("/trips/new", _form(lead.id, [], networks=["bluesky"], networks_shown="1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    trip = db.scalars(select(Trip)).one()
    assert trip.networks == ["bluesky"]
    assert "<dt>Posts go to</dt><dd>Bluesky" in client.get(f"/trips/{trip.id}").get_data(as_text=True)
    bluesky.active = False  # disconnected after the trip chose it
    db.commit()
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "Bluesky was chosen but is not connected now, so posts do not go there." in page
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "trip.created")).one()
    assert audit.detail["networks"] == ["bluesky"]


def test_unticking_every_network_is_refused_beside_the_field(
    auth: AuthActions, make: Factory, db: Session,
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    auth.login(make.user(Role.OFFICE))
    response = auth.post("/trips/new", _form(lead.id, [], networks_shown="1"))
    assert response.status_code == 200
    assert "Tick at least one place to post to" in response.get_data(as_text=True)
    assert db.scalars(select(Trip)).first() is None


def test_a_trip_lead_cannot_change_a_trips_networks(
    auth: AuthActions, make: Factory, db: Session, client: FlaskClient, outing: Outing,
) -> None:
    auth.login(outing.lead)
    response = auth.post(f"/trips/{outing.trip.id}/edit", _form(outing.lead.id, [], networks=["main"], networks_shown="1"))
    assert response.status_code == 403
    db.refresh(outing.trip)
    assert outing.trip.networks is None
    assert "<dt>Posts go to</dt>" in client.get(f"/trips/{outing.trip.id}").get_data(as_text=True)  # they may read it


def test_the_phone_counts_and_prices_only_the_trips_networks(
    x_client: FlaskClient, outing: Outing, db: Session,  # noqa: F811
) -> None:
    _bluesky(db)
    phone = Phone(x_client)
    everywhere = _check(phone, outing, "A brilliant morning by the lake!", 1)
    assert [c["network"] for c in everywhere["lengths"]] == ["X", "Bluesky"]  # type: ignore[index, union-attr]
    assert everywhere["cost"] is not None
    outing.trip.networks = ["bluesky"]
    db.commit()
    bluesky_only = _check(phone, outing, "A brilliant morning by the lake!", 1)
    assert bluesky_only["lengths"] == [{"network": "Bluesky", "length": 32, "limit": 300}]
    assert bluesky_only["cost"] is None  # never sent to X, so it costs nothing there
    trips = x_client.get("/api/trips/today").get_json()["trips"]
    assert trips[0]["networks"] == ["Bluesky"]
    _ready_photo(phone, outing, "Pupils by a lake", [])  # the caption box shows once there is a photo
    page = x_client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True)
    assert 'name="caption"' in page and "costs the school" not in page
    assert "This trip's posts go to Bluesky." in page


def _released(db: Session, outing: Outing, channel: Channel, state: PublicationState, key: str) -> Post:
    """A post its trip kept off X, as the worker leaves it once released, with its one Bluesky copy."""
    post = Post(idempotency_key=key * 16, request_hash="h", trip_id=outing.trip.id, author_id=outing.lead.id,
                text="Canoeing!", state=PostState.PUBLISHED, main_skipped="x")
    db.add(post)
    db.flush()
    db.add(Publication(post_id=post.id, channel_id=channel.id, state=state,
                       url="https://bsky.app/profile/oakfield/post/3k" if state is PublicationState.PUBLISHED else None))
    db.commit()
    return post


def test_the_posting_page_says_a_released_post_went_to_bluesky_and_not_to_x(
    auth: AuthActions, client: FlaskClient, db: Session, outing: Outing,
) -> None:
    bluesky = _bluesky(db)
    _released(db, outing, bluesky, PublicationState.PUBLISHED, "a")
    _released(db, outing, bluesky, PublicationState.FAILED, "b")
    auth.login(outing.lead)
    page = client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True)
    assert "Posted to Bluesky. Not sent to X: this trip does not post there." in page
    assert "No network took it, so it was not posted anywhere. Not sent to X: this trip does not post there." in page
    assert "See the post" not in page  # no main address to link to
