"""The instance folder is private: the folder and its sub-folders 0700, every file in it 0600.

It holds the SQLite database, the job queue, the generated keys, the spool, the outbox and the practice
outbox. The
SQLite files are created here, empty and 0600, before SQLite opens them: SQLite gives its journal
and WAL files the mode of the database file, so they are private too. Files from an older install
that were world-readable are tightened at every start.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import Settings

FOLDERS = ("spool", "outbox", "practice-outbox")
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_files(settings: Settings) -> list[Path]:
    """The SQLite files this instance uses: the database (when SQLite) and the job queue."""
    files = []
    if settings.database_url.startswith("sqlite:///"):
        files.append(Path(settings.database_url.removeprefix("sqlite:///")))
    if not settings.queue_url:
        files.append(settings.instance_path / "queue.sqlite3")
    return files


def secure_instance(settings: Settings) -> None:
    """Create the instance folder private, and make whatever is already in it private."""
    root = settings.instance_path
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    for name in FOLDERS:
        if (root / name).is_dir():
            os.chmod(root / name, 0o700)
    for path in sqlite_files(settings):
        if path.parent != root and not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in root.iterdir():
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o600)
