"""What a post costs on X is shown before it is sent: on the phone's live check and on the posting page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Outing
from tests.web.test_api import Phone, phone  # noqa: F401  (the fixture)
from tests.web.test_name_guard_api import _ready_photo
from tripposter.config import Settings
from tripposter.models import AuditEvent, Post, PostState, Role
from tripposter.services.school.settings import get_school


@pytest.fixture
def x_client(settings: Settings, app_factory: Callable[[Settings], Flask], outing: Outing) -> FlaskClient:
    """The trip lead signed in to an app that posts to X (same database as ``outing``)."""
    app = app_factory(dataclasses.replace(settings, publisher="x", x_consumer_key="ck", x_consumer_secret="cs"))
    client = app.test_client()
    AuthActions(client).login(outing.lead)
    return client


def _check(phone: Phone, outing: Outing, caption: str, photos: int) -> dict[str, object]:
    body = {"trip_id": outing.trip.id, "caption": caption, "tagged": [],
            "alt_texts": [{"text": "Pupils by a lake", "tagged": []}] * photos}
    reply = phone.send("POST", "/api/caption-check", body)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()  # type: ignore[no-any-return]


def test_the_live_check_says_what_the_post_costs_on_x(x_client: FlaskClient, outing: Outing) -> None:
    phone = Phone(x_client)
    plain = _check(phone, outing, "A brilliant morning by the lake!", 2)
    # $0.015 for the post and $0.005 for each photo's description.
    assert plain["cost"] == {"network": "X", "dollars": "$0.025", "warning": None}
    linked = _check(phone, outing, "Our day, in pictures at bbc.co.uk/news", 1)
    cost = linked["cost"]
    assert isinstance(cost, dict) and cost["dollars"] == "$0.205"
    assert "bbc.co.uk/news" in cost["warning"] and "13 times" in cost["warning"]


def test_posting_to_the_outbox_costs_nothing_and_says_nothing(phone: Phone, outing: Outing) -> None:
    assert _check(phone, outing, "See bbc.co.uk/news", 1)["cost"] is None


def test_the_posting_page_states_x_prices_only_when_posting_to_x(
    x_client: FlaskClient, client: FlaskClient, auth: AuthActions, outing: Outing
) -> None:
    _ready_photo(Phone(x_client), outing, "Pupils by a lake", [])  # the caption box shows once there is a photo
    page = x_client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True)
    assert 'name="caption"' in page and "costs the school $0.015" in page and "$0.20" in page
    auth.login(outing.lead)
    page = client.get(f"/post/trips/{outing.trip.id}").get_data(as_text=True)
    assert 'name="caption"' in page and "costs the school" not in page


def test_a_senior_leader_sets_the_monthly_x_limit_and_sees_it_spent(
    settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory, db: Session
) -> None:
    from tests.web.test_users_and_school import _school_form

    app = app_factory(dataclasses.replace(settings, publisher="x", x_consumer_key="ck", x_consumer_secret="cs"))
    leader = AuthActions(app.test_client())
    leader.login(make.user(Role.ADMIN))
    html = leader.post("/school/", _school_form(x_monthly_budget="-2")).get_data(as_text=True)
    assert "between $0 and $10,000" in html
    assert leader.post("/school/", _school_form(x_monthly_budget="0.05")).status_code == 302
    school = get_school(db)
    db.refresh(school)
    assert school.x_monthly_budget_cents == 5
    change = db.scalars(select(AuditEvent).where(AuditEvent.action == "school.updated")).one()
    assert change.detail["changes"]["x_monthly_budget_cents"] == [None, 5]
    assert 'value="0.05"' in leader.client.get("/school/").get_data(as_text=True)
    assert "$0.00 spent on X since 1 " in unescape(leader.client.get("/account/").get_data(as_text=True))
    lead = make.user(Role.TRIP_LEAD)
    db.add(Post(idempotency_key="k", request_hash="h", trip_id=make.trip(lead).id, author_id=lead.id,
                state=PostState.PUBLISHED, published_at=datetime.now(UTC), x_cost_micros=50_000))
    db.commit()
    home = unescape(leader.client.get("/").get_data(as_text=True))
    assert "This month's limit for posting to X is reached ($0.05 spent on X since 1 " in home
    assert leader.post("/school/", _school_form()).status_code == 302  # left empty: no limit
    db.refresh(school)
    assert school.x_monthly_budget_cents is None
    assert "limit for posting to X is reached" not in leader.client.get("/").get_data(as_text=True)
