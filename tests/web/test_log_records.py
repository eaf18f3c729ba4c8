"""Records that stay true, through the real HTTP endpoints: a frozen sign-off with its checksum, each staff
member's own attestation, a disabled author's held post, and the outbox's retention."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.lifecycle import Clock, Outing
from tests.services.test_deletion_log import add_every_fate, ended_trip
from tests.services.test_publishing import queue_post, receive
from tests.web.test_logs import pdf_text
from tripposter.jobs import Queue
from tripposter.models import AuditEvent, DeletionRecord, Fate, Post, PostState, Role, TripLog
from tripposter.publishers.base import Attempt
from tripposter.publishers.outbox import OutboxPublisher
from tripposter.runtime import Runtime
from tripposter.services.posting.publishing import publish_post

TICK = {"confirm": "y"}


def _as(auth: AuthActions, user) -> None:  # type: ignore[no-untyped-def]
    """Sign in as ``user`` from a fresh browser (the last user's session simply goes unused)."""
    auth.client._cookies.clear()
    auth.login(user)


def _trip_form(trip, **over: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "name": trip.name, "destination": trip.destination, "start_date": trip.start_date.isoformat(),
        "end_date": trip.end_date.isoformat(), "lead_id": str(trip.lead_id),
        "pupil_ids": [str(p.id) for p in trip.pupils], "hashtags": "", "posting_start": "", "posting_end": "",
    }
    data.update(over)
    return data


def test_a_signed_off_log_is_frozen_and_later_edits_appear_beside_it(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead, head, office, newcomer = (make.user(r) for r in (Role.TRIP_LEAD, Role.ADMIN, Role.OFFICE, Role.TRIP_LEAD))
    trip = ended_trip(make, lead)
    add_every_fate(db, trip, lead)
    _as(auth, lead)
    assert auth.post(f"/trips/{trip.id}/log/attest", TICK).status_code == 302
    _as(auth, head)

    unticked = auth.post(f"/trips/{trip.id}/log/sign-off", {}).get_data(as_text=True)
    db.expire_all()
    assert "Tick the box to confirm that you have checked this log" in unticked
    assert db.get(TripLog, trip.id) is None or db.get(TripLog, trip.id).signed_at is None  # the tick is enforced
    signed = auth.post(f"/trips/{trip.id}/log/sign-off", TICK, follow_redirects=True).get_data(as_text=True)
    assert "The log as signed" in signed and "None: the trip and its records are as they were" in signed
    csv_signed = client.get(f"/trips/{trip.id}/log.csv").get_data(as_text=True)

    _as(auth, office)  # the office edits the trip afterwards: a new destination and a new lead
    edited = auth.post(f"/trips/{trip.id}/edit", _trip_form(trip, destination="Science Museum", lead_id=str(newcomer.id)))
    assert edited.status_code == 302
    page = client.get(f"/trips/{trip.id}/log").get_data(as_text=True)
    csv_now = client.get(f"/trips/{trip.id}/log.csv").get_data(as_text=True)
    pdf = pdf_text(client.get(f"/trips/{trip.id}/log.pdf").get_data())

    frozen_part = page.split("Edits after sign-off")[0]
    assert "<dt>Destination</dt><dd>Outdoor centre</dd>" in frozen_part and "Science Museum" not in frozen_part
    assert f"<dt>Lead teacher</dt><dd>{lead.display_name}</dd>" in frozen_part
    assert "Destination: now \u201cScience Museum\u201d (signed as \u201cOutdoor centre\u201d)" in page
    assert f"Lead teacher: now \u201c{newcomer.display_name}\u201d" in page
    # The CSV's signed part is byte for byte what it was; only the edits and the print time follow it.
    head_rows = [line for line in csv_signed.splitlines() if not line.startswith(("Edits after", "Generated"))]
    assert head_rows == [line for line in csv_now.splitlines() if not line.startswith(("Edits after", "Generated"))]
    assert "Destination,Outdoor centre" in csv_now and "Science Museum" in csv_now.split("Edits after sign-off")[1]
    assert "Outdoor centre" in pdf and "Edits after sign-off" in pdf

    db.expire_all()
    entry = db.get(TripLog, trip.id)
    assert entry is not None and entry.snapshot is not None
    assert entry.snapshot_sha256 == hashlib.sha256(entry.snapshot.encode()).hexdigest()
    assert entry.snapshot == json.dumps(json.loads(entry.snapshot), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert f"{entry.snapshot_sha256} (matches)" in csv_now
    entry.snapshot = entry.snapshot.replace("Outdoor centre", "Somewhere else")  # someone alters the stored log
    db.commit()
    assert "Does not match" in client.get(f"/trips/{trip.id}/log").get_data(as_text=True)


def test_each_staff_member_attests_for_their_own_phone_and_sign_off_needs_the_lead(
    db: Session, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    lead, helper, head = make.user(Role.TRIP_LEAD), make.user(Role.TRIP_LEAD), make.user(Role.ADMIN)
    trip = ended_trip(make, lead)
    trip.staff = [helper]
    db.commit()
    _as(auth, helper)
    assert auth.post(f"/trips/{trip.id}/log/attest", TICK).status_code == 302
    _as(auth, head)

    page = client.get(f"/trips/{trip.id}/log").get_data(as_text=True)
    refused = auth.post(f"/trips/{trip.id}/log/sign-off", TICK, follow_redirects=True).get_data(as_text=True)

    assert f"{lead.display_name} (lead teacher)</strong>: <span class=\"badge no\">Not yet</span>" in page
    assert f"{helper.display_name}</strong>: <span class=\"badge yes\">Confirmed</span>" in page
    assert f"The lead teacher, {lead.display_name}, has not yet confirmed" in refused
    db.expire_all()
    assert db.get(TripLog, trip.id) is None
    _as(auth, lead)
    assert auth.post(f"/trips/{trip.id}/log/attest", TICK).status_code == 302
    _as(auth, head)
    signed = auth.post(f"/trips/{trip.id}/log/sign-off", TICK, follow_redirects=True).get_data(as_text=True)
    assert f"Signed off by {head.display_name}" in signed and "2 of 2 staff have confirmed" in signed


def test_a_disabled_authors_queued_post_is_held_for_a_senior_leader(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, make: Factory, auth: AuthActions, client: FlaskClient
) -> None:
    head = make.user(Role.ADMIN)
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    _as(auth, head)
    assert auth.post(f"/users/{outing.lead.id}/active").status_code == 302  # step 2 of the lost-phone procedure

    assert publish_post(rt, post.id) == "held"
    session.expire_all()
    assert post.state is PostState.HELD and OutboxPublisher(rt.settings.outbox_path).list_posts() == []
    assert rt.spool.names() != []  # the photo waits, encrypted, for the decision
    queue.tick()
    queue.drain()
    session.expire_all()
    assert post.state is PostState.HELD  # recovery never sends or settles it by itself
    page = client.get("/post/decisions").get_data(as_text=True)
    assert post.public_id in page and "disabled or removed" in page and 'value="posted"' not in page
    refused = auth.post(f"/post/decisions/{post.public_id}", {"decision": "posted"}, follow_redirects=True)
    assert "it cannot have been posted" in refused.get_data(as_text=True)
    assert auth.post(f"/post/decisions/{post.public_id}", {"decision": "resend"}).status_code == 302
    queue.drain()
    session.expire_all()
    assert post.state is PostState.PUBLISHED and post.released_by == head.id
    assert rt.spool.names() == []


def test_outbox_copies_are_kept_for_the_set_time_then_destroyed_and_recorded(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, clock: Clock, make: Factory, auth: AuthActions,
    client: FlaskClient,
) -> None:
    office = make.user(Role.OFFICE)
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    assert publish_post(rt, post.id) == "published"
    session.expire_all()
    outbox = OutboxPublisher(rt.settings.outbox_path)
    # A second post's writer was killed before its rename: its unfinished folder names its attempt.
    other = queue_post(session, rt, outing, receive(session, rt, outing, key="photo-key-0002"), key="post-key-0002")
    other.state, other.attempt_id, other.attempt_started_at = PostState.UNKNOWN, "c" * 32, clock()
    session.commit()
    leftover = rt.settings.outbox_path / f".tmp-{'c' * 32}-0123456789abcdef"
    leftover.mkdir()
    (leftover / "0.jpg").write_bytes(b"\xff\xd8\xff half a photo")
    _as(auth, office)
    image = client.get(f"/outbox/{post.remote_id}/0.jpg")
    assert image.status_code == 200
    image.close()
    kept = client.get(f"/trips/{outing.trip.id}/log").get_data(as_text=True)
    assert "the outbox keeps the posted copy until" in kept and "posted copies still in the outbox" in kept

    queue.tick()  # recovery: the leftover goes at once, and the log says so against its trip
    assert not leftover.exists()
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.LEFTOVER)).one()
    assert (record.trip_id, record.copies, record.verified) == (outing.trip.id, 1, True)
    assert client.get(f"/outbox/{post.remote_id}").status_code == 200  # not yet seven days

    clock.now += timedelta(days=rt.settings.outbox_retention_days, minutes=1)
    queue.tick()
    session.expire_all()
    _as(auth, office)  # a week later: a new session
    assert client.get(f"/outbox/{post.remote_id}").status_code == 404
    assert client.get(f"/outbox/{post.remote_id}/0.jpg").status_code == 404
    assert not (rt.settings.outbox_path / str(post.remote_id)).exists() and outbox.list_posts() == []
    assert post.outbox_destroyed_at == clock.now
    log = client.get(f"/trips/{outing.trip.id}/log").get_data(as_text=True)
    assert "outbox copy destroyed" in log and "an unfinished copy in the outbox" in log
    assert "the outbox keeps the posted copy" not in log
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.destroyed")).one()


def test_an_outbox_post_no_published_post_owns_is_destroyed_after_the_set_time(
    session: Session, rt: Runtime, outing: Outing, queue: Queue, clock: Clock
) -> None:
    outbox = OutboxPublisher(rt.settings.outbox_path)
    post = queue_post(session, rt, outing, receive(session, rt, outing))
    post.attempt_id = "d" * 32
    session.commit()
    image = receive(session, rt, outing, key="photo-key-0003")
    stray = outbox.publish(_tiny_post(Attempt("d" * 32, clock(), 1)))
    queue.tick()
    assert outbox.get(stray.remote_id)  # young: recovery may still find it for its attempt
    clock.now += timedelta(days=rt.settings.outbox_retention_days + 1)
    queue.tick()
    assert outbox.list_posts() == []
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.LEFTOVER)).one()
    assert record.trip_id == outing.trip.id and record.copies == 2 and record.verified
    del image


def _tiny_post(attempt: Attempt):  # type: ignore[no-untyped-def]
    from tests.publishers.conftest import make_jpeg
    from tripposter.publishers.base import Post as Outgoing
    from tripposter.publishers.base import PostImage

    return Outgoing(text="#Year6", images=(PostImage(make_jpeg(20, 20, seed=1), "A photo"),), attempt=attempt)


def test_the_retention_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from tripposter.config import Settings, SettingsError

    env = {"TRIPPOSTER_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(env).outbox_retention_days == 7
    assert Settings.from_env({**env, "TRIPPOSTER_OUTBOX_RETENTION_DAYS": "2"}).outbox_retention_days == 2
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError):
            Settings.from_env({**env, "TRIPPOSTER_OUTBOX_RETENTION_DAYS": bad})
    assert Post  # the model the retention is recorded on
