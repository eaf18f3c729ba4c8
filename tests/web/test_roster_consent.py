"""Issue 10: a roster import that cannot turn a "no" into a "yes", through the real pages as office staff."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tests.web.test_roster import GOOD, _confirm, _count, _upload
from tripposter.models import Pupil, Role


HEADER = "UPN,Forename,Surname,Reg Group"


def _refused_without_a_trace(auth: AuthActions, db: Session, text: str) -> str:
    """Upload ``text``: the preview has no way to confirm, and a forged confirmation writes nothing."""
    before = {p.external_id: (p.photo_consent, p.first_name_consent) for p in db.scalars(select(Pupil))}
    html = _upload(auth, text).get_data(as_text=True)
    assert 'name="csv_text"' not in html and "Import " not in html.split("<h1>", 1)[1]
    response = auth.post("/roster/import/confirm", {"csv_text": text})
    assert response.status_code == 302
    db.expire_all()
    assert {p.external_id: (p.photo_consent, p.first_name_consent) for p in db.scalars(select(Pupil))} == before
    return html


def test_an_unknown_consent_column_saying_no_is_an_error_not_dropped(
    auth: AuthActions, make: Factory, db: Session
) -> None:
    make.pupil("Sam", "Lee", photo=None).external_id = "A001"
    db.commit()
    auth.login(make.user(Role.OFFICE))
    html = _refused_without_a_trace(
        auth, db, f"{HEADER},Photo Consent,Social Media Consent\nA001,Sam,Lee,6A,Yes,No\n"
    )
    assert "Column F &#34;Social Media Consent&#34; looks like a consent" in html
    assert "rename it &#34;Photo consent&#34;" in html and "delete the column" in html


@pytest.mark.parametrize(
    "header",
    ["Website consent", "Internet permission", "Media release", "Photo opt-out"],
)
def test_other_consent_like_columns_are_errors(auth: AuthActions, make: Factory, db: Session, header: str) -> None:
    auth.login(make.user(Role.OFFICE))
    html = _refused_without_a_trace(auth, db, f"{HEADER},Photo Consent,{header}\nA001,Sam,Lee,6A,Yes,No\n")
    assert f"Column F &#34;{header}&#34; looks like a consent" in html
    assert _count(db) == 0


@pytest.mark.parametrize("first, second", [("Media Consent", "Photographs"), ("Photo Consent", "Photograph Consent")])
def test_two_photo_consent_columns_are_refused_naming_both(
    auth: AuthActions, make: Factory, db: Session, first: str, second: str
) -> None:
    auth.login(make.user(Role.OFFICE))
    html = _refused_without_a_trace(auth, db, f"{HEADER},{first},{second}\nA001,Sam,Lee,6A,No,Yes\n")
    assert f"column E &#34;{first}&#34; and column F &#34;{second}&#34;" in html
    assert "2 photo consent columns" in html
    assert _count(db) == 0


def test_two_first_name_consent_columns_are_refused(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    html = _refused_without_a_trace(
        auth, db, f"{HEADER},Photo Consent,First name consent,Forename consent\nA001,Sam,Lee,6A,No,No,Yes\n"
    )
    assert "column F &#34;First name consent&#34; and column G &#34;Forename consent&#34;" in html


@pytest.mark.parametrize("value", ["X", "ok", "agreed", "✓", "maybe", "yes?"])
def test_a_mark_or_a_loose_word_is_an_error_naming_the_cell(
    auth: AuthActions, make: Factory, db: Session, value: str
) -> None:
    auth.login(make.user(Role.OFFICE))
    html = _refused_without_a_trace(
        auth, db, f"{HEADER},Photo Consent\nA001,Sam,Lee,6A,yes\nA002,Ava,Khan,6A,{value}\n"
    )
    escaped = value.replace('"', "&#34;")
    assert f"Line 3: photo consent &#34;{escaped}&#34; is not a yes or a no" in html
    assert "cell E3, column &#34;Photo Consent&#34;" in html and "Write yes or no" in html
    assert _count(db) == 0


def test_preview_lists_every_consent_change_with_refusals_first(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    _confirm(auth, _upload(auth, GOOD).get_data(as_text=True))
    # Sam yes → no, Ava no → yes, Theo no record → no, Mia first name no → yes; a new pupil without consent.
    changed = (
        "UPN,Forename,Surname,Reg Group,Photo Consent,First Name Consent\n"
        "A001,Sam,Lee,6A,No,Y\nA002,Ava,Khan,6A,Yes,no\nA003,Theo,Hill,6B,no,\n"
        "A004,Mia,O'Neill,6B,granted,yes\nA005,Zoe,Ray,5B,,\n"
    )
    html = _upload(auth, changed).get_data(as_text=True)
    rows = re.findall(r'<tr class="(refusal|grant)">(.*?)</tr>', html, re.S)
    text = [(kind, re.sub(r"<[^>]+>|\s+", " ", cells).split()) for kind, cells in rows]
    changes = [(kind, " ".join(words)) for kind, words in text[:4]]
    assert changes[:2] == [
        ("refusal", "Sam Lee (A001) photo consent Yes → No Refusal"),
        ("refusal", "Theo Hill (A003) photo consent No record → No Refusal"),
    ]
    assert set(changes[2:]) == {
        ("grant", "Ava Khan (A002) photo consent No → Yes"),
        ("grant", "Mia O&#39;Neill (A004) first-name consent No → Yes"),
    }
    assert (("refusal", "Zoe Ray (A005) 5B No record No record")) == (text[4][0], " ".join(text[4][1]))
    assert "<strong>2</strong> consents becoming no or no record" in html
    db.expire_all()
    assert db.scalars(select(Pupil).where(Pupil.external_id == "A001")).one().photo_consent is True


def test_every_refusal_is_listed_however_many(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    head = "UPN,Forename,Surname,Photo Consent\n"
    yes = head + "".join(f"P{i},Kid{i},Fam{i},yes\n" for i in range(300))
    _confirm(auth, _upload(auth, yes).get_data(as_text=True))
    html = _upload(auth, yes.replace(",yes\n", ",no\n")).get_data(as_text=True)
    assert html.count('<tr class="refusal">') == 300 and "Kid299 Fam299 (P299)" in html


def test_a_confirm_after_the_roster_changed_is_refused(auth: AuthActions, make: Factory, db: Session) -> None:
    auth.login(make.user(Role.OFFICE))
    _confirm(auth, _upload(auth, GOOD).get_data(as_text=True))
    preview = _upload(auth, GOOD.replace("A002,Ava,Khan,6A,No", "A002,Ava,Khan,6A,Yes")).get_data(as_text=True)
    ava = db.scalars(select(Pupil).where(Pupil.external_id == "A002")).one()
    # Meanwhile someone records by hand that Ava's parents refused first names too.
    auth.post(f"/roster/{ava.id}", {"photo_consent": "no", "first_name_consent": "yes"})
    plan = re.search(r'name="plan" value="([0-9a-f]+)"', preview)
    text = re.search(r'name="csv_text" type="hidden" value="([^"]*)"', preview)
    assert plan and text
    response = auth.post(
        "/roster/import/confirm", {"csv_text": html_lib.unescape(text.group(1)), "plan": plan.group(1)}
    )
    assert response.status_code == 302
    assert "roster changed after you checked" in auth.client.get("/roster/import").get_data(as_text=True)
    db.expire_all()
    assert (ava.photo_consent, ava.first_name_consent) == (False, True)


def test_the_import_page_lists_the_accepted_headers_and_answers(auth: AuthActions, make: Factory) -> None:
    auth.login(make.user(Role.OFFICE))
    html = auth.client.get("/roster/import").get_data(as_text=True)
    assert "Media consent" in html and "First name consent" in html
    assert "yes, y, true, 1, given, granted, consented, consent given" in html
    assert "no, n, false, 0, refused" in html and "Social Media Consent" in html
