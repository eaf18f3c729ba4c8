"""One SQLAlchemy session per request, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from ...config import Settings
from ...db import make_engine, make_sessionmaker
from ...jobs import Queue
from ...runtime import Runtime

_KEY = "tripposter.sessionmaker"


def init_database(app: Flask, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    app.extensions[_KEY] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions[_KEY]


def db_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        # Anything not committed by the view is discarded: a failed request changes nothing.
        session.rollback()
        session.close()


def runtime() -> Runtime:
    """The spool, publisher and clock this app was built with."""
    return current_app.extensions["tripposter.runtime"]


def queue() -> Queue:
    return current_app.extensions["tripposter.queue"]
