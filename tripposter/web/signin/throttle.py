"""The sign-in throttle: failures only, per account (back-off) and per address (a generous limit).

Successful sign-ins never count, so a staff room behind one address signs in freely. A failed
password makes its account wait longer and longer (services/people/backoff.py); a passkey sign-in is
never held back. Failed sign-ins of every kind from one address count against
``TRIPPOSTER_LOGIN_RATE_LIMIT`` through Flask-Limiter, which only deducts when a view marked the
request as failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request
from werkzeug.wrappers import Response

from ...config import Settings
from ...services.audit import events as audit
from ...services.people import accounts
from ...services.people.backoff import Backoff, in_words
from ..core.database import db_session
from ..core.extensions import limiter
from . import sessions as signin

ADDRESS_THROTTLED = (
    "Too many failed sign-ins from this network. Wait a few minutes, then try again. "
    "If you have forgotten your password, ask a senior leader to reset it."
)
WRONG = "That email and password do not match an active account."


@dataclass(frozen=True)
class Outcome:
    """What a password step came to: "signed_in", "code_needed", "refused" or "wait"."""

    status: str
    message: str = ""


def _settings() -> Settings:
    return current_app.config["TRIPPOSTER_SETTINGS"]


def backoff() -> Backoff:
    s = _settings()
    return Backoff(limiter.storage, s.namespace, free=s.login_free_failures, cap=s.login_backoff_max_seconds)


def address_key() -> str:
    """The per-address bucket, in this school's namespace (several schools may share one Redis)."""
    return f"{_settings().namespace}:signin-address:{request.remote_addr or 'unknown'}"


def address_limit() -> str:
    return _settings().login_rate_limit


def failed() -> None:
    """Mark this request as a failed sign-in: it counts against the address limit."""
    g.signin_failed = True


def counted(_response: Response) -> bool:
    """Flask-Limiter's ``deduct_when``: only failed sign-ins use up the address's allowance."""
    return bool(g.get("signin_failed"))


def password_step(email: str, password: str, target: str) -> Outcome:
    """Check a password under the account's back-off; sign in, or hold the code step. Commits."""
    db, wait = db_session(), backoff().wait(email)
    if wait:
        failed()
        audit.record(db, None, "auth.login_failed", accounts.find_by_email(db, email),
                     email=email.strip()[:254], reason="waiting")
        db.commit()
        return Outcome("wait", f"Too many wrong passwords for this account. Wait {in_words(wait)}, then try again, "
                               "or sign in with your passkey.")
    user = accounts.authenticate(db, email, password)
    if user is None:
        db.commit()  # the failure is audited
        failed()
        backoff().failed(email)
        return Outcome("refused", WRONG)
    backoff().succeeded(email)
    if user.has_two_factor:
        signin.hold_pending(user, target)  # not signed in until the code is right
        db.commit()
        return Outcome("code_needed")
    signin.start(user, method="password")
    db.commit()
    return Outcome("signed_in")

