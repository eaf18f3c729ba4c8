"""A senior leader removes the passkeys of someone whose phone is lost; no one else's are touched."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, Factory
from tripposter.models import AuditEvent, Passkey, Role, User


def _passkey(db: Session, user: User, credential: bytes) -> Passkey:
    passkey = Passkey(user_id=user.id, credential_id=credential, public_key=b"\x01" * 77, name="Phone")
    db.add(passkey)
    db.commit()
    return passkey


def test_senior_leader_removes_a_lost_phones_passkeys(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session
) -> None:
    lost, other = make.user(Role.TRIP_LEAD), make.user(Role.OFFICE)
    _passkey(db, lost, b"lost-1"), _passkey(db, lost, b"lost-2"), _passkey(db, other, b"other-1")
    admin = make.user(Role.ADMIN)
    auth.login(admin)
    page = client.get("/users/").get_data(as_text=True)
    assert page.count("Remove passkeys<span") == 2  # only the two people who hold one
    response = auth.post(f"/users/{lost.id}/remove-passkeys")
    assert response.status_code == 302
    assert "2 passkey(s) removed" in client.get("/users/").get_data(as_text=True)
    db.expire_all()
    owners = list(db.scalars(select(Passkey.user_id)))
    assert owners == [other.id]
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.passkeys_removed")).one()
    assert (event.actor_id, event.subject_id, event.detail["count"]) == (admin.id, str(lost.id), 2)


def test_removing_when_there_are_none_says_so_and_records_nothing(
    auth: AuthActions, client: FlaskClient, make: Factory, db: Session
) -> None:
    user = make.user(Role.TRIP_LEAD)
    auth.login(make.user(Role.ADMIN))
    auth.post(f"/users/{user.id}/remove-passkeys")
    assert "had no passkeys" in client.get("/users/").get_data(as_text=True)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.passkeys_removed")).first() is None


def test_no_one_but_a_senior_leader_can_remove_them(auth: AuthActions, make: Factory, db: Session) -> None:
    lost = make.user(Role.TRIP_LEAD)
    _passkey(db, lost, b"lost-1")
    auth.login(make.user(Role.OFFICE))
    assert auth.post(f"/users/{lost.id}/remove-passkeys").status_code == 403
    db.expire_all()
    assert len(list(db.scalars(select(Passkey)))) == 1
