"""Registering and editing trips, and the checks on each field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tripposter.models import Role, Trip
from tripposter.services.errors import ValidationError
from tripposter.services.school.trips import TripInput, save_trip


def _form(lead_id: int, pupils: list[int], **over: object) -> dict[str, object]:
    start = date.today()
    data: dict[str, object] = {
        "name": "Year 6 residential",
        "destination": "Bramble Hill",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=2)).isoformat(),
        "lead_id": str(lead_id),
        "pupil_ids": [str(p) for p in pupils],
        "hashtags": "#Y6Residential, Bramble2026",
        "posting_start": "07:30",
        "posting_end": "21:00",
    }
    data.update(over)
    return data


def test_office_registers_a_trip(auth: AuthActions, make: Factory, db: Session, client: FlaskClient) -> None:
    lead = make.user(Role.TRIP_LEAD)
    helper = make.user(Role.TRIP_LEAD)
    ok, refused, unknown = make.pupil("Sam", "Lee"), make.pupil("Ava", "Khan", photo=False), make.pupil(photo=None)
    auth.login(make.user(Role.OFFICE))
    response = auth.post("/trips/new", _form(lead.id, [ok.id, refused.id, unknown.id], staff_ids=[str(helper.id)]))
    assert response.status_code == 302, response.get_data(as_text=True)
    trip = db.scalars(select(Trip)).one()
    assert trip.lead_id == lead.id and [u.id for u in trip.staff] == [helper.id]
    assert trip.hashtags == "#Y6Residential #Bramble2026"
    assert trip.posting_start.isoformat() == "07:30:00"
    assert trip.pupils_without_photo_consent == 2  # a "no" and a missing record
    page = client.get(f"/trips/{trip.id}").get_data(as_text=True)
    assert "<strong>2</strong> of 3 pupils have no photo consent" in page
    assert "2 without photo consent" in client.get("/trips/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("end_date", (date.today() - timedelta(days=1)).isoformat(), "The last day is before the first day"),
        ("name", "", "Give the trip a name"),
        ("hashtags", "#ok not-a-tag!", "is not a hashtag"),
        ("posting_end", "", "Give both a start and an end time"),
        ("posting_end", "06:00", "Posting must end after it starts"),
        ("pupil_ids", ["99999"], "A chosen pupil is not on the roster"),
    ],
)
def test_bad_input_is_refused_beside_the_field(
    field: str, value: object, message: str, auth: AuthActions, make: Factory, db: Session
) -> None:
    lead = make.user(Role.TRIP_LEAD)
    auth.login(make.user(Role.OFFICE))
    response = auth.post("/trips/new", _form(lead.id, [make.pupil().id], **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert f'id="{field}-err"' in html or "pupil_ids" == field
    assert db.scalars(select(Trip)).first() is None


def test_lead_must_be_a_trip_lead(auth: AuthActions, make: Factory, db: Session) -> None:
    office = make.user(Role.OFFICE)
    auth.login(office)
    html = auth.post("/trips/new", _form(office.id, [])).get_data(as_text=True)
    assert "is not a trip lead" in html
    assert db.scalars(select(Trip)).first() is None


def test_edit_keeps_pupils_and_changes_fields(auth: AuthActions, make: Factory, db: Session, client: FlaskClient) -> None:
    lead = make.user(Role.TRIP_LEAD)
    pupil = make.pupil()
    trip = make.trip(lead, [pupil])
    auth.login(make.user(Role.OFFICE))
    form = client.get(f"/trips/{trip.id}/edit").get_data(as_text=True)
    assert f'value="{pupil.id}" checked' in form
    response = auth.post(f"/trips/{trip.id}/edit", _form(lead.id, [pupil.id], destination="Science Museum"))
    assert response.status_code == 302
    db.refresh(trip)
    assert trip.destination == "Science Museum" and [p.id for p in trip.pupils] == [pupil.id]


def test_service_refuses_unknown_pupil_and_disabled_lead(make: Factory, db: Session) -> None:
    lead = make.user(Role.TRIP_LEAD)
    lead.is_active = False
    db.commit()
    data = TripInput("Trip", "Zoo", date.today(), date.today(), lead.id, pupil_ids=(4242,))
    with pytest.raises(ValidationError) as err:
        save_trip(db, lead, data)
    assert set(err.value.fields) == {"lead_id", "pupil_ids"}
