"""A partial upload cut off by a server crash is recorded against its trip, never as an orphan with no trip."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions
from tests.lifecycle import Outing, age_spool
from tests.photos import phone_jpeg
from tests.web.probe import multipart
from tripposter.models import DeletionRecord, Fate
from tripposter.runtime import Runtime
from tripposter.services.deletion.destruction import PARTIAL_UPLOAD, reconcile_spool
from tripposter.services.deletion.log import build_log
from tripposter.spool_stream import IncomingFile


def test_an_upload_names_its_trip_while_it_arrives(
    auth: AuthActions, client: FlaskClient, outing: Outing, rt: Runtime, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    opened: list[str] = []
    incoming = rt.spool.incoming

    def spy(trip_id: int | None = None) -> IncomingFile:
        stream = incoming(trip_id)
        opened.append(stream.spool_name)
        return stream

    monkeypatch.setattr(rt.spool, "incoming", spy)
    auth.login(outing.lead)
    csrf = client.get("/api/session").get_json()["csrf_token"]
    body, content_type = multipart(files=[("photo", "IMG_0001.jpg", "image/jpeg", phone_jpeg(seed=3))])
    response = client.post(f"/api/trips/{outing.trip.id}/photos", data=body, content_type=content_type,
                           headers={"Idempotency-Key": uuid.uuid4().hex, "X-CSRFToken": csrf})
    assert response.status_code == 201
    assert len(opened) == 1 and opened[0].endswith(f".t{outing.trip.id}.part")
    assert rt.spool.incoming_trip(opened[0]) == outing.trip.id


def test_a_partial_upload_left_by_a_crash_is_recorded_in_its_trips_log(
    session: Session, outing: Outing, rt: Runtime, auth: AuthActions, client: FlaskClient
) -> None:
    # The server died mid-upload: the encrypted part file stays, its key died with the process.
    cut_off = rt.spool.incoming(outing.trip.id)
    cut_off.write(b"\xff\xd8\xff" + b"\x00" * 70_000)
    cut_off.flush()
    stray = rt.spool.incoming(None)  # a part file from before trips were named: still destroyed
    stray.write(b"x" * 10)
    name, stray_name = cut_off.spool_name, stray.spool_name
    age_spool(rt)
    reconcile_spool(session, rt.spool, rt.clock())
    session.commit()

    assert name not in rt.spool.names() and stray_name not in rt.spool.names()
    records = {r.trip_id: r for r in session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.ORPHAN))}
    assert set(records) == {outing.trip.id, None}
    assert records[outing.trip.id].reason == PARTIAL_UPLOAD and records[outing.trip.id].verified
    log = build_log(session, outing.trip)
    [row] = [r for r in log.rows if r.fate is Fate.ORPHAN]
    assert "a partial upload" in row.fate_text and row.verified
    assert log.received == log.posted + log.not_posted + log.waiting == 1
    session.rollback()  # end the read, so the web request may write
    auth.login(outing.lead)
    assert "a partial upload, cut off before it arrived" in client.get(f"/trips/{outing.trip.id}/log").get_data(as_text=True)
    cut_off.close()
    stray.close()
