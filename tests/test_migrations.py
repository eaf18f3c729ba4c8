"""Migrations are code: head matches the models, and every revision goes up and down."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests import pg
from tests.conftest import PG_URL
from tripposter.db import alembic_config, make_engine, upgrade
from tripposter.models import Base


def test_head_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    _assert_matches(url)


@pytest.mark.skipif(not PG_URL, reason="runs in the PostgreSQL pass of .ci/run")
def test_head_matches_the_models_on_postgresql() -> None:
    name = "tripposter_migration_check"
    pg.drop_database(PG_URL, name)
    url = pg.copy_database(PG_URL, "template0", name)
    try:
        upgrade(url)
        _assert_matches(url)
        command.downgrade(alembic_config(url), "base")
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
