"""Staff who sign in, and the role each one has."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Role(enum.StrEnum):
    OFFICE = "office"
    TRIP_LEAD = "trip_lead"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"office": "Office staff", "trip_lead": "Trip lead", "admin": "Senior leader"}[self.value]


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda roles: [r.value for r in roles])
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of this user at once (sign out everywhere, lost phone).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-step sign-in: the TOTP secret, Fernet-sealed with the token key. Set while enrolling;
    # two-step sign-in is on only once ``totp_enabled_at`` is set by a first good code.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last 30-second time step whose code was accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(default=None)

    def has_role(self, *roles: Role) -> bool:
        """True if the user holds one of ``roles``; a senior leader holds every role."""
        return self.role is Role.ADMIN or self.role in roles

    # Flask-Login's user interface, written out so the models need no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def get_id(self) -> str:
        """The session's user key; the version part kills old cookies when it is bumped."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
