"""A fresh PostgreSQL database per test, copied from a template migrated once per run."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tripposter.db import upgrade

# One template per pytest process, so two runs on one server (CI and a developer) never collide.
TEMPLATE = f"tripposter_test_template_{os.getpid()}"


def _admin(url: str):  # type: ignore[no-untyped-def]
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def make_template(url: str) -> str:
    """Create and migrate the template database; return its name."""
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
    engine.dispose()
    upgrade(_with_db(url, TEMPLATE))
    return TEMPLATE


def copy_database(url: str, template: str, name: str) -> str:
    """A new database ``name`` cloned from ``template``; return its URL."""
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine.dispose()
    return _with_db(url, name)


def drop_database(url: str, name: str) -> None:
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
