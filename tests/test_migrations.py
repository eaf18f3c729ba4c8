"""Migrations are code: head matches the models, and every revision goes up and down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests import pg
from tests.conftest import PG_URL
from tripposter.db import alembic_config, make_engine, upgrade
from tripposter.models import Base


def test_head_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    _assert_matches(url)


@pytest.mark.scaled_out
@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_head_matches_the_models_on_postgresql() -> None:
    with _scratch_postgresql("tripposter_migration_check") as url:
        upgrade(url)
        _assert_matches(url)
        command.downgrade(alembic_config(url), "base")


@contextmanager
def _scratch_postgresql(name: str) -> Iterator[str]:
    """An empty PostgreSQL database, dropped afterwards whatever happens."""
    pg.drop_database(PG_URL, name)
    try:
        yield pg.copy_database(PG_URL, "template0", name)
    finally:
        pg.drop_database(PG_URL, name)


def _assert_matches(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_every_revision_upgrades_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    cfg = alembic_config(url)
    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads"))
    assert revisions, "no migrations found"
    for rev in reversed(revisions):
        command.upgrade(cfg, rev.revision)
    for rev in revisions:
        command.downgrade(cfg, rev.down_revision or "base")
    command.upgrade(cfg, "head")


def test_single_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1


def _events_after_0004(url: str) -> dict[str, int | None]:
    """Audit events written before 0004 (a trip's own, one about a photo, one about nothing), after 0004."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_event (at, action, subject_type, subject_id, detail) VALUES "
            "('2026-11-01 09:00:00+00:00', 'trip.created', 'trip', '7', '{\"trip_id\": 7}'), "
            "('2026-11-01 09:01:00+00:00', 'photo.received', 'photo', '3', '{\"trip_id\": 7, \"size\": 10}'), "
            "('2026-11-01 09:02:00+00:00', 'auth.login', 'user', '1', '{}')"
        ))
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT action, trip_id FROM audit_event")).all())
    engine.dispose()
    return found


def test_0004_fills_the_trip_of_existing_audit_events(tmp_path: Path) -> None:
    found = _events_after_0004(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert found == {"trip.created": 7, "photo.received": 7, "auth.login": None}


@pytest.mark.scaled_out
@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_0004_fills_the_trip_of_existing_audit_events_on_postgresql() -> None:
    with _scratch_postgresql("tripposter_migration_0004") as url:
        assert _events_after_0004(url) == {"trip.created": 7, "photo.received": 7, "auth.login": None}


def _channel_rows(url: str) -> None:
    """0010: one active channel per network (disconnected rows may pile up); down removes the table."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0010")
    engine = make_engine(url)
    insert = text(
        "INSERT INTO channel (kind, display_name, settings, last_test_message, paused_reason, active, updated_at) "
        "VALUES (:kind, '', '{}', '', '', :active, '2026-11-30 03:00:00+00:00')"
    )
    with engine.begin() as conn:
        for kind, active in (("bluesky", True), ("bluesky", False), ("bluesky", False), ("mastodon", True)):
            conn.execute(insert, {"kind": kind, "active": active})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"kind": "bluesky", "active": True})
    command.downgrade(cfg, "0009")
    with engine.connect() as conn:
        assert "channel" not in sa_inspect(conn).get_table_names()
    engine.dispose()
    command.upgrade(cfg, "head")


def test_0010_allows_one_active_channel_per_network_and_goes_down(tmp_path: Path) -> None:
    _channel_rows(f"sqlite:///{tmp_path / 'db.sqlite3'}")


@pytest.mark.scaled_out
@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_0010_allows_one_active_channel_per_network_and_goes_down_on_postgresql() -> None:
    with _scratch_postgresql("tripposter_migration_0010") as url:
        _channel_rows(url)


def _publication_table(url: str) -> None:
    """0011: one publication per post and channel; down removes the table, up brings it back."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0011")
    engine = make_engine(url)
    with engine.connect() as conn:
        unique = sa_inspect(conn).get_unique_constraints("publication")
    assert [u["column_names"] for u in unique] == [["post_id", "channel_id"]]
    command.downgrade(cfg, "0010")
    with engine.connect() as conn:
        assert "publication" not in sa_inspect(conn).get_table_names()
    engine.dispose()
    command.upgrade(cfg, "head")


def test_0011_adds_one_publication_per_post_and_channel_and_goes_down(tmp_path: Path) -> None:
    _publication_table(f"sqlite:///{tmp_path / 'db.sqlite3'}")


@pytest.mark.scaled_out
@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_0011_adds_one_publication_per_post_and_channel_and_goes_down_on_postgresql() -> None:
    with _scratch_postgresql("tripposter_migration_0011") as url:
        _publication_table(url)


def _publication_decisions(url: str) -> None:
    """0012: a publication can wait for, and record, a senior leader's decision; down drops the columns."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0011")
    engine = make_engine(url)
    command.upgrade(cfg, "0012")
    with engine.connect() as conn:
        columns = {c["name"]: c for c in sa_inspect(conn).get_columns("publication")}
    assert {"needs_decision_at", "decision", "decided_by", "decided_at"} <= set(columns)
    assert not columns["decision"]["nullable"] and columns["decided_by"]["nullable"]
    command.downgrade(cfg, "0011")
    with engine.connect() as conn:
        assert "decision" not in {c["name"] for c in sa_inspect(conn).get_columns("publication")}
    engine.dispose()
    command.upgrade(cfg, "head")


def test_0012_adds_publication_decisions_and_goes_down(tmp_path: Path) -> None:
    _publication_decisions(f"sqlite:///{tmp_path / 'db.sqlite3'}")


@pytest.mark.scaled_out
@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_0012_adds_publication_decisions_and_goes_down_on_postgresql() -> None:
    with _scratch_postgresql("tripposter_migration_0012") as url:
        _publication_decisions(url)


def _trip_networks(url: str) -> None:
    """0013: trips before it post everywhere (NULL) and posts to the main destination (''); down drops both."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0012")
    engine = make_engine(url)
    command.upgrade(cfg, "0013")
    with engine.connect() as conn:
        trip = {c["name"]: c for c in sa_inspect(conn).get_columns("trip")}
        post = {c["name"]: c for c in sa_inspect(conn).get_columns("post")}
    assert trip["networks"]["nullable"] and not post["main_skipped"]["nullable"]
    command.downgrade(cfg, "0012")
    with engine.connect() as conn:
        assert "networks" not in {c["name"] for c in sa_inspect(conn).get_columns("trip")}
        assert "main_skipped" not in {c["name"] for c in sa_inspect(conn).get_columns("post")}
    engine.dispose()
    command.upgrade(cfg, "head")


def test_0013_adds_trip_networks_and_goes_down(tmp_path: Path) -> None:
    _trip_networks(f"sqlite:///{tmp_path / 'db.sqlite3'}")


@pytest.mark.scaled_out
@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_0013_adds_trip_networks_and_goes_down_on_postgresql() -> None:
    with _scratch_postgresql("tripposter_migration_0013") as url:
        _trip_networks(url)
