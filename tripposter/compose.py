"""Put a process together: the runtime with the school's real publisher, and the job queue on it.

The one place that picks the concrete parts. It stands above the services, so ``runtime.py`` can
stay below them and receive its publisher factory; the web app and the worker are built through it
the same way, and the worker never needs the web app to start.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .db import make_engine, make_sessionmaker
from .jobs import Queue
from .runtime import Runtime
from .services.networks.x_account import publisher_for
from .spool import Spool


def build_runtime(settings: Settings, sessions: sessionmaker[Session] | None = None) -> Runtime:
    """The runtime for ``settings``: the web app and the worker each build one at start-up."""
    return Runtime(
        settings=settings,
        sessions=sessions or make_sessionmaker(make_engine(settings.database_url)),
        spool=Spool(settings.spool_path, settings.spool_key.encode()),
        publisher_for=partial(publisher_for, settings=settings),
    )


def build_queue(settings: Settings, sessions: sessionmaker[Session] | None = None) -> Queue:
    """The job queue on a fresh runtime; ``queue.runtime`` is that runtime."""
    return Queue(build_runtime(settings, sessions))
