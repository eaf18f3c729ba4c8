"""The audit log pages: senior leaders only, filters, keyset pages, exports that match the page, and privacy."""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tests.pipeline.corpus import MARKERS
from tests.services.test_publish_faults import tweet_ok, x_api, x_rt  # noqa: F401 - fixtures, used by name
from tests.web.test_post import ALT, make_post, tag, upload
from tests.web.test_trips import _form as trip_form
from tripposter.jobs import Queue
from tripposter.models import AuditEvent, Photo, PhotoState, PostState, Role
from tripposter.runtime import Runtime
from tripposter.services.audit import events as audit
from tripposter.services.school.settings import get_school

ROW = re.compile(r'<tr id="event-(\d+)"[^>]*>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)<br><code>([a-z_.]+)</code>', re.S)


def rows(text: str) -> list[tuple[int, str, str]]:
    """(event id, description, action) for each row of the page's table."""
    return [(int(i), html.unescape(desc), action) for i, _who, desc, action in ROW.findall(text)]


def table(text: str) -> str:
    """Only the table of events, without the filter form (whose lists name people and trips)."""
    start = text.find("<table>")
    return text[start:text.find("</table>")] if start >= 0 else ""


def exported(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/audit/export.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TRIP_LEAD])
def test_only_senior_leaders_may_see_or_export_it(role: Role, auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    auth.login(make.user(role))
    for path in ("/audit/", "/audit/export.csv", "/audit/export.jsonl", "/audit/?category=posts"):
        assert client.get(path).status_code == 403, path
    assert "/audit/" not in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in ("/audit/", "/audit/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_office_actions_show_up_described_and_the_export_matches_the_page(
    auth: AuthActions, make: Factory, client: FlaskClient, app: Flask, db: Session
) -> None:
    office, head, lead = make.user(Role.OFFICE), make.user(Role.ADMIN), make.user(Role.TRIP_LEAD)
    pupil = make.pupil()
    auth.login(office)
    assert auth.post("/trips/new", trip_form(lead.id, [pupil.id])).status_code == 302
    assert auth.post(f"/roster/{pupil.id}", {"photo_consent": "no", "first_name_consent": "no"}).status_code == 302
    admin = AuthActions(app.test_client())
    admin.login(head)
    page = admin.client.get("/audit/").get_data(as_text=True)
    assert '<a href="/audit/">Audit log</a>' in page
    shown = rows(page)
    assert [(d, a) for _, d, a in shown[:4]] == [
        ("Signed in", "auth.login"),
        ("Consent changed: first-name consent yes \u2192 no (by hand)", "consent.changed"),
        ("Consent changed: photo consent yes \u2192 no (by hand)", "consent.changed"),
        ("Trip created", "trip.created"),
    ]
    assert f'href="/roster/{pupil.id}"' in table(page) and "Year 6 residential" in table(page)

    for query in ("", "?category=consent", f"?actor={office.id}&since=2020-01-01"):
        page_rows = rows(admin.client.get(f"/audit/{query}").get_data(as_text=True))
        csv_rows = [r for r in exported(admin.client, query) if r["Action"] != "audit.exported"]
        assert [(int(r["Event"]), r["What happened"], r["Action"]) for r in csv_rows] == page_rows, query
    assert [r["Action"] for r in exported(admin.client)][:3] == ["audit.exported"] * 3  # each export is on the record
    lines = admin.client.get("/audit/export.jsonl?category=trips").get_data(as_text=True).splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["trip.created"]


def test_filters_on_the_page(auth: AuthActions, make: Factory, client: FlaskClient, db: Session) -> None:
    head, lead = make.user(Role.ADMIN), make.user(Role.TRIP_LEAD)
    first, second = make.trip(lead), make.trip(lead)
    audit.record(db, None, "post.published", first, url="https://x.com/s/1")
    audit.record(db, None, "post.published", second, url="https://x.com/s/2")
    audit.record(db, head, "photo.destroyed", first, fate="posted", verified=True)
    db.commit()
    auth.login(head)

    def actions(query: str) -> list[str]:
        return [a for _, _, a in rows(client.get(f"/audit/{query}").get_data(as_text=True))]

    assert actions(f"?trip={first.id}") == ["photo.destroyed", "post.published"]
    assert actions("?category=deletions") == ["photo.destroyed"]
    assert actions("?action=post.") == ["post.published", "post.published"]
    assert actions("?actor=system&category=posts") == ["post.published", "post.published"]
    assert actions(f"?actor={head.id}") == ["auth.login", "photo.destroyed"]


def test_wrong_filters_are_explained_and_refused_for_export(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    auth.login(make.user(Role.ADMIN))
    for query, message in (
        ("?since=yesterday", "Give the date as day, month and year, or leave it empty."),
        ("?category=everything", "Choose a kind of event from the list."),
        ("?since=2025-05-02&until=2025-05-01", "The last day is before the first day. Check the dates."),
        ("?trip=abc", "Choose a trip from the list."),
    ):
        page = html.unescape(client.get(f"/audit/{query}").get_data(as_text=True))
        assert message in page and "<table>" not in page, query
        assert client.get(f"/audit/export.csv{query}").status_code == 400
    assert client.get("/audit/export.xlsx").status_code == 404


def test_older_events_are_one_link_away(auth: AuthActions, make: Factory, client: FlaskClient, db: Session) -> None:
    head = make.user(Role.ADMIN)
    for n in range(60):
        audit.record(db, None, "retention.swept", None, photos=n)
    db.commit()
    auth.login(head)
    first = html.unescape(client.get("/audit/?category=deletions").get_data(as_text=True))
    assert len(rows(first)) == 50
    older = re.search(r'href="(/audit/\?[^"]*before=\d+[^"]*)">Older events', first)
    assert older and "category=deletions" in older.group(1)
    second = html.unescape(client.get(older.group(1)).get_data(as_text=True))
    assert len(rows(second)) == 10 and "Older events" not in second and "Newest events" in second
    assert {i for i, _, _ in rows(first)}.isdisjoint(i for i, _, _ in rows(second))


def test_a_whole_trip_leaves_no_photo_caption_name_or_token_in_the_log(  # type: ignore[no-untyped-def]
    auth: AuthActions, app: Flask, outing: Outing, db: Session, x_rt: Runtime, x_api, queue: Queue,  # noqa: F811
    make: Factory, caplog: pytest.LogCaptureFixture,
) -> None:
    photo_bytes = phone_jpeg()  # made before the capture starts: Pillow logs the EXIF it writes
    caplog.set_level(logging.DEBUG)
    get_school(db).first_names_allowed = True
    db.commit()
    tweet_ok(x_api)
    auth.login(outing.lead)
    upload(auth, outing.trip.id, photo_bytes)
    refused = b"%PDF-1.7\n" + MARKERS["trail"].encode() * 40
    upload(auth, outing.trip.id, refused)
    photo = db.scalars(select(Photo).where(Photo.state == PhotoState.READY)).one()
    tag(auth, photo.public_id, [outing.sam.id, None], [outing.sam.id])
    make_post(auth, outing.trip.id, photo.public_id, "Sam Lee paddled across the whole lake!")  # refused: full name
    make_post(auth, outing.trip.id, photo.public_id, "Sam paddled across the whole lake!")
    assert queue.drain() == 1
    db.expire_all()
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.action == "post.published")).one()
    assert photo.post is not None and photo.post.state is PostState.PUBLISHED

    admin = AuthActions(app.test_client())
    admin.login(make.user(Role.ADMIN))
    page = admin.client.get("/audit/").get_data(as_text=True)
    actions = {a for _, _, a in rows(page)}
    assert {"photo.received", "photo.refused", "photo.tagged", "checks.failed", "post.queued", "post.published",
            "photo.destroyed", "x.connected"} <= actions
    assert "Checks failed: a pupil's full name in the caption" in [d for _, d, _ in rows(page)]
    blobs = {
        "detail": json.dumps([e.detail for e in db.scalars(select(AuditEvent))]),
        "page": html.unescape(table(page)),
        "csv": admin.client.get("/audit/export.csv").get_data(as_text=True),
        "jsonl": admin.client.get("/audit/export.jsonl").get_data(as_text=True),
        "log": caplog.text,
    }
    secrets = [*MARKERS.values(), "paddled across", ALT, "42-access-token", "at-secret", "cs-test-consumer-secret"]
    for where, text in blobs.items():
        assert [s for s in secrets if s in text] == [], where
        assert not re.search(r"\b(Sam|Lee|Ava|Khan|Theo|Hill)\b", text), where
