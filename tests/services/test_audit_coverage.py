"""Every kind of event the audit log promises is recorded when the real service does the thing."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import requests
import responses
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Factory
from tests.lifecycle import Outing, age_spool
from tests.publishers.conftest import TWEETS_URL
from tests.services.test_publish_faults import x_api, x_rt  # noqa: F401 - fixtures, used by name
from tests.services.test_publishing import queue_post, receive
from tripposter.config import Settings
from tripposter.jobs import Queue
from tripposter.models import WEEKDAYS, AuditEvent, Role, User
from tripposter.publishers.x_connect import TokenBox, XTokens
from tripposter.runtime import Runtime
from tripposter.services.audit.catalogue import RULES, describe
from tripposter.services.audit.log import AuditFilter, iter_rows
from tripposter.services.deletion import log as deletion_log
from tripposter.services.deletion.destruction import reconcile_spool
from tripposter.services.deletion.retention import sweep_expired
from tripposter.services.networks import x_account
from tripposter.services.people import accounts
from tripposter.services.posting import photo_review, photos, posts, recovery
from tripposter.services.posting.publishing import publish_post
from tripposter.services.posting.recovery import recover
from tripposter.services.school import roster, trips
from tripposter.services.school.settings import SchoolInput, get_school, update_school

TZ = "Europe/London"
ROSTER = (
    "UPN,Forename,Surname,Reg Group,Photo Consent,First Name Consent\n"
    "A001,Sam,Lee,6A,Yes,Y\n"
    "A002,Ava,Khan,6A,No,no\n"
)


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def in_category(session: Session, category: str) -> set[str]:
    """The actions the page shows under ``category``: proves both the recording and the filter."""
    return {row.action for row in iter_rows(session, AuditFilter(category=category), TZ)}


# --- every category, through the real services -------------------------------------------------------


def test_roster_import_and_consent_edits(db: Session, make: Factory) -> None:
    office = make.user(Role.OFFICE)
    roster.apply_import(db, office, ROSTER.encode())
    db.commit()
    sam = roster.list_pupils(db)[1]
    assert sam.last_name == "Lee"
    roster.update_consent(db, office, sam.id, False, True)
    db.commit()

    (imported,) = events(db, "roster.imported")
    assert imported.actor_id == office.id and imported.detail == {"new": 2, "changed": 0, "unchanged": 0}
    assert len(events(db, "pupil.added")) == 2
    by_hand = events(db, "consent.changed")[-1]
    assert by_hand.subject_id == str(sam.id)
    assert by_hand.detail == {"field": "photo_consent", "old": True, "new": False, "source": "by hand"}
    assert describe(by_hand.action, by_hand.detail) == "Consent changed: photo consent yes \u2192 no (by hand)"
    assert in_category(db, "consent") == {"roster.imported", "pupil.added", "consent.changed"}


def test_trip_create_edit_pupils_and_staff(db: Session, make: Factory) -> None:
    office, lead, helper = make.user(Role.OFFICE), make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD)
    sam, ava = make.pupil("Sam", "Lee"), make.pupil("Ava", "Khan")
    start = date.today() + timedelta(days=10)
    data = trips.TripInput("Museum", "Science Museum", start, start, lead.id, (helper.id,), (sam.id,))
    trip = trips.save_trip(db, office, data)
    db.commit()
    trips.save_trip(db, office, trips.TripInput("Museum", "Natural History Museum", start, start, lead.id, (), (sam.id, ava.id)), trip)
    db.commit()
    trips.save_trip(db, office, trips.TripInput("Museum", "Natural History Museum", start, start, lead.id, (), (sam.id, ava.id)), trip)
    db.commit()  # saved again unchanged: nothing more to record
    kept_off = trips.TripInput("Museum", "Natural History Museum", start, start, lead.id, (), (sam.id, ava.id),
                               networks=("bluesky",), offered_networks=("main", "bluesky"))
    trips.save_trip(db, office, kept_off, trip)
    db.commit()

    (created,) = events(db, "trip.created")
    assert created.detail == {"pupils": 1, "staff": 1, "lead_id": lead.id, "trip_id": trip.id, "networks": "all"}
    (networks,) = events(db, "trip.networks_changed")
    assert networks.detail == {"before": "all", "after": ["bluesky"], "trip_id": trip.id}
    assert describe("trip.networks_changed", networks.detail).endswith("all connected \u2192 bluesky")
    (updated,) = events(db, "trip.updated")
    assert updated.detail == {"fields": ["destination"], "trip_id": trip.id}
    (pupils,) = events(db, "trip.pupils_changed")
    assert pupils.detail == {"added": [ava.id], "removed": [], "total": 2, "trip_id": trip.id}
    (staff,) = events(db, "trip.staff_changed")
    assert staff.detail == {"added": [], "removed": [helper.id], "total": 0, "trip_id": trip.id}
    assert in_category(db, "trips") == {"trip.created", "trip.updated", "trip.pupils_changed", "trip.staff_changed",
                                        "trip.networks_changed"}


def test_uploads_record_size_and_hash_prefix_and_refusals_their_rule(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    (received,) = events(session, "photo.received")
    assert received.detail["size"] > 1000 and received.detail["faces"] == 2
    assert received.detail["sha256"] == photo.received_sha256[:16] and received.detail["trip_id"] == outing.trip.id
    with pytest.raises(photos.PhotoRefusedError):
        photos.receive_photo(session, rt.spool, outing.lead, outing.trip.id, "refused-key-001", b"%PDF-1.7\n" + b"x" * 500,
                             now=rt.clock(), limits=rt.limits, detector=rt.detector_factory())
    session.commit()  # as the upload views do: the refusal stays on record
    (refused,) = events(session, "photo.refused")
    assert refused.detail["rule"] in RULES and refused.detail["size"] == 509
    assert refused.detail["sha256"] == hashlib.sha256(b"%PDF-1.7\n" + b"x" * 500).hexdigest()[:16]
    photos.tag_photo(session, outing.lead, photo.public_id, [outing.sam.id, None], [outing.sam.id], "At the lake")
    session.commit()
    (tagged,) = events(session, "photo.tagged")
    assert tagged.detail == {"faces": 2, "blurred": 1, "tagged": 1, "trip_id": outing.trip.id}
    assert in_category(session, "uploads") == {"photo.received", "photo.refused", "photo.tagged"}
    assert "photo.refused" not in in_category(session, "deletions")


def test_failed_checks_record_rule_codes_only(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    photos.tag_photo(session, outing.lead, photo.public_id, [outing.ava.id, None], [outing.ava.id], "At the lake")
    photo_review.review_photo(session, outing.lead, photo.public_id, regions=None, faces_checked=True, now=rt.clock())
    request = posts.PostRequest(key="post-key-bad-01", trip_id=outing.trip.id, photo_ids=(photo.public_id,),
                                caption="Ava Khan paddled hardest!")
    with pytest.raises(posts.ChecksFailedError):
        posts.create_post(session, outing.lead, request, rt.clock())
    session.commit()  # as the post views do

    (failed,) = events(session, "checks.failed")
    assert failed.detail == {"rules": ["full_name", "no_consent"], "photos": 1, "trip_id": outing.trip.id}
    assert describe(failed.action, failed.detail) == (
        "Checks failed: a pupil's full name in the caption, no photo consent"
    )
    assert "Ava" not in json.dumps(failed.detail) and "Khan" not in json.dumps(failed.detail)
    assert in_category(session, "checks") == {"checks.failed"}


def test_consent_withdrawn_before_publishing_is_a_failed_check(session: Session, rt: Runtime, outing: Outing) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    roster.update_consent(session, make_admin(session), outing.sam.id, False, False)
    session.commit()
    assert publish_post(rt, post.id) == "withdrawn"
    (failed,) = events(session, "checks.failed")
    assert failed.detail == {"rules": ["no_consent"], "photos": 1, "stage": "before publishing", "trip_id": outing.trip.id}
    assert events(session, "post.withdrawn")[0].detail["reason"] == "consent changed before posting"
    (destroyed,) = events(session, "photo.destroyed")
    assert destroyed.detail["fate"] == "withdrawn" and destroyed.detail["verified"] is True


def make_admin(session: Session) -> User:
    return accounts.create_user(session, None, email="head@school.test", display_name="Head", role=Role.ADMIN,
                                password="a-long-enough-password")


def test_posts_published_and_every_copy_destroyed(session: Session, rt: Runtime, outing: Outing, queue: Queue) -> None:
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    queue.enqueue_publish(post.id)
    assert queue.drain() == 1
    session.expire_all()

    (queued,) = events(session, "post.queued")
    assert queued.detail["photos"] == 1 and queued.detail["state"] == "queued" and queued.detail["warnings"] == []
    (published,) = events(session, "post.published")
    assert published.detail == {"remote_id": post.remote_id, "url": post.remote_url, "trip_id": outing.trip.id}
    (destroyed,) = events(session, "photo.destroyed")
    assert destroyed.detail["fate"] == "posted" and destroyed.detail["verified"] is True
    assert destroyed.detail["copies"] == 1 and destroyed.detail["url"] == post.remote_url
    assert {"post.queued", "post.published"} <= in_category(session, "posts")
    assert "photo.destroyed" in in_category(session, "deletions")


def test_x_refusals_unknown_outcomes_and_a_leaders_decision(session, x_rt, outing, clock, x_api) -> None:  # type: ignore[no-untyped-def]
    photo = receive(session, x_rt, outing)
    post = queue_post(session, x_rt, outing, photo)
    x_api.post(TWEETS_URL, status=429, json={"title": "Too Many Requests"}, headers={"x-rate-limit-reset": "0"})
    assert publish_post(x_rt, post.id) == "rescheduled"
    x_api.replace(responses.POST, TWEETS_URL, status=400, json={"title": "Invalid Request"})
    clock.now += timedelta(hours=1)
    assert publish_post(x_rt, post.id) == "failed"
    session.expire_all()  # the refusal gave the photo back to the teacher
    again = queue_post(session, x_rt, outing, photo, key="post-key-0002")
    x_api.replace(responses.POST, TWEETS_URL, body=requests.exceptions.ConnectionError("reset by peer"))
    assert publish_post(x_rt, again.id) == "unknown"
    x_api.get(re.compile(r"https://api\.twitter\.com/2/users/42/tweets.*"), status=403,
              json={"title": "Client Forbidden", "reason": "client-not-enrolled"})
    recover(x_rt)
    session.expire_all()
    recovery.resolve_unknown(x_rt, session, make_admin(session), again.public_id, "posted")
    session.commit()

    assert events(session, "post.rescheduled")[0].detail["reason"] == "retry"
    assert events(session, "post.failed")[0].detail == {"error": "rejected", "trip_id": outing.trip.id}
    assert events(session, "post.unknown")[0].detail["error"] == "retry"
    assert len(events(session, "post.needs_decision")) == 1
    (decided,) = events(session, "post.decided")
    assert decided.actor_id is not None and describe(decided.action, decided.detail) == "Unknown post decided: it was posted"
    assert events(session, "photo.destroyed")[0].detail["fate"] == "posted"
    assert {"post.rescheduled", "post.failed", "post.unknown", "post.needs_decision", "post.decided"} <= in_category(session, "posts")


def test_urgent_and_trip_hours_are_window_overrides(session: Session, rt: Runtime, outing: Outing) -> None:
    school = get_school(session)
    school.posting_hours = {day: None for day in WEEKDAYS}  # the school never posts; the trip's own hours still do
    session.commit()
    queue_post(session, rt, outing, receive(session, rt, outing))
    (by_trip,) = events(session, "window.override")
    assert by_trip.detail["kind"] == "trip_hours" and describe(by_trip.action, by_trip.detail).endswith("trip's own hours")

    outing.trip.posting_start = outing.trip.posting_end = None
    session.commit()
    second = receive(session, rt, outing, key="photo-key-0002")
    queue_post(session, rt, outing, second, key="post-key-0002", urgent_reason="Coach home is leaving early")
    urgent = events(session, "window.override")[-1]
    assert urgent.detail["kind"] == "urgent" and urgent.detail["reason"] == "Coach home is leaving early"
    assert in_category(session, "window") == {"window.override"}


def test_no_override_inside_the_schools_hours(session: Session, rt: Runtime, outing: Outing) -> None:
    school = get_school(session)
    school.posting_hours = {day: ["00:00", "23:59"] for day in WEEKDAYS}
    outing.trip.posting_start = outing.trip.posting_end = None
    session.commit()
    rt.clock.now = datetime.combine(rt.clock.now.date(), time(12, 0), UTC)  # type: ignore[attr-defined]
    queue_post(session, rt, outing, receive(session, rt, outing))
    assert events(session, "window.override") == []


def test_retention_sweep_and_orphans_are_deletions(session: Session, rt: Runtime, outing: Outing) -> None:
    receive(session, rt, outing)
    assert sweep_expired(session, rt.spool, rt.clock() + timedelta(days=3)) == 1
    session.commit()
    assert events(session, "retention.swept")[0].detail == {"photos": 1}
    assert events(session, "photo.destroyed")[0].detail["fate"] == "expired"
    rt.spool.write(b"a file nobody knows about")
    age_spool(rt)
    reconcile_spool(session, rt.spool, rt.clock())
    session.commit()
    assert events(session, "photo.orphan_destroyed")[0].detail == {"copies": 1, "verified": True}
    assert in_category(session, "deletions") == {"photo.destroyed", "retention.swept", "photo.orphan_destroyed"}


def test_x_account_connection_rotation_and_disconnection(db: Session, make: Factory, settings: Settings) -> None:
    admin = make.user(Role.ADMIN)
    box = TokenBox(settings.token_key)
    tokens = XTokens("42-audit-access-token", "audit-access-secret", user_id="42", screen_name="ourschool")
    x_account.save_tokens(db, admin, box, tokens, datetime.now(UTC))
    x_account.save_tokens(db, admin, box, XTokens("42-rotated-token", "rotated-secret", "42", "ourschool"), datetime.now(UTC))
    x_account.disconnect(db, admin)
    db.commit()
    assert [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.action.startswith("x.")))] == [
        "x.connected", "x.tokens_rotated", "x.disconnected"
    ]
    dumped = json.dumps([e.detail for e in db.scalars(select(AuditEvent))])
    assert all(s not in dumped for s in ("42-audit-access-token", "audit-access-secret", "42-rotated-token", "rotated-secret"))
    assert in_category(db, "x") == {"x.connected", "x.tokens_rotated", "x.disconnected"}


def test_attestation_and_sign_off(db: Session, make: Factory) -> None:
    lead, head = make.user(Role.TRIP_LEAD), make.user(Role.ADMIN)
    trip = make.trip(lead, start=date.today() - timedelta(days=6), days=2)
    deletion_log.attest(db, lead, trip, confirmed=True)
    entry = deletion_log.sign_off(db, head, trip, confirmed=True)
    db.commit()
    assert events(db, "log.attested")[0].actor_id == lead.id
    assert events(db, "log.signed_off")[0].detail == {"photos": 0, "posted": 0, "trip_id": trip.id,
                                                      "sha256": entry.snapshot_sha256}
    assert in_category(db, "logs") == {"log.attested", "log.signed_off"}


def test_school_settings_and_staff_accounts(db: Session, make: Factory) -> None:
    head, office = make.user(Role.ADMIN), make.user(Role.OFFICE)
    school = get_school(db)
    data = SchoolInput(
        name=school.name, timezone=school.timezone, hours={d: (time(8), time(18)) for d in WEEKDAYS[:5]},
        required_hashtags=school.required_hashtags, first_names_allowed=True, allowed_handles=school.allowed_handles,
        banned_words=school.banned_words, allow_blurred_without_consent=False, retention_hours=48,
    )
    update_school(db, head, data)
    update_school(db, head, data)  # the same again: nothing changed, nothing recorded
    accounts.set_active(db, head, office, False)
    password = accounts.reset_password(db, head, office)
    db.commit()
    (changed,) = events(db, "school.updated")
    assert changed.detail["fields"] == ["first_names_allowed", "retention_hours"]
    assert changed.detail["changes"]["retention_hours"] == [24, 48]
    assert in_category(db, "settings") == {"school.updated"}
    assert {"user.created", "user.disabled", "user.password_reset"} <= in_category(db, "staff")
    assert password not in json.dumps([e.detail for e in db.scalars(select(AuditEvent))])




def test_photo_rows_never_show_who_is_in_them(session: Session, rt: Runtime, outing: Outing) -> None:
    photo = receive(session, rt, outing)
    photos.tag_photo(session, outing.lead, photo.public_id, [outing.sam.id, None], [outing.sam.id], "Sam Lee at the lake")
    session.commit()
    rows = [r for r in iter_rows(session, AuditFilter(), TZ) if r.subject.startswith("photo")]
    assert {r.action for r in rows} == {"photo.received", "photo.tagged"}
    shown = json.dumps([[r.description, r.detail, r.details] for r in rows])
    assert "Sam" not in shown and "Lee" not in shown and "lake" not in shown
