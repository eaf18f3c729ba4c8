"""The tripposter command: create-user, import-roster, seed-demo and the db group."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripposter.models import Channel, ChannelKind, Pupil, Role, Trip, User
from tripposter.services.networks.trip_networks import names, trip_destinations
from tripposter.services.school.demo import DEMO_LOGINS


def test_seed_demo_creates_a_school_with_a_trip_today(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for login in DEMO_LOGINS:
        assert login.email in result.output and login.password in result.output
    pupils = db.scalars(select(Pupil)).all()
    assert len(pupils) == 30
    assert any(p.photo_consent is False for p in pupils) and any(p.photo_consent is None for p in pupils)
    trip = db.scalars(select(Trip)).one()
    assert trip.pupils_without_photo_consent > 0
    assert {u.role for u in db.scalars(select(User))} == set(Role)
    assert "Sign in at http://127.0.0.1:5000 with:" in result.output


def test_seed_demo_prints_where_make_run_serves_the_app(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--url", "http://127.0.0.1:5077"])
    assert result.exit_code == 0, result.output
    assert "Sign in at http://127.0.0.1:5077 with:" in result.output


def test_seed_demo_posts_to_two_destinations_with_no_account_anywhere(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "posts go to the outbox and the practice outbox" in result.output
    (channel,) = db.scalars(select(Channel)).all()
    assert channel.kind is ChannelKind.OUTBOX and channel.active
    assert app.config["TRIPPOSTER_SETTINGS"].practice_outbox_path.is_dir()
    trip = db.scalars(select(Trip)).one()
    found = trip_destinations(db, app.config["TRIPPOSTER_SETTINGS"].publisher, trip)
    assert names(found) == "The outbox and the practice outbox"


def test_seed_demo_never_touches_a_real_school(app: Flask, db: Session) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "already has users" in again.output
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert db.scalar(select(func.count()).select_from(User)) == 3


def test_demo_logins_work(app: Flask) -> None:
    from tests.conftest import AuthActions

    app.test_cli_runner().invoke(args=["seed-demo"])
    for login in DEMO_LOGINS:
        AuthActions(app.test_client()).login(login.email, login.password)


def test_create_user(app: Flask, db: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "Head@School.test", "--name", "Head", "--role", "admin", "--password", "long-password-1"]
    )
    assert result.exit_code == 0, result.output
    user = db.scalars(select(User)).one()
    assert user.email == "head@school.test" and user.role is Role.ADMIN
    weak = app.test_cli_runner().invoke(
        args=["create-user", "--email", "x@y.test", "--name", "X", "--role", "office", "--password", "short"]
    )
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output


def test_import_roster(app: Flask, db: Session, tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    good.write_text("Pupil ID,First name,Last name,Class,Photo consent\n1,Sam,Lee,6A,yes\n2,Ava,Khan,6A,no\n")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-roster", "--dry-run", str(good)])
    assert dry.exit_code == 0 and "2 new" in dry.output and "1 pupils have no photo consent" in dry.output
    assert db.scalar(select(func.count()).select_from(Pupil)) == 0
    assert runner.invoke(args=["import-roster", str(good)]).exit_code == 0
    assert db.scalar(select(func.count()).select_from(Pupil)) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("Pupil ID,First name,Last name,Class,Photo consent\n3,,Ray,6A,yes\n")
    result = runner.invoke(args=["import-roster", str(bad)])
    assert result.exit_code != 0 and "line 2: missing first name" in result.output


def test_db_upgrade_command(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "head" in result.output
