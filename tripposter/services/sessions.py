"""How long a signed-in session lives, and ending every session of a user at once.

Flask keeps the session in a signed cookie, so the server has no list of sessions to delete.
Three values in that cookie do the work instead, and the signature stops anyone changing them:
the user's *session version* (bumped here to kill every older cookie at once), the time of
sign-in (absolute limit) and the time of the last request (idle limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from ..models import User
from . import audit

IDLE = "idle"
ABSOLUTE = "absolute"


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta

    def ended(self, signed_in_at: float | None, seen_at: float | None, now: float) -> str | None:
        """Why a session signed in at ``signed_in_at`` and last seen at ``seen_at`` is over, or None.

        Times are POSIX seconds. A session missing either time was not made by our sign-in.
        """
        if signed_in_at is None or seen_at is None:
            return ABSOLUTE
        if now - signed_in_at >= self.absolute.total_seconds() or now < signed_in_at - 60:
            return ABSOLUTE
        if now - seen_at >= self.idle.total_seconds():
            return IDLE
        return None


def record_login(session: Session, user: User, *, two_factor: bool) -> None:
    """The audit event for a completed sign-in (after the code, when there is one)."""
    audit.record(session, user, "auth.login", user, two_factor=two_factor)


def record_logout(session: Session, user: User) -> None:
    audit.record(session, user, "auth.logout", user)


def record_expired(session: Session, user: User, reason: str) -> None:
    audit.record(session, None, "auth.session_expired", user, reason=reason)


def sign_out_everywhere(session: Session, user: User) -> None:
    """End every session of ``user``, on every device, this one included."""
    user.session_version += 1
    audit.record(session, user, "auth.logout_everywhere", user)


def end_sessions(session: Session, actor: User, user: User) -> None:
    """A senior leader ends every session of someone else (a lost phone)."""
    user.session_version += 1
    audit.record(session, actor, "auth.sessions_ended", user)
