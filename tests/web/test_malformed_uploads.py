"""Malformed uploads and requests through the real HTTP endpoints: a clear 4xx each, and nothing left behind.

Every case (tests/web/malformed_cases.py) is sent by a signed-in trip lead. It must get the
4xx it names, never a 5xx, with a message a teacher can act on: JSON ``error.message`` under
/api/, an alert on the page elsewhere. After each one, the spool, the instance folder and the
temporary folder hold exactly the files they held before, and the process holds no new open
file. The size and multipart cases are sent a second time over a real socket to a werkzeug
server, so its own body handling (Content-Length, early 413, dropped bodies) is covered too.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, REDIS_URL, AuthActions, Factory, drop_fresh_database, fresh_settings
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tests.web.malformed_cases import Case, Ctx, every_case, structure_cases, upload_cases
from tests.web.probe import LiveServer, files_under, live_server, multipart, open_files
from tripposter import create_app
from tripposter.runtime import Runtime
from tripposter.services.deletion.retention import sweep_expired
from tripposter.web.core.database import session_factory

CASES = every_case()
ALERT = re.compile(r'<(p|div)[^>]*class="(?:flash error|error)[^"]*"[^>]*>(.*?)</\1>', re.S)


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def message(self) -> str:
        if self.content_type.startswith("application/json"):
            return str(json.loads(self.body)["error"]["message"])
        found = [re.sub(r"<[^>]+>", " ", m[1]) for m in ALERT.findall(self.body.decode("utf-8", "replace"))]
        return html.unescape(" ".join(" ".join(found).split()))


@dataclass
class Site:
    """One app, one trip running today and its signed-in lead, shared by every case of this module."""

    app: Flask
    rt: Runtime
    client: FlaskClient
    outing: Outing
    ctx: Ctx
    watched: list[Path]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, migrated_db: str) -> Iterator[Site]:
    # Module-scoped (the conftest chain is per test): ~150 cases against one app run in seconds, not minutes.
    root = tmp_path_factory.mktemp("malformed")
    private_tmp = root / "tmp"
    private_tmp.mkdir()
    settings = fresh_settings(root / "instance", migrated_db)
    app = create_app(settings)
    rt: Runtime = app.extensions["tripposter.runtime"]
    rt.detector_factory = lambda: None  # faces are beside the point here; the rest of the pipeline runs
    # This process's own temporary folder, so a stray file of ours cannot hide among other programs' files.
    saved_tmp, tempfile.tempdir = tempfile.tempdir, str(private_tmp)
    with session_factory(app)() as session:
        outing = Outing(Factory(session))
        client = app.test_client()
        AuthActions(client).login(outing.lead)
        ctx = Ctx(outing.trip.id, client.get("/api/session").get_json()["csrf_token"])
        body, content_type = multipart(files=[("photo", "IMG.jpg", "image/jpeg", phone_jpeg(faces=0))])
        made = client.post(f"/api/trips/{ctx.trip_id}/photos", data=body, content_type=content_type,
                           headers={"Idempotency-Key": "setup-photo-0001", "X-CSRFToken": ctx.csrf})
        assert made.status_code == 201
        ctx.photo_id = made.get_json()["photo"]["id"]
        yield Site(app, rt, client, outing, ctx, [settings.instance_path, rt.spool.root, private_tmp])
        tempfile.tempdir = saved_tmp
        with rt.sessions() as cleanup, cleanup.begin():
            sweep_expired(cleanup, rt.spool, rt.clock() + timedelta(days=30))
    session_factory(app).kw["bind"].dispose()
    if REDIS_URL:
        app.extensions["tripposter.queue"].huey.storage.flush_all()
        app.extensions["tripposter.queue"].huey.storage.pool.disconnect()
    drop_fresh_database(settings)


def check(case: Case, reply: Reply) -> None:
    assert reply.status < 500, f"{case.id}: {reply.status} {reply.body[:300]!r}"
    assert reply.status == case.status, f"{case.id}: {reply.status} {reply.body[:300]!r}"
    message = reply.message()
    assert len(message) >= 20 and message.rstrip().endswith((".", "!")), f"{case.id}: unclear message {message!r}"
    assert case.says.lower() in message.lower(), f"{case.id}: {message!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_clearly_and_leaves_nothing(case: Case, site: Site) -> None:
    method, path, body, headers = case.build(site.ctx)
    before, fds = files_under(site.watched), open_files()
    response = site.client.open(path, method=method, data=body, headers=headers)
    reply = Reply(response.status_code, response.content_type or "", response.get_data())
    response.close()
    check(case, reply)
    assert files_under(site.watched) == before
    assert set(open_files().values()) <= set(fds.values())
    assert site.rt.spool.names() == sorted(before_spool(before, site))


def before_spool(before: set[str], site: Site) -> list[str]:
    root = str(site.rt.spool.root) + "/"
    return [path.removeprefix(root) for path in before if path.startswith(root)]


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)


OVER_THE_WIRE = [c for c in structure_cases() + upload_cases()[:6] if not c.needs_photo]


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[tuple[LiveServer, Ctx]]:
    with live_server(site.app) as running:
        ctx = Ctx(site.ctx.trip_id, running.login(site.outing.lead.email, PASSWORD), site.ctx.photo_id)
        yield running, ctx


@pytest.mark.parametrize("case", OVER_THE_WIRE, ids=[c.id for c in OVER_THE_WIRE])
def test_over_a_real_socket(case: Case, server: tuple[LiveServer, Ctx], site: Site) -> None:
    running, ctx = server
    method, path, body, headers = case.build(ctx)
    before, fds = files_under(site.watched), open_files()
    status, content_type, data = running.send(method, path, body, headers)
    check(case, Reply(status, content_type, data))
    assert files_under(site.watched) == before
    assert set(open_files().values()) <= set(fds.values())
