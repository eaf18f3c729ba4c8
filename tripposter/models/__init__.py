"""SQLAlchemy 2.0 typed models. No Flask here: the job queue and the CLI use them too."""

from .audit import AuditEvent
from .base import Base, utcnow
from .people import Role, User
from .roster import Pupil
from .school import WEEKDAYS, SchoolSettings
from .trips import Trip, trip_pupil, trip_staff

__all__ = [
    "WEEKDAYS",
    "AuditEvent",
    "Base",
    "Pupil",
    "Role",
    "SchoolSettings",
    "Trip",
    "User",
    "trip_pupil",
    "trip_staff",
    "utcnow",
]
