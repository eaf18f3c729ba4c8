"""The audit log: what it refuses to hold, its catalogue, and its filters, keyset pages and exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Factory
from tripposter.models import AuditEvent, PostState, Role
from tripposter.services.audit import events as audit
from tripposter.services.audit.catalogue import ACTIONS, CATEGORIES, describe, label
from tripposter.services.audit.log import AuditFilter, AuditRow, csv_lines, iter_rows, jsonl_lines, query_page
from tripposter.services.errors import ValidationError
from tripposter.services.people import accounts

TZ = "Europe/London"


# --- what the log may hold --------------------------------------------------------------------------


@pytest.mark.parametrize("detail", [{"caption": "Sam at the lake"}, {"access_token": "t"}, {"first_name": "Sam"},
                                    {"sha": b"\xff\xd8\xff"}])
def test_captions_tokens_names_and_bytes_are_refused(db: Session, detail: dict[str, object]) -> None:
    with pytest.raises(audit.AuditDetailError):
        audit.record(db, None, "photo.received", None, **detail)


def test_every_recorded_action_has_a_description_and_one_category() -> None:
    source = Path(__file__).resolve().parents[2] / "tripposter"
    actions = {f"post.{s.value}" for s in (PostState.EXPIRED, PostState.WITHDRAWN)}  # written as f"post.{state}"
    actions |= {"x.connected", "x.tokens_rotated"}  # chosen into a variable first
    for path in source.rglob("*.py"):
        for call in re.findall(r"audit\.record\(([^)]*)", path.read_text()):
            actions |= set(re.findall(r'"([a-z]+\.[a-z0-9_]+)"', call))
    assert len(actions) > 35
    assert sorted(actions - set(ACTIONS)) == []
    for action in ACTIONS:
        homes = [key for key, c in CATEGORIES.items() if any(action.startswith(p) for p in c.prefixes)]
        assert len(homes) == 1, (action, homes)


def test_an_unknown_action_is_still_shown_by_its_name() -> None:
    assert label("auth.totp_enrolled") == "Auth: totp enrolled"
    assert describe("auth.session_ended", {"sessions": 3}) == "Auth: session ended"


# --- filters, pages and exports ----------------------------------------------------------------------


def _at(session: Session, when: datetime, action: str = "post.queued", actor: object = None, **detail: object) -> AuditEvent:
    event = audit.record(session, actor, action, None, **detail)  # type: ignore[arg-type]
    event.at = when
    session.flush()
    return event


def test_filters_by_day_in_the_schools_zone_category_action_actor_and_trip(db: Session, make: Factory) -> None:
    head = make.user(Role.ADMIN)
    summer = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London (BST)
    late = _at(db, summer, "photo.file_vanished", trip_id=1)
    early = _at(db, summer - timedelta(hours=1), "photo.fileXvanished", actor=head, trip_id=2)
    legacy = AuditEvent(action="trip.created", subject_type="trip", subject_id="2", detail={}, at=summer,
                        trip_id=2)  # an event from before 0004: the migration filled its trip (test_migrations)
    db.add(legacy)
    db.commit()

    def ids(**over: object) -> list[int]:
        over.setdefault("until", date(2025, 7, 31))  # leaves out the head's account, created today
        return [r.id for r in query_page(db, AuditFilter(**over), TZ).rows]  # type: ignore[arg-type]

    assert ids(since=date(2025, 7, 1)) == [legacy.id, late.id]
    assert ids(until=date(2025, 6, 30)) == [early.id]
    assert ids(action="photo.file_") == [late.id]  # "_" is a letter here, not a wildcard
    assert ids(category="deletions") == [late.id]
    assert ids(actor=str(head.id)) == [early.id]
    assert ids(actor="system") == [legacy.id, late.id]
    assert ids(trip_id=2) == [legacy.id, early.id]
    assert ids(trip_id=1, since=date(2025, 7, 2)) == []
    for bad in ({"category": "nope"}, {"actor": "1 OR 1=1"}, {"since": date(2025, 7, 2), "until": date(2025, 7, 1)}):
        with pytest.raises(ValidationError):
            query_page(db, AuditFilter(**bad), TZ)  # type: ignore[arg-type]


def test_pages_are_newest_first_without_gaps_or_repeats(db: Session) -> None:
    same = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    made = [_at(db, same if n < 5 else same + timedelta(minutes=n), trip_id=n).id for n in range(8)]
    db.commit()
    seen, before, pages = [], None, 0
    while True:
        page = query_page(db, AuditFilter(), TZ, before=before, limit=3)
        seen += [r.id for r in page.rows]
        pages += 1
        if page.next_before is None:
            break
        before = page.next_before
    assert pages == 3
    assert seen == made[5:][::-1] + made[:5][::-1]  # by time, ties broken by the newer id


def test_csv_cannot_run_formulas_and_matches_the_rows(db: Session, make: Factory) -> None:
    hostile = ["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)"]
    for n, name in enumerate(hostile):
        user = accounts.create_user(db, None, email=f"h{n}@school.test", display_name=name, role=Role.OFFICE,
                                    password="a-long-enough-password")
        _at(db, datetime(2025, 3, 1, 9, n, tzinfo=UTC), "user.password_changed", actor=user, note=name)
    db.commit()
    text = "".join(csv_lines(iter_rows(db, AuditFilter(action="user.password_changed"), TZ)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Event" and len(rows) == 1 + len(hostile)
    who = [r[3] for r in rows[1:]]
    assert who == ["'" + name for name in reversed(hostile)]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)
    lines = list(jsonl_lines(iter_rows(db, AuditFilter(action="user.password_changed"), TZ)))
    assert [json.loads(line)["id"] for line in lines] == [int(r[0]) for r in rows[1:]]
    assert json.loads(lines[0])["actor"] == hostile[-1]  # JSON keeps the value as it is: no spreadsheet runs it
    now = datetime(2025, 3, 1, tzinfo=UTC)
    for start in ("\t", "\r"):
        row = AuditRow(1, now, now, start + "x", "", "a.b", "A b", "", None, {})
        assert list(csv.reader(io.StringIO("".join(csv_lines(iter([row]))))))[1][3] == "'" + start + "x"


def test_iter_rows_reads_past_one_batch(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from tripposter.services.audit import log as audit_log

    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 4)
    for n in range(10):
        _at(db, datetime(2025, 3, 1, 9, n, tzinfo=UTC))
    db.commit()
    assert len(list(iter_rows(db, AuditFilter(), TZ))) == 10
