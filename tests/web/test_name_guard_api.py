"""The name guard through the real HTTP API: alt text, hashtags when saved, and again at publishing."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tests.web.test_api import Phone
from tripposter.models import Photo, PhotoState, Role, SchoolSettings, Trip
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.services.school.settings import get_school


def _ready_photo(phone: Phone, outing: Outing, alt_text: str, tagged: list[int], key: str = "upload-key-0001") -> str:
    photo = phone.upload(outing.trip.id, phone_jpeg(faces=0), key=key).get_json()["photo"]
    reply = phone.send("PUT", f"/api/photos/{photo['id']}", {"face_pupils": [], "tagged": tagged, "alt_text": alt_text, "faces_checked": True})
    assert reply.status_code == 200, reply.get_json()
    return str(photo["id"])


def test_alt_text_with_a_name_is_refused_and_nothing_is_queued(
    auth: AuthActions, outing: Outing, make: Factory, app: Flask
) -> None:
    make.pupil("Isla", "Baker")  # on the roster, not on this trip
    auth.login(outing.lead)
    phone = Phone(auth.client)
    photo = _ready_photo(phone, outing, "Ben Hughes and Isla B\u0430ker abseiling", [])  # a Cyrillic "а"
    reply = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo], "caption": "Abseiling!"},
                       **{"Idempotency-Key": "post-key-name-1"})
    assert reply.status_code == 422
    messages = [p["message"] for p in reply.get_json()["error"]["problems"]]
    assert any(m.startswith("The photo's description (alt text)") and "Isla Baker" in m for m in messages), messages
    app.extensions["tripposter.queue"].drain()
    assert OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts() == []


def test_live_check_reports_each_alt_text_by_photo(auth: AuthActions, outing: Outing, make: Factory) -> None:
    make.pupil("Isla", "Baker")
    auth.login(outing.lead)
    phone = Phone(auth.client)
    reply = phone.send("POST", "/api/caption-check", {
        "trip_id": outing.trip.id, "caption": "A great day on the hill", "tagged": [],
        "alt_texts": [{"text": "Children by a lake", "tagged": []}, {"text": "#TeamBaker at the top", "tagged": []}],
    })
    assert reply.status_code == 200
    problems = reply.get_json()["problems"]
    assert [p["rule"] for p in problems] == ["surname"]
    assert problems[0]["message"].startswith("Photo 2's description (alt text) contains the surname \"Baker\"")
    bad = phone.send("POST", "/api/caption-check", {"trip_id": outing.trip.id, "caption": "x", "alt_texts": "nope"})
    assert bad.status_code == 400


def _trip_form(lead_id: int, pupil_id: int, hashtags: str) -> dict[str, object]:
    start = date.today()
    return {
        "name": "Year 6 residential", "destination": "Bramble Hill", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=2)).isoformat(), "lead_id": str(lead_id), "pupil_ids": [str(pupil_id)],
        "hashtags": hashtags, "posting_start": "07:30", "posting_end": "21:00",
    }


def test_trip_hashtag_naming_a_pupil_is_refused_when_saved(auth: AuthActions, make: Factory, db: Session) -> None:
    lead = make.user(Role.TRIP_LEAD)
    amara = make.pupil("Amara", "Ahmed")
    auth.login(make.user(Role.OFFICE))
    for tags in ["#AmaraAhmed", "#Y6 #amaraahmed", "#TeamAhmed", "#Ahm\u00e9d"]:
        html = auth.post("/trips/new", _trip_form(lead.id, amara.id, tags)).get_data(as_text=True)
        assert 'id="hashtags-err"' in html and "Ahmed" in html, tags
        assert db.scalars(select(Trip)).first() is None
    # An ordinary hashtag still saves.
    assert auth.post("/trips/new", _trip_form(lead.id, amara.id, "#Y6Residential #BrambleHill")).status_code == 302


def test_school_hashtag_naming_a_pupil_is_refused_when_saved(auth: AuthActions, make: Factory, db: Session) -> None:
    make.pupil("Grace", "Okafor")
    auth.login(make.user(Role.ADMIN))
    form = {"name": "Hogarth School", "timezone": "Europe/London", "required_hashtags": "#Chiswick #GoGraceOkafor",
            "allowed_handles": "", "banned_words": "lol", "retention_hours": "24", "mon_start": "08:00", "mon_end": "18:00"}
    html = auth.post("/school/", form).get_data(as_text=True)
    assert 'id="required_hashtags-err"' in html and "Okafor" in html
    assert "Okafor" not in (db.scalars(select(SchoolSettings.required_hashtags)).first() or "")
    # In a hashtag every name counts, even one that is also a word: a hashtag has no sentence around it.
    assert auth.post("/school/", {**form, "required_hashtags": "#Chiswick #GraceAndGratitude"}).status_code == 200
    assert auth.post("/school/", {**form, "required_hashtags": "#Chiswick #W4"}).status_code == 302


def test_post_queued_before_first_name_consent_is_withdrawn_is_held(
    auth: AuthActions, outing: Outing, make: Factory, app: Flask
) -> None:
    session = make.session
    school = get_school(session)
    school.first_names_allowed = True
    session.commit()
    auth.login(outing.lead)
    phone = Phone(auth.client)
    photo = _ready_photo(phone, outing, "Two children by a lake", [outing.sam.id])
    reply = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo], "caption": "Sam loved canoeing!"},
                       **{"Idempotency-Key": "post-key-name-2"})
    assert reply.status_code == 201, reply.get_json()
    # The parents withdraw first-name consent while the post waits.
    outing.sam.first_name_consent = False
    session.commit()
    app.extensions["tripposter.queue"].drain()
    assert OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts() == []
    status = phone.client.get(f"/api/trips/{outing.trip.id}/posts").get_json()["posts"]
    assert [p["state"] for p in status] == ["failed"]
    assert status[0]["error"].startswith("Held, nothing was posted")
    assert "have not agreed to their first name" in status[0]["error"]
    session.expire_all()
    back = session.scalars(select(Photo).where(Photo.public_id == photo)).one()
    assert back.state is PhotoState.READY  # the teacher gets the photo back to reword the caption


def test_post_held_when_the_school_turns_first_names_off(auth: AuthActions, outing: Outing, make: Factory, app: Flask) -> None:
    session = make.session
    get_school(session).first_names_allowed = True
    session.commit()
    auth.login(outing.lead)
    phone = Phone(auth.client)
    photo = _ready_photo(phone, outing, "Sam by the lake", [outing.sam.id])
    reply = phone.send("POST", "/api/posts", {"trip_id": outing.trip.id, "photo_ids": [photo], "caption": "Canoeing!"},
                       **{"Idempotency-Key": "post-key-name-3"})
    assert reply.status_code == 201, reply.get_json()
    session.scalars(select(SchoolSettings)).one().first_names_allowed = False
    session.commit()
    app.extensions["tripposter.queue"].drain()
    assert OutboxPublisher(app.config["TRIPPOSTER_SETTINGS"].outbox_path).list_posts() == []
    error = phone.client.get(f"/api/trips/{outing.trip.id}/posts").get_json()["posts"][0]["error"]
    assert "The photo's description (alt text) contains \"Sam\"" in error and "does not post first names" in error


def test_posting_page_shows_a_name_in_the_alt_text_when_saved(auth: AuthActions, outing: Outing) -> None:
    from tests.web.test_post import TAG_LINK, page, tag, upload

    auth.login(outing.lead)
    assert upload(auth, outing.trip.id, phone_jpeg(faces=0)).status_code == 302
    photo = TAG_LINK.findall(page(auth.client, f"/post/trips/{outing.trip.id}"))[0]
    response = tag(auth, photo, [], [], alt="Ava Kh\u0430n on the climbing wall")  # a Cyrillic "а"
    assert response.status_code == 302
    text = page(auth.client, f"/post/trips/{outing.trip.id}")
    assert "This photo cannot be posted as it is: The photo's description (alt text) contains \"Ava Khan\"" in text


def test_staff_surnames_are_refused_when_the_school_says_so(auth: AuthActions, outing: Outing, make: Factory) -> None:
    session = make.session
    outing.lead.display_name = "Jane Featherstone"
    session.commit()
    auth.login(outing.lead)
    phone = Phone(auth.client)
    check = {"trip_id": outing.trip.id, "caption": "Thanks to Mrs Featherstone for a great day"}
    assert phone.send("POST", "/api/caption-check", check).get_json()["problems"] == []
    get_school(session).guard_staff_surnames = True
    session.commit()
    problems = phone.send("POST", "/api/caption-check", check).get_json()["problems"]
    assert [p["rule"] for p in problems] == ["staff_surname"]
    assert "the surname of a member of staff" in problems[0]["message"]


def test_senior_leader_turns_on_the_staff_surname_rule(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.ADMIN))
    form = {"name": "Hogarth School", "timezone": "Europe/London", "required_hashtags": "#W4", "allowed_handles": "",
            "banned_words": "lol", "retention_hours": "24", "mon_start": "08:00", "mon_end": "18:00",
            "guard_staff_surnames": "y"}
    assert auth.post("/school/", form).status_code == 302
    assert db.scalars(select(SchoolSettings.guard_staff_surnames)).one() is True
