"""Staff accounts: create, sign in, change and reset passwords, disable."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Role, User, UserSession, utcnow
from ..audit import events as audit
from ..errors import ServiceError, ValidationError
from . import sessions

MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError({field: f"Use at least {MIN_PASSWORD} characters."})


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Rehashes old argon2 parameters.

    A failure is audited with the email as typed (never the password). Success is audited by
    the caller once sign-in is complete, which may still need a code.
    """
    user = find_by_email(session, email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        _failed(session, user, email, "password" if user else "unknown")
        return None
    if user is None or not user.is_active:
        _failed(session, user, email, "disabled" if user else "unknown")
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _failed(session: Session, user: User | None, email: str, reason: str) -> None:
    # The actor is unknown: whoever typed this may not be the account's owner.
    audit.record(session, None, "auth.login_failed", user, email=email.strip()[:254], reason=reason)


def create_user(
    session: Session, actor: User | None, *, email: str, display_name: str, role: Role, password: str
) -> User:
    """Add a staff account.

    Raises:
        ValidationError: the email is taken or the password is too short.
    """
    email = email.strip().lower()
    if find_by_email(session, email) is not None:
        raise ValidationError({"email": "Someone already signs in with this email address."})
    _check_password_strength(password)
    user = User(email=email, display_name=display_name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", user, role=role.value)
    return user


def change_password(session: Session, user: User, current: str, new: str, *, keep: UserSession | None = None) -> None:
    """A user changes their own password. Every other session of theirs (all but ``keep``) ends.

    Raises:
        ValidationError: the current password is wrong or the new one is too short.
    """
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise ValidationError({"current_password": "That is not your current password."}) from None  # nosec B105: a message
    _check_password_strength(new, "new_password")
    _set_password(user, new)
    sessions.end_all(session, user, sessions.PASSWORD_CHANGED, user, keep=keep)
    audit.record(session, user, "user.password_changed", user)


def reset_password(session: Session, actor: User, user: User) -> str:
    """Give ``user`` a new random password, returned once for the admin to pass on."""
    password = "-".join(secrets.token_urlsafe(4) for _ in range(3))
    _set_password(user, password)
    sessions.end_all(session, user, sessions.PASSWORD_RESET, actor)
    audit.record(session, actor, "user.password_reset", user)
    return password


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Disable or re-enable an account. Disabling ends its sessions at once.

    Raises:
        ServiceError: a senior leader tried to disable their own account.
    """
    if user.id == actor.id and not active:
        raise ServiceError("You cannot disable your own account. Ask another senior leader.")
    user.is_active = active
    if not active:
        user.session_version += 1
        sessions.end_all(session, user, sessions.DISABLED, actor)
    audit.record(session, actor, "user.enabled" if active else "user.disabled", user)


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_version += 1
