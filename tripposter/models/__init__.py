"""SQLAlchemy 2.0 typed models. No Flask here: the job queue and the CLI use them too."""

from .account import XAccount
from .audit import AuditEvent
from .channels import Channel, ChannelKind
from .base import Base, utcnow
from .people import Role, User
from .photos import (
    MAIN_DESTINATIONS, DeletionRecord, Fate, Photo, PhotoState, Post, PostState, TripAttestation, TripLog,
)
from .publications import Publication, PublicationState
from .roster import Pupil
from .school import WEEKDAYS, SchoolSettings
from .signins import Passkey, UserSession
from .trips import MAIN_NETWORK, Trip, trip_pupil, trip_staff

__all__ = [
    "WEEKDAYS",
    "AuditEvent",
    "Base",
    "Channel",
    "ChannelKind",
    "DeletionRecord",
    "Fate",
    "Passkey",
    "Photo",
    "PhotoState",
    "Post",
    "PostState",
    "Publication",
    "PublicationState",
    "TripAttestation",
    "TripLog",
    "XAccount",
    "Pupil",
    "Role",
    "SchoolSettings",
    "MAIN_DESTINATIONS",
    "MAIN_NETWORK",
    "Trip",
    "User",
    "UserSession",
    "trip_pupil",
    "trip_staff",
    "utcnow",
]
