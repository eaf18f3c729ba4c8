"""Every route states its audience, and refuses anyone outside it. Checked by walking the URL map."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Clock, Outing
from tests.web.test_network_decisions import waiting_copy
from tripposter.models import PublicationState, Role
from tripposter.runtime import Runtime
from tripposter.web.core.access import PUBLIC, access_of

# auth.code is the second sign-in step: it serves only a browser holding a fresh password step.
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.code", "pwa.manifest", "pwa.service_worker", "api.signin.token",
                    "api.signin.password", "api.signin.code", "api.signin.passkey_options", "api.signin.passkey"}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, url, method) for every rule, with id arguments filled by 1."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x" for arg in rule.arguments}
        if rule.endpoint == "static":
            values = {"filename": "app.css"}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, url, method))
    return found


def test_every_view_declares_its_audience(app: Flask) -> None:
    undeclared = [e for e in app.view_functions if access_of(app, e) is None]
    assert undeclared == []


def test_only_login_and_static_are_public(app: Flask) -> None:
    public = {e for e in app.view_functions if access_of(app, e) == PUBLIC}
    assert public == PUBLIC_ENDPOINTS


def test_anonymous_users_are_refused_everywhere_but_login(app: Flask, client: FlaskClient) -> None:
    routes = _routes(app)
    assert len(routes) > 15
    for endpoint, url, method in routes:
        response = client.open(url, method=method)
        response.close()
        if endpoint in PUBLIC_ENDPOINTS:
            assert response.status_code < 400 or response.status_code == 400, (endpoint, response.status_code)
            continue
        assert response.status_code in (302, 401), (endpoint, method, response.status_code)
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TRIP_LEAD])
def test_each_role_is_refused_what_it_does_not_hold(
    role: Role, app: Flask, client: FlaskClient, auth: AuthActions, make: Factory
) -> None:
    user = make.user(role)
    lead = make.user(Role.TRIP_LEAD)
    make.trip(lead, [make.pupil()])  # trip 1, not led by `user`
    auth.login(user)
    token = auth.token("/")
    checked = 0
    for endpoint, url, method in _routes(app):
        audience = access_of(app, endpoint)
        if audience == PUBLIC or role in audience or endpoint == "auth.logout":
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        response.close()
        assert response.status_code == 403, (role, endpoint, method, response.status_code)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TRIP_LEAD])
def test_only_a_senior_leader_may_decide_a_network_copy(
    role: Role, app: Flask, auth: AuthActions, make: Factory, db: Session, rt: Runtime, outing: Outing, clock: Clock,
) -> None:
    assert access_of(app, "post.decide_network") == access_of(app, "post.decisions") == frozenset({Role.ADMIN})
    copy = waiting_copy(db, rt, outing, clock)
    auth.login(outing.lead if role is Role.TRIP_LEAD else make.user(role))  # the trip's own lead, too
    assert auth.client.get("/post/decisions").status_code == 403
    for decision in ("posted", "resend", "cancel"):
        assert auth.post(f"/post/decisions/networks/{copy.id}", {"decision": decision}).status_code == 403
    db.expire_all()
    assert (copy.state, copy.decision) == (PublicationState.UNKNOWN, "")
    auth.post("/auth/logout")
    auth.login(make.user(Role.ADMIN))
    assert auth.post(f"/post/decisions/networks/{copy.id}", {"decision": "cancel"}).status_code == 302
    db.expire_all()
    assert copy.state is PublicationState.CANCELLED


def test_trip_lead_sees_only_their_own_trips(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    me, other = make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD)
    mine = make.trip(me)
    theirs = make.trip(other)
    theirs.name = "Someone else's museum trip"
    make.session.commit()
    auth.login(me)
    listing = client.get("/trips/").get_data(as_text=True)
    assert f"/trips/{mine.id}" in listing
    assert "museum trip" not in listing
    assert client.get(f"/trips/{theirs.id}").status_code == 404
    assert client.get(f"/trips/{mine.id}").status_code == 200


def test_extra_staff_on_a_trip_can_see_it(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    lead, helper = make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD)
    trip = make.trip(lead)
    trip.staff = [helper]
    make.session.commit()
    auth.login(helper)
    assert client.get(f"/trips/{trip.id}").status_code == 200


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_api_paths_get_json_errors(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
