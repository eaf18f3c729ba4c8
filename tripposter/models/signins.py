"""Signed-in sessions and passkeys: the server's own record of who is signed in, and with what."""

from __future__ import annotations

from datetime import datetime
from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .people import User


class UserSession(Base):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored here,
    so a copy of the database signs no one in. Deleting the row ends the session at once."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved on at most once a minute, and never by the phone page's status refresh.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "Chrome on Android", from the user agent: enough for a teacher to recognise their phone.
    device: Mapped[str] = mapped_column(String(80), default="")
    # How the session began: "password", "password+code" or "passkey".
    method: Mapped[str] = mapped_column(String(20), default="password")
    # Every address the session was used from, for the audit log; never used to refuse anyone.
    addresses: Mapped[list[str]] = mapped_column(JSON, default=list)

    user: Mapped[User] = relationship()


class Passkey(Base):
    """A WebAuthn credential: the public key of a passkey held by a phone or security key."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(80), default="")
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()
