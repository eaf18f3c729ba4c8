"""Engines, sessions and schema upgrades. Shared by the web app, the job queue and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, create_engine, event, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, sessionmaker

Row = TypeVar("Row")

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web process read while the worker writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def required(session: Session, model: type[Row], key: object, what: str) -> Row:
    """``session.get`` for a row that must be there: its absence is a bug or a race, so raise.

    Raises:
        LookupError: no ``model`` row has ``key`` (``what`` names it in the message).
    """
    row = session.get(model, key)
    if row is None:
        raise LookupError(f"{what} does not exist")
    return row


def compare_and_set(session: Session, row: object, *still: ColumnElement[bool], **values: object) -> bool:
    """Update ``row`` only while ``still`` holds, and say whether it did; ``row`` is refreshed either way.

    One conditional UPDATE, so of two workers (or a worker and a person) acting on the same row at
    once exactly one wins, whatever the database's isolation level.
    """
    state = sa_inspect(row)
    (key,) = state.mapper.primary_key
    changed = session.execute(
        update(state.mapper).where(key == state.identity[0], *still).values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return changed.rowcount == 1


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. For jobs and CLI commands."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Any:
    """The Alembic config for our migrations folder, pointed at ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is ConfigParser-based: a literal % in a URL must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``."""
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
