"""Helpers for tests of two-step sign-in: enrol a user directly, and make the codes a phone would show."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
from sqlalchemy.orm import Session

from tripposter.config import Settings
from tripposter.models import User
from tripposter.services.people import two_factor

STEP = timedelta(seconds=30)


def enrol(session: Session, user: User, settings: Settings, now: datetime) -> str:
    """Turn two-step sign-in on for ``user`` as the set-up page would; returns the secret.

    The confirming code is the one of the step before ``now``, so the code of ``now`` is still unused.
    """
    box = two_factor.SecretBox(settings.token_key)
    secret = two_factor.begin_enrolment(user, box)
    two_factor.confirm_enrolment(session, user, box, code(secret, now, -1), now)
    session.commit()
    return secret


def code(secret: str, now: datetime, steps: int = 0) -> str:
    """The code an authenticator shows at ``now`` plus ``steps`` 30-second steps."""
    return pyotp.TOTP(secret).at(now + steps * STEP)
