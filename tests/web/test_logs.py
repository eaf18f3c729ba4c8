"""The deletion log pages: who may read, attest and sign; the page, CSV and PDF hold no names or captions."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.services.test_deletion_log import (
    POST_URL,
    SECRET_CAPTION,
    add_every_fate,
    add_photo,
    ended_trip,
    sha,
)
from tripposter.models import DeletionRecord, Fate, PhotoState, Role, TripAttestation, TripLog

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
PDF_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")


def pdf_text(data: bytes) -> str:
    """Every string the PDF draws, from its Flate-compressed content streams."""
    found = []
    for stream in STREAM.findall(data):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for raw in PDF_STRING.findall(content):
            found.append(re.sub(rb"\\(.)", rb"\1", raw).decode("latin-1"))
    return "\n".join(found)


def test_the_log_shows_every_photo_and_never_a_name_or_caption(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead, office = make.user(Role.TRIP_LEAD), make.user(Role.OFFICE)
    trip = ended_trip(make, lead)
    trip.pupils.append(make.pupil("Ava", "Khan", photo=False))
    db.commit()
    photos = add_every_fate(db, trip, lead)
    add_photo(db, trip, lead, "held", state=PhotoState.READY)
    auth.login(office)

    page = client.get(f"/trips/{trip.id}/log").get_data(as_text=True)
    csv_body = client.get(f"/trips/{trip.id}/log.csv").get_data()
    pdf = pdf_text(client.get(f"/trips/{trip.id}/log.pdf").get_data())

    assert "Photos received: <strong>7</strong>" in page and "Posted: <strong>1</strong>" in page
    assert photos.posted.public_id[:8] in page and sha("posted")[:12] in page and sha("posted") not in page
    assert f'href="{POST_URL}"' in page
    for words in ("Refused: The file is not a photo.", "Expired unposted", "Cancelled by the teacher"):
        assert words in page
    assert "Still held — will be destroyed by 15/03/2025 09:30 GMT" in page
    assert "Consent withdrawn, not posted" in pdf and sha("withdrawn") in pdf
    for text in (page, csv_body.decode("utf-8-sig"), pdf):
        for secret in ("Sam", "Lee", "Ava", "Khan", "climbing race"):
            assert secret not in text, secret
    assert SECRET_CAPTION not in page


def test_csv_has_one_row_per_photo_and_quotes_formulas(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = ended_trip(make, lead)
    trip.name = "=HYPERLINK(\"http://evil.test\")"
    db.commit()
    photos = add_every_fate(db, trip, lead)
    auth.login(lead)

    response = client.get(f"/trips/{trip.id}/log.csv")

    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="trip-{trip.id}-deletion-log.csv"'
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    facts = {line[0]: line[1] for line in lines[: lines.index([])]}
    assert facts["Trip"] == "'=HYPERLINK(\"http://evil.test\")"
    assert facts["Sign-off"] == "Not yet signed off by a senior leader."
    header = lines[lines.index([]) + 1]
    rows = [dict(zip(header, line, strict=True)) for line in lines[lines.index([]) + 2 :]]
    assert len(rows) == 6
    posted = next(r for r in rows if r["Photo"] == photos.posted.public_id[:8])
    assert posted["SHA-256 of received bytes"] == sha("posted")
    assert (posted["Fate"], posted["Post link"], posted["Verified"]) == ("Posted", POST_URL, "yes")
    assert posted["Destroyed"] == "14/03/2025 10:30 GMT"


def test_pdf_reads_even_with_characters_helvetica_lacks(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    trip = ended_trip(make, lead)
    trip.name = "Wycieczka do Łodzi 🚌"
    db.commit()
    add_every_fate(db, trip, lead)
    auth.login(lead)

    response = client.get(f"/trips/{trip.id}/log.pdf")

    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="trip-{trip.id}-deletion-log.pdf"'
    text = pdf_text(response.get_data())
    assert "Wycieczka do Lodzi ?" in text
    assert sha("orphan") in text and "Outdoor centre" in text and "Not yet" in text


def test_teacher_attests_only_from_the_trips_last_day(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    running = make.trip(lead, start=date.today(), days=3)
    ended = ended_trip(make, lead)
    auth.login(lead)

    early = auth.post(f"/trips/{running.id}/log/attest", {"confirm": "y"}, follow_redirects=True)
    unticked = auth.post(f"/trips/{ended.id}/log/attest", {})
    done = auth.post(f"/trips/{ended.id}/log/attest", {"confirm": "y"}, follow_redirects=True)

    assert "the trip&#39;s last day" in early.get_data(as_text=True)
    waiting = client.get(f"/trips/{running.id}/log").get_data(as_text=True)
    assert "You can confirm this from" in waiting and 'name="confirm"' not in waiting
    assert db.get(TripLog, running.id) is None
    assert "Tick the box to confirm" in unticked.get_data(as_text=True)
    page = done.get_data(as_text=True)
    assert f"{lead.display_name} (lead teacher)</strong>: <span class=\"badge yes\">Confirmed</span> Confirmed on" in page
    db.expire_all()
    assert db.get(TripAttestation, (ended.id, lead.id)) is not None


def test_senior_leader_signs_off_then_the_log_is_read_only(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead, head = make.user(Role.TRIP_LEAD), make.user(Role.ADMIN)
    trip = ended_trip(make, lead)
    photos = add_every_fate(db, trip, lead)
    held = add_photo(db, trip, lead, "held", state=PhotoState.READY)
    auth.login(head)

    sign = {"confirm": "y"}
    too_soon = auth.post(f"/trips/{trip.id}/log/sign-off", sign, follow_redirects=True).get_data(as_text=True)
    not_theirs = auth.post(f"/trips/{trip.id}/log/attest", {"confirm": "y"}, follow_redirects=True)
    db.add(TripAttestation(trip_id=trip.id, user_id=lead.id, attested_at=photos.posted.created_at + timedelta(days=1)))
    db.commit()
    still_held = auth.post(f"/trips/{trip.id}/log/sign-off", sign, follow_redirects=True).get_data(as_text=True)
    held.state, held.destroyed_at = PhotoState.DESTROYED, held.created_at + timedelta(hours=2)
    db.add(DeletionRecord(photo_id=held.id, trip_id=trip.id, fate=Fate.EXPIRED, verified=True))
    db.commit()
    signed = auth.post(f"/trips/{trip.id}/log/sign-off", sign, follow_redirects=True).get_data(as_text=True)
    again = auth.post(f"/trips/{trip.id}/log/sign-off", sign, follow_redirects=True).get_data(as_text=True)

    assert "has not yet confirmed that their phone is clear" in too_soon
    assert "Only the staff of this trip" in not_theirs.get_data(as_text=True)
    assert "1 photo(s) are still held" in still_held
    assert f"Signed off by {head.display_name} on" in signed and "can no longer be changed" in signed
    assert "Sign off and freeze this log</button>" not in signed
    assert f"signed off by {head.display_name}" in again
    db.expire_all()
    assert db.scalars(select(TripLog)).one().signed_by == head.id


def test_office_reads_but_cannot_attest_or_sign(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead, office = make.user(Role.TRIP_LEAD), make.user(Role.OFFICE)
    trip = ended_trip(make, lead)
    auth.login(office)

    page = client.get(f"/trips/{trip.id}/log").get_data(as_text=True)

    assert "Deletion log: Year 6 residential" in page and 'name="confirm"' not in page
    assert auth.post(f"/trips/{trip.id}/log/attest", {"confirm": "y"}).status_code == 403
    assert auth.post(f"/trips/{trip.id}/log/sign-off").status_code == 403
    assert db.get(TripLog, trip.id) is None


def test_trip_lead_cannot_sign_and_cannot_see_other_trips(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead, other = make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD)
    mine, theirs = ended_trip(make, lead), ended_trip(make, other)
    auth.login(lead)

    assert 'name="confirm"' in client.get(f"/trips/{mine.id}/log").get_data(as_text=True)
    assert auth.post(f"/trips/{mine.id}/log/sign-off").status_code == 403
    for path in ("log", "log.csv", "log.pdf"):
        assert client.get(f"/trips/{theirs.id}/{path}").status_code == 404
    assert auth.post(f"/trips/{theirs.id}/log/attest", {"confirm": "y"}).status_code == 404
    assert db.get(TripLog, theirs.id) is None
