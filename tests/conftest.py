"""The fixture chain: settings(tmp_path) → app → client, plus factories and signed-in helpers."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import pg
from tripposter import create_app
from tripposter.cli import register_commands
from tripposter.config import Settings
from tripposter.db import upgrade
from tripposter.models import Pupil, Role, Trip, User
from tripposter.services.people.accounts import create_user
from tripposter.web.core.database import session_factory

pytest_plugins = ["tests.lifecycle"]

PASSWORD = "correct-horse-battery"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


# The scaled-out run (.ci/run's second pass) points these at PostgreSQL and Redis.
PG_URL = os.environ.get("TRIPPOSTER_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TRIPPOSTER_TEST_REDIS_URL", "")


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database upgraded to head once per run; each test gets its own copy of it."""
    if PG_URL:
        template = pg.make_template(PG_URL)
        yield template
        pg.drop_database(PG_URL, template)
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    yield str(path)


# Every spool a test made: the last test of the run checks they are all empty.
SPOOLS: list[Path] = []
LAST = "test_every_spool_is_empty_after_the_suite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        # The scaled-out pass re-runs only what can differ there: tests that use the test database
        # (through the migrated_db fixture) or that reach PostgreSQL or Redis themselves (marked).
        # The rest (image pipeline, name guard, static checks) ran unchanged in the first pass.
        keep = [i for i in items if "migrated_db" in i.fixturenames or i.get_closest_marker("scaled_out")]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    items.sort(key=lambda item: item.name == LAST)


def fresh_settings(instance: Path, migrated_db: str) -> Settings:
    """Settings for a new instance folder with its own copy of the migrated database and namespace."""
    instance.mkdir()
    SPOOLS.append(instance / "spool")
    namespace = "t" + uuid.uuid4().hex[:12]
    if PG_URL:
        url = pg.copy_database(PG_URL, migrated_db, namespace)
    else:
        shutil.copy(migrated_db, instance / "tripposter.sqlite3")
        url = f"sqlite:///{instance / 'tripposter.sqlite3'}"
    return Settings(
        instance_path=instance,
        secret_key="test-secret-key-not-for-production",
        database_url=url,
        spool_key=Fernet.generate_key().decode(),
        token_key=Fernet.generate_key().decode(),
        queue_url=REDIS_URL,
        ratelimit_storage_uri=REDIS_URL or "memory://",
        namespace=namespace,
        testing=True,
    )


def drop_fresh_database(settings: Settings) -> None:
    if PG_URL:
        pg.drop_database(PG_URL, settings.namespace)


@pytest.fixture
def settings(tmp_path: Path, migrated_db: str) -> Iterator[Settings]:
    made = fresh_settings(tmp_path / "instance", migrated_db)
    yield made
    drop_fresh_database(made)


@pytest.fixture
def app_factory() -> Iterator[Callable[[Settings], Flask]]:
    """Make apps for a test; each is closed when the test ends."""
    made: list[Flask] = []

    def build(settings: Settings) -> Flask:
        try:
            made.append(create_app(settings))
        except SystemError as exc:
            # CPython 3.11.7 (this machine's and CI's Python) can raise this while Werkzeug compiles
            # its URL rules with ``ast`` (gh-106905, fixed in 3.11.8): the interpreter's fault, not
            # the app's. Seen once in a few thousand app builds; building again succeeds.
            if "AST constructor recursion depth mismatch" not in str(exc):
                raise
            made.append(create_app(settings))
        register_commands(made[-1])  # as the tripposter command offers them, for app.test_cli_runner()
        return made[-1]

    yield build
    for app in made:
        # Close the pool before the test's database is dropped (PostgreSQL) or its folder removed.
        session_factory(app).kw["bind"].dispose()
        if REDIS_URL:
            app.extensions["tripposter.queue"].huey.storage.flush_all()
            app.extensions["tripposter.queue"].huey.storage.pool.disconnect()


@pytest.fixture
def app(settings: Settings, app_factory: Callable[[Settings], Flask]) -> Flask:
    return app_factory(settings)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session outside any request, for arranging data and checking results."""
    with session_factory(app)() as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Factory:
    """Builds users, pupils and trips straight into the database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = 0

    def user(self, role: Role = Role.OFFICE, *, email: str | None = None, password: str = PASSWORD) -> User:
        self._n += 1
        user = create_user(
            self.session,
            None,
            email=email or f"{role.value}{self._n}@school.test",
            display_name=f"{role.label} {self._n}",
            role=role,
            password=password,
        )
        self.session.commit()
        return user

    def pupil(self, first: str = "Sam", last: str = "Lee", *, photo: bool | None = True, klass: str = "6A") -> Pupil:
        self._n += 1
        pupil = Pupil(
            external_id=f"P{self._n:05d}",
            first_name=first,
            last_name=last,
            class_name=klass,
            photo_consent=photo,
            first_name_consent=photo,
        )
        self.session.add(pupil)
        self.session.commit()
        return pupil

    def trip(self, lead: User, pupils: list[Pupil] | None = None, *, start: date | None = None, days: int = 2) -> Trip:
        start = start or date.today()
        trip = Trip(
            name="Year 6 residential",
            destination="Outdoor centre",
            start_date=start,
            end_date=start + timedelta(days=days),
            lead_id=lead.id,
            pupils=pupils or [],
        )
        self.session.add(trip)
        self.session.commit()
        return trip


@pytest.fixture
def make(db: Session) -> Factory:
    return Factory(db)


class AuthActions:
    """Sign in and out through the real login form, CSRF token and all."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, path: str = "/auth/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = TOKEN.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def login(self, user: User | str, password: str = PASSWORD) -> FlaskClient:
        email = user if isinstance(user, str) else user.email
        response = self.client.post(
            "/auth/login", data={"email": email, "password": password, "csrf_token": self.token()}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self.client

    def post(self, path: str, data: dict | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        """POST a form with a fresh CSRF token from the signed-in session."""
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token("/")}, **kwargs)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
