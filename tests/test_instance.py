"""The instance folder is private: folders 0700, files 0600, whatever the process umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tripposter import create_app
from tripposter.config import Settings
from tripposter.db import make_engine
from tripposter.instance import secure_instance
from tripposter.spool import Spool


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A careless service manager's umask: anything made without an explicit mode is world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_instance_is_private(tmp_path: Path, loose_umask: None) -> None:
    instance = tmp_path / "instance"
    settings = Settings.from_env({}, instance_path=instance)  # generates the keys into the instance folder
    app = create_app(settings)
    with make_engine(settings.database_url).connect() as connection:  # SQLite writes its file and journal
        connection.exec_driver_sql("CREATE TABLE t (x)")
        connection.commit()
    stored = Spool(settings.spool_path, settings.spool_key.encode()).write(b"photo bytes")
    assert app is not None and mode(instance) == 0o700
    files = [p for p in instance.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"tripposter.sqlite3", "queue.sqlite3", "secret_key", "spool_key", "token_key"}
    assert stored.name in {p.name for p in files}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert all(mode(p) == 0o700 for p in instance.rglob("*") if p.is_dir())


def test_an_old_world_readable_instance_is_tightened_at_start(tmp_path: Path, loose_umask: None) -> None:
    instance = tmp_path / "instance"
    (instance / "spool").mkdir(parents=True, mode=0o755)
    os.chmod(instance, 0o755)
    database = instance / "tripposter.sqlite3"
    database.write_bytes(b"")
    (instance / "queue.sqlite3-wal").write_bytes(b"")
    os.chmod(database, 0o644)
    settings = Settings.from_env({}, instance_path=instance)
    secure_instance(settings)
    assert (mode(instance), mode(instance / "spool")) == (0o700, 0o700)
    assert mode(database) == 0o600 and mode(instance / "queue.sqlite3-wal") == 0o600
