"""Importing the consent roster: preview, all-or-nothing, re-import, edits by hand, audit."""

from __future__ import annotations

import html as html_lib
import io
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tripposter.models import AuditEvent, Pupil, Role

GOOD = (
    "UPN,Forename,Surname,Reg Group,Photo Consent,First Name Consent\n"
    "A001,Sam,Lee,6A,Yes,Y\n"
    "A002,Ava,Khan,6A,No,no\n"
    "A003,Theo,Hill,6B,,\n"
    "A004,Mia,O'Neill,6B,granted,refused\n"
)


def _upload(auth: AuthActions, text: str | bytes, name: str = "roster.csv"):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return auth.post(
        "/roster/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _confirm(auth: AuthActions, html: str):  # type: ignore[no-untyped-def]
    match = re.search(r'name="csv_text" type="hidden" value="([^"]*)"', html)
    assert match, "no confirm form on the preview"
    return auth.post("/roster/import/confirm", {"csv_text": html_lib.unescape(match.group(1))})


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Pupil)) or 0


def test_preview_then_import(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    preview = _upload(auth, GOOD).get_data(as_text=True)
    assert "4</strong> new pupils" in preview
    assert "2</strong> without photo consent" in preview  # one "No", one empty answer
    assert _count(db) == 0  # nothing written by the preview
    response = _confirm(auth, preview)
    assert response.status_code == 302
    pupils = {p.external_id: p for p in db.scalars(select(Pupil))}
    assert pupils["A001"].photo_consent is True and pupils["A001"].first_name_consent is True
    assert pupils["A002"].photo_consent is False
    assert pupils["A003"].photo_consent is None and not pupils["A003"].has_photo_consent
    assert pupils["A004"].last_name == "O'Neill" and pupils["A004"].first_name_consent is False


def test_bad_rows_are_named_and_nothing_is_imported(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    bad = GOOD + "A005,,Jones,6A,yes,yes\nA001,Sam,Lee,6A,yes,yes\nA006,Zoe,Ray,6A,maybe,yes\n"
    html = _upload(auth, bad).get_data(as_text=True)
    assert "Line 6: missing first name" in html
    assert "Line 7: pupil id A001 also appears on line 2" in html
    assert "Line 8: photo consent &#34;maybe&#34; is not a yes or a no" in html
    assert 'name="csv_text"' not in html  # no way to confirm a bad file
    # Even a forged confirmation of the bad file writes nothing.
    response = auth.post("/roster/import/confirm", {"csv_text": bad})
    assert response.status_code == 302
    assert _count(db) == 0


def test_missing_columns_are_named(auth: AuthActions, make: Factory) -> None:
    auth.login(make.user(Role.OFFICE))
    html = _upload(auth, "id,name\n1,Sam\n").get_data(as_text=True)
    assert "no column for: first name, last name, photo consent" in html


def test_not_a_csv_gets_a_clear_message(auth: AuthActions, make: Factory) -> None:
    auth.login(make.user(Role.OFFICE))
    html = _upload(auth, b"", "empty.csv").get_data(as_text=True)
    assert "The file is empty" in html


def test_reimport_updates_by_id_without_duplicates_and_audits(auth: AuthActions, make: Factory, db: Session) -> None:
    office = make.user(Role.OFFICE)
    auth.login(office)
    _confirm(auth, _upload(auth, GOOD).get_data(as_text=True))
    changed = GOOD.replace("A001,Sam,Lee,6A,Yes,Y", "A001,Sam,Lee,6B,No,Y")
    preview = _upload(auth, changed).get_data(as_text=True)
    assert "1</strong> pupils with changes" in preview and "class, photo consent" in preview
    _confirm(auth, preview)
    db.expire_all()
    assert _count(db) == 4
    sam = db.scalars(select(Pupil).where(Pupil.external_id == "A001")).one()
    assert sam.photo_consent is False and sam.class_name == "6B"
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "consent.changed", AuditEvent.subject_id == str(sam.id))
    ).all()[-1]
    assert event.actor_id == office.id
    assert event.detail == {"field": "photo_consent", "old": True, "new": False, "source": "import"}


def test_semicolon_cp1252_export_with_bom_variants(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    text = "Admission Number;Legal Forename;Legal Surname;Year Group;Photograph Consent\n7;Zoë;Brontë;5;TRUE\n"
    _confirm(auth, _upload(auth, text.encode("cp1252")).get_data(as_text=True))
    pupil = db.scalars(select(Pupil)).one()
    assert (pupil.first_name, pupil.last_name, pupil.photo_consent) == ("Zoë", "Brontë", True)
    assert pupil.first_name_consent is None


def test_edit_one_pupil_by_hand_is_audited(auth: AuthActions, make: Factory, db: Session, client: FlaskClient) -> None:
    office = make.user(Role.OFFICE)
    pupil = make.pupil(photo=True)
    auth.login(office)
    response = auth.post(f"/roster/{pupil.id}", {"photo_consent": "no", "first_name_consent": "unknown"})
    assert response.status_code == 302
    db.refresh(pupil)
    assert pupil.photo_consent is False and pupil.first_name_consent is None
    details = [e.detail for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "consent.changed"))]
    assert {"field": "photo_consent", "old": True, "new": False, "source": "by hand"} in details
    assert "No record" in client.get("/roster/").get_data(as_text=True)


def test_roster_list_filters_by_class(auth: AuthActions, make: Factory, client: FlaskClient) -> None:
    make.pupil("Ada", "Byron", klass="5B")
    make.pupil("Cy", "Dune", klass="6A")
    auth.login(make.user(Role.OFFICE))
    html = client.get("/roster/?class=5B").get_data(as_text=True)
    assert "Ada Byron" in html and "Cy Dune" not in html

