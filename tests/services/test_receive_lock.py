"""Receiving a photo does not hold the database's write lock while the photo is scrubbed.

On SQLite the first INSERT of a request takes the one write lock until the request commits. A
scrub takes seconds (decode, faces), so holding the lock through it stalled every other writer:
20 concurrent 12 MP uploads ran past the 30 s busy timeout and got 500s (benchmarks/load.py).
"""

from __future__ import annotations

from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.lifecycle import Outing
from tests.photos import phone_jpeg
from tripposter.db import make_engine
from tripposter.pipeline.faces import Face
from tripposter.runtime import Runtime
from tripposter.services.posting import photos
from tripposter.services.school.settings import get_school


class WritingDetector:
    """Finds no faces, but first writes to the database from another connection, as a second request would."""

    def __init__(self, url: str) -> None:
        sqlite = url.startswith("sqlite")
        # A short busy timeout: a held lock shows up as an error, not as a wait.
        self.engine = make_engine(url, connect_args={"timeout": 0.5} if sqlite else {})
        self.wrote = False

    def detect(self, image: Image.Image) -> list[Face]:
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE school_settings SET name = name"))
        self.wrote = True
        return []


def test_another_writer_is_not_blocked_while_a_photo_is_scrubbed(session: Session, rt: Runtime, outing: Outing) -> None:
    get_school(session)  # a school's settings row is made on first use; a running school has one
    session.commit()
    detector = WritingDetector(rt.settings.database_url)
    try:
        received = photos.receive_photo(
            session, rt.spool, outing.lead, outing.trip.id, "lock-key-0001", phone_jpeg(),
            now=rt.clock(), limits=rt.limits, detector=detector,
        )
        session.commit()
    finally:
        detector.engine.dispose()
    assert detector.wrote
    assert received.photo.state.value == "ready" and received.photo.spool_name
    photos.cancel_photo(session, rt.spool, outing.lead, received.photo.public_id, rt.clock())
    session.commit()
    assert rt.spool.names() == []
