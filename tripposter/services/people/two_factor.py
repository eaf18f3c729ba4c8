"""Two-step sign-in with time-based codes (TOTP, RFC 6238): enrol, check a code, turn off, reset.

The secret is sealed with the token key (Fernet) before it reaches the database. A code is
accepted for the current 30-second step or one step either side (a phone's clock drifts), and
never twice: the accepted step is stored with a compare-and-set, so two requests racing with the
same code cannot both win.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from ...models import Role, SchoolSettings, User
from ..audit import events as audit
from ..errors import ServiceError, ValidationError

ISSUER = "tripposter"
DRIFT_STEPS = 1
# Roles the school's requirement covers. Trip leads may still turn it on for themselves.
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.OFFICE})
CODE_FIELD = "code"


class TwoFactorError(ServiceError):
    """Two-step sign-in cannot be changed in the way asked."""


class SecretBox:
    """Seals TOTP secrets at rest with the token key; several keys (newest first) allow rotation."""

    def __init__(self, key: str | Sequence[str]) -> None:
        keys = [key] if isinstance(key, str) else list(key)
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("ascii"))

    def open(self, sealed: bytes) -> str:
        """The secret in base32.

        Raises:
            TwoFactorError: the key changed or the stored value was altered.
        """
        try:
            return self._fernet.decrypt(sealed).decode("ascii")
        except (InvalidToken, UnicodeDecodeError):
            raise TwoFactorError(
                "Your two-step sign-in cannot be read on this server. Ask a senior leader to reset it."
            ) from None


def required_for(user: User, school: SchoolSettings) -> bool:
    """True when the school makes this user sign in with a code."""
    return school.require_two_factor and user.role in REQUIRED_ROLES


def must_enrol(user: User, school: SchoolSettings) -> bool:
    """True when the user may do nothing but set up two-step sign-in."""
    return required_for(user, school) and not user.has_two_factor


def begin_enrolment(user: User, box: SecretBox, *, fresh: bool = False) -> str:
    """The secret to show for enrolment: the pending one (so a reload shows the same QR code) or a new one.

    Raises:
        TwoFactorError: two-step sign-in is already on.
    """
    if user.has_two_factor:
        raise TwoFactorError("Two-step sign-in is already on for your account.")
    if user.totp_secret is not None and not fresh:
        return box.open(user.totp_secret)
    secret = pyotp.random_base32()
    user.totp_secret, user.totp_last_step = box.seal(secret), None
    return secret


def provisioning_uri(user: User, secret: str, school_name: str) -> str:
    """The otpauth:// address the QR code carries; the label names the school and the account."""
    issuer = f"{ISSUER} {school_name}".strip()
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def confirm_enrolment(session: Session, user: User, box: SecretBox, code: str, now: datetime) -> None:
    """Turn two-step sign-in on with a first good code from the new authenticator.

    Raises:
        ValidationError: the code is wrong, or enrolment was not started.
    """
    if user.totp_secret is None or user.has_two_factor:
        raise ValidationError({CODE_FIELD: "Start again: open the set-up page and scan the new code."})
    check_code(session, user, box, code, now)
    user.totp_enabled_at = now
    audit.record(session, user, "auth.2fa_enrolled", user)


def check_code(session: Session, user: User, box: SecretBox, code: str, now: datetime) -> None:
    """Accept ``code`` once, or refuse it and write why to the audit log.

    Raises:
        ValidationError: the code is wrong, or it was already used.
    """
    step = _matching_step(box.open(user.totp_secret or b""), code, now)
    if step is None:
        audit.record(session, None, "auth.2fa_failed", user)
        raise ValidationError({CODE_FIELD: "That code is not right. Type the 6 digits your app shows now."})
    # Compare-and-set: only the first request to present this step's code may store it.
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        audit.record(session, None, "auth.2fa_reused", user)
        raise ValidationError({CODE_FIELD: "That code has been used already. Wait for the next one, then type it."})
    session.refresh(user, ["totp_last_step"])


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code equals ``code`` (now, or one step either side), else None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate in constant time, so timing does not tell which step matched.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def disable(session: Session, user: User, box: SecretBox, code: str, school: SchoolSettings, now: datetime) -> None:
    """The user turns off their own two-step sign-in, proving it with a current code.

    Raises:
        TwoFactorError: the school requires it for this user, or it is not on.
        ValidationError: the code is wrong or already used.
    """
    if required_for(user, school):
        raise TwoFactorError("Your school requires two-step sign-in for your role, so it cannot be turned off.")
    if not user.has_two_factor:
        raise TwoFactorError("Two-step sign-in is not on for your account.")
    check_code(session, user, box, code, now)
    _clear(user)
    audit.record(session, user, "auth.2fa_disabled", user)


def reset(session: Session, actor: User, user: User) -> None:
    """A senior leader clears someone's two-step sign-in (a lost or replaced phone)."""
    _clear(user)
    audit.record(session, actor, "auth.2fa_reset", user)


def _clear(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
