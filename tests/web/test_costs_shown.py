"""What a post costs on X is shown before it is sent: on the phone's live check and on the posting page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.lifecycle import Outing
from tests.web.test_api import Phone, phone  # noqa: F401  (the fixture)
from tests.web.test_name_guard_api import _ready_photo
from tripposter.config import Settings


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
