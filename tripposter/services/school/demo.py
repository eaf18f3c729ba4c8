"""A demo school for trying tripposter out: three staff, thirty pupils, one trip running today.

The demo passwords are printed by ``make run`` and the README. They are for a laptop demo
only: ``seed-demo`` refuses to touch a database that already has users.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Pupil, Role, User
from ..people.accounts import create_user
from .settings import get_school
from .trips import TripInput, save_trip

FIRST = "Amara Ben Chloe Dev Ella Finn Grace Harry Isla Jack Kai Leah Max Nia Omar Poppy Ravi Sofia Theo Zara".split()
LAST = "Ahmed Baker Clarke Davies Evans Fisher Green Hughes Iqbal Jones Khan Lewis Morgan Patel Roberts".split()


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str


DEMO_LOGINS = (
    DemoLogin(Role.OFFICE, "office@demo.school", "office-demo-pass"),
    DemoLogin(Role.TRIP_LEAD, "lead@demo.school", "lead-demo-pass"),
    DemoLogin(Role.ADMIN, "head@demo.school", "head-demo-pass"),
)
NAMES = {Role.OFFICE: "Pat Office", Role.TRIP_LEAD: "Sam Teacher", Role.ADMIN: "Alex Head"}


class DemoRefusedError(RuntimeError):
    """The database already has users: seeding would mix demo data into a real school."""


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def seed_demo(session: Session, today: date | None = None, pupils: int = 30) -> list[DemoLogin]:
    """Create the demo school in the caller's transaction and return its logins.

    Raises:
        DemoRefusedError: the database already has users.
    """
    if has_users(session):
        raise DemoRefusedError("This database already has users, so no demo data was added.")
    today = today or date.today()
    school = get_school(session)
    school.name = "Demo Primary School"
    school.required_hashtags = "#DemoPrimary"
    users = {
        login.role: create_user(
            session, None, email=login.email, display_name=NAMES[login.role], role=login.role, password=login.password
        )
        for login in DEMO_LOGINS
    }
    rng = random.Random(20261121)  # nosec B311: the same demo school every time, not a secret
    roster = []
    for i in range(pupils):
        # About one in six refused photos, one in ten never answered: realistic for a primary school.
        photo = rng.choices([True, False, None], weights=[74, 16, 10])[0]
        pupil = Pupil(
            external_id=f"DEMO{i + 1:04d}",
            first_name=FIRST[i % len(FIRST)],
            last_name=LAST[(i * 7) % len(LAST)],
            class_name=("5B", "6A", "6B")[i % 3],
            photo_consent=photo,
            first_name_consent=bool(photo) and rng.random() < 0.6,
        )
        session.add(pupil)
        roster.append(pupil)
    session.flush()
    save_trip(
        session,
        users[Role.OFFICE],
        TripInput(
            name="Year 6 residential",
            destination="Bramble Hill Outdoor Centre",
            start_date=today,
            end_date=today + timedelta(days=2),
            lead_id=users[Role.TRIP_LEAD].id,
            pupil_ids=tuple(p.id for p in roster if p.class_name in ("6A", "6B")),
            hashtags="#Y6Residential",
            posting_start=time(7, 0),
            posting_end=time(21, 0),
        ),
    )
    return list(DEMO_LOGINS)
