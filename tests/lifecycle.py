"""Fixtures for the photo lifecycle: a runtime with a fixed clock, a trip running today.

Loaded as a plugin by tests/conftest.py, so web and service tests share them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.conftest import Factory
from tripposter.jobs import Queue
from tripposter.models import Pupil, Role, Trip, User
from tripposter.runtime import Runtime
from tripposter.services.deletion.retention import sweep_expired


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def rt(app: Flask, clock: Clock) -> Runtime:
    runtime: Runtime = app.extensions["tripposter.runtime"]
    runtime.clock = clock
    return runtime


@pytest.fixture
def queue(app: Flask, rt: Runtime) -> Queue:
    return app.extensions["tripposter.queue"]


class Outing:
    """A trip running today, open for posting all day, with pupils of each consent kind."""

    def __init__(self, make: Factory) -> None:
        self.lead: User = make.user(Role.TRIP_LEAD)
        self.sam: Pupil = make.pupil("Sam", "Lee", photo=True)
        self.ava: Pupil = make.pupil("Ava", "Khan", photo=False)
        self.theo: Pupil = make.pupil("Theo", "Hill", photo=None)
        # From yesterday, so the trip is running whichever side of midnight London is on.
        start = date.today() - timedelta(days=1)
        self.trip: Trip = make.trip(self.lead, [self.sam, self.ava, self.theo], start=start, days=3)
        self.trip.posting_start, self.trip.posting_end = time(0, 0), time(23, 59)
        make.session.commit()


@pytest.fixture
def outing(make: Factory, rt: Runtime) -> Iterator[Outing]:
    yield Outing(make)
    make.session.rollback()  # a test that stopped mid-change must not hold the database's write lock
    # Whatever a test left waiting, the sweeper destroys once the retention limit has passed, as
    # in production. A file it cannot account for stays, and the suite's last test catches it.
    with rt.sessions() as session, session.begin():
        sweep_expired(session, rt.spool, rt.clock() + timedelta(days=30))


@pytest.fixture
def session(db: Session) -> Iterator[Session]:
    yield db


def age_spool(rt: Runtime, minutes: int = 60) -> None:
    """Make every spool entry look ``minutes`` old, past reconciliation's grace for live uploads."""
    import os
    import time as clock_time

    then = clock_time.time() - minutes * 60
    for entry in rt.spool.names():
        os.utime(rt.spool.root / entry, (then, then), follow_symlinks=False)
