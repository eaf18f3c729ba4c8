"""Signed-in sessions, kept on the server: open, check, touch, list and end them.

The browser's cookie holds a random token; the ``user_session`` table holds only its SHA-256,
so a copy of the database signs no one in. Deleting a row ends that session at once: a copy of
the cookie made before is worth nothing afterwards. A session is never tied to an address: a
phone on a coach hops between masts all day. Every address it used is kept for the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ...models import User, UserSession
from ..audit import events as audit

# Why a session ended: the audit log's ``reason``.
SIGNED_OUT = "signed_out"
ENDED_BY_USER = "ended_by_user"
EVERYWHERE = "signed_out_everywhere"
ENDED_BY_LEADER = "ended_by_senior_leader"
IDLE = "idle"
ABSOLUTE = "absolute"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
DISABLED = "disabled"
SIGNED_IN_AGAIN = "signed_in_again"
# last_seen_at is written at most this often, so a busy phone does not write on every request.
TOUCH = timedelta(minutes=1)
MAX_ADDRESSES = 20


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta
    absolute: timedelta

    def ended(self, row: UserSession, now: datetime) -> str | None:
        """Why ``row`` is over at ``now`` (``IDLE`` or ``ABSOLUTE``), or None while it lives."""
        if now - row.created_at >= self.absolute or now < row.created_at - timedelta(minutes=1):
            return ABSOLUTE
        if now - row.last_seen_at >= self.idle:
            return IDLE
        return None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session, user: User, *, method: str, device: str, address: str, now: datetime
) -> tuple[str, UserSession]:
    """Start a session for ``user`` and audit the sign-in; returns the token for the cookie (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=hash_token(token), user=user, created_at=now, last_seen_at=now,
                      device=device[:80], method=method, addresses=[address] if address else [])
    session.add(row)
    session.flush()
    audit.record(session, user, "auth.login", user, two_factor=method != "password", method=method,
                 session_id=row.id, device=row.device, address=address)
    return token, row


def find(session: Session, token: object) -> UserSession | None:
    """The live row for a cookie's token, with its user, or None."""
    if not isinstance(token, str) or not token:
        return None
    query = select(UserSession).options(joinedload(UserSession.user)).where(UserSession.token_hash == hash_token(token))
    return session.scalars(query).first()


def touch(row: UserSession, now: datetime, address: str, *, active: bool) -> bool:
    """Note a request: move the idle clock (if ``active``, at most once a minute) and a new address.

    Returns True when the row changed and needs a commit.
    """
    changed = False
    if active and now - row.last_seen_at >= TOUCH:
        row.last_seen_at = now
        changed = True
    if address and address not in row.addresses and len(row.addresses) < MAX_ADDRESSES:
        row.addresses = [*row.addresses, address]  # a new list: JSON columns see assignment, not mutation
        changed = True
    return changed


def of_user(session: Session, user: User) -> list[UserSession]:
    """``user``'s sessions, most recently used first."""
    query = select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.last_seen_at.desc())
    return list(session.scalars(query))


def prune(session: Session, user: User, lifetime: Lifetime, now: datetime) -> None:
    """End ``user``'s sessions already past a limit (a phone that never came back), so none lingers."""
    for row in of_user(session, user):
        reason = lifetime.ended(row, now)
        if reason is not None:
            end(session, row, reason)


def end(session: Session, row: UserSession, reason: str, actor: User | None = None) -> None:
    """End one session and audit why. ``actor`` is whoever ended it (None: the server's limits)."""
    audit.record(session, actor, "auth.session_closed", row.user, reason=reason, session_id=row.id,
                 device=row.device, method=row.method, addresses=list(row.addresses))
    session.delete(row)


def end_all(session: Session, user: User, reason: str, actor: User | None, *, keep: UserSession | None = None) -> int:
    """End every session of ``user`` (but ``keep``); returns how many ended."""
    rows = [row for row in of_user(session, user) if keep is None or row.id != keep.id]
    for row in rows:
        end(session, row, reason, actor)
    return len(rows)


def sign_out_everywhere(session: Session, user: User) -> None:
    """End every session of ``user``, on every device, this one included."""
    count = end_all(session, user, EVERYWHERE, user)
    user.session_version += 1
    audit.record(session, user, "auth.logout_everywhere", user, sessions=count)


def end_sessions(session: Session, actor: User, user: User) -> None:
    """A senior leader ends every session of someone else (a lost phone)."""
    count = end_all(session, user, ENDED_BY_LEADER, actor)
    user.session_version += 1
    audit.record(session, actor, "auth.sessions_ended", user, sessions=count)


def device_label(user_agent: str) -> str:
    """A short name a teacher recognises: "Chrome on Android", "Safari on iPhone"."""
    ua = user_agent or ""
    system = next((name for key, name in _SYSTEMS if key in ua), "an unknown device")
    browser = next((name for key, name in _BROWSERS if key in ua), "A browser")
    return f"{browser} on {system}"


# Order matters: Edge and Chrome both say "Chrome"; Chrome says "Safari"; Android says "Linux".
_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("SamsungBrowser", "Samsung Internet"),
             ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "Mac"), ("CrOS", "Chromebook"), ("Linux", "Linux"))
