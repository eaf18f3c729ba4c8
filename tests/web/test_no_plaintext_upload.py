"""No plaintext copy of an upload ever exists on disk: not in a temporary file, not in the spool.

Each test puts a random marker into a photo (in a JPEG comment near its start and in bytes after
its end), sends it through the real HTTP endpoint, and looks for the marker on disk and in every
file the process holds open, while the request is being handled and after it. Werkzeug's default
stream factory fails these tests: it spools bodies over 500 KB to an unnamed plaintext file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from http.client import HTTPConnection

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, AuthActions
from tests.lifecycle import Outing
from tests.web.probe import LiveServer, Scanner, live_server, marked_jpeg, marker, multipart, open_files
from tripposter.runtime import Runtime

KEY = "0b6f2c1e-upload-probe-0001"


@pytest.fixture
def mark() -> bytes:
    return marker()


@pytest.fixture
def scanner(mark: bytes, rt: Runtime) -> Scanner:
    return Scanner(mark, Scanner.default_folders(rt.settings.instance_path))


@pytest.fixture
def during(rt: Runtime, scanner: Scanner) -> list[list[str]]:
    """Scan from inside the request, after the body is parsed and while the view holds the upload."""
    found: list[list[str]] = []
    original: Callable[[], object] = rt.detector_factory

    def scanning() -> object:
        found.append(scanner.hits())
        return original()

    rt.detector_factory = scanning  # type: ignore[assignment]
    return found


def spool_state(rt: Runtime) -> list[str]:
    return sorted(name.rsplit(".", 1)[1] for name in rt.spool.names())


def test_api_upload_through_the_test_client(
    auth: AuthActions, client: FlaskClient, outing: Outing, rt: Runtime, scanner: Scanner, during: list[list[str]], mark: bytes
) -> None:
    auth.login(outing.lead)
    csrf = client.get("/api/session").get_json()["csrf_token"]
    body, content_type = multipart(files=[("photo", "IMG_0001.jpg", "image/jpeg", marked_jpeg(mark))])
    response = client.post(f"/api/trips/{outing.trip.id}/photos", data=body, content_type=content_type,
                           headers={"Idempotency-Key": KEY, "X-CSRFToken": csrf})
    assert response.status_code == 201, response.get_json()
    assert during == [[]], "a plaintext copy existed while the request was handled"
    assert scanner.hits() == []
    assert spool_state(rt) == ["enc"]  # only the scrubbed, encrypted copy; the upload itself is gone


def test_posting_page_upload_through_the_test_client(
    auth: AuthActions, client: FlaskClient, outing: Outing, rt: Runtime, scanner: Scanner, during: list[list[str]], mark: bytes
) -> None:
    auth.login(outing.lead)
    fields = {"csrf_token": auth.token(f"/post/trips/{outing.trip.id}"), "key": KEY}
    body, content_type = multipart(fields, [("photo", "IMG_0001.jpg", "image/jpeg", marked_jpeg(mark))])
    response = client.post(f"/post/trips/{outing.trip.id}/photos", data=body, content_type=content_type)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert during == [[]] and scanner.hits() == []
    assert spool_state(rt) == ["enc"]


def _wait_for_spooled_file(baseline: dict[int, str], size: int, timeout: float = 20) -> str:
    """Wait until the server holds a new open file of at least ``size`` bytes: the upload, mid-body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for fd, target in open_files().items():
            try:
                big = os.fstat(fd).st_size >= size
            except OSError:
                continue
            if fd not in baseline and big:
                return target
        time.sleep(0.05)
    raise AssertionError("the server never started writing the upload anywhere")


def _begin_upload(server: LiveServer, trip_id: int, body: bytes, content_type: str, csrf: str) -> HTTPConnection:
    """Send an upload's headers only; the test then sends the body in pieces."""
    conn = server.connection()
    conn.putrequest("POST", f"/api/trips/{trip_id}/photos")
    for name, value in {"Content-Type": content_type, "Content-Length": str(len(body)), "Idempotency-Key": KEY,
                        "X-CSRFToken": csrf, **server.cookie_header()}.items():
        conn.putheader(name, value)
    conn.endheaders()
    return conn


def test_live_server_mid_body_and_after(app: Flask, outing: Outing, rt: Runtime, scanner: Scanner,
                                        during: list[list[str]], mark: bytes) -> None:
    body, content_type = multipart(files=[("photo", "IMG_0001.jpg", "image/jpeg", marked_jpeg(mark))])
    with live_server(app) as server:
        csrf = server.login(outing.lead.email, PASSWORD)
        baseline = open_files()
        conn = _begin_upload(server, outing.trip.id, body, content_type, csrf)
        cut = len(body) * 4 // 5
        conn.send(body[:cut])
        # The server is now half-way through the body: past werkzeug's 500 KB spooling threshold.
        where = _wait_for_spooled_file(baseline, 512 * 1024)
        assert scanner.hits() == [], f"plaintext mid-body (the upload is being written to {where})"
        conn.send(body[cut:])
        response = conn.getresponse()
        assert response.status == 201, response.read()[:300]
        response.read()
        conn.close()
        assert during == [[]] and scanner.hits() == []
        assert spool_state(rt) == ["enc"]
        leaked = {fd: t for fd, t in open_files().items() if fd not in baseline and str(rt.spool.root) in t}
        assert leaked == {}


def test_broken_off_upload_is_destroyed(app: Flask, outing: Outing, rt: Runtime, scanner: Scanner, mark: bytes) -> None:
    body, content_type = multipart(files=[("photo", "IMG_0001.jpg", "image/jpeg", marked_jpeg(mark))])
    with live_server(app) as server:
        csrf = server.login(outing.lead.email, PASSWORD)
        baseline = open_files()
        conn = _begin_upload(server, outing.trip.id, body, content_type, csrf)
        conn.send(body[: len(body) // 2])
        _wait_for_spooled_file(baseline, 256 * 1024)
        conn.close()  # the phone lost its signal half-way
        deadline = time.monotonic() + 20
        while rt.spool.names() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rt.spool.names() == [] and scanner.hits() == []
