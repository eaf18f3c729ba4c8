"""Start-up reconciliation: what the existing lifecycle tests leave out (links, half uploads, the wiring)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.lifecycle import Outing, age_spool
from tests.services.test_publishing import receive
from tripposter.jobs import Queue
from tripposter.models import DeletionRecord, Fate, PhotoState
from tripposter.runtime import Runtime
from tripposter.services.deletion.destruction import reconcile_spool
from tripposter.spool import SpoolError


def test_planted_links_and_half_received_uploads_are_removed(session: Session, rt: Runtime, outing: Outing,
                                                            tmp_path: Path) -> None:
    precious = tmp_path / "precious.jpg"
    precious.write_bytes(b"not the spool's to delete")
    os.symlink(precious, rt.spool.root / "0123456789abcdef0123456789abcdef.enc")  # a valid-looking name
    os.symlink(precious, rt.spool.root / "link.jpg")
    half = rt.spool.incoming()  # a crash mid-upload leaves ciphertext whose key died with the process
    half.write(b"x" * 100_000)
    os.link(rt.spool.root / half.spool_name, rt.spool.root / "0123456789abcdef0123456789abcde0.part")
    age_spool(rt)
    report = reconcile_spool(session, rt.spool, rt.clock())
    session.commit()
    assert report.orphans == 4 and precious.read_bytes() == b"not the spool's to delete"
    assert rt.spool.names() == []
    records = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.ORPHAN)).all()
    assert len(records) == 4 and all(r.verified for r in records)
    half.seek(0)  # an upload still arriving in another process reads on through its open file
    assert half.read() == b"x" * 100_000
    half.close()  # the upload's own request ends: destroying what is already gone is not an error
    assert half.destroyed is True


def test_a_planted_link_under_a_known_name_is_not_followed_on_read(session: Session, rt: Runtime, outing: Outing,
                                                                   tmp_path: Path) -> None:
    photo = receive(session, rt, outing)
    assert photo.spool_name is not None and photo.wrapped_key is not None
    moved = tmp_path / "moved.enc"
    os.replace(rt.spool.root / photo.spool_name, moved)
    os.symlink(moved, rt.spool.root / photo.spool_name)
    with pytest.raises(SpoolError):
        rt.spool.read(photo.spool_name, photo.wrapped_key)
    rt.spool.destroy(photo.spool_name)
    assert moved.exists()
    reconcile_spool(session, rt.spool, rt.clock())
    session.commit()
    session.expire_all()
    assert photo.state is PhotoState.DESTROYED  # its file vanished: it can never be posted, and is recorded


def test_the_worker_reconciles_the_spool_before_it_takes_jobs(session: Session, rt: Runtime, outing: Outing,
                                                              queue: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    rt.spool.write(b"bytes nobody recorded")
    age_spool(rt)
    consumed: list[list[str]] = []

    class Consumer:  # stands in for huey's endless loop only; recovery runs for real
        def run(self) -> None:
            consumed.append(rt.spool.names())

    monkeypatch.setattr(queue.huey, "create_consumer", lambda **_kw: Consumer())
    queue.start_worker()
    assert consumed == [[]]
    orphan = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.ORPHAN)).one()
    assert orphan.verified


def test_a_young_unknown_file_may_be_a_live_upload_and_is_left_until_it_is_old(
    session: Session, rt: Runtime, outing: Outing, queue: Queue
) -> None:
    # A web process writes the file a moment before its row commits; a worker starting in that gap
    # must not destroy a teacher's photo as an orphan.
    young = rt.spool.write(b"a photo whose row is about to commit")
    report = reconcile_spool(session, rt.spool, rt.clock())
    session.commit()
    assert report.orphans == 0 and rt.spool.names() == [young.name]
    age_spool(rt, minutes=16)
    queue.tick()  # the worker's every-minute tick reconciles too, so a late orphan still goes
    assert rt.spool.names() == []
    orphan = session.scalars(select(DeletionRecord).where(DeletionRecord.fate == Fate.ORPHAN)).one()
    assert orphan.verified and orphan.reason == "found in the spool with no photo"


def test_finishing_reads_each_photo_as_its_row_is_now(session: Session, rt: Runtime, outing: Outing) -> None:
    """A photo this session saw as "posting" and another process then settled is destroyed with its new fate."""
    from tripposter.models import Photo
    from tripposter.services.deletion.destruction import finish_destructions

    photo = receive(session, rt, outing)
    photo.state = PhotoState.POSTING
    session.commit()
    assert photo.state is PhotoState.POSTING  # loaded in this session's identity map
    with rt.sessions() as other:  # another worker's recovery settles it
        other.get(Photo, photo.id).state = PhotoState.CANCELLED
        other.commit()
    assert finish_destructions(session, rt.spool, rt.clock()) == 1
    session.commit()
    record = session.scalars(select(DeletionRecord).where(DeletionRecord.photo_id == photo.id)).one()
    assert record.fate is Fate.CANCELLED and photo.state is PhotoState.DESTROYED
