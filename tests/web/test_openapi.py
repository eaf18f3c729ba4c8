"""The OpenAPI description is valid, served to signed-in users, and lists exactly the app's JSON routes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from werkzeug.routing import IntegerConverter

from tests.conftest import AuthActions, Factory
from tripposter.models import Role
from tripposter.web.core.access import PUBLIC, access_of
from tripposter.web.phone.api import OPENAPI

METHODS = {"get", "put", "post", "delete", "patch"}
WRITES = {"put", "post", "delete", "patch"}
# JSON served outside /api/: the web app manifest (public, so the phone can install the page).
JSON_OUTSIDE_API = {"pwa.manifest"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(path, method): op for path, item in doc["paths"].items() for method, op in item.items() if method in METHODS}


def _json_rules(app: Flask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) → endpoint, for every rule of the API blueprint and the other JSON routes."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") and rule.endpoint not in JSON_OUTSIDE_API:
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = rule.endpoint
    return found


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema


def test_document_lists_exactly_the_json_routes(app: Flask, doc: dict[str, Any]) -> None:
    routes = _json_rules(app)
    assert len(routes) >= 12
    assert set(_operations(doc)) == set(routes)


def test_declared_security_matches_the_access_decorators(app: Flask, doc: dict[str, Any]) -> None:
    routes = _json_rules(app)
    for key, op in _operations(doc).items():
        audience = access_of(app, routes[key])
        schemes = {name for requirement in op["security"] for name in requirement}
        if audience == PUBLIC:
            assert schemes == set() and "401" not in op["responses"], key
            continue
        assert "session" in schemes and "401" in op["responses"], key
        assert ("csrf" in schemes) == (key[1] in WRITES), key
        assert ("400" in op["responses"]) >= (key[1] in WRITES), key  # a missing CSRF token is 400
        # Only views narrower than "any signed-in user" can answer 403.
        assert ("403" in op["responses"]) == (audience != frozenset(Role)), key


def test_every_refusal_is_the_documented_envelope(doc: dict[str, Any]) -> None:
    refusal = doc["components"]["schemas"]["Refusal"]["properties"]["error"]
    assert refusal["required"] == ["status", "message", "code"]
    for key, op in _operations(doc).items():
        if "422" in op["responses"]:
            assert op["responses"]["422"] == {"$ref": "#/components/responses/Refused"}, key


def test_served_to_signed_in_users_only(client: FlaskClient, auth: AuthActions, make: Factory) -> None:
    anonymous = client.get("/api/openapi.json")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["status"] == 401
    auth.login(make.user(Role.OFFICE))
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert served.get_json() == json.loads(OPENAPI.read_text(encoding="utf-8"))


def test_no_other_page_answers_json(app: Flask, client: FlaskClient, auth: AuthActions, make: Factory) -> None:
    """A JSON view added to another blueprint would be missed by the document: catch it here."""
    head = make.user(Role.ADMIN)
    make.trip(head, [make.pupil()])
    auth.login(head)
    documented = set(_json_rules(app).values())
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in documented or rule.endpoint in ("static", "auth.logout"):
            continue
        with app.test_request_context():
            values = {a: 1 if isinstance(rule._converters[a], IntegerConverter) else "x" for a in rule.arguments}
            url = url_for(rule.endpoint, **values)
        response = client.get(url)
        response.close()
        assert not response.mimetype.endswith("json"), (rule.endpoint, response.mimetype)
        checked += 1
    assert checked >= 15
