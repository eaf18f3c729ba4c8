"""Security headers on every kind of response; HSTS only over TLS; which forwarded headers are believed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD, AuthActions, Factory
from tripposter.config import Settings
from tripposter.models import Role

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def assert_security_headers(response: TestResponse) -> None:
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    for directive, value in EXPECTED_CSP.items():
        assert csp[directive] == value, (directive, csp)
    assert not [v for v in csp.values() if "unsafe" in v or "*" in v]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def responses(client: FlaskClient, auth: AuthActions, make: Factory) -> dict[str, TestResponse]:
    """One of each kind: HTML page, JSON, static file, HTML error page, JSON error."""
    found = {
        "html": client.get("/auth/login"),
        "static": client.get("/static/app.css"),
        "error page": client.get("/no-such-page"),
        "json error": client.get("/api/session"),
    }
    auth.login(make.user(Role.TRIP_LEAD))
    found["json"] = client.get("/api/session")
    assert found["html"].mimetype == "text/html" and found["json"].mimetype == "application/json"
    assert found["static"].status_code == 200 and found["error page"].status_code == 404
    assert found["json error"].status_code == 401 and found["json error"].mimetype == "application/json"
    return found


def test_every_kind_of_response_has_the_headers(client: FlaskClient, auth: AuthActions, make: Factory) -> None:
    for kind, response in responses(client, auth, make).items():
        response.close()
        assert_security_headers(response)
        assert "Strict-Transport-Security" not in response.headers, kind  # plain http here


def test_hsts_is_sent_over_tls(app: Flask) -> None:
    client = app.test_client()
    for path in ("/auth/login", "/static/app.css", "/no-such-page", "/api/session"):
        response = client.get(path, base_url="https://school.example")
        response.close()
        assert response.headers["Strict-Transport-Security"] == "max-age=31556926", path
        assert_security_headers(response)


def test_a_client_cannot_claim_tls_without_a_trusted_proxy(client: FlaskClient) -> None:
    response = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_its_tls_and_address_count(
    settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory
) -> None:
    app = app_factory(replace(settings, proxy_count=1))
    client = app.test_client()
    response = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    # The per-address throttle sees each teacher's own address, not the proxy's: no school-wide lockout.
    user = make.user()
    auth = AuthActions(client)
    for i in range(6):
        data = {"email": f"nobody{i}@school.test", "password": "wrong-guess!", "csrf_token": auth.token()}
        client.post("/auth/login", data=data, headers={"X-Forwarded-For": "203.0.113.9"})
    data = {"email": user.email, "password": PASSWORD, "csrf_token": auth.token()}
    assert client.post("/auth/login", data=data, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 302


def test_without_a_proxy_a_made_up_address_does_not_escape_the_throttle(client: FlaskClient, auth: AuthActions) -> None:
    for i in range(30):  # the default per-address limit: 30 failed sign-ins in 10 minutes
        data = {"email": f"nobody{i}@school.test", "password": "wrong-guess!", "csrf_token": auth.token()}
        client.post("/auth/login", data=data, headers={"X-Forwarded-For": f"192.0.2.{i}"})
    data = {"email": "another@school.test", "password": "wrong-guess!", "csrf_token": auth.token()}
    assert client.post("/auth/login", data=data, headers={"X-Forwarded-For": "192.0.2.200"}).status_code == 429


def test_plain_http_is_served_unless_https_is_forced(
    client: FlaskClient, settings: Settings, app_factory: Callable[[Settings], Flask]
) -> None:
    assert client.get("/auth/login").status_code == 200  # `make run` on http://127.0.0.1
    forced = app_factory(replace(settings, force_https=True)).test_client()
    response = forced.get("/auth/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("https://")
    assert forced.get("/auth/login", base_url="https://school.example").status_code == 200


@pytest.mark.parametrize("secure", [True, False])
def test_session_cookie_secure_follows_the_setting(
    secure: bool, settings: Settings, app_factory: Callable[[Settings], Flask], make: Factory
) -> None:
    client = app_factory(replace(settings, cookie_secure=secure)).test_client()
    AuthActions(client).token()
    response = client.get("/auth/login")
    cookie = client.get_cookie("tripposter_session")
    assert cookie is not None and cookie.secure is secure and cookie.http_only
    response.close()


def test_no_template_has_inline_script_or_style() -> None:
    """The CSP forbids them; this says which file broke it before a browser does."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html") if inline.search(p.read_text())]
    assert offenders == []
